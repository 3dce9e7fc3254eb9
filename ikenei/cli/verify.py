"""``ikenei verify``: the database against the expected schema."""

from __future__ import annotations

import argparse

from ikenei.cli.common import EXIT_FAILED, EXIT_OK, Commands, Context, load_module
from ikenei.cli.connection import check_connection


def configure_verify_parser(commands: Commands) -> None:
    commands.command("verify", verify, "check that the database matches the expected schema")


async def verify(args: argparse.Namespace, context: Context) -> int:
    settings = context.started(context.load_settings())
    check_connection(settings)
    schema_verify = load_module("ikenei.schema.verify", "verify")
    return EXIT_OK if schema_verify.run(settings.dsn(), out=print) else EXIT_FAILED
