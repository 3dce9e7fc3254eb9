"""The exceptions a caller of IkeNei sees; this module imports no driver.

A caller never handles asyncpg or psycopg exceptions: every database error is
translated into one of these by ``ikenei.db.translate``, naming the field at fault.

Constraint names follow one convention, ``<table>_<field>_<kind>`` with kind one
of ``key`` (unique), ``check``, ``fkey`` or ``excl``, so the field is read off
the name. Our PL/pgSQL functions raise the SQLSTATEs below to speak the same
vocabulary (``RAISE ... USING ERRCODE = 'IK409', DETAIL = current_state``).
"""

from __future__ import annotations

from typing import Any

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
