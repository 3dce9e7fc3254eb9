"""``ikenei monitor report``: what the snapshots of a period show, and what the server shows now.

From the snapshots (first and last of the period): statements by total and by
mean time, each with its named query where it is one of ours; storage growth
per table with its history; sequential scans and the rows they read; the
cache hit ratio; connections and the application's pool at the end. From the
server now: unused, duplicate and invalid indexes (never a primary key or a
unique index), long-running and blocked statements, wraparound headroom.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ikenei.db.queries import Q
from ikenei.monitoring.server import Session
from ikenei.monitoring.workload import own_query_names

#: Transaction ids a database can use before wraparound protection stops writes (2^31 - 1).
XID_LIMIT = 2**31 - 1
#: How many statements each list shows.
TOP = 10


@dataclass(frozen=True, slots=True)
class Window:
    first_id: int | None
    last_id: int | None
    snapshots: int
    first_at: datetime | None
    last_at: datetime | None


@dataclass(frozen=True, slots=True)
class StatementFigures:
    queryid: int
    query_name: str | None
    query: str
    calls: int
    total_ms: float
    mean_ms: float
    rows: int
    shared_blks_hit: int
    shared_blks_read: int


@dataclass(frozen=True, slots=True)
class TableFigures:
    table_name: str
    first_bytes: int
    last_bytes: int
    history: list[int]
    seq_scans: int
    seq_rows_read: int
    index_scans: int
    live_tuples: int
    dead_tuples: int
    last_vacuum: datetime | None
    last_analyze: datetime | None

    @property
    def growth_bytes(self) -> int:
        return self.last_bytes - self.first_bytes


@dataclass(frozen=True, slots=True)
class PeriodFigures:
    blocks_hit: int
    blocks_read: int
    connections: dict[str, int]
    max_connections: int
    xid_age: int
    pool_size: int | None
    pool_max: int | None
    pool_idle: int | None
    pool_in_use: int | None
    pool_waiting: int | None
    taken_at: datetime


@dataclass(frozen=True, slots=True)
class LiveFigures:
    blocks_hit: int
    blocks_read: int
    xid_age: int
    connections: int
    max_connections: int


@dataclass(frozen=True, slots=True)
class Activity:
    pid: int
    state: str | None
    seconds: float | None
    blocked_by: list[int]
    query: str


@dataclass(frozen=True, slots=True)
class IndexFinding:
    index_name: str
    table_name: str
    bytes: int


@dataclass(frozen=True, slots=True)
class DuplicateIndex:
    index_name: str
    table_name: str
    covered_by: str
    bytes: int


@dataclass(frozen=True, slots=True)
class Report:
    since: str
    snapshots: int
    first_at: datetime | None
    last_at: datetime | None
    missing: list[str]
    most_time: list[StatementFigures]
    slowest: list[StatementFigures]
    tables: list[TableFigures]
    cache_hit_ratio: float | None
    connections: dict[str, int]
    max_connections: int
    pool: dict[str, Any] | None
    long_running: list[Activity]
    unused_indexes: list[IndexFinding]
    duplicate_indexes: list[DuplicateIndex]
    invalid_indexes: list[IndexFinding]
    xid_age: int
    xid_headroom: int

    def as_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["tables"] = [
            {**dataclasses.asdict(t), "growth_bytes": t.growth_bytes} for t in self.tables
        ]
        return data


def ratio(hit: int, read: int) -> float | None:
    """Cache hit ratio in percent, or None before any block was read."""
    return None if hit + read == 0 else 100.0 * hit / (hit + read)


async def window(session: Session, since: timedelta) -> Window:
    found = await session.executor.one(Q.report_window, Window, since_seconds=since.total_seconds())
    assert found is not None  # an aggregate always returns a row
    return found


async def build(session: Session, since: timedelta, *, long_seconds: float = 60.0) -> Report:
    """The report over the snapshots taken in the last ``since``."""
    ex = session.executor
    period = await window(session, since)
    missing = [session.server.missing] if session.server.missing else []
    statements: list[StatementFigures] = []
    tables: list[TableFigures] = []
    pair: PeriodFigures | None = None
    if period.snapshots:
        statements = [
            s for s in await ex.all(
                Q.report_statements, StatementFigures, first_id=period.first_id,
                last_id=period.last_id,
            )
            if s.query_name not in own_query_names()  # the application's, not monitoring's own
        ]
        tables = await ex.all(
            Q.report_tables, TableFigures, first_id=period.first_id, last_id=period.last_id,
        )
        pair = await ex.one(
            Q.report_snapshot_pair, PeriodFigures, first_id=period.first_id, last_id=period.last_id,
        )
    else:
        missing.append(f"no snapshot in the last {_human(since)}: run `ikenei monitor snapshot` (on a schedule)")
    live = await ex.one(Q.live_database_figures, LiveFigures)
    assert live is not None
    if pair is not None:
        hit_ratio = ratio(pair.blocks_hit, pair.blocks_read)
        connections, max_connections = pair.connections, pair.max_connections
        pool = _pool(pair)
    else:
        hit_ratio = ratio(live.blocks_hit, live.blocks_read)
        connections, max_connections = {"total": live.connections}, live.max_connections
        pool = None
    return Report(
        since=_human(since),
        snapshots=period.snapshots,
        first_at=period.first_at,
        last_at=period.last_at,
        missing=missing,
        most_time=statements[:TOP],
        slowest=sorted(statements, key=lambda s: (-s.mean_ms, s.queryid))[:TOP],
        tables=tables,
        cache_hit_ratio=hit_ratio,
        connections=connections,
        max_connections=max_connections,
        pool=pool,
        long_running=await ex.all(Q.list_long_running, Activity, min_seconds=long_seconds),
        unused_indexes=await ex.all(Q.list_unused_indexes, IndexFinding),
        duplicate_indexes=await ex.all(Q.list_duplicate_indexes, DuplicateIndex),
        invalid_indexes=await ex.all(Q.list_invalid_indexes, IndexFinding),
        xid_age=live.xid_age,
        xid_headroom=XID_LIMIT - live.xid_age,
    )


def _pool(pair: PeriodFigures) -> dict[str, Any] | None:
    if pair.pool_max is None or pair.pool_in_use is None:
        return None
    return {
        "size": pair.pool_size,
        "max_size": pair.pool_max,
        "idle": pair.pool_idle,
        "in_use": pair.pool_in_use,
        "waiting": pair.pool_waiting,
        "utilization": 100.0 * pair.pool_in_use / pair.pool_max,
        "reported_at": pair.taken_at,
    }


def _human(period: timedelta) -> str:
    seconds = int(period.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@dataclass(frozen=True, slots=True)
class NamedFigures:
    query_name: str
    calls: int
    rows_per_call: float | None


async def named_figures(session: Session) -> dict[str, NamedFigures]:
    """Per named query, its calls and rows per call over every snapshot kept."""
    rows = await session.executor.all(Q.named_statement_rows, NamedFigures)
    return {r.query_name: r for r in rows}
