"""``ikenei backup status``: is the server's WAL reaching the repository, and is a backup recent?

Unhealthy (a non-zero exit) when archiving is failing (the archiver's last
failure is newer than its last success: ``pg_wal`` is growing on the server
until the repository is reachable again), when the server does not archive
into this repository at all, or when the newest backup is older than
``BACKUP_SCHEDULE`` allows (it missed its last scheduled run, with an hour's
grace for the run itself).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from croniter import croniter

from ikenei import embedded
from ikenei.backup import server
from ikenei.backup.repository import LocalRepository
from ikenei.errors import IkeneiError

if TYPE_CHECKING:
    from ikenei.config.settings import Settings

#: Time a scheduled backup may take before its absence counts as missed.
GRACE = timedelta(hours=1)


@dataclass
class Status:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not self.problems


def status(settings: Settings, *, now: datetime | None = None) -> Status:
    moment = now or datetime.now(UTC)
    result = Status()
    repo = LocalRepository(settings.backup_repository_path)
    _archiver(settings, repo, moment, result)
    backups = repo.backups() if repo.backups_dir.is_dir() else []
    if not backups:
        result.problems.append(
            f"no backup in {repo.path} yet: take one with `ikenei backup run`"
        )
    else:
        newest = backups[-1]
        age = moment - newest.stop_time
        result.lines.append(f"last backup: {newest.id} ({newest.kind}), {_age(age)} ago")
        # The last scheduled run that should have finished by now.
        due = last_due(settings.backup_schedule, moment - GRACE)
        if newest.start_time < due:
            result.problems.append(
                f"the last backup is older than BACKUP_SCHEDULE ({settings.backup_schedule}) "
                f"allows: one was due at {due:%Y-%m-%d %H:%M} UTC"
            )
    if repo.path.is_dir():
        result.lines.append(
            f"repository {repo.path}: {len(backups)} backup(s), {_bytes(repo.size_bytes())} used, "
            f"{_bytes(repo.free_bytes())} free"
        )
    return result


def last_due(schedule: str, moment: datetime) -> datetime:
    """The last time ``schedule`` fired at or before ``moment``."""
    return croniter(schedule, moment).get_prev(datetime)


def _archiver(settings: Settings, repo: LocalRepository, moment: datetime, result: Status) -> None:
    try:
        # The embedded server is started here, explicitly (reading settings starts nothing).
        dsn = embedded.started(settings).dsn("postgres")
        with server.connect(dsn, settings.target) as conn:
            facts = server.facts(conn)
            state = server.q().archiver_state(conn)
    except IkeneiError as exc:
        result.problems.append(f"the server cannot be asked about archiving: {exc}")
        return
    archived, last_wal, last_time, failed, failed_wal, failed_time, server_now = state
    if not facts.archives_into(repo.wal_dir):
        result.problems.append(
            "the server does not archive its WAL into this repository "
            f"(archive_mode={facts.archive_mode}): no point-in-time recovery"
            + (" ; restart the embedded server (`make db-stop db-start`)" if settings.uses_embedded else "")
        )
    if last_wal:
        result.lines.append(
            f"archiver: {archived} segment(s) archived, last {last_wal} {_age(server_now - last_time)} ago"
        )
    else:
        result.lines.append("archiver: nothing archived yet")
    if failed:
        result.lines.append(f"archiver: {failed} failure(s), last for {failed_wal} at {failed_time:%Y-%m-%d %H:%M:%S}")
    if failed_time is not None and (last_time is None or failed_time > last_time):
        result.problems.append(
            f"archiving is failing (segment {failed_wal}): the server keeps its WAL in pg_wal "
            f"until {repo.wal_dir} can be written again, and pg_wal grows meanwhile"
        )


def _age(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"


def _bytes(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"
