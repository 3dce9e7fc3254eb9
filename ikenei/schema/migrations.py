"""Versioned schema migrations: apply, roll back, status, under yoyo's lock.

The migrations are the ``sql/migrations/YYYYMMDD_HHMMSS_description.sql`` files,
each with a ``.rollback.sql`` twin; yoyo-migrations reads them (``-- depends:``
and ``-- transactional: false`` directives in the leading comments are honoured)
and records what is applied in its own tables (``_yoyo_migration``,
``_yoyo_log``, ``_yoyo_version``, ``yoyo_lock``). A step that SQL alone cannot
do (decrypting with the application's key) is a yoyo Python migration
``YYYYMMDD_HHMMSS_description.py`` whose steps hold both directions; its SQL
stays in ``sql/tooling``.

What this module adds to yoyo:

- **One transaction per run.** ``apply`` and ``rollback`` run every migration of
  the run, and their bookkeeping, in a single transaction: a failure anywhere
  leaves the database exactly as it was before the run. (yoyo alone commits
  each migration separately.) A migration marked ``-- transactional: false``
  cannot share a transaction: the work before it is committed first and it runs
  on its own, as yoyo would run it.
- **The lock, always.** Both run under yoyo's lock row (``apply_migrations``
  does not take it by itself). A second run waits for the first (up to
  ``LOCK_TIMEOUT`` seconds, saying so), then finds nothing left to do. A lock
  left behind by a run that was killed is detected and reported with the
  command that clears it, ``ikenei migrations unlock`` (see ``unlock``). A run
  tags its connections with its process id (``application_name``), so a lock
  whose holder is still connected is never taken for a stale one, whichever
  host the holder runs on.
- **Errors that say what failed**: the file, the line, the statement and the
  PostgreSQL error (``MigrationError``); a server that cannot be reached is a
  one-line ``ConnectionFailed`` naming host and port.

Every function takes a plain libpq connection string (``postgresql://…`` URL,
including the Unix-socket form ``postgresql://user@/db?host=/dir``, or
``key=value`` pairs) and, where it reports progress, ``out``: a print-like
callable. yoyo splits a file into statements with sqlparse, which keeps
``$$``-quoted PL/pgSQL bodies, ``DO`` blocks and ``BEGIN ATOMIC`` bodies whole,
and it pairs a rollback file's statements with the apply statements by position;
whatever the pairing, a rollback file's statements run in the order written.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
from yoyo import exceptions as yoyo_exceptions
from yoyo import get_backend, read_migrations
from yoyo.backends import DatabaseBackend
from yoyo.migrations import Migration, MigrationList

from ikenei.config.paths import MIGRATIONS_DIR, SQL_DIR
from ikenei.errors import MigrationError, NotMigrated
from ikenei.schema.admin import (
    CONNECT_TIMEOUT,
    connect,
    connect_failed,
    conninfo_params,
    create_database,
    display_path,
    drop_database,
    dsn_for_database,
    pg_error,
    process_alive,
    psycopg_queries,
    server_of,
)

__all__ = [
    "CONNECT_TIMEOUT",
    "LOCK_TIMEOUT",
    "apply",
    "create_database",
    "drop_database",
    "dsn_for_database",
    "pending",
    "read_all",
    "require_migrated",
    "restore_point",
    "rollback",
    "status",
    "unlock",
    "yoyo_url",
]

Out = Callable[[str], Any]

#: Seconds a run waits for another run's lock before giving up.
LOCK_TIMEOUT = 120.0

_QUERIES_FILE = SQL_DIR / "tooling" / "migrations.sql"
_APP_PREFIX = "ikenei-migrations pid "
_POLL_SECONDS = 0.5
_STATEMENT_EXCERPT = 200
def _q() -> Any:
    return psycopg_queries(_QUERIES_FILE)


# --------------------------------------------------------------------------- DSNs


def _application_name(pid: int | None = None) -> str:
    pid = os.getpid() if pid is None else pid
    # PostgreSQL keeps the first 63 bytes; the process id comes first.
    return f"{_APP_PREFIX}{pid} on {socket.gethostname()}"[:63]


def yoyo_url(dsn: str, *, application_name: str | None = None) -> str:
    """The yoyo URL (``postgresql+psycopg://``) for a libpq connection string.

    Every connection parameter travels in the query string, where yoyo hands it
    to psycopg unchanged, so socket directories, multiple hosts and
    percent-encoded passwords survive. A ``connect_timeout`` is added unless the
    DSN has one.
    """
    params = conninfo_params(dsn)
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT))
    if application_name is not None:
        params["application_name"] = application_name
    return "postgresql+psycopg:///?" + urlencode(params)


@contextmanager
def _backend(dsn: str) -> Iterator[DatabaseBackend]:
    """A yoyo backend on the database, its connections tagged with our process id."""
    try:
        backend = get_backend(yoyo_url(dsn, application_name=_application_name()))
    except psycopg.OperationalError as exc:
        raise connect_failed(dsn, exc) from None
    try:
        yield backend
    finally:
        with suppress(psycopg.Error):  # closing a broken connection may fail; no matter
            backend.connection.close()


# --------------------------------------------------------------------------- lock


def _since(ctime: datetime) -> str:
    return f"{ctime:%Y-%m-%d %H:%M:%S} UTC"


def _stale_reason(
    conn: psycopg.Connection[Any], pid: int, age: float, timeout: float
) -> str | None:
    """Why the lock of process ``pid`` is stale, or None while its holder may be working."""
    if _q().holder_connected(conn, application_pattern=f"{_APP_PREFIX}{pid} on %"):
        return None
    if not process_alive(pid):
        return f"process {pid} is no longer running on this host ({socket.gethostname()})"
    if age > timeout:
        return f"it is {age:.0f} s old, older than the {timeout:.0f} s lock timeout"
    return None


@contextmanager
def _locked(backend: DatabaseBackend, out: Out, timeout: float) -> Iterator[None]:
    """Hold yoyo's migration lock, waiting for another run's; refuse a stale one."""
    conn = backend.connection
    deadline = time.monotonic() + timeout
    announced: int | None = None
    while True:
        row = _q().migration_lock(conn)
        if row is not None:
            pid, ctime, age = row
            reason = _stale_reason(conn, pid, age, timeout)
            if reason is not None:
                raise MigrationError(
                    f"the migration lock is held by process {pid} since {_since(ctime)}, "
                    f"but {reason}: a migration run was interrupted and left its lock behind. "
                    "Make sure no migration is running, then clear the lock with "
                    "`ikenei migrations unlock`."
                )
            if time.monotonic() > deadline:
                raise MigrationError(
                    f"gave up after {timeout:.0f} s waiting for the migration lock held by "
                    f"process {pid} since {_since(ctime)}. If no migration is running, clear "
                    "it with `ikenei migrations unlock`."
                )
            if announced != pid:
                out(f"waiting for the migration lock held by process {pid} since {_since(ctime)}…")
                announced = pid
            time.sleep(_POLL_SECONDS)
            continue
        lock = backend.lock(timeout=2 * _POLL_SECONDS)
        try:
            lock.__enter__()
        except yoyo_exceptions.LockTimeout:
            continue  # another run took it in between: look at who, and wait
        break
    try:
        yield
    except BaseException as exc:
        if not lock.__exit__(type(exc), exc, exc.__traceback__):
            raise
    else:
        lock.__exit__(None, None, None)


def unlock(dsn: str, *, out: Out = print) -> bool:
    """Remove the migration lock left by an interrupted run; True if there was one.

    Only for a lock whose run is gone: removing the lock of a run still in
    progress lets a second run start beside it.
    """
    with connect(dsn) as conn:
        row = _q().migration_lock(conn) if _q().has_lock_table(conn) else None
        if row is None:
            out("no migration lock to remove")
            return False
        pid, ctime, _age = row
        live = _q().holder_connected(conn, application_pattern=f"{_APP_PREFIX}{pid} on %")
    with _backend(dsn) as backend:
        backend.break_lock()
    out(f"removed the migration lock held by process {pid} since {_since(ctime)}")
    if live:
        out(f"warning: process {pid} still has a connection open; it may still be migrating")
    return True


# --------------------------------------------------------------------------- reading state


def read_all(migrations_dir: Path | str) -> MigrationList:
    directory = Path(migrations_dir)
    if not directory.is_dir():
        raise MigrationError(f"migrations directory {directory} does not exist")
    return read_migrations(str(directory))


def _applied(conn: psycopg.Connection[Any]) -> dict[str, tuple[str, datetime]] | None:
    """Applied migrations by hash: (id, when, UTC); None if yoyo was never run here."""
    if not _q().has_migration_table(conn):
        return None
    return {
        migration_hash: (migration_id, applied_at.replace(tzinfo=UTC))
        for migration_hash, migration_id, applied_at in _q().applied_migrations(conn)
    }


def pending(dsn: str, migrations_dir: Path | str = MIGRATIONS_DIR) -> list[str]:
    """Ids of the migrations not yet applied, in the order they would be applied.

    Reads only: an unmigrated database is left untouched.
    """
    migrations = read_all(migrations_dir)
    with connect(dsn) as conn:
        applied = _applied(conn) or {}
    return [m.id for m in migrations if m.hash not in applied]


def require_migrated(dsn: str, migrations_dir: Path | str = MIGRATIONS_DIR) -> None:
    """Raise ``NotMigrated`` unless every migration is applied to the database."""
    migrations = read_all(migrations_dir)
    with connect(dsn) as conn:
        applied = _applied(conn)
    if applied is None or not migrations:
        raise NotMigrated(f"the database at {server_of(dsn)} has no schema: run `make migrate` first")
    missing = [m.id for m in migrations if m.hash not in applied]
    if missing:
        raise NotMigrated(
            f"{len(missing)} migration(s) pending at {server_of(dsn)} ({', '.join(missing)}): "
            "run `make migrate` first"
        )


def status(
    dsn: str, *, out: Out = print, migrations_dir: Path | str = MIGRATIONS_DIR
) -> list[tuple[str, datetime | None]]:
    """Each migration and when it was applied (UTC; None = pending), printed as a table.

    A migration recorded as applied whose file is gone is listed too, after the
    others, and flagged in the table.
    """
    migrations = read_all(migrations_dir)
    with connect(dsn) as conn:
        applied = _applied(conn) or {}
    rows: list[tuple[str, datetime | None]] = []
    notes: list[str] = []
    for m in migrations:
        entry = applied.get(m.hash)
        rows.append((m.id, entry[1] if entry else None))
        notes.append("")
    known = {m.hash for m in migrations}
    for migration_hash, (migration_id, when) in applied.items():
        if migration_hash not in known:
            rows.append((migration_id, when))
            notes.append("  (file missing)")
    width = max([len("migration"), *(len(r[0]) for r in rows)])
    out(f"{'migration':<{width}}  applied (UTC)")
    for (migration_id, applied_at), note in zip(rows, notes, strict=True):
        shown = f"{applied_at:%Y-%m-%d %H:%M:%S}" if applied_at else "pending"
        out(f"{migration_id:<{width}}  {shown}{note}")
    done = sum(1 for _, when in rows if when)
    out(f"{len(rows)} migration(s): {done} applied, {len(rows) - done} pending")
    return rows


# --------------------------------------------------------------------------- running


class _TracingCursor:
    def __init__(self, cursor: Any, tracer: _Tracer) -> None:
        self._cursor = cursor
        self._tracer = tracer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)

    def execute(self, statement: Any, *args: Any, **kwargs: Any) -> Any:
        self._tracer.statement = statement if isinstance(statement, str) else str(statement)
        return self._cursor.execute(statement, *args, **kwargs)


class _Tracer:
    """Stands in for the yoyo backend while a migration's steps run, remembering
    the statement last sent, so that a failure can name it."""

    def __init__(self, backend: DatabaseBackend) -> None:
        self._backend = backend
        self.statement: str | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._backend, name)

    def cursor(self) -> _TracingCursor:
        return _TracingCursor(self._backend.cursor(), self)


def _excerpt(statement: str) -> str:
    lines = [line for line in statement.strip().splitlines() if line.strip()]
    while len(lines) > 1 and lines[0].lstrip().startswith("--"):
        lines.pop(0)
    text = re.sub(r"\s+", " ", " ".join(lines)).strip()
    if len(text) > _STATEMENT_EXCERPT:
        text = text[: _STATEMENT_EXCERPT - 1].rstrip() + "…"
    return text


def _line_of(path: str, statement: str | None, position: str | None) -> int | None:
    """The line of the file where the error is (or its statement starts)."""
    if not statement:
        return None
    try:
        source = Path(path).read_text(encoding="utf-8")
    except OSError:
        return None
    start = source.find(statement.strip())
    if start < 0:
        return None
    offset = start
    if position and position.isdigit():
        offset = start + int(position) - 1
    return source.count("\n", 0, offset) + 1


def _rollback_path(migration: Migration) -> str:
    """Where a migration's rollback is: its ``.rollback.sql`` twin, or, for a
    Python migration (``.py``: a step SQL alone cannot do), the file itself."""
    path: str = migration.path
    if path.endswith(".py"):
        return path
    return os.path.splitext(path)[0] + ".rollback.sql"


def _batches(migrations: Sequence[Migration]) -> list[list[Migration]]:
    """Consecutive transactional migrations together; a non-transactional one alone."""
    batches: list[list[Migration]] = []
    for m in migrations:
        m.load()
        if m.use_transactions and batches and batches[-1][0].use_transactions:
            batches[-1].append(m)
        else:
            batches.append([m])
    return batches


def _run(
    backend: DatabaseBackend, migrations: Sequence[Migration], direction: str, out: Out
) -> list[str]:
    """Apply or roll back ``migrations`` in one transaction (see the module doc)."""
    verb = {"apply": "applying", "rollback": "rolling back"}[direction]
    committed: list[str] = []
    for batch in _batches(migrations):
        transactional = batch[0].use_transactions
        try:
            if transactional:
                with backend.transaction():
                    for m in batch:
                        _run_one(backend, m, direction, verb, out)
            else:
                _run_one(backend, batch[0], direction, verb, out)
        except MigrationError as exc:
            state = "applied" if direction == "apply" else "rolled back"
            if not transactional:
                outcome = (
                    f"{batch[0].id} is not transactional: its statements before the failing "
                    "one were undone by its rollback statements where possible"
                )
            elif committed:
                outcome = f"the transaction of {', '.join(m.id for m in batch)} was rolled back"
            else:
                outcome = f"nothing was {state}: the database is as it was before this run"
            if committed:
                outcome += (
                    f"; still {state}, committed before a non-transactional migration: "
                    + ", ".join(committed)
                )
            exc.args = (f"{exc.args[0]}\n{outcome}",)
            raise
        committed.extend(m.id for m in batch)
    return committed


def _run_one(backend: DatabaseBackend, m: Migration, direction: str, verb: str, out: Out) -> None:
    out(f"{verb} {m.id}")
    tracer = _Tracer(backend)
    try:
        m.process_steps(tracer, direction)
    except psycopg.Error as exc:
        path = m.path if direction == "apply" else _rollback_path(m)
        where = display_path(path)
        line = _line_of(path, tracer.statement, getattr(exc.diag, "statement_position", None))
        if line:
            where += f", line {line}"
        statement = _excerpt(tracer.statement or "")
        raise MigrationError(
            f"{verb} {m.id} failed ({where})\n"
            f"  statement: {statement}\n"
            f"  PostgreSQL: {pg_error(exc)}"
        ) from exc
    if m.use_transactions:
        _record(backend, m, direction)
    else:
        with backend.transaction():
            _record(backend, m, direction)


def _record(backend: DatabaseBackend, m: Migration, direction: str) -> None:
    backend.log_migration(m, direction)
    if direction == "apply":
        backend.mark_one(m, log=False)
    else:
        backend.unmark_one(m, log=False)


def apply(
    dsn: str,
    *,
    out: Out = print,
    migrations_dir: Path | str = MIGRATIONS_DIR,
    lock_timeout: float = LOCK_TIMEOUT,
) -> list[str]:
    """Apply every pending migration, all in one transaction, under the lock.

    Returns the ids applied (empty when there was nothing to do). A failure
    raises ``MigrationError`` and leaves the database as it was.
    """
    migrations = read_all(migrations_dir)
    with _backend(dsn) as backend, _locked(backend, out, lock_timeout):
        todo = backend.to_apply(migrations)
        if not todo:
            out(f"nothing to apply: {len(migrations)} migration(s) already applied")
            return []
        restore_point(dsn, f"before-{todo[0].id}", out)
        done = _run(backend, list(todo), "apply", out)
        if todo.post_apply:
            with backend.transaction():
                for hook in todo.post_apply:
                    out(f"running post-apply hook {hook.id}")
                    hook.process_steps(backend, "apply")
    out(f"applied {len(done)} migration(s); {len(migrations)} in all")
    return done


def restore_point(dsn: str, name: str, out: Out = print) -> str | None:
    """A named restore point when the server archives its WAL (its LSN), else None.

    ``ikenei backup restore --to-name before-<migration>`` then brings back the
    database as it was before the run, data included. A role that may not make
    one (a superuser's right by default) gets a note, not a failure.
    """
    name = name[:63]  # PostgreSQL's limit for a restore point's name
    # The run's own backend has just reached the server: a plain connection suffices.
    with psycopg.connect(dsn, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
        if not _q().archiving(conn):
            return None
        try:
            lsn: str = _q().create_restore_point(conn, name=name)
        except psycopg.errors.InsufficientPrivilege:
            out(f"note: no restore point {name!r}: the role may not create one")
            return None
    out(f"restore point {name!r} at {lsn}")
    return lsn


def rollback(
    dsn: str,
    *,
    steps: int | None = None,
    all: bool = False,
    out: Out = print,
    migrations_dir: Path | str = MIGRATIONS_DIR,
    lock_timeout: float = LOCK_TIMEOUT,
) -> list[str]:
    """Roll back the last ``steps`` applied migrations (default 1), or ``all``.

    All in one transaction, under the lock, latest first. Returns the ids rolled
    back. A migration without a ``.rollback.sql`` file stops the run before
    anything is changed.
    """
    if steps is not None and steps < 1:
        raise MigrationError(f"steps must be at least 1, not {steps}")
    migrations = read_all(migrations_dir)
    with _backend(dsn) as backend, _locked(backend, out, lock_timeout):
        candidates = list(backend.to_rollback(migrations))
        if not candidates:
            out("nothing to roll back: no migration is applied")
            return []
        chosen = candidates if all else candidates[: steps or 1]
        missing = [m.id for m in chosen if not os.path.exists(_rollback_path(m))]
        if missing:
            raise MigrationError(
                f"cannot roll back {', '.join(missing)}: no .rollback.sql file; nothing was changed"
            )
        done = _run(backend, chosen, "rollback", out)
    left = len(candidates) - len(done)
    out(f"rolled back {len(done)} migration(s); {left} still applied")
    return done
