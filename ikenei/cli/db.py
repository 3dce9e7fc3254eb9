"""``ikenei db start|stop|status|url``: the database server."""

from __future__ import annotations

import argparse
from pathlib import Path

from ikenei.cli.common import EXIT_OK, Commands, Context
from ikenei.cli.connection import connect


def configure_db_parser(commands: Commands) -> None:
    db = commands.group("db", "the database server")
    db.command("start", start, "start the embedded server (reuses a running one)")
    stop_parser = db.command("stop", stop, "stop the embedded server (or a restored one: --data-dir)")
    stop_parser.add_argument(
        "--data-dir", type=Path, metavar="DIR",
        help="the data directory of a server `ikenei backup restore --start` left running",
    )
    db.command("status", status, "is the configured server up?")
    db.command("url", url, "print the configured database's URL (no password)")


async def start(args: argparse.Namespace, context: Context) -> int:
    settings = context.load_settings()
    from ikenei import embedded

    if not settings.uses_embedded:
        print(
            f"configured for {settings.server} (DB_HOST or DATABASE_URL is set); "
            "the embedded server is not used, nothing to start"
        )
        return EXIT_OK
    url, launched = embedded.ensure_started()
    state = "started" if launched else "already running"
    print(f"embedded PostgreSQL {state} (pid {embedded.pid()}): {url}")
    return EXIT_OK


async def stop(args: argparse.Namespace, context: Context) -> int:
    from ikenei import embedded

    if args.data_dir is not None:
        from ikenei.backup import instance

        directory = args.data_dir.expanduser().resolve()
        if instance.stop(directory):
            print(f"stopped the server of {directory}")
        else:
            print(f"no server was running on {directory}")
        return EXIT_OK

    if embedded.stop():
        print("embedded PostgreSQL stopped")
    else:
        print("embedded PostgreSQL was not running")
    return EXIT_OK


async def status(args: argparse.Namespace, context: Context) -> int:
    settings = context.load_settings()
    from ikenei import embedded

    if settings.uses_embedded:
        url = embedded.status()
        if url is None:
            print("embedded PostgreSQL: not running (`make db-start` starts it)")
        else:
            print(f"embedded PostgreSQL: running (pid {embedded.pid()}): {url}")
        return EXIT_OK
    with connect(settings, settings.dsn()) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    print(f"{settings.target}: reachable, PostgreSQL {version[0] if version else '?'}")
    return EXIT_OK


async def url(args: argparse.Namespace, context: Context) -> int:
    settings = context.started(context.load_settings())
    print(settings.dsn(include_password=False))
    return EXIT_OK
