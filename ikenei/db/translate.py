"""The one place driver errors become ``ikenei.errors``: statements and connections.

Statements (:func:`translate`, :func:`query_error`): a unique violation is
``AlreadyExists`` naming the field, a check, not-null or foreign-key violation
``InvalidData`` naming field and reason, our PL/pgSQL SQLSTATEs ``Conflict``,
``NotFound`` or ``InvalidData``, anything else ``DatabaseError``.

Connections (:func:`connection_failure`): every way in, asyncpg's pool and
single connections and psycopg's maintenance connections, fails with the same
message, ``cannot connect to <where>: <cause>``, where the caller names the
place and the cause is the driver's reason on one line; a database that does
not exist is ``NotMigrated`` (``make migrate`` creates it).

A translated error carries neither cause nor context (:func:`bare`): the
driver's message can repeat a refused row (a password hash, a comment on an
anonymous form) in its DETAIL, and a logged traceback must not leak it.
"""

from __future__ import annotations

import re
import sys
from typing import Protocol, TypeVar

import asyncpg

from ikenei.errors import (
    SQLSTATE_CONFLICT,
    SQLSTATE_INVALID,
    SQLSTATE_NOT_FOUND,
    SQLSTATE_OUT_OF_SCOPE,
    AlreadyExists,
    Conflict,
    ConnectionFailed,
    DatabaseError,
    IkeneiError,
    InvalidData,
    NotFound,
    NotMigrated,
    OutOfScope,
)

__all__ = [
    "DRIVER_ERRORS",
    "bare",
    "connection_cause",
    "connection_failure",
    "is_connect_error",
    "is_missing_database",
    "query_error",
    "translate",
]

E = TypeVar("E", bound=BaseException)

#: What asyncpg raises: server errors, client-side encoding errors (DataError
#: is an InterfaceError), lost connections and unreachable servers.
DRIVER_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, OSError)

_KINDS = ("_key", "_check", "_fkey", "_excl", "_pkey")
_ARGUMENT = re.compile(r"query argument \$(\d+)")
_ASYNCPG_CONNECT_ERRORS = (
    asyncpg.InvalidAuthorizationSpecificationError,
    asyncpg.InvalidCatalogNameError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.CannotConnectNowError,
)


class NamedParameters(Protocol):
    """What :func:`query_error` reads of a query: the name of each ``$n``, in order."""

    @property
    def params(self) -> tuple[str, ...]: ...


def bare(error: E) -> E:
    """``error`` without cause or context, so no traceback shows the driver's text."""
    error.__cause__ = None
    error.__context__ = None
    error.__suppress_context__ = True
    return error


# -- statements -------------------------------------------------------------------------


def query_error(exc: BaseException, query: NamedParameters | None = None) -> IkeneiError:
    """:func:`translate`, bare; a value the driver cannot encode names its parameter."""
    error = translate(exc)
    argument = _ARGUMENT.search(str(exc)) if isinstance(exc, asyncpg.DataError) else None
    if query is not None and argument is not None:
        # A value asyncpg cannot encode: name the parameter, not "$3".
        position = int(argument.group(1)) - 1
        if position < len(query.params):
            error = InvalidData(query.params[position], str(exc).split(": ", 1)[-1])
    return bare(error)


def _field_of(constraint: str | None, table: str | None) -> str:
    if not constraint:
        return "value"
    name = constraint
    for prefix in (f"idx_{table}_", f"{table}_") if table else ():
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    for kind in _KINDS:
        if name.endswith(kind):
            name = name[: -len(kind)]
            break
    # <table>_<field>_length_check: the bound of a free-text field.
    name = name.removesuffix("_length")
    return name or constraint


def _entity_of(table: str | None) -> str:
    if not table:
        return "row"
    words = table.split("_")
    last = words[-1]
    if last.endswith("ies"):
        last = last[:-3] + "y"
    elif last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    return " ".join([*words[:-1], last])


def translate(exc: BaseException) -> IkeneiError:
    """The ``IkeneiError`` for a driver exception (asyncpg); never loses the cause."""
    if isinstance(exc, IkeneiError):
        return exc
    table = getattr(exc, "table_name", None)
    constraint = getattr(exc, "constraint_name", None)
    detail = getattr(exc, "detail", None)
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, asyncpg.UniqueViolationError):
        return AlreadyExists(_entity_of(table), _field_of(constraint, table))
    if isinstance(exc, asyncpg.NotNullViolationError):
        return InvalidData(getattr(exc, "column_name", None) or "value", "is required")
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        reason = "refers to a row that does not exist"
        if detail and "still referenced" in detail:
            reason = "is still referenced by other rows"
        return InvalidData(_field_of(constraint, table), reason)
    if isinstance(exc, asyncpg.RestrictViolationError):
        # PostgreSQL 18 reports an ON DELETE/UPDATE RESTRICT refusal as 23001
        # (restrict_violation); older servers as 23503, handled above.
        return InvalidData(_field_of(constraint, table), "is still referenced by other rows")
    if isinstance(exc, asyncpg.CheckViolationError | asyncpg.ExclusionViolationError):
        # The driver's DETAIL repeats the whole row (password hash included):
        # the reason names the rule instead.
        field = getattr(exc, "column_name", None) or _field_of(constraint, table)
        return InvalidData(field, f"refused by the rule {constraint}")
    sqlstate = getattr(exc, "sqlstate", None)
    if sqlstate == SQLSTATE_CONFLICT:
        return Conflict(message, detail)
    if sqlstate == SQLSTATE_NOT_FOUND:
        return NotFound(_entity_of(table), detail or message)
    if sqlstate == SQLSTATE_OUT_OF_SCOPE:
        return OutOfScope(message)
    if sqlstate == SQLSTATE_INVALID:
        return InvalidData(getattr(exc, "column_name", None) or "value", message)
    if isinstance(
        exc,
        asyncpg.InvalidTextRepresentationError
        | asyncpg.NumericValueOutOfRangeError
        | asyncpg.StringDataRightTruncationError
        | asyncpg.DatetimeFieldOverflowError
        | asyncpg.InvalidDatetimeFormatError,
    ):
        return InvalidData(getattr(exc, "column_name", None) or "value", message)
    if isinstance(
        exc,
        OSError
        | asyncpg.PostgresConnectionError
        | asyncpg.ConnectionDoesNotExistError
        | asyncpg.CannotConnectNowError,
    ):
        return ConnectionFailed(f"lost or refused connection: {message}")
    if isinstance(exc, asyncpg.SerializationError | asyncpg.DeadlockDetectedError):
        return Conflict(f"concurrent change, retry: {message}")
    if isinstance(exc, asyncpg.UndefinedTableError):
        return NotMigrated(f"{message}; run `make migrate` first")
    if isinstance(exc, asyncpg.DataError):
        return InvalidData("value", message)
    if isinstance(exc, asyncpg.InsufficientPrivilegeError) and "row-level security" in message:
        # The server names the table in the message only.
        named = re.search(r'for table "([^"]+)"', message)
        return OutOfScope(
            f"{_entity_of(table or (named and named.group(1)))} refused: not of the organization or person this transaction "
            f"works for ({message})"
        )
    return DatabaseError(message)


# -- connections ------------------------------------------------------------------------


def connection_failure(where: str, exc: BaseException) -> ConnectionFailed | NotMigrated:
    """The bare error for a failed connection to ``where`` (a place, never a secret)."""
    message = f"cannot connect to {where}: {connection_cause(exc)}"
    if is_missing_database(exc):
        return bare(NotMigrated(message + " (`make migrate` creates it)"))
    return bare(ConnectionFailed(message))


def connection_cause(exc: BaseException) -> str:
    """The reason in a driver's connection error, on one line."""
    text = str(exc) or type(exc).__name__
    causes: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("Is the server running", "HINT:", "Multiple connection")):
            continue
        if "failed: " in line:
            line = line.rsplit("failed: ", 1)[1]
        line = re.sub(r"^(FATAL|ERROR):\s+", "", line)
        line = re.sub(r"^(connection failed|connection is bad):\s*", "", line)
        line = " ".join(line.split())
        if line and line not in causes:
            causes.append(line)
    return "; ".join(causes) or type(exc).__name__


def is_missing_database(exc: BaseException) -> bool:
    """The server said the database does not exist."""
    return bool(re.search(r'database ".*" does not exist', str(exc)))


def is_connect_error(exc: BaseException) -> bool:
    """A driver's failure to reach the server or to log in (psycopg or asyncpg)."""
    psycopg = sys.modules.get("psycopg")  # not loaded: cannot be its error
    if psycopg is not None and isinstance(exc, psycopg.OperationalError):
        return True
    # OSError: refused, unreachable, name resolution, timeout.
    return isinstance(exc, (*_ASYNCPG_CONNECT_ERRORS, OSError))
