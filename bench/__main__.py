"""``python -m bench`` (``make bench``): the table of costs, then the ratios line.

Runs on the configured server (the embedded one unless DB_HOST or
DATABASE_URL is set), in a database of its own, ``<DB_NAME>_bench``, made anew
and migrated at the start and dropped at the end. The last line is exactly
``bench: get X.XX list Y.YY``: the repository's cost over raw asyncpg. A ratio
above its bound prints a warning line before it; only errors exit non-zero.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
from collections.abc import Sequence
from importlib.metadata import version

import asyncpg
import psycopg

from bench import data
from bench.report import report
from bench.timing import BenchError, Timing, check_same_rows, measure, warm_up
from bench.variants import Read, reads
from ikenei import embedded
from ikenei.config.settings import load_settings
from ikenei.errors import IkeneiError
from ikenei.schema import migrations

#: Calls per way and round, per read: blocks of a few milliseconds.
CALLS = {"get": 100, "list": 25}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time repository reads against raw asyncpg, aiosql and SQLAlchemy's ORM.",
    )
    parser.add_argument(
        "--rounds", type=_positive, default=150, help="interleaved rounds per read (default 150)"
    )
    args = parser.parse_args(argv)
    try:
        from bench.orm import OrmReads  # noqa: F401 - fail before any work when it is missing
    except ImportError as exc:
        print(f"error: {exc.name or 'sqlalchemy'} is not installed: `make bench` installs the "
              "bench dependencies (pip install -e '.[bench]')", file=sys.stderr)
        return 1
    try:
        settings = embedded.started(load_settings())
        admin_dsn = settings.dsn("postgres")
        name = data.database_name(settings.database)
        print(f"bench: database {name} on {settings.server}, made anew")
        dsn = data.recreate(admin_dsn, name, out=lambda _line: None)
        try:
            results = asyncio.run(_run(dsn, args.rounds))
        finally:
            migrations.drop_database(admin_dsn, name)
    except (IkeneiError, BenchError, psycopg.Error, asyncpg.PostgresError, OSError) as exc:
        print(f"error: {str(exc).strip() or type(exc).__name__}", file=sys.stderr)
        return 1
    for line in report(results):
        print(line)
    return 0


def _positive(value: str) -> int:
    number = int(value) if value.isdigit() else 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1: {value!r}")
    return number


async def _run(dsn: str, rounds: int) -> list[tuple[Read, list[Timing]]]:
    from bench.orm import OrmReads

    conn = await asyncpg.connect(dsn)
    orm = await OrmReads.connect(dsn)
    try:
        await data.load_users(conn)
        server = conn.get_server_version()
        print(
            f"bench: {data.USER_COUNT} users; {os.cpu_count()} CPUs, "
            f"PostgreSQL {server.major}.{server.minor}, "
            f"Python {platform.python_version()}, asyncpg {version('asyncpg')}, "
            f"aiosql {version('aiosql')}, SQLAlchemy {version('sqlalchemy')}"
        )
        results = []
        for read in reads(conn, await data.user_id(conn), orm):
            calls = CALLS[read.name]
            await check_same_rows(read)
            await warm_up(read, calls * 4)
            print(f"bench: {read.name}: {rounds} rounds of {calls} calls per way ...", flush=True)
            results.append((read, await measure(read, rounds, calls)))
        return results
    finally:
        await orm.close()
        await conn.close()


if __name__ == "__main__":
    sys.exit(main())
