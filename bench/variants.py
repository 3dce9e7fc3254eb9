"""The four ways of making each measured read, ready to call.

Every way runs the same read with the same arguments. Raw asyncpg, the
repository and aiosql share one asyncpg connection and send the identical SQL
text (the query of ``sql/queries/users.sql`` as aiosql loaded it), so they
also share asyncpg's prepared statement: what differs is only what happens in
Python around the driver call. The ORM has its own connection and SQL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import aiosql
import asyncpg

from ikenei.config.paths import QUERIES_DIR
from ikenei.db.database import Repositories
from ikenei.db.queries import Executor, Q
from ikenei.repositories.users import User

RAW = "raw asyncpg"
REPOSITORY = "ikenei repository"
AIOSQL = "aiosql as generated"
ORM = "SQLAlchemy async ORM"

#: The page size of the measured list.
PAGE = 50

#: The columns every way returns, in the order the queries select them.
COLUMNS = tuple(f.name for f in dataclasses.fields(User))


@dataclass(frozen=True)
class Variant:
    """One way of making a read: ``call`` makes it once (what is timed)."""

    name: str
    call: Callable[[], Awaitable[Any]]


@dataclass(frozen=True)
class Read:
    """A measured read: its name, what it is, and its ways (raw asyncpg first)."""

    name: str
    description: str
    variants: tuple[Variant, ...]


def as_rows(result: Any) -> list[tuple[Any, ...]]:
    """What a call returned as plain tuples of ``COLUMNS``, for comparison: from
    asyncpg Records, dataclasses or mapped objects, one, several or None."""
    if result is None:
        return []
    items = result if isinstance(result, list | tuple) else [result]
    return [
        tuple(item) if isinstance(item, asyncpg.Record)
        else tuple(getattr(item, column) for column in COLUMNS)
        for item in items
    ]


def reads(conn: asyncpg.Connection, user_id: UUID, orm: Any | None = None) -> tuple[Read, Read]:
    """``get`` and ``list`` with their ways on ``conn``; the ORM's when ``orm``
    (a ``bench.orm.OrmReads``) is given."""
    users = Repositories(Executor(conn)).users
    plain = aiosql.from_path(QUERIES_DIR / "users.sql", "asyncpg")
    get_sql = Q.get_user.sql
    list_sql = Q.list_users.sql
    # The raw calls pass positional arguments in $1, $2, ... order (Query.params).
    if Q.list_users.params != ("is_active", "after_created_at", "after_id", "limit"):
        raise RuntimeError(f"list_users changed its parameters: {Q.list_users.params}")

    async def raw_get() -> Any:
        return await conn.fetchrow(get_sql, user_id)

    async def repository_get() -> Any:
        return await users.get(user_id)

    async def aiosql_get() -> Any:
        return await plain.get_user(conn, user_id=user_id)

    async def raw_list() -> Any:
        # The first page as the repository reads it: one row more than shown
        # tells that a next page exists.
        return (await conn.fetch(list_sql, None, None, None, PAGE + 1))[:PAGE]

    async def repository_list() -> Any:
        return await users.list(limit=PAGE)

    async def aiosql_list() -> Any:
        return [row async for row in plain.list_users(
            conn, is_active=None, after_created_at=None, after_id=None, limit=PAGE + 1)][:PAGE]

    get = [Variant(RAW, raw_get), Variant(REPOSITORY, repository_get),
           Variant(AIOSQL, aiosql_get)]
    page = [Variant(RAW, raw_list), Variant(REPOSITORY, repository_list),
            Variant(AIOSQL, aiosql_list)]
    if orm is not None:

        async def orm_get() -> Any:
            return await orm.get(user_id)

        async def orm_list() -> Any:
            return (await orm.list(limit=PAGE + 1))[:PAGE]

        get.append(Variant(ORM, orm_get))
        page.append(Variant(ORM, orm_list))
    return (
        Read("get", "users.get: one user by primary key (query get_user)", tuple(get)),
        Read(
            "list",
            f"users.list: a {PAGE}-row page in creation order (query list_users)",
            tuple(page),
        ),
    )
