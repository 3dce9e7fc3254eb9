"""Opening connections: the setup every connection gets, and the single owner
connection of the maintenance commands.

Maintenance (``keys rotate``, ``retention run``, ``gdpr export|erase``) works
on one connection as the DSN's own role, the tables' owner, never through the
application's pool and its role: it must reach every organization's rows.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from ikenei.db.queries import Executor
from ikenei.db.translate import DRIVER_ERRORS, connection_failure


async def init_connection(conn: asyncpg.Connection) -> None:
    """JSON columns arrive as Python objects and are sent from them."""
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


@asynccontextmanager
async def owner_connection(dsn: str, where: str = "the database") -> AsyncIterator[Executor]:
    """An executor on one new connection to ``dsn``, closed at the end of the block.

    ``NotMigrated`` when the database does not exist, ``ConnectionFailed``
    naming ``where`` when the server cannot be reached or refuses the login.
    """
    try:
        conn = await asyncpg.connect(dsn)
    except (TimeoutError, *DRIVER_ERRORS) as exc:
        raise connection_failure(where, exc) from None
    try:
        await init_connection(conn)
        yield Executor(conn)
    finally:
        await conn.close()
