"""Retention: ``ikenei backup expire [--dry-run]`` keeps ``BACKUP_RETENTION_DAYS`` restorable.

What is kept, so that every point of the last N days can be restored:

- every backup that ended within the last N days;
- the newest backup that ended before that (the points between the start of
  the window and the next backup are restored from it);
- every backup a kept incremental depends on, down to its full backup;
- the newest backup, whatever its age (a repository is never emptied);
- all WAL from the start of the oldest kept physical backup on.

Everything else is deleted, here and off-site: backups first, then the WAL
no kept backup needs. Nothing a kept backup or the window needs is ever
deleted; ``--dry-run`` says what would go and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ikenei.backup import archive
from ikenei.backup.catalog import Backup, chain_of
from ikenei.backup.repository import LocalRepository

if TYPE_CHECKING:
    from ikenei.config.settings import Settings

Out = Callable[[str], Any]


@dataclass(frozen=True)
class Expiry:
    removed: tuple[str, ...]
    kept: tuple[str, ...]
    wal_removed: tuple[str, ...]
    earliest: datetime | None  # the new start of the window


def plan(backups: list[Backup], days: int, now: datetime) -> tuple[list[Backup], list[Backup]]:
    """(kept, removed) for ``backups`` under a window of ``days`` ending ``now``."""
    if not backups:
        return [], []
    cutoff = now - timedelta(days=days)
    by_id = {b.id: b for b in backups}
    keep: dict[str, Backup] = {}
    ordered = sorted(backups, key=lambda b: (b.stop_time, b.id))
    for kind_filter in (lambda b: b.point_in_time, lambda b: not b.point_in_time):
        group = [b for b in ordered if kind_filter(b)]
        if not group:
            continue
        recent = [b for b in group if b.stop_time >= cutoff]
        older = [b for b in group if b.stop_time < cutoff]
        anchors = recent + older[-1:] + group[-1:]
        for backup in anchors:
            try:
                chain = chain_of(backup, by_id)
            except Exception:  # noqa: BLE001 - a broken chain keeps what is there
                chain = [backup]
            for member in chain:
                keep[member.id] = member
    kept = [b for b in ordered if b.id in keep]
    removed = [b for b in ordered if b.id not in keep]
    return kept, removed


def expire(
    settings: Settings,
    *,
    dry_run: bool = False,
    now: datetime | None = None,
    out: Out = print,
) -> Expiry:
    repo = LocalRepository(settings.backup_repository_path)
    repo.require()
    moment = now or datetime.now(UTC)
    with repo.lock("backup expire"):
        kept, removed = plan(repo.backups(), settings.backup_retention_days, moment)
        physical = [b for b in kept if b.point_in_time]
        wal_doomed: list[str] = []
        if physical:
            oldest = physical[0]
            first = archive.Segment.of_lsn(oldest.start_lsn or "0/0", oldest.timeline or 1)
            wal_doomed = [s.name for s in archive.segments(repo.wal_dir) if s.number < first.number]
            wal_doomed += [
                p.name for p in repo.wal_dir.glob("*.backup")
                if archive.Segment.parse(p.name[:24]).number < first.number
            ]
        verb = "would remove" if dry_run else "removed"
        for backup in removed:
            out(f"{verb} backup {backup.id} ({backup.kind}, ended {backup.stop_time:%Y-%m-%d %H:%M})")
        if not dry_run:
            remote_on = settings.backup_remote_url is not None
            for backup in removed:
                if remote_on and "remote" in backup.copies:
                    from ikenei.backup import remote

                    remote.remove_backup(settings, backup.id)
                repo.remove(backup.id)
            for name in wal_doomed:
                (repo.wal_dir / name).unlink(missing_ok=True)
            if remote_on and wal_doomed:
                from ikenei.backup import remote

                remote.remove_wal(settings, wal_doomed)
        earliest = physical[0].stop_time if physical else None
        window = f"{earliest:%Y-%m-%d %H:%M} UTC" if earliest else "none"
        out(
            f"{verb} {len(removed)} backup(s) and {len(wal_doomed)} WAL file(s); "
            f"kept {len(kept)} backup(s); restorable from {window} (BACKUP_RETENTION_DAYS="
            f"{settings.backup_retention_days})"
        )
    return Expiry(
        tuple(b.id for b in removed), tuple(b.id for b in kept), tuple(wal_doomed), earliest
    )
