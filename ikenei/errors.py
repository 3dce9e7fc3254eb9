"""The exceptions a caller of IkeNei sees, and the one place driver errors become them.

A caller never handles asyncpg or psycopg exceptions: every database error is
translated here into an ``IkeneiError`` that names the field at fault.

Constraint names follow one convention, ``<table>_<field>_<kind>`` with kind one
of ``key`` (unique), ``check``, ``fkey`` or ``excl``, so the field is read off
the name. Our PL/pgSQL functions raise the SQLSTATEs below to speak the same
vocabulary (``RAISE ... USING ERRCODE = 'IK409', DETAIL = current_state``).
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg

_KINDS = ("_key", "_check", "_fkey", "_excl", "_pkey")

# SQLSTATEs our PL/pgSQL functions raise (class "IK" is ours): a refused state
# change (detail = current state), a missing row (detail = key), and invalid
# input (COLUMN = the field, message = the reason).
SQLSTATE_CONFLICT = "IK409"
SQLSTATE_NOT_FOUND = "IK404"
SQLSTATE_INVALID = "IK422"
# Refused because the transaction acts for someone else than the rule allows
# (an invitation answered by another person than its rater).
SQLSTATE_OUT_OF_SCOPE = "IK403"


class IkeneiError(Exception):
    """Base class of every error raised by IkeNei."""


class ConfigError(IkeneiError):
    """A setting is missing or invalid; the message names the variable."""


class WrongKey(ConfigError):
    """A configured encryption key is not the one the stored data was encrypted with."""


class DecryptionFailed(IkeneiError):
    """A stored ciphertext did not decrypt: tampered with, moved to another row, or its key is not configured.

    Names where the value lives (``table``, ``column``, ``row_id``) and, when
    the key is missing, ``key_id``; never any of the stored bytes.
    """

    def __init__(
        self, table: str, column: str, row_id: Any, reason: str, key_id: str | None = None
    ) -> None:
        self.table = table
        self.column = column
        self.row_id = row_id
        self.reason = reason
        self.key_id = key_id
        super().__init__(f"cannot decrypt {table}.{column} of row {row_id}: {reason}")


class ConnectionFailed(IkeneiError):
    """The database server cannot be reached or refused the login."""


class MigrationError(IkeneiError):
    """A migration could not be applied or rolled back; nothing was changed."""


class NotMigrated(IkeneiError):
    """The database lacks the schema; run ``make migrate`` first."""


class BackupError(IkeneiError):
    """A backup, restore, verification or expiry could not be done; nothing was changed.

    The message is one line saying what is wrong and what to do.
    """


class RepositoryLocked(BackupError):
    """Another command holds the backup repository's lock; the message names it."""


class NotFound(IkeneiError):
    """No row with the given key (or it is soft-deleted)."""

    def __init__(self, entity: str, key: Any) -> None:
        self.entity = entity
        self.key = key
        super().__init__(f"{entity} {key} not found")


class AlreadyExists(IkeneiError):
    """A unique value is taken."""

    def __init__(self, entity: str, field: str, detail: str | None = None) -> None:
        self.entity = entity
        self.field = field
        self.detail = detail
        message = f"{entity} with this {field} already exists"
        super().__init__(f"{message}: {detail}" if detail else message)


class InvalidData(IkeneiError):
    """A value was refused: out of range, missing, or pointing at nothing."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"invalid {field}: {reason}")


class Conflict(IkeneiError):
    """A state change was refused because the row is not in the state it requires."""

    def __init__(self, message: str, current: str | None = None) -> None:
        self.current = current
        super().__init__(message)


class DatabaseError(IkeneiError):
    """Any other database failure, wrapped with the driver's message."""


class Unavailable(IkeneiError):
    """The server lacks what a command needs (an extension, a setting); the message says how to enable it."""


class OutOfScope(DatabaseError):
    """A write refused by row-level security: the row is not of the organization
    (or person) the transaction works for; or an act reserved to one person
    (answering an invitation: its rater) tried by another."""


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
