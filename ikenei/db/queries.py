"""Loads the named queries of ``sql/queries`` once, and runs them at the driver's speed.

aiosql parses the files (names, declared parameters, ``:name`` → ``$n``). Its
generated functions cost about 1.5x a bare asyncpg call per lookup, so the
repositories do not call them: each loaded query becomes a ``Query`` holding the
SQL asyncpg takes and the order of its arguments, and an ``Executor`` hands it
straight to asyncpg with positional arguments in the declared order. Rows
become records through ``ikenei.db.records``. ``make bench`` measures the result
against raw asyncpg.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeVar

import aiosql
import asyncpg
from asyncpg.pool import PoolConnectionProxy

from ikenei.config.paths import QUERIES_DIR
from ikenei.db import records
from ikenei.db.translate import DRIVER_ERRORS, query_error
from ikenei.db.values import value_problem
from ikenei.errors import Conflict, DatabaseError, InvalidData, NotFound

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

# A record: a dataclass whose fields are a query's columns, in order.
T = TypeVar("T", bound="DataclassInstance")

@dataclasses.dataclass(frozen=True, slots=True)
class Query:
    """One named query: its SQL as asyncpg takes it and how to order its arguments."""

    name: str
    sql: str
    params: tuple[str, ...]
    # Position in the declared parameters of each $n, or None when they already agree.
    order: tuple[int, ...] | None
    # Per record class whose fields were checked against this query's columns:
    # how a row becomes that record.
    builders: dict[type, Callable[[Any], Any]] = dataclasses.field(
        default_factory=dict, compare=False, hash=False, repr=False
    )


def _query_of(fn: Any, placeholders: list[str]) -> Query:
    declared = tuple(fn.parameters or ())
    unknown = [p for p in placeholders if p not in declared]
    unused = [p for p in declared if p not in placeholders]
    if unknown or unused:
        raise DatabaseError(
            f"query {fn.__name__}: declared parameters {declared} do not match "
            f"the ones it uses {tuple(placeholders)}"
        )
    order = tuple(declared.index(p) for p in placeholders)
    return Query(fn.__name__, fn.sql, declared, None if order == tuple(range(len(declared))) else order)


def load(path: Path = QUERIES_DIR) -> SimpleNamespace:
    """Every query of a .sql file, or of the files in a directory, as a ``Query`` by name.

    A name used twice is refused.
    """
    queries: dict[str, Query] = {}
    # One file at a time: aiosql would silently keep one of two same-named
    # queries from different files.
    files = [path] if path.is_file() else sorted(path.glob("*.sql"))
    for file in files:
        loaded = aiosql.from_path(file, "asyncpg")
        placeholders = loaded.driver_adapter.var_sorted
        for name in loaded.available_queries:
            if "." in name or name.endswith("_cursor"):
                continue
            if name in queries:
                raise DatabaseError(f"query {name} is defined twice ({file.name} and another file)")
            queries[name] = _query_of(getattr(loaded, name), list(placeholders.get(name, [])))
    return SimpleNamespace(**queries)


Q = load()


def _args(query: Query, args: tuple[Any, ...]) -> tuple[Any, ...]:
    for position, value in enumerate(args):
        problem = value_problem(value)
        if problem is not None:
            # Named here: the server's refusal would not say which argument (see ikenei.db.values).
            name = query.params[position] if position < len(query.params) else "value"
            raise InvalidData(name, problem)
    if query.order is None:
        return args
    return tuple(args[i] for i in query.order)


def _copied(columns: Sequence[str], row: Sequence[Any]) -> Sequence[Any]:
    for name, value in zip(columns, row, strict=False):
        problem = value_problem(value)
        if problem is not None:
            raise InvalidData(name, problem)
    return row


def _checked_builder(query: Query, record: type[T], row: asyncpg.Record) -> Callable[[Any], T]:
    # Records are built positionally (the fast way); once per query and record
    # class, make sure the columns really are the record's fields, in order.
    fields = tuple(f.name for f in dataclasses.fields(record))
    if tuple(row.keys()) != fields:
        raise DatabaseError(
            f"query {query.name} returns columns {tuple(row.keys())}, "
            f"but {record.__name__} has fields {fields}"
        )
    build = query.builders[record] = records.builder(record)
    return build


class Executor:
    """Runs ``Query`` objects on a pool or on one connection; errors become ``ikenei.errors``."""

    __slots__ = ("_target",)

    def __init__(self, target: asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy) -> None:
        self._target = target

    async def one(self, query: Query, record: type[T], *args: Any) -> T | None:
        """The single row as ``record``, or None."""
        try:
            row = await self._target.fetchrow(query.sql, *_args(query, args))
        except DRIVER_ERRORS as exc:
            raise query_error(exc, query) from None
        if row is None:
            return None
        build: Callable[[Any], T] = query.builders.get(record) or _checked_builder(query, record, row)
        return build(row)

    async def one_found(
        self, query: Query, record: type[T], *args: Any, missing: tuple[str, Any]
    ) -> T:
        """The single row as ``record``; ``NotFound(*missing)`` (entity, key) when there is none."""
        found = await self.one(query, record, *args)
        if found is None:
            raise NotFound(*missing)
        return found

    async def moved(
        self, query: Query, record: type[T], key: Any, *args: Any,
        status: Query, entity: str, verb: str,
    ) -> T:
        """The row a guarded status move (``WHERE status = ...``) returned.

        When the guard let nothing through, ``status`` reads the row's state:
        ``NotFound`` when there is no such row, else ``Conflict`` naming the
        state it is in, so of two racing callers the loser learns why.
        """
        moved = await self.one(query, record, key, *args)
        if moved is not None:
            return moved
        current = await self.value(status, key)
        if current is None:
            raise NotFound(entity, key)
        raise Conflict(f"{entity} {key} is {current}: it cannot be {verb}", current)

    async def all(self, query: Query, record: type[T], *args: Any) -> list[T]:
        """Every row as ``record``."""
        try:
            rows = await self._target.fetch(query.sql, *_args(query, args))
        except DRIVER_ERRORS as exc:
            raise query_error(exc, query) from None
        if not rows:
            return []
        build = query.builders.get(record) or _checked_builder(query, record, rows[0])
        return list(map(build, rows))

    async def value(self, query: Query, *args: Any) -> Any:
        """The first column of the first row, or None."""
        try:
            return await self._target.fetchval(query.sql, *_args(query, args))
        except DRIVER_ERRORS as exc:
            raise query_error(exc, query) from None

    async def execute(self, query: Query, *args: Any) -> int:
        """Runs the statement; the number of rows it touched."""
        try:
            status = await self._target.execute(query.sql, *_args(query, args))
        except DRIVER_ERRORS as exc:
            raise query_error(exc, query) from None
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def execute_many(self, query: Query, rows: Iterable[Sequence[Any]]) -> None:
        """Runs the statement once per argument tuple, in one round trip per batch."""
        try:
            await self._target.executemany(query.sql, [_args(query, tuple(r)) for r in rows])
        except DRIVER_ERRORS as exc:
            raise query_error(exc, query) from None

    async def copy_records(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Loads many rows with COPY; table and columns are fixed names from the code, never input."""
        checked = [_copied(columns, row) for row in rows]
        try:
            status = await self._target.copy_records_to_table(table, records=checked, columns=list(columns))
        except DRIVER_ERRORS as exc:
            raise query_error(exc) from None
        return int(status.rsplit(" ", 1)[-1])

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Executor]:
        """An executor on one connection inside a transaction (a savepoint when nested)."""
        try:
            target = self._target
            if isinstance(target, asyncpg.Pool):
                async with target.acquire() as conn, conn.transaction():
                    yield Executor(conn)
            else:
                async with target.transaction():
                    yield self
        except BrokenPipeError:
            raise  # the block's reader (standard output) went away: no database error
        except DRIVER_ERRORS as exc:
            raise query_error(exc) from None
