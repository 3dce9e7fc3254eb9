"""``ikenei migrate``, ``ikenei rollback`` and ``ikenei migrations status|unlock``."""

from __future__ import annotations

import argparse

from ikenei.cli.common import EXIT_OK, Commands, Context, load_module, positive_int
from ikenei.cli.connection import check_connection, ensure_database

MODULE = "ikenei.schema.migrations"


def configure_migrations_parser(commands: Commands) -> None:
    commands.command("migrate", migrate, "create the database if missing and apply migrations")
    rollback_parser = commands.command("rollback", rollback, "roll back applied migrations")
    how_far = rollback_parser.add_mutually_exclusive_group()
    how_far.add_argument("--steps", type=positive_int, default=None, metavar="N",
                         help="roll back the last N migrations")
    how_far.add_argument("--all", action="store_true", help="roll back every migration")

    migrations = commands.group("migrations", "migration bookkeeping")
    migrations.command("status", status, "list applied and pending migrations")
    migrations.command("unlock", unlock, "release a stale migration lock")


async def migrate(args: argparse.Namespace, context: Context) -> int:
    settings = context.started(context.load_settings())
    ensure_database(settings, out=print)
    load_module(MODULE, "migrate").apply(settings.dsn(), out=print)
    return EXIT_OK


async def rollback(args: argparse.Namespace, context: Context) -> int:
    settings = context.started(context.load_settings())
    check_connection(settings)
    migrations = load_module(MODULE, "rollback")
    migrations.rollback(settings.dsn(), steps=args.steps, all=args.all, out=print)
    return EXIT_OK


async def status(args: argparse.Namespace, context: Context) -> int:
    settings = context.started(context.load_settings())
    check_connection(settings)
    load_module(MODULE, "migrations status").status(settings.dsn(), out=print)
    return EXIT_OK


async def unlock(args: argparse.Namespace, context: Context) -> int:
    settings = context.started(context.load_settings())
    check_connection(settings)
    load_module(MODULE, "migrations unlock").unlock(settings.dsn(), out=print)
    return EXIT_OK
