"""Plans: the generic plan of any statement, an analysed one on request, and the plan checks.

A named query's plan without values is its generic plan, the one a
prepared statement gets whatever its values: ``PREPARE`` with
``plan_cache_mode = force_generic_plan`` and ``EXPLAIN EXECUTE`` with NULLs,
on every version. (``EXPLAIN (GENERIC_PLAN)`` of PostgreSQL 16+ plans the
values it is given when the driver binds any, and asyncpg always binds one
per parameter: the bound NULLs fold into a plan of nothing.)
With values (``--param``) the plan is the one those values get, and
``--analyze`` runs the statement inside a transaction that is rolled back,
so a write changes nothing. Whatever fails, no prepared statement and no open
transaction is left behind.

The statement text put after ``EXPLAIN`` is a named query of ``sql/queries``
or a statement of a ``--sql`` file as PostgreSQL's own parser read and wrote
it back (``ikenei.monitoring.workload``): one statement, a read or a write,
never text pasted from input.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ikenei.db.queries import Executor, Q, Query
from ikenei.errors import IkeneiError, InvalidData
from ikenei.monitoring.server import Session
from ikenei.monitoring.workload import Statement

#: The name of the one prepared statement monitoring makes, and always deallocates.
PLAN_NAME = "ikenei_monitor_plan"


class _RollBack(Exception):
    """Ends a ``rolled_back`` block's transaction with a rollback."""


@asynccontextmanager
async def rolled_back(executor: Executor) -> AsyncIterator[Executor]:
    """A transaction (a savepoint inside one) that is always rolled back."""
    try:
        async with executor.transaction() as tx:
            yield tx
            raise _RollBack
    except _RollBack:
        pass


def _statement_sql(sql: str) -> str:
    return sql.strip().rstrip(";").strip()


def _wrapped(prefix: str, sql: str, params: int) -> Query:
    names = tuple(f"${n}" for n in range(1, params + 1))
    return Query("explain", f"{prefix}{_statement_sql(sql)}", names)


def _plan_of(document: Any) -> dict[str, Any]:
    if isinstance(document, str):
        document = json.loads(document)
    plan: dict[str, Any] = document[0]
    return plan


async def _deallocate(executor: Executor) -> None:
    if await executor.value(Q.prepared_plan_parameters) is not None:
        await executor.execute(Query("deallocate", f"DEALLOCATE {PLAN_NAME}", ()))


async def generic_plan(session: Session, sql: str, params: int) -> dict[str, Any]:
    """The generic plan (EXPLAIN's JSON document) of a statement with ``params`` parameters."""
    ex = session.executor
    nulls = ", ".join(["NULL"] * params)
    execute = f"EXPLAIN (FORMAT JSON) EXECUTE {PLAN_NAME}" + (f"({nulls})" if params else "")
    try:
        async with rolled_back(ex) as tx:
            await tx.value(Q.force_generic_plans)
            await tx.execute(Query("prepare", f"PREPARE {PLAN_NAME} AS {_statement_sql(sql)}", ()))
            document = await tx.value(Query("explain", execute, ()))
    finally:
        await _deallocate(ex)
    return _plan_of(document)


async def parameter_types(session: Session, sql: str) -> list[str]:
    """The types PostgreSQL infers for a statement's parameters, in order."""
    ex = session.executor
    try:
        await ex.execute(Query("prepare", f"PREPARE {PLAN_NAME} AS {_statement_sql(sql)}", ()))
        return list(await ex.value(Q.prepared_plan_parameters) or [])
    finally:
        await _deallocate(ex)


async def plan_with_values(
    session: Session, sql: str, values: Sequence[Any], *, analyze: bool = False
) -> dict[str, Any]:
    """The plan the statement gets for these values; ``analyze`` runs it, and rolls it back."""
    prefix = "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " if analyze else "EXPLAIN (FORMAT JSON) "
    query = _wrapped(prefix, sql, len(values))
    async with rolled_back(session.executor) as tx:
        return _plan_of(await tx.value(query, **dict(zip(query.params, values, strict=True))))


# -- parameters given as text (--param name=value) --------------------------------


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "t", "yes", "on", "1"):
        return True
    if lowered in ("false", "f", "no", "off", "0"):
        return False
    raise ValueError(text)


def _timestamp(text: str) -> datetime:
    return datetime.fromisoformat(text)


_CONVERTERS: dict[str, Any] = {
    "smallint": int,
    "integer": int,
    "bigint": int,
    "numeric": Decimal,
    "real": float,
    "double precision": float,
    "boolean": _boolean,
    "uuid": uuid.UUID,
    "text": str,
    "character varying": str,
    "character": str,
    "citext": str,
    "name": str,
    "date": date.fromisoformat,
    "timestamp with time zone": _timestamp,
    "timestamp without time zone": _timestamp,
    "json": json.loads,
    "jsonb": json.loads,
}


def convert(name: str, type_name: str, text: str) -> Any:
    """``text`` as a value of the PostgreSQL type ``type_name``; ``InvalidData`` naming the parameter."""
    base = type_name.removesuffix("[]").split("(")[0].strip()
    converter = _CONVERTERS.get(base, str)
    try:
        if type_name.endswith("[]"):
            return [converter(part.strip()) for part in text.split(",") if part.strip()]
        value = converter(text)
    except (ValueError, InvalidOperation, TypeError):
        raise InvalidData(name, f"{text!r} is not a {type_name}") from None
    if base in ("smallint", "integer") and not -(2**31) <= value < 2**31:
        raise InvalidData(name, f"{text!r} is out of range for {type_name}")
    return value


def arguments(
    declared: Sequence[str], types: Sequence[str], given: Mapping[str, str], *, complete: bool
) -> list[Any] | None:
    """The positional values of ``given`` (name -> text) in the declared order.

    None when nothing is given and ``complete`` is not required. ``InvalidData``
    for an unknown name, a value of the wrong type, or (``complete``) a
    missing one.
    """
    unknown = sorted(set(given) - set(declared))
    if unknown:
        raise InvalidData("--param", f"{', '.join(unknown)}: not a parameter of this query "
                          f"(it takes {', '.join(declared) or 'none'})")
    if not given and not complete:
        return None
    missing = [name for name in declared if name not in given]
    if missing:
        raise InvalidData("--param", f"a value is needed for {', '.join(missing)}")
    return [convert(name, type_name, given[name]) for name, type_name in zip(declared, types, strict=True)]


# -- the plan checks of `ikenei monitor plans` -------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str  # "seq_scan", "sort", "estimate"
    message: str


@dataclass(frozen=True, slots=True)
class PlanCheck:
    label: str
    cost: float | None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    #: Why it was not planned, when it reads a table made at run time (a temporary one).
    skipped: str | None = None


def nodes(plan: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every node of a plan, depth first."""
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def _scanned_relation(node: Mapping[str, Any]) -> str | None:
    """The table a sort's input reads, when that input is a single scan."""
    while node.get("Plans") and len(node["Plans"]) == 1 and "Relation Name" not in node:
        node = node["Plans"][0]
    return node.get("Relation Name")


def findings(
    plan: Mapping[str, Any], table_rows: Mapping[str, float], large_rows: float
) -> list[Finding]:
    """Sequential scans of large tables, and sorts of a large table's rows, in one plan."""
    found: list[Finding] = []
    for node in nodes(plan["Plan"]):
        relation = node.get("Relation Name")
        if node.get("Node Type") == "Seq Scan" and relation:
            rows = table_rows.get(relation, 0.0)
            if rows >= large_rows:
                found.append(Finding("seq_scan", f"sequential scan on {relation} ({rows:,.0f} rows)"))
        if node.get("Node Type") in ("Sort", "Incremental Sort"):
            source = _scanned_relation(node["Plans"][0]) if node.get("Plans") else None
            rows = table_rows.get(source or "", 0.0)
            if source and rows >= large_rows:
                keys = ", ".join(node.get("Sort Key", ()))
                found.append(Finding(
                    "sort", f"sorts rows of {source} ({rows:,.0f} rows) by {keys}: an index in that order could serve it"
                ))
    return found


async def check(
    session: Session,
    statements: Sequence[Statement],
    table_rows: Mapping[str, float],
    *,
    large_rows: float,
    rows_per_call: Mapping[str, float] | None = None,
) -> list[PlanCheck]:
    """The generic plan of every statement, with what is worth a look in it.

    ``table_rows``: every table of ours with its estimated rows; a statement on
    another table (a temporary one its caller makes) is skipped, saying so.
    """
    checks: list[PlanCheck] = []
    for statement in statements:
        unknown = sorted(statement.tables - set(table_rows))
        if unknown:
            checks.append(PlanCheck(statement.label, None, skipped=(
                f"reads {', '.join(unknown)}, made at run time")))
            continue
        try:
            plan = await generic_plan(session, statement.sql, statement.params)
        except IkeneiError as exc:
            checks.append(PlanCheck(statement.label, None, [], str(exc).splitlines()[0]))
            continue
        found = findings(plan, table_rows, large_rows)
        actual = (rows_per_call or {}).get(statement.label)
        estimated = float(plan["Plan"].get("Plan Rows", 0))
        if statement.kind == "read" and actual is not None and _far_apart(estimated, actual):
            found.append(Finding(
                "estimate", f"the planner expects {estimated:,.0f} rows, calls return {actual:,.1f} on average"
            ))
        checks.append(PlanCheck(statement.label, float(plan["Plan"]["Total Cost"]), found))
    return checks


def _far_apart(estimated: float, actual: float, factor: float = 10.0) -> bool:
    low, high = sorted((max(estimated, 1.0), max(actual, 1.0)))
    return high / low >= factor


def as_json(checks: Sequence[PlanCheck]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(c) for c in checks]
