"""A monitoring session: one owner connection, and what its server offers.

Monitoring works as the tables' owner (it reads every table's statistics and
writes the ``monitoring`` schema) on one connection of its own, never through
the application's pool. The session's search path also holds ``monitoring``,
where the migration creates pg_stat_statements when nobody had.

A server without pg_stat_statements (not preloaded, or not created in this
database) still answers every command for what it can see; ``Server.missing``
is the one line that says what is missing and how to enable it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from ikenei.db.connections import owner_connection
from ikenei.db.queries import Executor, Q
from ikenei.errors import IkeneiError

#: How to enable pg_stat_statements, appended to every line that misses it.
ENABLE_STATEMENTS = (
    "add shared_preload_libraries = 'pg_stat_statements' to postgresql.conf, restart the "
    "server, then run `make migrate` (or CREATE EXTENSION pg_stat_statements as a superuser)"
)


@dataclass(frozen=True, slots=True)
class Server:
    """What the connected server offers to monitoring."""

    version_num: int
    #: None when pg_stat_statements can be read, else one line: what is missing and how to enable it.
    missing: str | None

    @property
    def statements(self) -> bool:
        return self.missing is None


@dataclass(frozen=True, slots=True)
class Session:
    executor: Executor
    server: Server


async def inspect(executor: Executor) -> Server:
    """Probe the server; run outside a transaction (a failed probe would abort it)."""
    version = int(await executor.value(Q.server_version_num))
    try:
        await executor.value(Q.statements_probe)
    except IkeneiError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "does not exist" in reason:
            reason = "the extension is not created in this database"
        elif "shared_preload_libraries" in reason:
            reason = "it is not in shared_preload_libraries"
        return Server(version, f"pg_stat_statements is not available ({reason}): {ENABLE_STATEMENTS}")
    return Server(version, None)


async def prepare(executor: Executor) -> Server:
    """Sets the session's search path and probes the server."""
    await executor.value(Q.use_monitoring_search_path)
    return await inspect(executor)


@asynccontextmanager
async def session(dsn: str) -> AsyncIterator[Session]:
    """A monitoring session on a new owner connection to ``dsn``, closed after the block."""
    async with owner_connection(dsn) as executor:
        yield Session(executor, await prepare(executor))
