"""Loads the named queries of ``sql/queries`` once, and runs them at the driver's speed.

aiosql parses the files (names, declared parameters, ``:name`` → ``$n``). Its
generated functions cost about 1.5x a bare asyncpg call per lookup, so the
repositories do not call them: each loaded query becomes a ``Query`` holding the
SQL asyncpg takes and the name of each of its ``$n``, in order, worked out once
at load. Callers pass arguments by name (``x.one(Q.get_user, User,
user_id=...)``); an ``Executor`` puts them in ``$n`` order and hands them
straight to asyncpg. A missing or unknown name is a ``TypeError`` naming the
query and the name. Rows become records through ``ikenei.db.records``.
``make bench`` measures the result against raw asyncpg.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
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
    """One named query: its SQL as asyncpg takes it and the name of each ``$n``, in order."""

    name: str
    sql: str
    # params[n - 1] is the name of $n.
    params: tuple[str, ...]
    # Per record class whose fields were checked against this query's columns:
    # how a row becomes that record.
    builders: dict[type, Callable[[Any], Any]] = dataclasses.field(
        default_factory=dict, compare=False, hash=False, repr=False
    )
    # The values of a mapping of arguments in $n order (KeyError for a missing
    # name), made once from ``params``.
    pick: Callable[[Mapping[str, Any]], tuple[Any, ...]] = dataclasses.field(
        init=False, compare=False, hash=False, repr=False
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "pick", _picker(self.params))


def _picker(params: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    if len(params) == 1:
        (name,) = params
        return lambda args: (args[name],)
    if not params:
        return lambda args: ()
    return operator.itemgetter(*params)


def _query_of(fn: Any, placeholders: list[str]) -> Query:
    declared = tuple(fn.parameters or ())
    unknown = [p for p in placeholders if p not in declared]
    unused = [p for p in declared if p not in placeholders]
    if unknown or unused:
        raise DatabaseError(
            f"query {fn.__name__}: declared parameters {declared} do not match "
            f"the ones it uses {tuple(placeholders)}"
        )
    return Query(fn.__name__, fn.sql, tuple(placeholders))


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


def _args(query: Query, args: Mapping[str, Any]) -> tuple[Any, ...]:
    """The values of ``args`` (name -> value) in ``$n`` order, each checked."""
    if len(args) != len(query.params):
        raise _mismatch(query, args)
    try:
        values = query.pick(args)
    except KeyError:
        raise _mismatch(query, args) from None
    for position, value in enumerate(values):
        problem = value_problem(value)
        if problem is not None:
            # Named here: the server's refusal would not say which argument (see ikenei.db.values).
            raise InvalidData(query.params[position], problem)
    return values


def _mismatch(query: Query, args: Mapping[str, Any]) -> TypeError:
    """A call whose argument names are not the query's parameters: a programming error."""
    missing = [name for name in query.params if name not in args]
    unknown = [name for name in args if name not in query.params]
    problems = []
    if missing:
        problems.append(f"missing argument {', '.join(missing)}")
    if unknown:
        problems.append(f"unknown argument {', '.join(unknown)}")
    takes = ", ".join(query.params) or "no arguments"
    return TypeError(f"query {query.name}: {'; '.join(problems)} (it takes {takes})")


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

    async def one(self, query: Query, record: type[T], /, **args: Any) -> T | None:
        """The single row as ``record``, or None."""
        return await self._one(query, record, args)

    async def _one(self, query: Query, record: type[T], args: dict[str, Any]) -> T | None:
        try:
            row = await self._target.fetchrow(query.sql, *_args(query, args))
        except DRIVER_ERRORS as exc:
            raise query_error(exc, query) from None
        if row is None:
            return None
        build: Callable[[Any], T] = query.builders.get(record) or _checked_builder(query, record, row)
        return build(row)

    async def one_found(
        self, query: Query, record: type[T], /, *, missing: tuple[str, Any], **args: Any
    ) -> T:
        """The single row as ``record``; ``NotFound(*missing)`` (entity, key) when there is none."""
        found = await self._one(query, record, args)
        if found is None:
            raise NotFound(*missing)
        return found

    async def created(self, query: Query, record: type[T], /, **args: Any) -> T:
        """The row an ``INSERT ... RETURNING`` wrote, as ``record``."""
        created = await self._one(query, record, args)
        if created is None:
            # An insert that returns nothing broke its own contract: a defect, not bad input.
            raise DatabaseError(f"query {query.name} wrote no row")
        return created

    async def stored(
        self, query: Query, value: T, /, *, missing: tuple[str, Any], **args: Any
    ) -> T:
        """``value`` (a record) written by an update query, as the database now holds it.

        Each parameter of ``query`` not given in ``args`` is the record's field
        of that name, so a caller names only what is not a field (the key).
        ``NotFound(*missing)`` when no row was updated.
        """
        for name in query.params:
            if name not in args:
                try:
                    args[name] = getattr(value, name)
                except AttributeError:
                    raise TypeError(
                        f"query {query.name}: {type(value).__name__} has no field {name}"
                    ) from None
        return await self.one_found(query, type(value), missing=missing, **args)

    async def moved(
        self, query: Query, record: type[T], /, *,
        status: Query, entity: str, verb: str, **args: Any,
    ) -> T:
        """The row a guarded status move (``WHERE status = ...``) returned.

        When the guard let nothing through, ``status`` reads the row's state,
        given the arguments of ``args`` it names (the row's key): ``NotFound``
        when there is no such row, else ``Conflict`` naming the state it is
        in, so of two racing callers the loser learns why.
        """
        moved = await self._one(query, record, args)
        if moved is not None:
            return moved
        key_args = {name: args[name] for name in status.params if name in args}
        current = await self.value(status, **key_args)
        key = key_args[status.params[0]] if status.params else None
        if current is None:
            raise NotFound(entity, key)
        raise Conflict(f"{entity} {key} is {current}: it cannot be {verb}", current)

    async def all(self, query: Query, record: type[T], /, **args: Any) -> list[T]:
        """Every row as ``record``."""
        try:
            rows = await self._target.fetch(query.sql, *_args(query, args))
        except DRIVER_ERRORS as exc:
            raise query_error(exc, query) from None
        if not rows:
            return []
        build = query.builders.get(record) or _checked_builder(query, record, rows[0])
        return list(map(build, rows))

    async def value(self, query: Query, /, **args: Any) -> Any:
        """The first column of the first row, or None."""
        try:
            return await self._target.fetchval(query.sql, *_args(query, args))
        except DRIVER_ERRORS as exc:
            raise query_error(exc, query) from None

    async def execute(self, query: Query, /, **args: Any) -> int:
        """Runs the statement; the number of rows it touched."""
        try:
            status = await self._target.execute(query.sql, *_args(query, args))
        except DRIVER_ERRORS as exc:
            raise query_error(exc, query) from None
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def execute_many(self, query: Query, rows: Iterable[Mapping[str, Any]]) -> None:
        """Runs the statement once per mapping of arguments (name -> value), in batches."""
        try:
            await self._target.executemany(query.sql, [_args(query, r) for r in rows])
        except DRIVER_ERRORS as exc:
            raise query_error(exc, query) from None

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
