"""Snapshots: the cumulative statistics views, copied into the ``monitoring`` schema.

``take`` records, in one short transaction: the database's cache hits and
reads, wraparound age, connections by state and (when the application hands
them over) its pool's figures; every user table's and index's size, scans,
tuples and maintenance times; and, where pg_stat_statements can be read, each
statement's figures with their deltas since the previous snapshot. The
extension is never reset: a statement whose calls fell, or every statement
after someone else reset it, starts a new series (``new_series``) instead.
Statements that are our named queries get their name.

Nothing here waits for or holds a lock that an INSERT, UPDATE or DELETE waits
for: the statistics views take none, and the size functions take an ACCESS
SHARE lock that they release at once. ``lock_timeout`` bounds the one wait
there can be, behind a running ALTER TABLE.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta

from ikenei.db.database import PoolFigures
from ikenei.db.queries import Q
from ikenei.monitoring.server import Session
from ikenei.monitoring.workload import name_of


@dataclass(frozen=True, slots=True)
class _StatementText:
    queryid: int
    query: str


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What ``take`` recorded."""

    id: int
    statements: int
    seconds: float
    #: One line when pg_stat_statements could not be read, else None.
    missing: str | None


async def take(session: Session, pool: PoolFigures | None = None) -> Snapshot:
    """Records one snapshot (and ``pool``, the application's pool figures, if given)."""
    started = time.perf_counter()
    ex = session.executor
    readable = session.server.statements
    async with ex.transaction() as tx:
        await tx.value(Q.limit_snapshot_wait)
        snapshot_id = await tx.value(
            Q.insert_snapshot,
            statements_available=readable,
            pool_size=pool.size if pool else None,
            pool_max=pool.max_size if pool else None,
            pool_idle=pool.idle if pool else None,
            pool_in_use=pool.in_use if pool else None,
            pool_waiting=pool.waiting if pool else None,
        )
        counted = 0
        if readable:
            counted = await tx.value(Q.insert_statement_stats, snapshot_id=snapshot_id)
            texts = await tx.all(
                Q.list_snapshot_statements, _StatementText, snapshot_id=snapshot_id,
            )
            named = [(t.queryid, name) for t in texts if (name := name_of(t.query))]
            if named:
                await tx.execute(
                    Q.name_snapshot_statements,
                    snapshot_id=snapshot_id,
                    queryids=[queryid for queryid, _ in named],
                    names=[name for _, name in named],
                )
        await tx.execute(Q.insert_table_stats, snapshot_id=snapshot_id)
        await tx.execute(Q.insert_index_stats, snapshot_id=snapshot_id)
    return Snapshot(snapshot_id, counted, time.perf_counter() - started, session.server.missing)


async def prune(session: Session, keep: timedelta) -> int:
    """Deletes snapshots and alerts older than ``keep``; how many snapshots went."""
    return int(await session.executor.value(Q.prune_snapshots, keep_seconds=keep.total_seconds()))
