"""The index advisor: indexes the planner says would make the workload's statements cheaper.

As Dexter does: from each statement, the columns it filters and joins on
(comparisons, IN, BETWEEN) and sorts on, resolved to their tables through the
parser's tree; candidates are single columns, then ordered pairs (two filter
columns, or a filter column and a sort column). Candidates an existing index
already covers (its leading columns) are dropped, and so are tables under
``min_rows`` rows. Each candidate is shown to the planner once, and every
statement on its table is planned with it:

- **hypopg**: a hypothetical index (HypoPG, created for the advisor's own
  transaction when the server offers it and this database lacks it; the
  transaction is rolled back);
- **rollback**: the index built for real inside a transaction that is rolled
  back, under ``lock_timeout`` and ``statement_timeout``, and only on tables
  up to ``max_table_bytes``.

Statements that run only in maintenance (the named queries of the daily
retention run, ``Statement.maintenance``) are planned but get no candidates:
an index is maintained by every write to its table, all day, and a
statement that runs once a day in a batch job cannot pay for that (Dexter
leaves out statements below a total time in pg_stat_statements for the same
reason). The advice notes them.

A statement is helped when its best candidate cuts its estimated cost (of its
generic plan) by at least ``min_savings`` percent; a pair wins over a single
column only when it is at least 10 % cheaper still. A suggestion whose columns
lead another suggestion's on the same table is folded into it. Each is
reported with its cost before and after, the statements it helps (with their
calls, where pg_stat_statements counted them), its size and the writes on
its table that would maintain it, stored in ``monitoring.suggestions``, and,
with ``apply``, written as a migration (``CREATE INDEX CONCURRENTLY`` and its
rollback twin): the advisor never changes the schema itself.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pglast import ast
from pglast.visitors import Visitor

from ikenei.db.queries import Q
from ikenei.errors import IkeneiError
from ikenei.monitoring.plans import generic_plan, rolled_back
from ikenei.monitoring.server import Session
from ikenei.monitoring.workload import Statement, relations

#: A pair must cost at most this share of the best single column to be preferred.
PAIR_ADVANTAGE = 0.9
_COMPARISONS = {"=", "<", ">", "<=", ">=", "~~", "~~*"}
_RANGE_KINDS = {"AEXPR_IN", "AEXPR_BETWEEN", "AEXPR_NOT_BETWEEN"}


@dataclass(frozen=True, slots=True)
class TableColumn:
    table_name: str  # schema-qualified, quoted as needed
    bare_name: str
    column_name: str
    estimated_rows: float
    total_bytes: int


@dataclass(frozen=True, slots=True)
class ViewName:
    name: str


@dataclass(frozen=True, slots=True)
class IndexColumns:
    table_name: str
    index_name: str
    columns: list[str]
    partial: bool


@dataclass(frozen=True, slots=True)
class _Hypopg:
    offered: bool
    installed: bool


@dataclass(frozen=True, slots=True)
class Helped:
    label: str
    cost_before: float
    cost_after: float
    calls: int | None

    @property
    def savings(self) -> float:
        return 100.0 * (self.cost_before - self.cost_after) / self.cost_before


@dataclass(slots=True)
class Suggestion:
    table_name: str
    columns: tuple[str, ...]
    statements: list[Helped]
    index_bytes: int | None
    #: Write statements of the workload on the table (each would maintain the index), with their calls.
    writes: list[str] = field(default_factory=list)
    migration: str | None = None

    @property
    def cost_before(self) -> float:
        return sum(h.cost_before for h in self.statements)

    @property
    def cost_after(self) -> float:
        return sum(h.cost_after for h in self.statements)


@dataclass(slots=True)
class Advice:
    method: str
    checked: int
    suggestions: list[Suggestion]
    skipped: list[tuple[str, str]]
    notes: list[str]


class _Schema:
    """Our tables, their columns, rows and sizes, and the columns their indexes lead with.

    ``rows`` also names our views, with no rows of their own (a plan reads
    their tables): a statement on a view is no statement on a table made at
    run time. Views get no candidates: an index is made on a table.
    """

    def __init__(
        self, columns: Sequence[TableColumn], indexes: Sequence[IndexColumns], views: Sequence[str] = ()
    ) -> None:
        self.columns: dict[str, set[str]] = {}
        self.qualified: dict[str, str] = {}
        self.rows: dict[str, float] = dict.fromkeys(views, 0.0)
        self.bytes: dict[str, int] = {}
        for c in columns:
            self.columns.setdefault(c.bare_name, set()).add(c.column_name)
            self.qualified[c.bare_name] = c.table_name
            self.rows[c.bare_name] = c.estimated_rows
            self.bytes[c.bare_name] = c.total_bytes
        self.indexed: dict[str, list[list[str]]] = {}
        by_qualified = {q: bare for bare, q in self.qualified.items()}
        for index in indexes:
            if not index.partial and index.table_name in by_qualified:
                self.indexed.setdefault(by_qualified[index.table_name], []).append(index.columns)

    def covered(self, table: str, columns: tuple[str, ...]) -> bool:
        return any(tuple(existing[: len(columns)]) == columns for existing in self.indexed.get(table, ()))


async def load_schema(session: Session) -> _Schema:
    ex = session.executor
    return _Schema(
        await ex.all(Q.list_table_columns, TableColumn), await ex.all(Q.list_index_columns, IndexColumns),
        [view.name for view in await ex.all(Q.list_view_names, ViewName)],
    )


def _column_of(ref: ast.ColumnRef, aliases: Mapping[str, str], tables: set[str], schema: _Schema) -> tuple[str, str] | None:
    fields = ref.fields or ()
    names = [f.sval for f in fields if isinstance(f, ast.String) and f.sval is not None]
    if len(names) != len(fields):
        return None  # table.*
    if len(names) >= 2:
        table = aliases.get(names[-2])
        if table and names[-1] in schema.columns.get(table, ()):
            return table, names[-1]
        return None
    owners = [t for t in tables if names[0] in schema.columns.get(t, ())]
    return (owners[0], names[0]) if len(owners) == 1 else None


def predicate_columns(statement: Statement, schema: _Schema) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(filter and join columns, sort columns) of a statement, each as (table, column), in order."""
    node = statement.node
    aliases: dict[str, str] = {}
    tables: set[str] = set()
    for relation in relations(node):
        name = relation.relname
        if name is not None and name in schema.columns and relation.schemaname in (None, "public"):
            tables.add(name)
            alias = relation.alias.aliasname if relation.alias else None
            aliases[alias or name] = name
    filters: list[tuple[str, str]] = []
    orders: list[tuple[str, str]] = []

    def add(target: list[tuple[str, str]], operand: Any) -> None:
        if isinstance(operand, ast.TypeCast):
            operand = operand.arg
        if isinstance(operand, ast.ColumnRef):
            found = _column_of(operand, aliases, tables, schema)
            if found and found not in target:
                target.append(found)

    class _Predicates(Visitor):
        def visit_A_Expr(self, ancestors: Any, expr: ast.A_Expr) -> None:
            kind = expr.kind.name if expr.kind is not None and hasattr(expr.kind, "name") else str(expr.kind)
            operator = expr.name[-1].sval if expr.name else ""
            if (kind == "AEXPR_OP" and operator in _COMPARISONS) or kind in _RANGE_KINDS:
                add(filters, expr.lexpr)
                if not isinstance(expr.rexpr, tuple):
                    add(filters, expr.rexpr)

        def visit_SortBy(self, ancestors: Any, sort: ast.SortBy) -> None:
            add(orders, sort.node)

    _Predicates()(node)
    return filters, orders


def candidates(statement: Statement, schema: _Schema, min_rows: float) -> list[tuple[str, tuple[str, ...]]]:
    """The candidate indexes of one statement: (table, columns), singles first."""
    filters, orders = predicate_columns(statement, schema)
    found: list[tuple[str, tuple[str, ...]]] = []
    for table in sorted({t for t, _ in filters + orders}):
        if schema.rows.get(table, 0.0) < min_rows:
            continue
        wanted = [c for t, c in filters if t == table]
        sorted_on = [c for t, c in orders if t == table]
        shapes: list[tuple[str, ...]] = [(c,) for c in wanted + sorted_on]
        shapes += [pair for pair in itertools.permutations(wanted, 2)]
        shapes += [(f, o) for f in wanted for o in sorted_on if f != o]
        for columns in dict.fromkeys(shapes):
            if not schema.covered(table, columns):
                found.append((table, columns))
    return found


async def _method(session: Session, prefer_rollback: bool) -> str:
    if prefer_rollback:
        return "rollback"
    offered = await session.executor.one(Q.hypopg_available, _Hypopg)
    return "hypopg" if offered and (offered.offered or offered.installed) else "rollback"


async def _cost(session: Session, statement: Statement) -> float:
    plan = await generic_plan(session, statement.sql, statement.params)
    return float(plan["Plan"]["Total Cost"])


async def advise(
    session: Session,
    workload: Sequence[Statement],
    *,
    min_savings: float = 50.0,
    min_rows: float = 500.0,
    max_table_bytes: int = 1 << 30,
    calls: Mapping[str, int] | None = None,
    prefer_rollback: bool = False,
    lock_timeout: str = "2s",
    statement_timeout: str = "60s",
) -> Advice:
    """The suggestions for ``workload``; nothing is left behind in the database."""
    schema = await load_schema(session)
    method = await _method(session, prefer_rollback)
    notes: list[str] = []
    if method == "rollback":
        notes.append("method: rollback (each candidate built inside a rolled-back transaction; "
                     "install HypoPG for hypothetical indexes instead)")
    else:
        notes.append("method: hypopg (hypothetical indexes)")
    skipped: list[tuple[str, str]] = []
    maintenance: list[str] = []
    before: dict[str, float] = {}
    wanted: dict[tuple[str, tuple[str, ...]], list[Statement]] = {}
    async with rolled_back(session.executor) as outer:
        del outer  # the advisor's transaction: HypoPG, if created here, goes with it
        if method == "hypopg":
            try:
                async with session.executor.transaction() as savepoint:
                    await savepoint.execute(Q.create_hypopg)
            except IkeneiError as exc:
                method = "rollback"
                notes[0] = f"method: rollback (HypoPG could not be created: {str(exc).splitlines()[0]})"
        for statement in workload:
            try:
                before[statement.label] = await _cost(session, statement)
            except IkeneiError as exc:
                skipped.append((statement.label, str(exc).splitlines()[0]))
                continue
            if statement.maintenance:
                maintenance.append(statement.label)
                continue
            for candidate in candidates(statement, schema, min_rows):
                wanted.setdefault(candidate, []).append(statement)
        after: dict[tuple[str, tuple[str, ...]], dict[str, float]] = {}
        sizes: dict[tuple[str, tuple[str, ...]], int | None] = {}
        for candidate, statements in wanted.items():
            table, columns = candidate
            if method == "rollback" and schema.bytes.get(table, 0) > max_table_bytes:
                skipped.append((f"{table} ({', '.join(columns)})",
                                f"table larger than the size cap of {max_table_bytes} bytes"))
                continue
            try:
                sizes[candidate], after[candidate] = await _try(
                    session, method, schema.qualified[table], columns, statements,
                    lock_timeout, statement_timeout,
                )
            except IkeneiError as exc:
                skipped.append((f"{table} ({', '.join(columns)})", str(exc).splitlines()[0]))
    if maintenance:
        notes.append(f"not weighed: {len(maintenance)} statements that run only in maintenance "
                     f"(the retention run): {', '.join(maintenance)}")
    suggestions = _choose(workload, before, after, sizes, min_savings, calls or {})
    for suggestion in suggestions:
        suggestion.writes = [
            f"{s.label} ({(calls or {}).get(s.label, 0)} calls)" if calls else s.label
            for s in workload
            if s.kind == "write" and suggestion.table_name in s.tables
        ]
        suggestion.table_name = schema.qualified[suggestion.table_name]
    return Advice(method, len(before), suggestions, skipped, notes)


async def _try(
    session: Session,
    method: str,
    table: str,
    columns: tuple[str, ...],
    statements: Sequence[Statement],
    lock_timeout: str,
    statement_timeout: str,
) -> tuple[int | None, dict[str, float]]:
    """The size of one candidate, and each statement's cost while it exists."""
    ex = session.executor
    costs: dict[str, float] = {}
    if method == "hypopg":
        try:
            size = await ex.value(
                Q.create_hypothetical_index, table_name=table, columns=list(columns),
            )
            for statement in statements:
                costs[statement.label] = await _cost(session, statement)
        finally:
            await ex.value(Q.reset_hypothetical_indexes)
        return size, costs
    async with rolled_back(ex) as tx:
        await tx.value(
            Q.limit_candidate_build, lock_timeout=lock_timeout, statement_timeout=statement_timeout,
        )
        size = await tx.value(Q.build_candidate_index, table_name=table, columns=list(columns))
        for statement in statements:
            costs[statement.label] = await _cost(session, statement)
    return size, costs


def _choose(
    workload: Sequence[Statement],
    before: Mapping[str, float],
    after: Mapping[tuple[str, tuple[str, ...]], Mapping[str, float]],
    sizes: Mapping[tuple[str, tuple[str, ...]], int | None],
    min_savings: float,
    calls: Mapping[str, int],
) -> list[Suggestion]:
    chosen: dict[tuple[str, tuple[str, ...]], Suggestion] = {}
    for statement in workload:
        cost = before.get(statement.label)
        if not cost:
            continue
        options = [(c, costs[statement.label]) for c, costs in after.items() if statement.label in costs]
        singles = [o for o in options if len(o[0][1]) == 1]
        pairs = [o for o in options if len(o[0][1]) == 2]
        best = min(singles, key=lambda o: (o[1], o[0]), default=None)
        best_pair = min(pairs, key=lambda o: (o[1], o[0]), default=None)
        if best_pair and (best is None or best_pair[1] < PAIR_ADVANTAGE * best[1]):
            best = best_pair
        if best is None or 100.0 * (cost - best[1]) / cost < min_savings:
            continue
        candidate, cost_after = best
        suggestion = chosen.setdefault(
            candidate, Suggestion(candidate[0], candidate[1], [], sizes.get(candidate))
        )
        suggestion.statements.append(Helped(statement.label, cost, cost_after, calls.get(statement.label)))
    # An index whose columns lead another suggested index of the same table is that index's job.
    for key, suggestion in sorted(chosen.items(), key=lambda item: len(item[0][1])):
        wider = [
            other for other_key, other in chosen.items()
            if other_key[0] == key[0] and len(other_key[1]) > len(key[1])
            and other_key[1][: len(key[1])] == key[1]
        ]
        if wider:
            wider[0].statements.extend(suggestion.statements)
            del chosen[key]
    # The most estimated work saved first, each statement weighted by its calls where counted.
    return sorted(chosen.values(), key=lambda s: (-_saved(s), s.table_name, s.columns))


def _saved(suggestion: Suggestion) -> float:
    return sum((h.cost_before - h.cost_after) * (h.calls or 1) for h in suggestion.statements)


# -- suggestions stored and written as migrations ----------------------------------


@dataclass(frozen=True, slots=True)
class _IndexStatements:
    create_statement: str
    drop_statement: str


def index_name(table_name: str, columns: Sequence[str]) -> str:
    bare = table_name.rsplit(".", 1)[-1].strip('"')
    name = re.sub(r"[^a-z0-9_]+", "_", f"idx_{bare}_{'_'.join(columns)}".lower())
    return name[:63]


_MIGRATION_NAME = re.compile(r"^(\d{8}_\d{6})_.*\.sql$")


def _next_stamp(directory: Path, now: datetime) -> datetime:
    stamps = [
        datetime.strptime(m.group(1), "%Y%m%d_%H%M%S").replace(tzinfo=UTC)
        for p in directory.glob("*.sql") if (m := _MIGRATION_NAME.match(p.name))
    ]
    latest = max(stamps, default=None)
    stamp = now.replace(microsecond=0)
    return stamp if latest is None or stamp > latest else latest + timedelta(seconds=1)


async def write_migration(
    session: Session, suggestion: Suggestion, method: str, directory: Path, *, now: datetime | None = None
) -> Path:
    """Writes the suggestion as a new migration and its rollback twin; the migration's path."""
    now = now or datetime.now(UTC)
    name = index_name(suggestion.table_name, suggestion.columns)
    found = await session.executor.one(
        Q.index_migration_statements, _IndexStatements, table_name=suggestion.table_name,
        columns=list(suggestion.columns), index_name=name,
    )
    assert found is not None  # the table exists: the advisor just planned it
    stamp = _next_stamp(directory, now).strftime("%Y%m%d_%H%M%S")
    path = directory / f"{stamp}_{name}.sql"
    rollback = directory / f"{stamp}_{name}.rollback.sql"
    helped = "\n".join(
        f"--   {h.label}: cost {h.cost_before:.2f} -> {h.cost_after:.2f} ({h.savings:.0f} % less)"
        for h in suggestion.statements
    )
    header = (
        f"-- Date: {now.date().isoformat()}\n"
        "-- transactional: false\n"
        "--\n"
        f"-- Suggested by `ikenei monitor advise` ({method}) on {now:%Y-%m-%d %H:%M} UTC for:\n"
        f"{helped}\n"
        "-- CONCURRENTLY: built without blocking writes, so it cannot run inside a transaction.\n"
    )
    path.write_text(
        "-- Up Migration\n"
        f"-- Description: Index {suggestion.table_name} ({', '.join(suggestion.columns)})\n"
        + header + "\n" + found.create_statement + "\n"
    )
    rollback.write_text(
        "-- Down Migration\n"
        f"-- Description: Drop {name}\n"
        + header + "\n" + found.drop_statement + "\n"
    )
    return path


async def store(session: Session, advice: Advice) -> list[int]:
    """Records the suggestions in monitoring.suggestions with their date; their ids."""
    ids = []
    for s in advice.suggestions:
        ids.append(await session.executor.value(
            Q.insert_suggestion, table_name=s.table_name, columns=list(s.columns),
            method=advice.method, cost_before=s.cost_before, cost_after=s.cost_after,
            statements=[h.label for h in s.statements], index_bytes=s.index_bytes,
            migration=s.migration,
        ))
    return ids


def as_json(advice: Advice) -> dict[str, Any]:
    return {
        "method": advice.method,
        "checked": advice.checked,
        "suggestions": [
            {
                "table": s.table_name,
                "columns": list(s.columns),
                "cost_before": s.cost_before,
                "cost_after": s.cost_after,
                "statements": [dataclasses.asdict(h) | {"savings": h.savings} for h in s.statements],
                "index_bytes": s.index_bytes,
                "writes": s.writes,
                "migration": s.migration,
            }
            for s in advice.suggestions
        ],
        "skipped": [{"statement": label, "why": why} for label, why in advice.skipped],
        "notes": advice.notes,
    }
