"""The Prometheus endpoint of ``ikenei monitor serve``, and the pool's figures for an application's own.

``serve`` refreshes the figures every ``interval`` seconds on one owner
connection and serves the latest set at ``/metrics`` (prometheus-client's
HTTP server, in a thread): per named query its calls, time and rows
(pg_stat_statements, where it can be read), per table its size, scans, rows
read by sequential scans and dead tuples, per index its size and scans, the
cache hit ratio, connections by state, wraparound headroom, the
application's pool as last reported in a snapshot, the WAL archiver's counts
and times (``pg_stat_archiver``), every replication slot (active, and the WAL
the server keeps for it), and, given the backup settings, when the newest
backup of ``BACKUP_REPOSITORY`` ended. The decisions on these figures (is
archiving failing, is a backup late) are ``ikenei monitor check``'s, made by
``ikenei.backup.status``; the endpoint serves the figures. A refresh that fails
keeps the previous figures and sets ``ikenei_up`` to 0.

``PoolCollector(db)`` is for an application that runs its own endpoint:
register it, and each scrape reads ``db.pool_figures()`` (no query).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ikenei.config.settings import Settings
from ikenei.db.database import PoolFigures
from ikenei.db.queries import Q
from ikenei.errors import IkeneiError
from ikenei.monitoring import report, server
from ikenei.monitoring.workload import name_of

DEFAULT_PORT = 9187


@dataclass(frozen=True, slots=True)
class _State:
    state: str
    connections: int


@dataclass(frozen=True, slots=True)
class _Table:
    table_name: str
    total_bytes: int
    seq_scan: int
    seq_tup_read: int
    idx_scan: int
    live_tuples: int
    dead_tuples: int


@dataclass(frozen=True, slots=True)
class _Index:
    index_name: str
    table_name: str
    bytes: int
    idx_scan: int


@dataclass(frozen=True, slots=True)
class _Statement:
    queryid: int
    query: str
    calls: int
    total_ms: float
    rows: int


@dataclass(frozen=True, slots=True)
class _Archiver:
    archived_count: int
    last_archived_wal: str | None
    last_archived_time: datetime | None
    failed_count: int
    last_failed_wal: str | None
    last_failed_time: datetime | None
    now: datetime


@dataclass(frozen=True, slots=True)
class _Slot:
    slot_name: str
    slot_type: str
    active: bool
    retained_bytes: int


@dataclass(frozen=True, slots=True)
class _Pool:
    taken_at: Any
    pool_size: int
    pool_max: int
    pool_idle: int | None
    pool_in_use: int
    pool_waiting: int | None


def pool_metrics(figures: PoolFigures, prefix: str = "ikenei_pool") -> list[Metric]:
    """The pool's figures as gauges."""
    metrics: list[Metric] = []
    for name, value, help_text in (
        ("size", figures.size, "connections the pool holds open"),
        ("max_size", figures.max_size, "most connections the pool opens"),
        ("idle", figures.idle, "open connections not in use"),
        ("in_use", figures.in_use, "connections in use"),
        ("waiting", figures.waiting, "callers waiting for a connection"),
        ("utilization_ratio", figures.in_use / figures.max_size, "share of the pool's connections in use"),
    ):
        gauge = GaugeMetricFamily(f"{prefix}_{name}", help_text)
        gauge.add_metric([], value)
        metrics.append(gauge)
    return metrics


class PoolCollector(Collector):
    """Prometheus collector of a ``Database``'s pool, for the application's own registry."""

    def __init__(self, figures: Callable[[], PoolFigures]) -> None:
        self._figures = figures

    def collect(self) -> Iterable[Metric]:
        return pool_metrics(self._figures())


def _timestamp(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else 0.0


async def wal_metrics(session: server.Session, backups: Settings | None = None) -> list[Metric]:
    """The archiver's counts and times, the replication slots, and the newest backup's end."""
    ex = session.executor
    metrics: list[Metric] = []
    archiver = await ex.one(Q.archiver_state, _Archiver)
    if archiver is not None:
        archived = CounterMetricFamily("ikenei_wal_archived", "WAL segments the archiver has archived")
        archived.add_metric([], archiver.archived_count)
        failed = CounterMetricFamily("ikenei_wal_archive_failed", "failed attempts of the archiver")
        failed.add_metric([], archiver.failed_count)
        success = GaugeMetricFamily(
            "ikenei_wal_archive_last_success_timestamp_seconds", "when the last segment was archived (0: never)")
        success.add_metric([], _timestamp(archiver.last_archived_time))
        failure = GaugeMetricFamily(
            "ikenei_wal_archive_last_failure_timestamp_seconds", "when archiving last failed (0: never)")
        failure.add_metric([], _timestamp(archiver.last_failed_time))
        metrics += [archived, failed, success, failure]
    active = GaugeMetricFamily("ikenei_replication_slot_active", "1 when a receiver uses the slot now",
                               labels=["slot", "type"])
    retained = GaugeMetricFamily("ikenei_replication_slot_retained_bytes", "WAL the server keeps for the slot",
                                 labels=["slot", "type"])
    for slot in await ex.all(Q.live_replication_slots, _Slot):
        active.add_metric([slot.slot_name, slot.slot_type], 1 if slot.active else 0)
        retained.add_metric([slot.slot_name, slot.slot_type], slot.retained_bytes)
    metrics += [active, retained]
    if backups is not None:
        from ikenei.backup.repository import LocalRepository

        repo = LocalRepository(backups.backup_repository_path)
        found = await asyncio.to_thread(repo.backups)
        if found:
            newest = GaugeMetricFamily(
                "ikenei_backup_last_stop_timestamp_seconds", "when the newest backup of the repository ended")
            newest.add_metric([], found[-1].stop_time.timestamp())
            count = GaugeMetricFamily("ikenei_backups", "backups in the repository")
            count.add_metric([], len(found))
            metrics += [newest, count]
    return metrics


async def gather(session: server.Session, backups: Settings | None = None) -> list[Metric]:
    """Every figure of the endpoint, read now."""
    ex = session.executor
    metrics: list[Metric] = []
    up = GaugeMetricFamily("ikenei_statements_available", "1 when pg_stat_statements can be read")
    up.add_metric([], 0 if session.server.missing else 1)
    metrics.append(up)
    if not session.server.missing:
        calls = CounterMetricFamily("ikenei_query_calls", "calls of a named query", labels=["query"])
        seconds = CounterMetricFamily("ikenei_query_seconds", "time spent in a named query", labels=["query"])
        rows = CounterMetricFamily("ikenei_query_rows", "rows returned or touched by a named query", labels=["query"])
        totals: dict[str, list[float]] = {}
        for s in await ex.all(Q.live_statement_figures, _Statement):
            name = name_of(s.query)
            if name:
                total = totals.setdefault(name, [0, 0.0, 0])
                total[0] += s.calls
                total[1] += s.total_ms / 1000.0
                total[2] += s.rows
        for name, (c, t, r) in sorted(totals.items()):
            calls.add_metric([name], c)
            seconds.add_metric([name], t)
            rows.add_metric([name], r)
        metrics += [calls, seconds, rows]
    size = GaugeMetricFamily("ikenei_table_size_bytes", "table size with indexes and TOAST", labels=["table"])
    seq = CounterMetricFamily("ikenei_table_seq_scans", "sequential scans of a table", labels=["table"])
    seq_rows = CounterMetricFamily("ikenei_table_seq_rows_read", "rows read by sequential scans", labels=["table"])
    dead = GaugeMetricFamily("ikenei_table_dead_tuples", "dead tuples awaiting vacuum", labels=["table"])
    for table in await ex.all(Q.live_table_figures, _Table):
        size.add_metric([table.table_name], table.total_bytes)
        seq.add_metric([table.table_name], table.seq_scan)
        seq_rows.add_metric([table.table_name], table.seq_tup_read)
        dead.add_metric([table.table_name], table.dead_tuples)
    index_size = GaugeMetricFamily("ikenei_index_size_bytes", "index size", labels=["index", "table"])
    index_scans = CounterMetricFamily("ikenei_index_scans", "scans of an index", labels=["index", "table"])
    for i in await ex.all(Q.live_index_figures, _Index):
        index_size.add_metric([i.index_name, i.table_name], i.bytes)
        index_scans.add_metric([i.index_name, i.table_name], i.idx_scan)
    metrics += [size, seq, seq_rows, dead, index_size, index_scans]
    live = await ex.one(Q.live_database_figures, report.LiveFigures)
    assert live is not None
    hit = GaugeMetricFamily("ikenei_cache_hit_ratio", "share of block reads served from shared buffers")
    measured = report.ratio(live.blocks_hit, live.blocks_read)
    hit.add_metric([], (measured if measured is not None else 100.0) / 100.0)
    headroom = GaugeMetricFamily("ikenei_xid_wraparound_headroom", "transaction ids left before wraparound protection")
    headroom.add_metric([], report.XID_LIMIT - live.xid_age)
    connections = GaugeMetricFamily("ikenei_connections", "client connections by state", labels=["state"])
    for state in await ex.all(Q.live_connections_by_state, _State):
        connections.add_metric([state.state], state.connections)
    limit = GaugeMetricFamily("ikenei_max_connections", "the server's max_connections")
    limit.add_metric([], live.max_connections)
    metrics += [hit, headroom, connections, limit]
    pool = await ex.one(Q.latest_pool_figures, _Pool)
    if pool is not None:
        metrics += pool_metrics(PoolFigures(
            pool.pool_size, pool.pool_max, pool.pool_idle or 0, pool.pool_in_use, pool.pool_waiting or 0
        ))
    metrics += await wal_metrics(session, backups)
    return metrics


class _Latest(Collector):
    def __init__(self) -> None:
        self.metrics: list[Metric] = []
        self.up = 0.0
        self.refreshed = 0.0

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily("ikenei_up", "1 when the last refresh of the figures succeeded")
        up.add_metric([], self.up)
        age = GaugeMetricFamily("ikenei_figures_age_seconds", "seconds since the figures were read")
        age.add_metric([], time.time() - self.refreshed if self.refreshed else -1.0)
        return [*self.metrics, up, age]


async def serve(
    dsn: str,
    *,
    port: int = DEFAULT_PORT,
    address: str = "127.0.0.1",
    interval: float = 15.0,
    stop: asyncio.Event | None = None,
    out: Callable[[str], Any] = print,
    backups: Settings | None = None,
) -> None:
    """Serves the figures at http://address:port/metrics until ``stop`` is set."""
    latest = _Latest()
    registry = CollectorRegistry(auto_describe=False)
    registry.register(latest)
    try:
        http, thread = start_http_server(port, addr=address, registry=registry)
    except OSError as exc:
        raise IkeneiError(f"cannot listen on {address}:{port}: {exc.strerror or exc}") from None
    stop = stop or asyncio.Event()
    try:
        async with server.session(dsn) as session:
            if session.server.missing:
                out(session.server.missing)
            out(f"serving metrics at http://{address}:{port}/metrics (refreshed every {interval:g} s)")
            while not stop.is_set():
                try:
                    latest.metrics = await gather(session, backups)
                    latest.up, latest.refreshed = 1.0, time.time()
                except IkeneiError as exc:
                    latest.up = 0.0
                    out(f"warning: refresh failed: {str(exc).splitlines()[0]}")
                try:
                    await asyncio.wait_for(stop.wait(), timeout=interval)
                except TimeoutError:
                    pass
    finally:
        http.shutdown()
        http.server_close()
        thread.join(timeout=5)
