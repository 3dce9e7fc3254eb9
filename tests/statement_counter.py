"""Counts the statements a block of repository calls sends to the server.

For tests that promise "in one round trip" (a dashboard, a page of
invitations with names, a plan with its objectives and progress)::

    from statement_counter import count_statements

    async def test_page_of_invitations_is_one_statement(db):
        ...  # build the data first, outside the block
        async with count_statements(db) as (tx, sent):
            page = await tx.feedback.list_cycle_invitations(cycle.id)
        assert sent.count == 1, sent.statements
        assert page  # and check what came back, as usual

The block runs inside ``db.transaction()`` (committed at its end, like any
transaction), so every call in it uses one connection; ``tx`` is that
transaction's repositories (``tx.feedback``, ``tx.learning``, ...): call the
methods under test on ``tx``, not on ``db``, or they run on another pooled
connection and are not counted.

What is counted: each query asyncpg sends on that connection (fetch, fetchrow,
fetchval, execute, executemany). Not counted: the transaction's own BEGIN /
COMMIT / ROLLBACK, savepoints (a nested ``transaction()``), COPY (asyncpg does
not report it to query loggers), and the queries asyncpg makes by itself the
first time a connection meets a type it has no codec for yet (an array of
uuid, say): those are a once-per-connection cost, not the method's, so they
are kept apart in ``sent.introspection`` where a test can still look.

Read ``sent`` after the block: asyncpg hands each logged query to the loggers
through the event loop, and the block's exit waits for them.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from ikenei import Database, Repositories

_TRANSACTION_CONTROL = re.compile(
    r"^\s*(BEGIN|START\s+TRANSACTION|COMMIT|END|ROLLBACK|ABORT|SAVEPOINT|RELEASE)\b", re.IGNORECASE
)


# asyncpg's type introspection: its catalog query, wrapped in switching JIT off and back.
_JIT_SWITCH = re.compile(r"set_config\('jit'")


@dataclass
class Statements:
    """The SQL of each statement sent, in order (transaction control left out)."""

    statements: list[str] = field(default_factory=list)
    introspection: list[str] = field(default_factory=list)
    _intro_query: str | None = None

    @property
    def count(self) -> int:
        return len(self.statements)

    def _log(self, record: Any) -> None:
        query = record.query
        if _TRANSACTION_CONTROL.match(query):
            return
        if query == self._intro_query or _JIT_SWITCH.search(query):
            self.introspection.append(query)
        else:
            self.statements.append(query)


@asynccontextmanager
async def count_statements(db: Database) -> AsyncIterator[tuple[Repositories, Statements]]:
    """A transaction's repositories, and the statements sent through them during the block."""
    sent = Statements()
    async with db.transaction() as tx:
        # The executor's connection is private to ikenei; reaching it is fine in a test.
        connection = tx.users._x._target
        sent._intro_query = connection._intro_query
        connection.add_query_logger(sent._log)
        try:
            yield tx, sent
        finally:
            # Loggers are called with loop.call_soon: let them run before detaching.
            await asyncio.sleep(0)
            connection.remove_query_logger(sent._log)
