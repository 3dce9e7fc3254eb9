"""The statements monitoring works on, parsed by PostgreSQL's own parser (pglast).

- ``named_queries()``: every named query of ``sql/queries`` (the project's
  whole workload, known in advance), with its ``$n`` parameters; those of
  the maintenance files (``MAINTENANCE_FILES``) are marked as such;
- ``read_sql_file(path)``: the statements of a ``--sql`` file, one per ``;``,
  each a read or a write of our tables, or ``InvalidData`` naming the line;
- ``name_of(sql)``: the named query a statement text (as pg_stat_statements
  keeps it, constants replaced by ``$n``) is, by the parser's fingerprint,
  which ignores constants, parameter numbers, spacing and comments.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pglast import ast, parser
from pglast.stream import RawStream
from pglast.visitors import Visitor

from ikenei.config.paths import QUERIES_DIR
from ikenei.db.queries import Q, Query, load
from ikenei.errors import InvalidData

#: The statement kinds monitoring explains and advises on: reads and writes.
_KINDS = {
    "SelectStmt": "read",
    "InsertStmt": "write",
    "UpdateStmt": "write",
    "DeleteStmt": "write",
}


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement to explain: a named query, or a statement of a ``--sql`` file."""

    label: str  # the query's name, or "FILE:LINE"
    sql: str  # with $1..$n parameters
    params: int
    kind: str  # "read" or "write"
    tables: frozenset[str]  # bare names of the tables it reads or writes
    line: int | None = None
    #: Runs only in maintenance (the daily retention run), not on the application's behalf.
    maintenance: bool = False

    @property
    def node(self) -> Any:
        return parser.parse_sql(self.sql)[0].stmt


def _parameter_count(node: Any) -> int:
    highest = 0

    class _Params(Visitor):
        def visit_ParamRef(self, ancestors: Any, param: ast.ParamRef) -> None:
            nonlocal highest
            highest = max(highest, param.number or 0)

    _Params()(node)
    return highest


def relations(node: Any) -> Iterator[ast.RangeVar]:
    """Every table a statement names (FROM, JOIN, INSERT INTO, UPDATE, DELETE FROM)."""
    found: list[ast.RangeVar] = []

    class _Tables(Visitor):
        def visit_RangeVar(self, ancestors: Any, relation: ast.RangeVar) -> None:
            # FOR UPDATE OF w names an alias, not a table.
            if ancestors.find_nearest(ast.LockingClause) is None:
                found.append(relation)

    _Tables()(node)
    return iter(found)


def _cte_names(node: Any) -> set[str]:
    names: set[str] = set()

    class _Ctes(Visitor):
        def visit_CommonTableExpr(self, ancestors: Any, cte: ast.CommonTableExpr) -> None:
            if cte.ctename is not None:
                names.add(cte.ctename)

    _Ctes()(node)
    return names


def _statement(label: str, node: Any, line: int | None) -> Statement:
    kind = _KINDS.get(type(node).__name__)
    ctes = _cte_names(node)
    # Our tables: not a CTE, not the system catalogs and statistics views, not another schema's.
    names = (r.relname for r in relations(node) if r.schemaname in (None, "public"))
    tables = frozenset(
        name for name in names
        if name is not None and name not in ctes and not name.startswith("pg_")
    )
    return Statement(label, RawStream()(node), _parameter_count(node), kind or "", tables, line)


@functools.cache
def named_queries() -> tuple[Statement, ...]:
    """Every named query that reads or writes a table, in name order."""
    found = []
    maintenance = maintenance_query_names()
    for name in sorted(vars(Q)):
        query: Query = getattr(Q, name)
        for raw in parser.parse_sql(query.sql):
            statement = _statement(name, raw.stmt, None)
            if statement.kind and statement.tables:
                # The query's own text: the parameters are those asyncpg sends.
                found.append(Statement(
                    name, query.sql, len(query.params), statement.kind, statement.tables,
                    maintenance=name in maintenance,
                ))
    return tuple(found)


#: The files of ``sql/queries`` whose statements run only in maintenance: the
#: retention run, once a day, in one transaction (``ikenei retention run``).
MAINTENANCE_FILES = ("retention.sql",)


@functools.cache
def maintenance_query_names() -> frozenset[str]:
    """The named queries of the maintenance files."""
    return frozenset(name for file in MAINTENANCE_FILES for name in vars(load(QUERIES_DIR / file)))


@functools.cache
def own_query_names() -> frozenset[str]:
    """The named queries monitoring itself runs (sql/queries/monitoring.sql)."""
    return frozenset(vars(load(QUERIES_DIR / "monitoring.sql")))


def query_named(name: str) -> Query:
    """The named query ``name``; ``InvalidData`` when there is none."""
    query = getattr(Q, name, None)
    if not isinstance(query, Query):
        raise InvalidData("query", f"no named query {name!r} in sql/queries")
    return query


@functools.cache
def _fingerprints() -> dict[str, str]:
    prints: dict[str, str] = {}
    for name in sorted(vars(Q)):
        try:
            prints.setdefault(parser.fingerprint(getattr(Q, name).sql), name)
        except parser.ParseError:
            continue
    return prints


def name_of(sql: str) -> str | None:
    """The named query a statement's text is, or None."""
    try:
        return _fingerprints().get(parser.fingerprint(sql))
    except parser.ParseError:
        return None


def _line_at(text: str, offset: int) -> int:
    return text.encode()[:offset].count(b"\n") + 1


def read_sql_file(path: Path, known_tables: set[str]) -> list[Statement]:
    """The statements of a ``--sql`` file: reads or writes of ``known_tables``, each with its line.

    ``InvalidData`` (field ``--sql``) naming the file and line for a statement
    the parser refuses, one of another kind (DDL, a transaction command, a
    function call outside SELECT), or one naming a table that is not ours.
    """
    try:
        text = path.read_text()
    except OSError as exc:
        raise InvalidData("--sql", f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        raws = parser.parse_sql(text)
    except parser.ParseError as exc:
        offset = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        line = text[:offset].count("\n") + 1
        raise InvalidData("--sql", f"{path.name}:{line}: cannot parse: {exc.args[0]}") from None
    statements = []
    for raw in raws:
        start = raw.stmt_location or 0
        # The statement starts at its first non-blank character.
        body = text.encode()[start:]
        start += len(body) - len(body.lstrip())
        line = _line_at(text, start)
        label = f"{path.name}:{line}"
        statement = _statement(label, raw.stmt, line)
        if not statement.kind:
            raise InvalidData(
                "--sql", f"{label}: not a read or a write (SELECT, INSERT, UPDATE or DELETE)"
            )
        schemas = {r.schemaname for r in relations(raw.stmt)} - {None, "public"}
        unknown = sorted(statement.tables - known_tables)
        if schemas or unknown or not statement.tables:
            what = ", ".join(unknown or sorted(s for s in schemas if s)) or "no table"
            raise InvalidData("--sql", f"{label}: not a statement on our tables ({what})")
        statements.append(statement)
    if not statements:
        raise InvalidData("--sql", f"{path.name}: no statement")
    return statements
