"""Baselines and the alert rules of ``ikenei monitor check``.

A baseline is the per-statement figures (calls, mean time) of the snapshots
of a period, saved under a name. ``check`` evaluates every rule over the
snapshots of its period, records each firing in ``monitoring.alerts``, and
can POST them as JSON to a webhook (a webhook that cannot be reached is
reported, never fatal). The rules and their thresholds (``Thresholds``, from
the ``MONITOR_*`` settings):

- ``regression``: a statement's mean time since the baseline was saved is at
  least ``regression_factor`` times its baseline mean, over at least
  ``regression_min_calls`` calls;
- ``pool``: the application's pool, as last reported, uses at least
  ``pool_max_utilization`` percent of its connections;
- ``cache_hit``: the cache hit ratio over the period is below ``cache_hit_min``;
- ``growth``: a table grows faster than ``growth_max_mb_per_day``;
- ``unused_index``: an index never scanned is at least ``unused_index_min_mb``;
- ``wraparound``: fewer than ``xid_headroom_min`` transaction ids are left
  before wraparound protection stops writes;

and, with the settings of the backups (``backup_firings``), the findings of
``ikenei backup status`` (``ikenei.backup.status``, the one place that decides
them), each under its rule:

- ``archiving``: the server's archiver is failing (its last failure, in
  ``pg_stat_archiver``, is newer than its last success): ``pg_wal`` grows;
- ``backup_age``: no backup yet, or the newest is older than
  ``BACKUP_SCHEDULE`` allows;
- ``wal_slot``: the replication slot of ``ikenei backup receive-wal`` is
  inactive (the receiver is not running) or keeps more than
  ``BACKUP_SLOT_MAX_RETAINED_MB`` of WAL on the server;
- ``backup_setup``: the WAL reaches the repository neither through the
  archiver nor through the receiver.

Until backups are in use (the repository holds a backup, or the receiver's
slot exists) only ``archiving`` is evaluated, so a database whose backups are
kept some other way gets no alert for them.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from ikenei.config.settings import Settings
from ikenei.db.queries import Q
from ikenei.errors import InvalidData, NotFound, Unavailable
from ikenei.monitoring import report
from ikenei.monitoring.server import Session

MB = 1024 * 1024
#: Seconds the snapshots of a period must span before a growth rate is extrapolated from them.
GROWTH_MIN_SPAN = 600


@dataclass(frozen=True, slots=True)
class Thresholds:
    regression_factor: float = 2.0
    regression_min_calls: int = 50
    pool_max_utilization: float = 90.0
    cache_hit_min: float = 99.0
    growth_max_mb_per_day: float = 1024.0
    unused_index_min_mb: float = 10.0
    xid_headroom_min: int = 1_000_000_000

    @classmethod
    def from_settings(cls, settings: Settings) -> Thresholds:
        return cls(
            regression_factor=settings.monitor_regression_factor,
            regression_min_calls=settings.monitor_regression_min_calls,
            pool_max_utilization=settings.monitor_pool_max_utilization,
            cache_hit_min=settings.monitor_cache_hit_min,
            growth_max_mb_per_day=settings.monitor_growth_max_mb_per_day,
            unused_index_min_mb=settings.monitor_unused_index_min_mb,
            xid_headroom_min=settings.monitor_xid_headroom_min,
        )


@dataclass(frozen=True, slots=True)
class Figures:
    queryid: int
    query_name: str | None
    query: str
    calls: int
    mean_ms: float

    @property
    def statement(self) -> str:
        return self.query_name or f"queryid {self.queryid}"


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    statement: str
    queryid: int
    calls: int
    mean_ms: float
    saved_at: datetime


@dataclass(frozen=True, slots=True)
class Comparison:
    statement: str
    baseline_ms: float
    current_ms: float | None
    calls: int

    @property
    def factor(self) -> float | None:
        if self.current_ms is None or self.baseline_ms <= 0:
            return None
        return self.current_ms / self.baseline_ms


@dataclass(frozen=True, slots=True)
class Firing:
    rule: str
    subject: str
    value: float
    threshold: float
    message: str


@dataclass(frozen=True, slots=True)
class _Pool:
    taken_at: datetime
    pool_size: int
    pool_max: int
    pool_idle: int | None
    pool_in_use: int
    pool_waiting: int | None


def regressed(row: Comparison, thresholds: Thresholds) -> bool:
    """The regression rule: enough calls, and a mean at least the factor times the baseline's."""
    factor = row.factor
    return (
        factor is not None
        and row.calls >= thresholds.regression_min_calls
        and factor >= thresholds.regression_factor
    )


def _require_statements(session: Session) -> None:
    if session.server.missing:
        raise Unavailable(session.server.missing)


async def save_baseline(session: Session, name: str, since: timedelta) -> int:
    """Saves the statements' figures of the snapshots of the last ``since`` as ``name``; how many."""
    _require_statements(session)
    if not name.strip():
        raise InvalidData("name", "a baseline needs a name")
    now = await _now(session)
    figures = await session.executor.all(Q.statement_figures_since, Figures, since=now - since)
    if not figures:
        raise InvalidData(
            "baseline", f"no statement ran in the snapshots of the last {since}: take snapshots first"
        )
    return int(await session.executor.value(
        Q.save_baseline, name=name,
        statements=[f.statement for f in figures], queryids=[f.queryid for f in figures],
        calls=[f.calls for f in figures], mean_ms=[f.mean_ms for f in figures],
    ))


async def _now(session: Session) -> datetime:
    now: datetime = await session.executor.value(Q.database_now)
    return now


async def compare(session: Session, name: str) -> list[Comparison]:
    """Each statement of the baseline: its mean then and in the snapshots taken since it was saved."""
    _require_statements(session)
    entries = await session.executor.all(Q.list_baseline, BaselineEntry, name=name)
    if not entries:
        raise NotFound("baseline", name)
    current = {
        f.queryid: f
        for f in await session.executor.all(
            Q.statement_figures_since, Figures, since=entries[0].saved_at,
        )
    }
    rows = []
    for entry in entries:
        now = current.get(entry.queryid)
        rows.append(Comparison(entry.statement, entry.mean_ms, now.mean_ms if now else None,
                               now.calls if now else 0))
    return sorted(rows, key=lambda c: (-(c.factor or 0.0), c.statement))


async def evaluate(
    session: Session,
    thresholds: Thresholds,
    *,
    since: timedelta,
    baseline: str | None = None,
    backups: Settings | None = None,
) -> tuple[list[Firing], list[str]]:
    """The firing rules, and one line for each rule that could not be evaluated.

    With ``backups`` (the settings of the server and its backup repository),
    the backup and archiving rules too (``backup_firings``).
    """
    ex = session.executor
    firings: list[Firing] = []
    notes: list[str] = []
    if backups is not None:
        fired, said = await asyncio.to_thread(backup_firings, backups)
        firings += fired
        notes += said
    if baseline is not None:
        if session.server.missing:
            notes.append(f"regression: not evaluated, {session.server.missing}")
        else:
            for row in await compare(session, baseline):
                factor = row.factor
                if factor is not None and regressed(row, thresholds):
                    firings.append(Firing(
                        "regression", row.statement, factor, thresholds.regression_factor,
                        f"{row.statement}: mean {row.current_ms:.2f} ms over {row.calls} calls, "
                        f"{factor:.2f}x its baseline {baseline!r} ({row.baseline_ms:.2f} ms)",
                    ))
    pool = await ex.one(Q.latest_pool_figures, _Pool)
    if pool is not None:
        used = 100.0 * pool.pool_in_use / pool.pool_max
        if used >= thresholds.pool_max_utilization:
            firings.append(Firing(
                "pool", "pool", used, thresholds.pool_max_utilization,
                f"pool: {pool.pool_in_use} of {pool.pool_max} connections in use ({used:.0f} %), "
                f"{pool.pool_waiting or 0} waiting, reported {pool.taken_at:%Y-%m-%d %H:%M:%S}",
            ))
    built = await report.build(session, since)
    if built.cache_hit_ratio is not None and built.cache_hit_ratio < thresholds.cache_hit_min:
        firings.append(Firing(
            "cache_hit", "database", built.cache_hit_ratio, thresholds.cache_hit_min,
            f"cache hit ratio {built.cache_hit_ratio:.2f} % (below {thresholds.cache_hit_min} %)",
        ))
    span = (built.last_at - built.first_at).total_seconds() if built.first_at and built.last_at else 0.0
    if span < GROWTH_MIN_SPAN:
        notes.append(f"growth: not evaluated, the period's snapshots span {span:.0f} s "
                     f"(at least {GROWTH_MIN_SPAN} s are needed for a daily rate)")
    else:
        for table in built.tables:
            per_day = table.growth_bytes / MB * 86400.0 / span
            if per_day > thresholds.growth_max_mb_per_day:
                firings.append(Firing(
                    "growth", table.table_name, per_day, thresholds.growth_max_mb_per_day,
                    f"{table.table_name} grows {per_day:,.0f} MB a day "
                    f"(+{table.growth_bytes:,} bytes in {span:,.0f} s)",
                ))
    for index in built.unused_indexes:
        if index.bytes >= thresholds.unused_index_min_mb * MB:
            firings.append(Firing(
                "unused_index", index.index_name, index.bytes / MB, thresholds.unused_index_min_mb,
                f"{index.index_name} on {index.table_name} was never scanned and takes "
                f"{index.bytes / MB:,.1f} MB",
            ))
    if built.xid_headroom < thresholds.xid_headroom_min:
        firings.append(Firing(
            "wraparound", "database", built.xid_headroom, thresholds.xid_headroom_min,
            f"{built.xid_headroom:,} transaction ids left before wraparound protection",
        ))
    return firings, notes


def backup_firings(settings: Settings, *, now: datetime | None = None) -> tuple[list[Firing], list[str]]:
    """The findings of ``ikenei backup status`` as firings; a note when backups are not in use."""
    from ikenei.backup import status

    state = status.status(settings, now=now)
    findings = state.findings
    notes = []
    if not state.in_use:
        findings = [f for f in findings if f.rule == status.ARCHIVING]
        notes.append(
            f"backups: not evaluated, no backup in {settings.backup_repository_path} and no "
            f"replication slot {settings.backup_slot_name} (only archiving is checked)"
        )
    return [Firing(f.rule, f.subject, f.value, f.threshold, f.message) for f in findings], notes


async def record(session: Session, firings: Sequence[Firing]) -> None:
    """Stores each firing in monitoring.alerts."""
    async with session.executor.transaction() as tx:
        for f in firings:
            await tx.value(
                Q.insert_alert, rule=f.rule, subject=f.subject, value=f.value,
                threshold=f.threshold, message=f.message,
            )


def post(url: str, firings: Sequence[Firing], *, timeout: float = 5.0) -> str | None:
    """POSTs the firings as JSON; None when delivered, else one line saying why not."""
    body = json.dumps({"alerts": [asdict(f) for f in firings]}).encode()
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status = response.status
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return f"webhook {_safe(url)} not reached: {reason}"
    if status >= 300:
        return f"webhook {_safe(url)} answered {status}"
    return None


def _safe(url: str) -> str:
    """The URL without its credentials or query (which may carry a token)."""
    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{host}{port}{parsed.path}"


def as_json(firings: Sequence[Firing], notes: Sequence[str]) -> dict[str, Any]:
    return {"firing": [asdict(f) for f in firings], "notes": list(notes)}
