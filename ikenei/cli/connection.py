"""The commands' own connections to the server: checked before work starts,
and the configured database created when ``ikenei migrate`` finds it missing.

Every failure to connect is worded by ``ikenei.db.translate.connection_failure``,
naming the configured server and database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ikenei.db.translate import connection_failure, is_connect_error, is_missing_database
from ikenei.errors import DatabaseError, IkeneiError

if TYPE_CHECKING:
    import psycopg

    from ikenei.config.settings import Settings

CONNECT_TIMEOUT = 10  # seconds, for our own checks


def place(settings: Settings | None) -> str:
    """The configured server and database, for messages (never a secret)."""
    if settings is None:
        return "the database server"
    return f"{settings.server} (database {settings.database})"


def ensure_database(settings: Settings, out: Callable[[str], Any] = print) -> bool:
    """Create the configured database if it is missing; True if it was created."""
    import psycopg

    from ikenei.schema import admin

    name = settings.database
    try:
        with psycopg.connect(settings.dsn(), connect_timeout=CONNECT_TIMEOUT):
            return False
    except psycopg.OperationalError as exc:
        if not is_missing_database(exc):
            raise connection_failure(place(settings), exc) from None
    admin_dsn = settings.dsn("postgres")
    check_connection(settings, admin_dsn)  # an unreachable server: one line naming it
    try:
        admin.create_database(admin_dsn, name)
    except psycopg.errors.DuplicateDatabase:
        return False  # created by a concurrent command meanwhile
    except psycopg.Error as exc:
        first_line = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        raise DatabaseError(f"cannot create database {name}: {first_line}") from None
    out(f"created database {name}")
    return True


def check_connection(settings: Settings, dsn: str | None = None) -> None:
    """Connect once to the configured database (or ``dsn``); ConnectionFailed names the cause."""
    with connect(settings, dsn or settings.dsn()):
        pass


@contextmanager
def connect(
    settings: Settings, dsn: str, autocommit: bool = False
) -> Iterator[psycopg.Connection[Any]]:
    """A psycopg connection, closed at the end; a connect failure is ConnectionFailed."""
    import psycopg

    try:
        conn = psycopg.connect(dsn, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT)
    except psycopg.OperationalError as exc:
        raise connection_failure(place(settings), exc) from None
    try:
        yield conn
    finally:
        conn.close()


def as_connection_failure(exc: BaseException, settings: Settings | None) -> IkeneiError | None:
    """The error to print for a driver's connect error that escaped a command, else None."""
    return connection_failure(place(settings), exc) if is_connect_error(exc) else None
