"""``ikenei retention run``: apply the retention policies."""

from __future__ import annotations

import argparse

from ikenei.cli.common import EXIT_OK, Commands, Context, load_module
from ikenei.cli.connection import check_connection


def configure_retention_parser(commands: Commands) -> None:
    retention = commands.group("retention", "retention policies")
    retention.command(
        "run", run, "delete what the retention policies no longer let us keep; reports counts per policy"
    )


async def run(args: argparse.Namespace, context: Context) -> int:
    settings = context.started(context.load_settings())
    check_connection(settings)
    retention = load_module("ikenei.privacy.retention", "retention run")
    await retention.run_async(settings.dsn(), out=print, overrides=settings.retention_overrides)
    return EXIT_OK
