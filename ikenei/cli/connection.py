"""The commands' own connections to the server, and their failures as one line."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ikenei.errors import ConnectionFailed, DatabaseError, IkeneiError

if TYPE_CHECKING:
    import psycopg

    from ikenei.config.settings import Settings

CONNECT_TIMEOUT = 10  # seconds, for our own checks


def ensure_database(settings: Settings, out: Callable[[str], Any] = print) -> bool:
    """Create the configured database if it is missing; True if it was created."""
    import psycopg

    from ikenei.schema import migrations

    name = settings.database
    try:
        with psycopg.connect(settings.dsn(), connect_timeout=CONNECT_TIMEOUT):
            return False
    except psycopg.OperationalError as exc:
        if not is_missing_database(exc):
            raise connection_failed(settings, exc) from exc
    admin_dsn = settings.dsn("postgres")
    check_connection(settings, admin_dsn)  # an unreachable server: one line naming it
    try:
        migrations.create_database(admin_dsn, name)
    except psycopg.errors.DuplicateDatabase:
        return False  # created by a concurrent command meanwhile
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot create database {name}: {first_line(exc)}") from exc
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
        raise connection_failed(settings, exc) from exc
    try:
        yield conn
    finally:
        conn.close()


def connection_failed(settings: Settings | None, exc: BaseException) -> ConnectionFailed:
    """ConnectionFailed naming the server, the database and the cause."""
    where = settings.server if settings is not None else "the database server"
    database = f" (database {settings.database})" if settings is not None else ""
    message = f"cannot connect to {where}{database}: {connection_cause(exc)}"
    if is_missing_database(exc):
        message += " (`make migrate` creates it)"
    return ConnectionFailed(message)


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
    return bool(re.search(r'database ".*" does not exist', str(exc)))


def as_connection_failure(exc: BaseException, settings: Settings | None) -> IkeneiError | None:
    """ConnectionFailed for a driver's connect error, else None."""
    try:
        import psycopg

        if isinstance(exc, psycopg.OperationalError):
            return connection_failed(settings, exc)
    except ImportError:  # pragma: no cover
        pass
    try:
        import asyncpg

        connect_errors: tuple[type[BaseException], ...] = (
            asyncpg.InvalidAuthorizationSpecificationError,
            asyncpg.InvalidCatalogNameError,
            asyncpg.ConnectionDoesNotExistError,
            asyncpg.CannotConnectNowError,
        )
        if isinstance(exc, connect_errors):
            return connection_failed(settings, exc)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, OSError):  # refused, unreachable, name resolution, timeout
        return connection_failed(settings, exc)
    return None


def first_line(exc: BaseException) -> str:
    """The first line of an error's text (or its type's name)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
