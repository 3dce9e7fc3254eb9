"""Checking backups: ``ikenei backup verify [ID] [--drill]``.

Without ``--drill`` nothing is started; each check reads what is stored:

- every physical backup against its manifest (``pg_verifybackup``: files
  missing, extra, of another size or checksum; the manifest's own checksum;
  the WAL from the backup's start to its end, read from the archive);
- the cluster each backup belongs to, against the repository's;
- each incremental backup's chain: the parent is there, and the backup was
  taken against it (``INCREMENTAL FROM LSN`` is the parent's start; and a dry
  run of ``pg_combinebackup`` over the chain);
- the WAL archive from the oldest backup's start to the newest segment: no
  segment missing, and every record readable in order (``pg_waldump``), so a
  segment replaced by another's content is found;
- the off-site copy, when there is one: every object present and authentic.

``--drill`` then restores the backup (the newest, or ID) into a scratch
directory, starts it on a private socket and checks the data there: the
schema of the configured database (``ikenei verify``), ``amcheck`` on every
B-tree index with its table, and the row count of every table; then removes
it. The catalog records each backup's result.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ikenei.backup import archive, instance, restore, server, tools
from ikenei.backup.catalog import Backup, Problem, chain_of
from ikenei.backup.repository import LocalRepository
from ikenei.errors import BackupError

if TYPE_CHECKING:
    from ikenei.config.settings import Settings

Out = Callable[[str], Any]
_INCREMENTAL_FROM = re.compile(r"^INCREMENTAL FROM LSN: (\S+)$", re.MULTILINE)


@dataclass
class DrillResult:
    backup_id: str
    row_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # database -> table -> rows
    indexes_checked: int = 0
    schema_ok: bool | None = None


@dataclass
class Report:
    problems: list[Problem]
    checked: list[str]
    drill: DrillResult | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(
    settings: Settings,
    backup_id: str | None = None,
    *,
    drill: bool = False,
    out: Out = print,
    inspect: Callable[[instance.Instance], Any] | None = None,
) -> Report:
    """Check the repository (every backup, or ``backup_id``); with ``drill``, restore and check data.

    ``inspect`` is called with the drill's running copy before it is checked
    and removed (to compare it with its source).
    """
    repo = LocalRepository(settings.backup_repository_path)
    repo.require()
    with repo.lock("backup verify"):
        report = _verify(settings, repo, backup_id, out)
        if drill and report.ok:
            target = backup_id or _newest_physical(repo)
            report.drill = drill_backup(settings, repo, target, out=out, inspect=inspect)
        _record(repo, report)
    for problem in report.problems:
        out(f"problem: {problem}")
    out(
        f"verified {len(report.checked)} backup(s): "
        + ("no problem" if report.ok else f"{len(report.problems)} problem(s)")
    )
    return report


def _newest_physical(repo: LocalRepository) -> str:
    physical = [b for b in repo.backups() if b.point_in_time]
    if not physical:
        raise BackupError(f"the repository {repo.path} has no physical backup to drill")
    return physical[-1].id


def _verify(settings: Settings, repo: LocalRepository, backup_id: str | None, out: Out) -> Report:
    problems: list[Problem] = []
    try:
        backups = repo.backups()
    except BackupError as exc:
        return Report([Problem("repository", str(exc))], [])
    by_id = {b.id: b for b in backups}
    chosen = [repo.get(backup_id)] if backup_id is not None else backups
    system = repo.system_identifier()
    for backup in chosen:
        out(f"checking {backup.id} ({backup.kind})")
        problems += _check_backup(repo, backup, by_id, system)
    physical = [b for b in backups if b.point_in_time]
    if physical and archive.segments(repo.wal_dir):
        problems += _check_wal(repo, physical)
    if settings.backup_remote_url is not None:
        from ikenei.backup import remote

        problems += remote.verify(settings, repo, out=out)
    return Report(problems, [b.id for b in chosen])


def _check_backup(
    repo: LocalRepository, backup: Backup, by_id: dict[str, Backup], system: str | None
) -> list[Problem]:
    problems = []
    data = repo.data_dir(backup.id)
    if system is not None and backup.system_identifier != system:
        problems.append(Problem(
            backup.id,
            f"is a backup of cluster {backup.system_identifier}, not of this repository's "
            f"cluster {system}",
        ))
    if not backup.point_in_time:
        if not (data / "toc.dat").is_file():
            problems.append(Problem(backup.id, "the dump's table of contents (toc.dat) is missing"))
        return problems
    manifest_system = _manifest_system_identifier(data)
    if manifest_system is not None and manifest_system != backup.system_identifier:
        problems.append(Problem(
            backup.id,
            f"its manifest is of cluster {manifest_system}, its catalog record says "
            f"{backup.system_identifier}",
        ))
    if backup.kind == "incremental":
        problems += _check_chain(repo, backup, by_id)
    wal_dir = repo.wal_dir if archive.segments(repo.wal_dir) else None
    args = [str(data)]
    if wal_dir is not None and not any((data / "pg_wal").glob("0*")):
        args += ["--wal-directory", str(wal_dir)]
    try:
        # The server's own version where installed: WAL formats differ between versions.
        tools.run(
            "pg_verifybackup", ["-q", *args], what="pg_verifybackup",
            major=tools.matching_major(backup.server_version // 10000),
        )
    except BackupError as exc:
        problems.append(Problem(backup.id, str(exc).removeprefix("pg_verifybackup failed: ")))
    return problems


def _check_chain(repo: LocalRepository, backup: Backup, by_id: dict[str, Backup]) -> list[Problem]:
    chain = [backup]
    while chain[0].parent is not None:
        parent = by_id.get(chain[0].parent)
        if parent is None:
            return [Problem(
                backup.id,
                f"is incremental on {chain[0].parent}, which is gone: it cannot be restored",
            )]
        if parent in chain:
            return [Problem(backup.id, "its chain of parents loops")]
        chain.insert(0, parent)
    problems = []
    for parent, child in pairwise(chain):
        try:
            label = (repo.data_dir(child.id) / "backup_label").read_text()
        except OSError:
            return [Problem(child.id, "backup_label is missing")]
        found = _INCREMENTAL_FROM.search(label)
        if found is None or archive.lsn_number(found.group(1)) != archive.lsn_number(parent.start_lsn or "0/0"):
            problems.append(Problem(
                child.id,
                f"was not taken against {parent.id} (it continues from LSN "
                f"{found.group(1) if found else '?'}, {parent.id} starts at {parent.start_lsn}): "
                "the chain is out of order",
            ))
    if problems:
        return problems
    scratch = Path(tempfile.mkdtemp(prefix="ikenei-combine-check-"))
    try:
        tools.run(
            "pg_combinebackup",
            ["-n", *(str(repo.data_dir(b.id)) for b in chain), "-o", str(scratch / "out")],
            what="pg_combinebackup --dry-run",
        )
    except BackupError as exc:
        problems.append(Problem(backup.id, str(exc)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return problems


def _manifest_system_identifier(data: Path) -> str | None:
    try:
        head = (data / "backup_manifest").read_text(errors="replace")[:400]
    except OSError:
        return None
    found = re.search(r'"System-Identifier": (\d+)', head)
    return found.group(1) if found else None


def _check_wal(repo: LocalRepository, physical: list[Backup]) -> list[Problem]:
    oldest = physical[0]
    timeline = oldest.timeline or 1
    first = archive.Segment.of_lsn(oldest.start_lsn or "0/0", timeline)
    problems = [
        Problem("wal", f"segment {name} is missing from the archive (a gap: no restore can pass it)")
        for name in archive.gaps(archive.segments(repo.wal_dir), first)
    ]
    scan = archive.scan(repo.wal_dir, oldest.start_lsn or "0/0", timeline, oldest.server_version)
    if scan.error is not None and not (
        scan.bad_segment and any(scan.bad_segment in p.message for p in problems)
    ):
        where = f"segment {scan.bad_segment}" if scan.bad_segment else "the archive"
        problems.append(Problem("wal", f"{where} cannot be read in sequence: {scan.error}"))
    return problems


def _record(repo: LocalRepository, report: Report) -> None:
    when = datetime.now(UTC)
    for backup_id in report.checked:
        try:
            backup = repo.get(backup_id)
        except BackupError:
            continue
        ok = not any(p.subject in (backup_id, "wal") for p in report.problems)
        repo.save(backup.with_(verified=ok, verified_at=when))


def row_counts(conn: Any) -> dict[str, int]:
    """Exact rows of every table of the connection's database (``schema.table`` -> rows)."""
    server.q().create_row_counter(conn)
    return {name: rows for name, rows in server.q().table_row_counts(conn)}


# -- the drill ------------------------------------------------------------------


def drill_backup(
    settings: Settings,
    repo: LocalRepository,
    backup_id: str,
    *,
    out: Out = print,
    inspect: Callable[[instance.Instance], Any] | None = None,
) -> DrillResult:
    """Restore ``backup_id`` into a scratch directory, check the data there, remove it."""
    backup = repo.get(backup_id)
    chain = chain_of(backup, {b.id: b for b in repo.backups()})
    scratch = Path(tempfile.mkdtemp(prefix="ikenei-drill-"))
    scratch.chmod(0o755)
    target = scratch / "data"
    result = DrillResult(backup_id)
    out(f"drill: restoring {backup_id} into a scratch directory")
    try:
        restore.materialize(repo, chain, target)
        restore.configure_recovery(target, repo.wal_dir, {"recovery_target": "immediate"})
        running = instance.start(target)
        try:
            instance.wait_until(lambda: restore.promoted(running), timeout=3600, what="recovery", data_dir=target)
            if inspect is not None:
                inspect(running)
            result = _check_data(settings, running, backup_id, out)
        finally:
            instance.stop(target, immediate=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return result


def _check_data(settings: Settings, running: instance.Instance, backup_id: str, out: Out) -> DrillResult:
    result = DrillResult(backup_id)
    with server.connect(running.url(), "the drill's copy") as conn:
        databases = [row[0] for row in server.q().user_databases(conn)]
    problems: list[str] = []
    for database in databases:
        with server.connect(running.url(database), f"database {database} of the drill's copy") as conn:
            counts = row_counts(conn)
            result.row_counts[database] = counts
            server.q().ensure_amcheck(conn)
            try:
                checked = list(server.q().check_btree_indexes(conn))
            except Exception as exc:  # noqa: BLE001 - amcheck reports corruption as an error
                problems.append(f"amcheck in {database}: {str(exc).splitlines()[0]}")
                checked = []
            result.indexes_checked += len(checked)
            migrated = database == settings.database and server.q().holds_migrations(conn)
        out(f"drill: {database}: {len(counts)} tables, {sum(counts.values())} rows, "
            f"{len(checked)} indexes checked")
        if migrated:
            problems += _schema_problems(running.url(database), result, out)
    if problems:
        raise BackupError(f"drill of {backup_id} found: " + "; ".join(problems[:10]))
    return result


def _schema_problems(dsn: str, result: DrillResult, out: Out) -> list[str]:
    from ikenei.schema import verify as schema_verify

    lines: list[str] = []
    result.schema_ok = schema_verify.run(dsn, out=lines.append)
    out(f"drill: schema: {'ok' if result.schema_ok else 'FAILED'}")
    return [line for line in lines if line.startswith(("missing", "pending"))]

