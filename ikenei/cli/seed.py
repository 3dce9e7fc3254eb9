"""``ikenei seed prod|dev``: reference data, or sample data for development."""

from __future__ import annotations

import argparse

from ikenei.cli.common import EXIT_FAILED, EXIT_OK, Commands, Context, load_module
from ikenei.cli.connection import check_connection


def configure_seed_parser(commands: Commands) -> None:
    seed_parser = commands.command("seed", seed, "load seed data")
    seed_parser.add_argument("kind", choices=("prod", "dev"),
                             help="prod: reference data; dev: sample data for development")


async def seed(args: argparse.Namespace, context: Context) -> int:
    settings = context.started(context.load_settings())
    cipher = None
    if args.kind == "dev":
        # Before anything is seeded: without a key the sample comments and
        # notes could not be encrypted afterwards.
        from ikenei.security.encryption import cipher_from_settings

        cipher = cipher_from_settings(settings)
    check_connection(settings)
    seeds = load_module("ikenei.schema.seeds", "seed")
    seeds.run(settings.dsn(), args.kind, out=print)
    if cipher is not None:
        # The SQL seeds write their sample comments and notes as text (SQL has
        # no key); encrypt them now, as `ikenei keys rotate` would.
        from ikenei.privacy import keys

        rotation = await keys.rotate(settings, cipher, out=print)
        if rotation.failed:
            return EXIT_FAILED
    return EXIT_OK
