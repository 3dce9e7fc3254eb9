"""Plain tables for people (rich), and the sparkline of a size history."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from ikenei.monitoring.advisor import Advice
from ikenei.monitoring.alerts import Comparison, Firing
from ikenei.monitoring.plans import PlanCheck
from ikenei.monitoring.report import Report, StatementFigures

_BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[int | float]) -> str:
    """One character per value, from ▁ (the smallest) to █ (the largest)."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return _BARS[0] * len(values)
    return "".join(_BARS[round((v - low) / (high - low) * (len(_BARS) - 1))] for v in values)


def size(n: float | None) -> str:
    if n is None:
        return "-"
    sign = "-" if n < 0 else ""
    n = abs(float(n))
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{sign}{n:,.0f} {unit}" if unit == "B" else f"{sign}{n:,.1f} {unit}"
        n /= 1024
    return f"{sign}{n:,.1f} TB"


def _statements(title: str, rows: Sequence[StatementFigures]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("statement", no_wrap=True, overflow="ellipsis", max_width=60)
    for column in ("calls", "total ms", "mean ms", "rows", "cache hit %"):
        table.add_column(column, justify="right")
    for s in rows:
        blocks = s.shared_blks_hit + s.shared_blks_read
        hit = f"{100.0 * s.shared_blks_hit / blocks:.1f}" if blocks else "-"
        label = s.query_name or " ".join(s.query.split())[:60]
        table.add_row(label, f"{s.calls:,}", f"{s.total_ms:,.1f}", f"{s.mean_ms:,.3f}", f"{s.rows:,}", hit)
    return table


def report(console: Console, r: Report) -> None:
    console.print(f"[bold]Performance report[/bold], last {r.since}: {r.snapshots} snapshot(s)"
                  + (f" from {r.first_at:%Y-%m-%d %H:%M} to {r.last_at:%Y-%m-%d %H:%M}" if r.first_at and r.last_at else ""))
    for line in r.missing:
        console.print(f"note: {line}", markup=False)
    if r.most_time:
        console.print(_statements("Most time", r.most_time))
        console.print(_statements("Slowest (mean)", r.slowest))
    growth = Table(title="Storage", title_justify="left")
    growth.add_column("table", no_wrap=True)
    for column in ("size", "growth", "history", "seq scans", "rows read by seq scans", "dead tuples"):
        growth.add_column(column, justify="left" if column == "history" else "right", no_wrap=True)
    for t in r.tables[:15]:
        growth.add_row(t.table_name, size(t.last_bytes), size(t.growth_bytes), sparkline(t.history),
                       f"{t.seq_scans:,}", f"{t.seq_rows_read:,}", f"{t.dead_tuples:,}")
    if r.tables:
        console.print(growth)
    hygiene = Table(title="Indexes worth a look", title_justify="left")
    for column in ("index", "table", "size", "why"):
        hygiene.add_column(column)
    for i in r.unused_indexes:
        hygiene.add_row(i.index_name, i.table_name, size(i.bytes), "never scanned")
    for d in r.duplicate_indexes:
        hygiene.add_row(d.index_name, d.table_name, size(d.bytes), f"duplicate: {d.covered_by} leads with the same columns")
    for i in r.invalid_indexes:
        hygiene.add_row(i.index_name, i.table_name, size(i.bytes), "invalid (a failed CREATE INDEX CONCURRENTLY)")
    console.print(hygiene)
    hit = f"{r.cache_hit_ratio:.2f} %" if r.cache_hit_ratio is not None else "-"
    states = ", ".join(f"{k} {v}" for k, v in sorted(r.connections.items())) or "none"
    console.print(f"cache hit ratio: {hit}")
    console.print(f"connections: {states} (max_connections {r.max_connections})")
    if r.pool:
        p = r.pool
        console.print(f"pool: {p['in_use']} of {p['max_size']} in use ({p['utilization']:.0f} %), "
                      f"{p['idle']} idle, {p['waiting']} waiting")
    else:
        console.print("pool: not reported by the application in this period")
    for a in r.long_running:
        blocked = f", blocked by {', '.join(map(str, a.blocked_by))}" if a.blocked_by else ""
        console.print(f"running: pid {a.pid} {a.state} {a.seconds or 0:.0f} s{blocked}: {a.query}", markup=False)
    console.print(f"wraparound headroom: {r.xid_headroom:,} transaction ids (age {r.xid_age:,})")


def plans(console: Console, checks: Sequence[PlanCheck]) -> None:
    table = Table(title="Plans of the named queries", title_justify="left")
    for column in ("query", "cost", "finding"):
        table.add_column(column, justify="right" if column == "cost" else "left")
    for c in checks:
        if c.error:
            table.add_row(c.label, "-", f"not planned: {c.error}")
        if c.skipped:
            table.add_row(c.label, "-", f"skipped: {c.skipped}")
        for f in c.findings:
            table.add_row(c.label, f"{c.cost:,.1f}" if c.cost is not None else "-", f.message)
    console.print(table)
    flagged = sum(1 for c in checks if c.findings)
    console.print(f"{len(checks)} queries planned, {flagged} with findings, "
                  f"{sum(1 for c in checks if c.error)} not planned")


def advice(console: Console, a: Advice) -> None:
    for note in a.notes:
        console.print(note, markup=False)
    table = Table(title="Suggested indexes", title_justify="left")
    for column in ("table", "columns", "cost before", "cost after", "helps", "size", "writes on the table"):
        table.add_column(column)
    for s in a.suggestions:
        helps = "; ".join(f"{h.label} (-{h.savings:.0f} %)" for h in s.statements)
        table.add_row(s.table_name, ", ".join(s.columns), f"{s.cost_before:,.1f}", f"{s.cost_after:,.1f}",
                      helps, size(s.index_bytes), str(len(s.writes)))
    console.print(table)
    console.print(f"{a.checked} statements checked, {len(a.suggestions)} suggestion(s)")
    for label, why in a.skipped:
        console.print(f"skipped {label}: {why}", markup=False)
    for s in a.suggestions:
        if s.migration:
            console.print(f"wrote {s.migration}", markup=False)


def comparisons(console: Console, name: str, rows: Sequence[Comparison]) -> None:
    table = Table(title=f"Baseline {name}", title_justify="left")
    for column in ("statement", "baseline ms", "now ms", "calls", "factor"):
        table.add_column(column, justify="left" if column == "statement" else "right")
    for c in rows:
        table.add_row(c.statement, f"{c.baseline_ms:,.3f}",
                      "-" if c.current_ms is None else f"{c.current_ms:,.3f}", f"{c.calls:,}",
                      "-" if c.factor is None else f"{c.factor:.2f}x")
    console.print(table)


def firings(console: Console, fired: Sequence[Firing], notes: Sequence[str]) -> None:
    for note in notes:
        console.print(f"note: {note}", markup=False)
    for f in fired:
        console.print(f"ALERT {f.rule}: {f.message}", markup=False)
    if not fired:
        console.print("no alert fires")


def jsonable(value: Any) -> Any:
    """For json.dumps(default=...): datetimes and the like as text."""
    return str(value)
