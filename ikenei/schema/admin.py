"""Database administration for the schema tools: plain psycopg connections,
databases created and dropped, connection strings, and errors worded for a person.

Migrations, seeds, verify and the ``ikenei`` commands share these; every
function takes a libpq connection string (``postgresql://…`` URL, including
the Unix-socket form ``postgresql://user@/db?host=/dir``, or ``key=value`` pairs).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import aiosql
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from ikenei.db.translate import connection_failure
from ikenei.errors import ConfigError, ConnectionFailed, NotMigrated

__all__ = [
    "CONNECT_TIMEOUT",
    "connect",
    "connect_failed",
    "conninfo_params",
    "create_database",
    "display_path",
    "drop_database",
    "dsn_for_database",
    "one_line",
    "pg_error",
    "process_alive",
    "psycopg_queries",
    "server_of",
]

#: Seconds allowed to open a connection when the DSN does not say.
CONNECT_TIMEOUT = 10


def conninfo_params(dsn: str) -> dict[str, str]:
    """The connection parameters of a DSN; ``ConfigError`` for one libpq cannot read."""
    try:
        return {k: str(v) for k, v in conninfo_to_dict(dsn).items()}
    except psycopg.ProgrammingError as exc:
        raise ConfigError(f"invalid database URL: {one_line(exc)}") from None


def server_of(dsn: str) -> str:
    """Host, port and database of a DSN, for messages (never the password)."""
    params = conninfo_params(dsn)
    host = params.get("host") or os.environ.get("PGHOST") or "/var/run/postgresql"
    port = params.get("port") or os.environ.get("PGPORT") or "5432"
    database = params.get("dbname") or os.environ.get("PGDATABASE") or params.get("user") or ""
    if host.startswith("/"):
        place = f"socket {host}/.s.PGSQL.{port}"
    else:
        place = f"{host}:{port}"
    return f"{place}, database {database}" if database else place


def dsn_for_database(dsn: str, database: str) -> str:
    """The same connection string pointing at another database on the same server."""
    if "://" not in dsn:
        params = conninfo_params(dsn)
        params["dbname"] = database
        return " ".join(f"{k}='{_conninfo_escape(v)}'" for k, v in params.items())
    parts = urlsplit(dsn)
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(k == "dbname" for k, _ in pairs):
        query = urlencode([(k, database if k == "dbname" else v) for k, v in pairs])
    path = "/" + quote(database, safe="")
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def _conninfo_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


# CREATE and DROP DATABASE take the name as an identifier, which no query
# parameter can carry: psycopg composes it, quoted, here and nowhere else.


def create_database(admin_dsn: str, name: str, *, template: str | None = None) -> None:
    """Create database ``name`` (a copy of ``template`` if given) on the server of ``admin_dsn``.

    psycopg's ``DuplicateDatabase`` when it exists; the caller decides what that means.
    """
    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        statement = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(name), sql.Identifier(template)
        )
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(statement)


def drop_database(admin_dsn: str, name: str) -> None:
    """Drop database ``name`` if it exists, ending any connection to it."""
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def connect_failed(dsn: str, exc: BaseException) -> ConnectionFailed | NotMigrated:
    """The error for a failed connection to ``dsn``, naming its server."""
    return connection_failure(f"PostgreSQL at {server_of(dsn)}", exc)


@contextmanager
def connect(dsn: str) -> Iterator[psycopg.Connection[Any]]:
    """A plain autocommit psycopg connection, closed on exit."""
    # Keyword arguments of psycopg.connect: connection parameters, as text.
    params: dict[str, Any] = conninfo_params(dsn)
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT))
    try:
        conn = psycopg.connect(**params, autocommit=True)
    except psycopg.OperationalError as exc:
        raise connect_failed(dsn, exc) from None
    with conn:
        yield conn


def display_path(path: str | Path) -> str:
    """``path`` relative to the working directory when it is below it, for messages."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def one_line(exc: BaseException) -> str:
    """An error's text on one line."""
    lines = [re.sub(r"\s+", " ", line).strip() for line in str(exc).splitlines()]
    return "; ".join(line for line in lines if line) or type(exc).__name__


def pg_error(exc: BaseException) -> str:
    """PostgreSQL's message of a psycopg error, with its detail and SQLSTATE."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if not primary:
        return one_line(exc)
    text: str = primary
    detail = getattr(diag, "message_detail", None)
    if detail:
        text += f" ({detail})"
    sqlstate = getattr(diag, "sqlstate", None)
    if sqlstate:
        text += f" [SQLSTATE {sqlstate}]"
    return text


@functools.cache
def psycopg_queries(path: Path) -> Any:
    """The named queries of one tooling ``.sql`` file, for psycopg; parsed on first use, then kept."""
    return aiosql.from_path(path, "psycopg")


def process_alive(pid: int) -> bool:
    """Whether a process with this id runs on this host (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True
