"""``ikenei backup receive-wal``: continuous WAL from an existing server, through ``pg_receivewal``.

The embedded server archives its own WAL (``basic_archive``, see
``ikenei.backup.archive``). An existing server (``DB_HOST``/``DATABASE_URL``)
would need ``archive_mode`` and a restart to do the same; instead
PostgreSQL's ``pg_receivewal`` (the wheel's: it streams from older servers
too) connects to it as a replica, through a physical replication slot, and
writes each segment into the repository's ``wal/`` under the name the
archiver gives it. ``backup verify``, ``restore --to-time``, ``expire`` and the
off-site copy read that directory and work unchanged.

**A command of its own**, rather than a task of ``backup schedule``: the
stream must never pause, while the schedule spends minutes on a backup or a
drill, may be replaced by cron, and is restarted to change
``BACKUP_SCHEDULE``. As a service of its own (a systemd unit with
``Restart=always``) the receiver keeps streaming through all of that.

**The slot** (``BACKUP_SLOT_NAME``) is made if missing, so running the
command again changes nothing. It makes the server keep every WAL segment
until the receiver has it, so no segment is lost while the receiver is down
or restarting; but while it is down, ``pg_wal`` on the SERVER grows. ``backup
status`` (and ``monitor check``) say so; ``--drop-slot`` removes it when the
receiver is retired.

**Partial segments.** The segment being written is ``<segment>.partial``;
``pg_receivewal`` renames it to the segment's name once it is complete and
flushed, so every file with a segment's name is complete: that is all
``verify``, ``expire`` and the off-site copy look at. As Barman's
``get-wal --partial`` does for its last segment, a restore uses the partial
segment when the archive has nothing newer (``restore_command`` falls back to
it): recovery reads what is in it and stops where the zeroes begin.

``--synchronous``: each piece of WAL is flushed on arrival and only then
reported back, so the slot (and what the server may recycle) never runs ahead
of what is on disk here, and the partial segment holds every commit received.

If ``pg_receivewal`` exits (the server restarted, the network went away) it
is started again after ``RESTART_AFTER`` seconds, with a log line saying why.
SIGTERM or SIGINT stops it cleanly: ``pg_receivewal`` flushes what it has.
"""

from __future__ import annotations

import signal
import subprocess
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ikenei.backup import server, tools
from ikenei.backup.repository import LocalRepository
from ikenei.backup.run import explained
from ikenei.errors import BackupError

if TYPE_CHECKING:
    from ikenei.config.settings import Settings

Out = Callable[[str], Any]
#: Seconds before pg_receivewal is started again after it exited.
RESTART_AFTER = 5.0
#: Seconds pg_receivewal gets to flush and exit when told to stop.
STOP_TIMEOUT = 30.0


def receive(
    settings: Settings,
    *,
    out: Out = print,
    stop: threading.Event | None = None,
    restart_after: float = RESTART_AFTER,
) -> int:
    """Stream the server's WAL into the repository until SIGTERM/SIGINT (or ``stop``); 0.

    ``BackupError`` in one line, changing nothing, when the server cannot be
    streamed from (a role that may not replicate, no ``replication`` line in
    ``pg_hba.conf``, ``wal_level = minimal``) or archives into this repository
    itself.
    """
    stopping = stop or threading.Event()

    def log(message: str) -> None:
        out(f"{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ} {message}")

    repo, dsn, password, system = _checked(settings)
    slot = settings.backup_slot_name
    made = ensure_slot(settings, dsn, password)  # before anything is written: it may be refused
    repo.create()
    with repo.lock("backup receive-wal", name="receiver.lock"):
        repo.claim(system)
        log(f"replication slot {slot}: " + ("made" if made else "exists"))
        if not repo.backups():
            log("no backup in the repository yet: take one now (`ikenei backup run`); "
                "the WAL received is restorable from a backup on")
        previous = {}
        if threading.current_thread() is threading.main_thread():
            for number in (signal.SIGTERM, signal.SIGINT):
                previous[number] = signal.signal(number, lambda *_: stopping.set())
        try:
            _supervise(repo, dsn, password, slot, log, stopping, restart_after)
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
    log("stopped")
    return 0


def _checked(settings: Settings) -> tuple[LocalRepository, str, str | None, str]:
    """The repository, the URL to stream from (without its password), the password and the
    cluster's identity; ``BackupError`` when the server cannot be streamed from."""
    from ikenei import embedded

    settings = embedded.started(settings)  # the explicit step: reading settings starts nothing
    repo = LocalRepository(settings.backup_repository_path)
    full = settings.dsn("postgres")
    with server.connect(full, settings.target) as conn:
        facts = server.facts(conn)
    if facts.archives_into(repo.wal_dir):
        raise BackupError(
            f"the server archives its WAL into {repo.wal_dir} itself (archive_mode "
            f"{facts.archive_mode}): it needs no receiver"
        )
    role = unquote(urlsplit(full).username or "") or "<role>"
    if not facts.may_replicate:
        raise BackupError(
            f"the login role {role} may not replicate, so its server's WAL cannot be received: "
            f"ALTER ROLE {role} REPLICATION and a `host replication {role} <address> <method>` "
            "line in pg_hba.conf (then reload the server) grant it"
        )
    if facts.wal_level == "minimal":
        raise BackupError(
            "the server runs with wal_level = minimal, which cannot be streamed: "
            "set wal_level = replica (and max_wal_senders > 0) and restart it"
        )
    repo.check_claim(facts.system_identifier)
    return repo, settings.dsn("postgres", include_password=False), tools.password_of(full), \
        facts.system_identifier


def ensure_slot(settings: Settings, dsn: str, password: str | None) -> bool:
    """Make the replication slot if missing; True when it was made now."""
    with server.connect(settings.dsn("postgres"), settings.target) as conn:
        existed = server.q().replication_slot(conn, slot_name=settings.backup_slot_name) is not None
    if existed:
        return False
    try:
        tools.run(
            "pg_receivewal",
            ["-d", dsn, "-S", settings.backup_slot_name, "--create-slot", "--if-not-exists"],
            password=password, what="making the replication slot",
        )
    except BackupError as exc:
        raise explained(exc, otherwise="") from None
    return True


def drop_slot(settings: Settings, *, out: Out = print) -> bool:
    """Drop the receiver's slot, so the server stops keeping WAL for it; False if there was none.

    Refused while a receiver uses it (stop that first).
    """
    from ikenei import embedded

    settings = embedded.started(settings)
    slot = settings.backup_slot_name
    full = settings.dsn("postgres")
    with server.connect(full, settings.target) as conn:
        found = server.q().replication_slot(conn, slot_name=slot)
    if found is None:
        out(f"no replication slot {slot} on the server: nothing to drop")
        return False
    if found[1]:
        raise BackupError(
            f"replication slot {slot} is in use by a running receiver (pid {found[2]} on the server): "
            "stop `ikenei backup receive-wal` first"
        )
    try:
        tools.run(
            "pg_receivewal", ["-d", settings.dsn("postgres", include_password=False), "-S", slot, "--drop-slot"],
            password=tools.password_of(full), what="dropping the replication slot",
        )
    except BackupError as exc:
        raise explained(exc, otherwise="") from None
    out(f"replication slot {slot} dropped: the server no longer keeps WAL for it, and no WAL "
        "reaches the repository until `ikenei backup receive-wal` runs again (then take a full backup)")
    return True


def _supervise(
    repo: LocalRepository,
    dsn: str,
    password: str | None,
    slot: str,
    log: Out,
    stopping: threading.Event,
    restart_after: float,
) -> None:
    args = ["-d", dsn, "-D", str(repo.wal_dir), "-S", slot, "--synchronous", "--no-loop", "-v"]
    while not stopping.is_set():
        process = tools.start("pg_receivewal", args, password=password, as_server=True)
        said: list[str] = []
        reader = threading.Thread(target=_relay, args=(process, log, said), daemon=True)
        reader.start()
        log(f"receiving WAL into {repo.wal_dir} through slot {slot} (pg_receivewal pid {process.pid})")
        while process.poll() is None:
            if stopping.wait(0.5):
                _stop(process)
                break
        reader.join(5)
        if stopping.is_set():
            break
        why = said[-1] if said else "no message"
        log(f"pg_receivewal exited with status {process.returncode} ({why}); "
            f"starting it again in {restart_after:g} s")
        if any("has already been removed" in line for line in said):
            log(f"the server no longer has the WAL that follows the newest segment in {repo.wal_dir} "
                "(the slot was dropped or invalidated meanwhile): the archive has a gap there, and "
                f"starting again cannot close it; move {repo.wal_dir} aside, start the receiver "
                "again and take a full backup (`ikenei backup run --full`)")
        stopping.wait(restart_after)


def _relay(process: subprocess.Popen[str], log: Out, said: list[str]) -> None:
    """Each line pg_receivewal writes, as a log line."""
    assert process.stderr is not None
    for line in process.stderr:
        text = line.strip()
        if text:
            said.append(text)
            log(text if text.startswith("pg_receivewal") else f"pg_receivewal: {text}")


def _stop(process: subprocess.Popen[str]) -> None:
    """SIGINT: pg_receivewal flushes what it has received and exits."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
