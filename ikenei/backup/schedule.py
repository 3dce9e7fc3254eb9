"""``ikenei backup schedule``: backups on ``BACKUP_SCHEDULE``, in the foreground.

For systemd, a container or ``nohup``: one line per event on standard output,
a clean exit on SIGTERM or SIGINT (between steps; a running backup finishes
first). At each time the cron expression names it takes a backup (incremental
where possible), then applies retention; once a day it verifies. Between
backups it sends new WAL to the off-site repository, when there is one, every
``BACKUP_ARCHIVE_TIMEOUT`` seconds. A backup that fails is logged and retried
at the next scheduled time; a repository held by another command is skipped
the same way.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from croniter import croniter

from ikenei.errors import IkeneiError

if TYPE_CHECKING:
    from ikenei.config.settings import Settings

Out = Callable[[str], Any]


def serve(
    settings: Settings,
    *,
    out: Out = print,
    stop: threading.Event | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Run until SIGTERM/SIGINT (or ``stop``); returns the exit status (0)."""
    from ikenei.backup import expire, run, verify

    stopping = stop or threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            previous[number] = signal.signal(number, lambda *_: stopping.set())

    def log(message: str) -> None:
        out(f"{clock():%Y-%m-%dT%H:%M:%SZ} {message}")

    schedule = croniter(settings.backup_schedule, clock())
    due = schedule.get_next(datetime)
    last_verify: datetime | None = None
    push_every = timedelta(seconds=settings.backup_archive_timeout)
    next_push = clock() + push_every
    log(f"schedule {settings.backup_schedule!r}: next backup at {due:%Y-%m-%d %H:%M} UTC")
    try:
        while not stopping.is_set():
            now = clock()
            if now >= due:
                _step(log, "backup", lambda: run.run(settings, out=log, progress=False))
                _step(log, "expire", lambda: expire.expire(settings, out=log))
                if last_verify is None or now - last_verify >= timedelta(days=1):
                    _step(log, "verify", lambda: _verified(verify.verify(settings, out=log)))
                    last_verify = now
                due = croniter(settings.backup_schedule, clock()).get_next(datetime)
                log(f"next backup at {due:%Y-%m-%d %H:%M} UTC")
            elif settings.backup_remote_url is not None and now >= next_push:
                _step(log, "off-site WAL", lambda: _push_wal(settings, log))
                next_push = now + push_every
            wait = min((due - clock()).total_seconds(), (next_push - clock()).total_seconds(), 60.0)
            stopping.wait(max(wait, 0.05))
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    log("stopped")
    return 0


def _step(log: Out, what: str, action: Callable[[], Any]) -> None:
    try:
        action()
    except IkeneiError as exc:
        log(f"{what} failed: {exc}")


def _verified(report: Any) -> None:
    if not report.ok:
        raise IkeneiError(f"{len(report.problems)} problem(s): " + "; ".join(map(str, report.problems[:3])))


def _push_wal(settings: Settings, log: Out) -> None:
    from ikenei.backup import remote, run

    repo = run.repository_of(settings)
    with repo.lock("backup schedule (off-site WAL)"):
        sent = remote.push_wal(remote.Remote(settings), repo)
    if sent:
        log(f"off-site: {sent} WAL file(s) sent")
