"""``ikenei backup status``: is the server's WAL reaching the repository, and is a backup recent?

Unhealthy (a non-zero exit) when archiving is failing (the archiver's last
failure is newer than its last success: ``pg_wal`` is growing on the server
until the repository is reachable again), when the server's WAL reaches this
repository neither through its archiver (the embedded server) nor through
``ikenei backup receive-wal`` (an existing server), when that receiver is not
running or its replication slot keeps more than ``BACKUP_SLOT_MAX_RETAINED_MB``
of WAL on the server, or when the newest backup is older than
``BACKUP_SCHEDULE`` allows (it missed its last scheduled run, with an hour's
grace for the run itself).

Each problem is a ``Finding`` with its rule; ``ikenei monitor check`` raises
the same findings as alerts (this is the one place that decides them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from croniter import croniter

from ikenei import embedded
from ikenei.backup import archive, server
from ikenei.backup.repository import LocalRepository
from ikenei.errors import IkeneiError

if TYPE_CHECKING:
    from ikenei.config.settings import Settings

#: Time a scheduled backup may take before its absence counts as missed.
GRACE = timedelta(hours=1)
MIB = 1024 * 1024

#: The rules a finding belongs to.
ARCHIVING = "archiving"  # the server's archiver is failing
BACKUP_AGE = "backup_age"  # no backup, or the newest is older than the schedule allows
WAL_SLOT = "wal_slot"  # the receiver's slot is inactive or keeps too much WAL
SETUP = "backup_setup"  # the WAL does not reach the repository at all, or the server cannot be asked


@dataclass(frozen=True)
class Finding:
    """One problem: its rule, what it is about, the figure measured against its limit, and
    one line saying what is wrong and what to do."""

    rule: str
    subject: str
    message: str
    value: float = 0.0
    threshold: float = 0.0


@dataclass
class Status:
    lines: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: Whether backups are in use here: the repository holds a backup, or the slot exists.
    in_use: bool = False

    @property
    def problems(self) -> list[str]:
        return [f.message for f in self.findings]

    @property
    def healthy(self) -> bool:
        return not self.findings

    def add(self, rule: str, subject: str, message: str, value: float = 0.0, threshold: float = 0.0) -> None:
        self.findings.append(Finding(rule, subject, message, value, threshold))


def status(settings: Settings, *, now: datetime | None = None) -> Status:
    moment = now or datetime.now(UTC)
    result = Status()
    repo = LocalRepository(settings.backup_repository_path)
    _wal(settings, repo, result)
    backups = repo.backups() if repo.backups_dir.is_dir() else []
    result.in_use = result.in_use or bool(backups)
    if not backups:
        result.add(BACKUP_AGE, str(repo.path), f"no backup in {repo.path} yet: take one with `ikenei backup run`")
    else:
        newest = backups[-1]
        age = moment - newest.stop_time
        result.lines.append(f"last backup: {newest.id} ({newest.kind}), {_age(age)} ago")
        # The last scheduled run that should have finished by now.
        due = last_due(settings.backup_schedule, moment - GRACE)
        if newest.start_time < due:
            result.add(
                BACKUP_AGE, newest.id,
                f"the last backup is older than BACKUP_SCHEDULE ({settings.backup_schedule}) "
                f"allows: one was due at {due:%Y-%m-%d %H:%M} UTC",
                age.total_seconds() / 3600, (moment - due).total_seconds() / 3600,
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


def _wal(settings: Settings, repo: LocalRepository, result: Status) -> None:
    try:
        # The embedded server is started here, explicitly (reading settings starts nothing).
        dsn = embedded.started(settings).dsn("postgres")
        with server.connect(dsn, settings.target) as conn:
            facts = server.facts(conn)
            state = server.q().archiver_state(conn)
            slot = None if facts.archives_into(repo.wal_dir) else server.q().replication_slot(
                conn, slot_name=settings.backup_slot_name
            )
    except IkeneiError as exc:
        result.add(SETUP, settings.target, f"the server cannot be asked about archiving: {exc}")
        return
    if facts.archive_mode != "off":
        _archiver(repo, state, result)
    if facts.archives_into(repo.wal_dir):
        return
    if slot is None:
        result.add(
            SETUP, str(repo.wal_dir),
            "the server's WAL reaches this repository neither through its archiver "
            f"(archive_mode={facts.archive_mode}) nor through `ikenei backup receive-wal` "
            f"(no replication slot {settings.backup_slot_name}): no point-in-time recovery"
            + ("; restart the embedded server (`make db-stop db-start`)" if settings.uses_embedded
               else "; run `ikenei backup receive-wal` (see the README)"),
        )
        return
    result.in_use = True
    _receiver(settings, repo, slot, result)


def _archiver(repo: LocalRepository, state: Any, result: Status) -> None:
    archived, last_wal, last_time, failed, failed_wal, failed_time, server_now = state
    if last_wal:
        result.lines.append(
            f"archiver: {archived} segment(s) archived, last {last_wal} {_age(server_now - last_time)} ago"
        )
    else:
        result.lines.append("archiver: nothing archived yet")
    if failed:
        result.lines.append(f"archiver: {failed} failure(s), last for {failed_wal} at {failed_time:%Y-%m-%d %H:%M:%S}")
    if failed_time is not None and (last_time is None or failed_time > last_time):
        result.add(
            ARCHIVING, failed_wal or "archiver",
            f"archiving is failing (segment {failed_wal}): the server keeps its WAL in pg_wal "
            f"until {repo.wal_dir} can be written again, and pg_wal grows meanwhile",
            float(failed), 0.0,
        )


def _receiver(settings: Settings, repo: LocalRepository, slot: Any, result: Status) -> None:
    name, active, pid, wal_status, _restart_lsn, retained = slot
    limit = settings.backup_slot_max_retained_mb
    found = archive.segments(repo.wal_dir)
    received = ""
    if found:
        newest = found[-1].name
        age = datetime.now(UTC) - datetime.fromtimestamp((repo.wal_dir / newest).stat().st_mtime, UTC)
        received = f", last segment received {newest} {_age(age)} ago"
    result.lines.append(
        f"WAL receiver: slot {name} " + (f"active (pid {pid} on the server)" if active else "inactive")
        + f", the server keeps {_bytes(retained)} of WAL for it{received}"
    )
    drop = f"`ikenei backup receive-wal --drop-slot` (or SELECT pg_drop_replication_slot('{name}'))"
    if not active:
        result.add(
            WAL_SLOT, name,
            f"the WAL receiver is not running (replication slot {name} is inactive): the server keeps "
            f"every WAL segment since in pg_wal for it ({_bytes(retained)} so far), and pg_wal grows "
            f"until `ikenei backup receive-wal` runs again or the slot is dropped with {drop}",
            0.0, 1.0,
        )
    if retained > limit * MIB:
        result.add(
            WAL_SLOT, name,
            f"replication slot {name} keeps {_bytes(retained)} of WAL on the server, more than "
            f"BACKUP_SLOT_MAX_RETAINED_MB ({limit}): the receiver is behind or stopped; "
            f"if it will not run again, drop the slot with {drop}",
            retained / MIB, float(limit),
        )
    if wal_status == "lost":
        result.add(
            WAL_SLOT, name,
            f"replication slot {name} has lost WAL the server removed (max_slot_wal_keep_size): the "
            "archive has a gap; drop the slot, start the receiver again and take a full backup",
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
