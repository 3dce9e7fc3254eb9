"""The benchmark's own database: made anew each run, migrated, filled with fixed rows."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from ikenei.db.queries import Executor, load
from ikenei.schema import migrations

BQ = load(Path(__file__).parent / "sql" / "data.sql")

#: Users loaded; every fiftieth is soft-deleted, so the table holds 2 % more rows.
USER_COUNT = 500

# A well-formed bcrypt hash (the table accepts nothing else) that no password
# produces: nobody signs in to the benchmark's data.
_NO_PASSWORD = "$2b$12$" + "." * 53

#: The user whose lookup is measured: an active one with a manager.
LOOKUP_USER = 123


def database_name(configured: str) -> str:
    """The benchmark's database beside the configured one."""
    return f"{configured}_bench"


def recreate(admin_dsn: str, name: str, out: Callable[[str], Any] = print) -> str:
    """Drop ``name`` if it exists, create it, apply every migration; its DSN."""
    migrations.drop_database(admin_dsn, name)
    migrations.create_database(admin_dsn, name)
    dsn = migrations.dsn_for_database(admin_dsn, name)
    migrations.apply(dsn, out=out)
    return dsn


async def load_users(conn: asyncpg.Connection, count: int = USER_COUNT) -> None:
    """Insert the fixed users and refresh the planner's statistics on them."""
    executor = Executor(conn)
    async with executor.transaction() as tx:
        await tx.execute(BQ.load_users, count=count, password_hash=_NO_PASSWORD)
    await executor.execute(BQ.analyze_users)


async def user_id(conn: asyncpg.Connection, number: int = LOOKUP_USER) -> UUID:
    """The id ``load_users`` gave user ``number``."""
    return await Executor(conn).value(BQ.bench_user_id, number=number)
