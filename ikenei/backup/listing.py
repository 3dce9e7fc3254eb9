"""``ikenei backup list [--json]``: every backup, the recoverable window, what is where.

Per backup: id, kind, parent, start and stop time and LSN, size, whether it
was verified, and in which repositories it is (``local``, ``remote``: the
remote's own listing, not only what the catalog remembers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ikenei.backup import archive
from ikenei.backup.repository import LocalRepository
from ikenei.backup.restore import window

if TYPE_CHECKING:
    from ikenei.config.settings import Settings


def describe(settings: Settings) -> dict[str, Any]:
    repo = LocalRepository(settings.backup_repository_path)
    repo.require()
    backups = repo.backups()
    remote_ids: set[str] | None = None
    remote_wal = 0
    if settings.backup_remote_url is not None:
        from ikenei.backup import remote

        names = remote.Remote(settings).names("")
        remote_ids = {n.split("/")[1] for n in names if n.startswith("backups/") and n.endswith(
            f"/data.tar.zst{remote.SUFFIX}")}
        remote_wal = sum(1 for n in names if n.startswith("wal/"))
    span = window(repo, backups)
    items = []
    for backup in backups:
        where = ["local"]
        if remote_ids is not None and backup.id in remote_ids:
            where.append("remote")
        items.append({
            "id": backup.id, "kind": backup.kind, "parent": backup.parent,
            "start_time": backup.start_time.isoformat(), "stop_time": backup.stop_time.isoformat(),
            "start_lsn": backup.start_lsn, "stop_lsn": backup.stop_lsn, "timeline": backup.timeline,
            "size_bytes": backup.size_bytes, "database": backup.database,
            "verified": backup.verified,
            "verified_at": backup.verified_at.isoformat() if backup.verified_at else None,
            "repositories": where,
        })
    repositories: dict[str, Any] = {
        "local": {
            "path": str(repo.path), "backups": len(backups),
            "wal_segments": len(archive.segments(repo.wal_dir)),
        },
    }
    if remote_ids is not None:
        repositories["remote"] = {
            "url": settings.backup_remote_url, "backups": len(remote_ids), "wal_files": remote_wal,
        }
    return {
        "window": {
            "earliest": span.earliest.isoformat() if span.earliest else None,
            "latest": span.latest.isoformat() if span.latest else None,
        },
        "repositories": repositories,
        "backups": items,
    }


def lines(document: dict[str, Any]) -> list[str]:
    out = []
    for item in document["backups"]:
        verified = {True: "verified", False: "FAILED verification", None: "not verified"}[item["verified"]]
        parent = f" on {item['parent']}" if item["parent"] else ""
        lsn = f", LSN {item['start_lsn']} - {item['stop_lsn']}" if item["start_lsn"] else ""
        out.append(
            f"{item['id']}  {item['kind']}{parent}, {item['start_time'][:19]} - "
            f"{item['stop_time'][:19]}{lsn}, {item['size_bytes'] / 2**20:.1f} MiB, {verified}, "
            f"in {' and '.join(item['repositories'])}"
        )
    if not document["backups"]:
        out.append("no backups yet (`ikenei backup run`)")
    span = document["window"]
    if span["earliest"]:
        out.append(f"recoverable window: {span['earliest'][:23]} to {span['latest'][:23]}")
    for name, repository in document["repositories"].items():
        where = repository.get("path") or repository.get("url")
        out.append(f"{name} repository {where}: {repository['backups']} backup(s)")
    return out
