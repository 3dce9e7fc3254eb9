"""Taking a backup: ``ikenei backup run [--full | --incremental | --logical]``.

A physical backup is ``pg_basebackup`` in plain format into
``backups/<id>.partial/data``, renamed into place once complete and recorded.
On a server that archives into this repository (the embedded one) it is
taken without WAL of its own (``-X none``): the server then waits until the
WAL the backup needs is archived, so the backup restores on its own from the
repository. A server that does not archive here (an existing one) gets the
WAL streamed into the backup instead (``-X stream``), so that one restores
too, to its end point. Incremental backups (PostgreSQL 17+, with
``summarize_wal``) are taken against the newest backup of the same cluster.

A logical backup (``--logical``) is ``pg_dump -Fd -j`` of the configured
database: it works against any server and any role that may read the data,
and gives no point-in-time recovery.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ikenei.backup import server, tools
from ikenei.backup.catalog import Backup
from ikenei.backup.repository import LocalRepository, directory_bytes
from ikenei.errors import BackupError

if TYPE_CHECKING:
    from ikenei.config.settings import Settings

Out = Callable[[str], Any]
Requested = Literal["auto", "full", "incremental"]
_LABEL = re.compile(r"^([A-Z ]+): (.*)$", re.MULTILINE)
_DUMP_JOBS = 2


def repository_of(settings: Settings) -> LocalRepository:
    return LocalRepository(settings.backup_repository_path)


def run(
    settings: Settings,
    *,
    kind: Requested = "auto",
    logical: bool = False,
    out: Out = print,
    progress: bool | None = None,
) -> Backup:
    """Take one backup into the primary repository (and copy it off-site if configured)."""
    from ikenei import embedded

    settings = embedded.started(settings)  # the explicit step: reading settings starts nothing
    repo = repository_of(settings)
    repo.create()
    dsn = settings.dsn(settings.database if logical else "postgres")
    password = tools.password_of(dsn)
    shown = settings.dsn(include_password=False) if logical else settings.dsn("postgres", include_password=False)
    with repo.lock("backup run"):
        with server.connect(dsn, settings.target) as conn:
            facts = server.facts(conn)
        if logical:
            backup = _logical(repo, settings, facts, shown, password, out)
        else:
            repo.check_claim(facts.system_identifier)
            backup = _physical(repo, facts, shown, password, kind, out, progress)
            repo.claim(facts.system_identifier)
        if settings.backup_remote_url is not None:
            from ikenei.backup import remote

            backup = remote.push(settings, repo, backup, out=out)
    return backup


def _physical(
    repo: LocalRepository,
    facts: server.Facts,
    dsn: str,
    password: str | None,
    requested: Requested,
    out: Out,
    progress: bool | None,
) -> Backup:
    if not facts.may_replicate:
        raise BackupError(
            "the login role may not replicate, so no physical backup can be taken: "
            "ALTER ROLE <role> REPLICATION and a `host replication <role> ...` line in "
            "pg_hba.conf grant it; or take a logical one with `ikenei backup run --logical`"
        )
    previous = [b for b in repo.backups() if b.point_in_time and b.system_identifier == facts.system_identifier]
    parent = previous[-1] if previous else None
    kind = "full"
    if requested == "incremental" and not facts.incremental_possible:
        raise BackupError(
            "incremental backups need PostgreSQL 17+ with summarize_wal = on "
            f"(this server: {facts.version_num // 10000}, summarize_wal {facts.summarize_wal})"
        )
    if requested != "full" and parent is not None and facts.incremental_possible:
        kind = "incremental"
    elif requested == "incremental" and parent is None:
        out("no earlier backup of this cluster: taking a full one")
    started = datetime.now(UTC)
    backup_id = repo.new_id(kind, started)
    partial = repo.partial_dir(backup_id)
    partial.mkdir(parents=True)
    target = partial / "data"
    args = [
        "-d", dsn, "-D", str(target), "-F", "p", "-c", "fast",
        "-X", "none" if facts.archives_into(repo.wal_dir) else "stream",
        "--manifest-checksums=SHA256", "-l", f"ikenei {backup_id}",
    ]
    if kind == "incremental":
        assert parent is not None
        args += ["-i", str(repo.data_dir(parent.id) / "backup_manifest")]
    show_progress = sys.stderr.isatty() if progress is None else progress
    if show_progress:
        args.append("-P")
    out(f"backup {backup_id}: {kind}" + (f" on {parent.id}" if kind == "incremental" and parent else "") + " ...")
    try:
        tools.run(
            "pg_basebackup", args, password=password, what="pg_basebackup",
            capture=not show_progress,
        )
        stopped = datetime.now(UTC)
        backup = _describe(target, backup_id, kind, parent.id if kind == "incremental" and parent else None,
                           started, stopped, facts)
        repo.complete(backup)
    except BaseException as exc:
        repo.discard_partial(backup_id)
        if isinstance(exc, BackupError):
            raise explained(exc) from None
        raise
    out(f"backup {backup.id}: done, {_size(backup.size_bytes)}, LSN {backup.start_lsn} - {backup.stop_lsn}")
    return backup


def _describe(
    data: Path, backup_id: str, kind: str, parent: str | None, started: datetime, stopped: datetime,
    facts: server.Facts,
) -> Backup:
    label = dict(_LABEL.findall((data / "backup_label").read_text()))
    manifest = json.loads((data / "backup_manifest").read_text())
    ranges = manifest["WAL-Ranges"]
    system = str(manifest.get("System-Identifier") or facts.system_identifier)
    return Backup(
        id=backup_id,
        kind=kind,  # type: ignore[arg-type]
        parent=parent,
        start_time=started,
        stop_time=stopped,
        start_lsn=label["START WAL LOCATION"].split()[0],
        stop_lsn=ranges[-1]["End-LSN"],
        timeline=int(label["START TIMELINE"]),
        system_identifier=system,
        server_version=facts.version_num,
        size_bytes=directory_bytes(data),
    )


def _logical(
    repo: LocalRepository, settings: Settings, facts: server.Facts, dsn: str, password: str | None, out: Out
) -> Backup:
    started = datetime.now(UTC)
    backup_id = repo.new_id("logical", started)
    partial = repo.partial_dir(backup_id)
    partial.mkdir(parents=True)
    out(
        f"backup {backup_id}: logical (pg_dump of {settings.database}); "
        "a logical backup restores the database as it was when it was taken, "
        "with no point-in-time recovery"
    )
    try:
        # The server's own version of pg_dump where it is installed: the
        # wheel's newer pg_restore would write settings an older server
        # refuses (transaction_timeout) when the dump is restored there.
        tools.run(
            "pg_dump", ["-d", dsn, "-F", "d", "-j", str(_DUMP_JOBS), "-f", str(partial / "data")],
            password=password, what="pg_dump", major=tools.matching_major(facts.version_num // 10000),
        )
        backup = Backup(
            id=backup_id, kind="logical", parent=None, start_time=started,
            stop_time=datetime.now(UTC), start_lsn=None, stop_lsn=None, timeline=None,
            system_identifier=facts.system_identifier, server_version=facts.version_num,
            size_bytes=directory_bytes(partial / "data"), database=settings.database,
        )
        repo.complete(backup)
    except BaseException:
        repo.discard_partial(backup_id)
        raise
    out(f"backup {backup.id}: done, {_size(backup.size_bytes)}")
    return backup


def explained(exc: BackupError, otherwise: str = "; or use `ikenei backup run --logical`") -> BackupError:
    """A replication refusal of PostgreSQL's programs as one line saying what to grant."""
    text = str(exc)
    if "replication connection" in text and "pg_hba.conf" in text:
        return BackupError(
            "the server refuses replication connections from this login (no `replication` "
            "line for it in pg_hba.conf): add `host replication <role> <address> <method>` and "
            f"reload, grant ALTER ROLE <role> REPLICATION{otherwise}"
        )
    if "must be superuser or replication role" in text or "permission denied to start WAL sender" in text:
        return BackupError(f"the login role may not replicate: ALTER ROLE <role> REPLICATION{otherwise}")
    return exc


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{n} B"
        value /= 1024
    return f"{n} B"
