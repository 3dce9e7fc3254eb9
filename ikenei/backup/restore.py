"""Restoring: ``ikenei backup restore (--latest | --to-time T | --to-name NAME | --id ID) --target DIR``.

The data directory is built in DIR from the chosen backup (an incremental
chain combined by ``pg_combinebackup``), told how to fetch archived WAL and
where to stop, then started on a private socket until recovery has reached
the point and the server has been promoted; then stopped again, or left
running with ``--start`` (its URL is the last line printed). A restored copy
does not archive (it would write a new timeline into the repository of the
server it was copied from). Whatever fails, DIR is removed again if this
command made it: nothing half-restored is left behind, and nothing in the
repository or the running server is changed.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ikenei import embedded
from ikenei.backup import archive, instance, server, tools
from ikenei.backup.catalog import Backup, chain_of
from ikenei.backup.repository import LocalRepository
from ikenei.errors import BackupError

if TYPE_CHECKING:
    from ikenei.config.settings import Settings

Out = Callable[[str], Any]
#: Seconds a restored server may take to replay the WAL it needs.
RECOVERY_TIMEOUT = 3600.0


@dataclass(frozen=True)
class Window:
    """The points in time the repository can restore to."""

    earliest: datetime | None
    latest: datetime | None

    def describe(self) -> str:
        if self.earliest is None or self.latest is None:
            return "the repository has no backup to restore from"
        return f"{_when(self.earliest)} to {_when(self.latest)}"


@dataclass(frozen=True)
class Restored:
    target: Path
    chain: tuple[str, ...]
    point: str
    url: str | None


def window(repo: LocalRepository, backups: list[Backup] | None = None) -> Window:
    """From the end of the oldest backup to the last commit the archive holds (or the newest backup's end)."""
    physical = [b for b in (backups if backups is not None else repo.backups()) if b.point_in_time]
    if not physical:
        return Window(None, None)
    oldest, newest = physical[0], physical[-1]
    scan = archive.scan(repo.wal_dir, newest.start_lsn or "0/0", newest.timeline or 1, newest.server_version)
    latest = max(newest.stop_time, scan.last_commit) if scan.last_commit else newest.stop_time
    return Window(oldest.stop_time, latest)


def restore(
    settings: Settings,
    target: Path,
    *,
    backup_id: str | None = None,
    to_time: datetime | None = None,
    to_name: str | None = None,
    latest: bool = False,
    start: bool = False,
    out: Out = print,
) -> Restored:
    chosen = [x for x in (backup_id, to_time, to_name) if x is not None] + ([True] if latest else [])
    if len(chosen) != 1:
        raise BackupError("say what to restore: one of --latest, --to-time, --to-name, --id")
    target = target.expanduser().resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(
            f"--target {target} exists and is not empty; give a new or empty directory "
            "(a restore never writes over existing files)"
        )
    repo, staging = _source(settings, out)
    try:
        return _restore(repo, target, backup_id, to_time, to_name, start, out)
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def _source(settings: Settings, out: Out) -> tuple[LocalRepository, Path | None]:
    """The primary repository, or (when it is gone) a copy of the remote's fetched for this restore."""
    repo = LocalRepository(settings.backup_repository_path)
    try:
        repo.require()
        if repo.backups():
            return repo, None
    except BackupError:
        if settings.backup_remote_url is None:
            raise
    if settings.backup_remote_url is None:
        return repo, None
    from ikenei.backup import remote

    out(f"the primary repository {repo.path} has no backup: restoring from {settings.backup_remote_url}")
    staging = Path(tempfile.mkdtemp(prefix="ikenei-restore-"))
    staging.chmod(0o755)
    try:
        local = LocalRepository(staging)
        local.create()
        remote.fetch_all(settings, local, out=out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return local, staging


def _restore(
    repo: LocalRepository,
    target: Path,
    backup_id: str | None,
    to_time: datetime | None,
    to_name: str | None,
    start: bool,
    out: Out,
) -> Restored:
    backups = [b for b in repo.backups() if b.point_in_time]
    by_id = {b.id: b for b in repo.backups()}
    recovery: dict[str, str]
    if backup_id is not None:
        backup = repo.get(backup_id)
        if not backup.point_in_time:
            raise BackupError(
                f"backup {backup_id} is logical: it restores into a new database, "
                "not a data directory (`ikenei backup restore --id ID --database NAME`)"
            )
        recovery = {"recovery_target": "immediate"}
        point = f"the end of backup {backup.id}"
    elif to_time is not None:
        if to_time.tzinfo is None:
            raise BackupError("--to-time needs a time zone, e.g. 2026-12-04T10:15:00+00:00")
        span = window(repo, backups)
        if span.earliest is None or span.latest is None:
            raise BackupError(span.describe())
        if not span.earliest <= to_time <= span.latest:
            raise BackupError(
                f"{_when(to_time)} is outside the recoverable window, {span.describe()}"
            )
        backup = [b for b in backups if b.stop_time <= to_time][-1]
        recovery = {"recovery_target_time": to_time.isoformat()}
        point = _when(to_time)
    elif to_name is not None:
        backup, lsn = _backup_before_point(repo, backups, to_name)
        recovery = {"recovery_target_name": to_name}
        point = f"restore point {to_name!r} (LSN {lsn})"
    else:
        if not backups:
            raise BackupError(f"the repository {repo.path} has no backup to restore from")
        backup = backups[-1]
        recovery = {}
        point = "the end of the archived WAL"
    chain = chain_of(backup, by_id)
    out(f"restoring {' + '.join(b.id for b in chain)} into {target}, recovering to {point}")
    made = not target.exists()
    try:
        materialize(repo, chain, target)
        configure_recovery(target, repo.wal_dir, recovery)
        running = instance.start(target)
        try:
            instance.wait_until(
                lambda: promoted(running), timeout=RECOVERY_TIMEOUT,
                what="recovery", data_dir=target,
            )
        except BaseException:
            instance.stop(target, immediate=True)
            raise
        url: str | None = running.url()
        if not start:
            instance.stop(target)
            url = None
    except BaseException as exc:
        if made:
            shutil.rmtree(target, ignore_errors=True)
        else:
            for child in target.iterdir() if target.exists() else ():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        if isinstance(exc, BackupError):
            raise BackupError(f"restore failed, nothing was kept: {exc}") from None
        raise
    out(f"restored to {point} in {target}")
    if url is not None:
        out(f"running on a private socket; `ikenei db stop --data-dir {target}` stops it")
        out(url)
    return Restored(target, tuple(b.id for b in chain), point, url)


def _backup_before_point(repo: LocalRepository, backups: list[Backup], name: str) -> tuple[Backup, str]:
    if not backups:
        raise BackupError(f"the repository {repo.path} has no backup to restore from")
    oldest = backups[0]
    scan = archive.scan(repo.wal_dir, oldest.start_lsn or "0/0", oldest.timeline or 1, oldest.server_version)
    lsn = scan.restore_points.get(name)
    if lsn is None:
        known = ", ".join(sorted(scan.restore_points)[-5:]) or "none"
        raise BackupError(f"no restore point {name!r} in the archived WAL (known: {known})")
    candidates = [b for b in backups if archive.lsn_number(b.stop_lsn or "0/0") <= archive.lsn_number(lsn)]
    if not candidates:
        raise BackupError(f"restore point {name!r} is older than every backup kept")
    return candidates[-1], lsn


def materialize(repo: LocalRepository, chain: list[Backup], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if len(chain) == 1:
        shutil.copytree(repo.data_dir(chain[0].id), target, symlinks=True, dirs_exist_ok=True)
    else:
        if target.exists():
            target.rmdir()
        tools.run(
            "pg_combinebackup",
            [*(str(repo.data_dir(b.id)) for b in chain), "-o", str(target)],
            what="pg_combinebackup",
        )
    (target / "pg_wal").mkdir(exist_ok=True)
    # A cluster whose configuration lives outside its data directory (Debian's
    # /etc/postgresql) leaves none in its backup: the copy gets a minimal one,
    # local connections on its private socket only.
    if not (target / "postgresql.conf").exists():
        (target / "postgresql.conf").write_text("# Written by ikenei backup restore\n")
    if not (target / "pg_hba.conf").exists():
        (target / "pg_hba.conf").write_text("# Written by ikenei backup restore\nlocal all all trust\n")
    # What a running origin leaves in its data directory and a copy must not
    # have: its pid file, options, log, and the lock of a socket kept there.
    for leftover in ("postmaster.pid", "postmaster.opts", "log", *_socket_locks(target)):
        (target / leftover).unlink(missing_ok=True)


def _socket_locks(target: Path) -> list[str]:
    return [p.name for p in target.glob(".s.PGSQL.*")]


def configure_recovery(target: Path, wal_dir: Path, recovery: dict[str, str]) -> None:
    values = {
        # A segment still being received from an existing server is
        # "<segment>.partial" (see ikenei.backup.receiver): used only when the
        # archive has no complete segment of that name, as the last one.
        "restore_command": f'cp "{wal_dir}/%f" "%p" 2>/dev/null || cp "{wal_dir}/%f.partial" "%p"',
        **recovery,
        "recovery_target_action": "promote",
        # A restored copy must not archive into its origin's repository.
        "archive_mode": "off",
    }
    with (target / "postgresql.auto.conf").open("a") as conf:
        conf.write("\n# Written by ikenei backup restore\n")
        for name, value in values.items():
            conf.write(f"{name} = '{value.replace(chr(39), chr(39) * 2)}'\n")
    (target / "recovery.signal").touch()
    target.chmod(0o700)
    embedded.make_reachable(target)
    tools.give_to_server(target, recursive=True)


def promoted(running: instance.Instance) -> bool:
    try:
        with server.connect(running.url(), "the restored server") as conn:
            return not server.q().in_recovery(conn)
    except Exception:  # noqa: BLE001 - not accepting connections yet
        if instance.running(running.data_dir) is None and not (running.data_dir / "postmaster.pid").exists():
            raise BackupError("the restored server stopped" + instance.log_tail(running.data_dir)) from None
        return False


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"


def now() -> datetime:
    return datetime.now(UTC)


def restore_logical(settings: Settings, backup_id: str, database: str, *, out: Out = print) -> str:
    """A logical backup into a new database ``database`` on the configured server; its URL.

    The database must not exist (a restore never writes into existing data);
    a failed restore drops the database it made.
    """
    from ikenei.schema import migrations

    repo = LocalRepository(settings.backup_repository_path)
    repo.require()
    backup = repo.get(backup_id)
    if backup.point_in_time:
        raise BackupError(f"backup {backup_id} is physical: restore it with --target DIR")
    settings = embedded.started(settings)  # the explicit step: reading settings starts nothing
    admin = settings.dsn("postgres")
    target = settings.dsn(database)
    try:
        migrations.create_database(admin, database)
    except Exception as exc:  # noqa: BLE001 - psycopg's DuplicateDatabase and its kin
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BackupError(f"cannot create database {database!r} for the restore: {reason}") from None
    out(f"restoring logical backup {backup_id} (of {backup.database}) into new database {database}")
    try:
        tools.run(
            "pg_restore",
            ["--no-owner", "--exit-on-error", "-j", "2", "-d", settings.dsn(database, include_password=False),
             str(repo.data_dir(backup_id))],
            password=tools.password_of(target), what="pg_restore",
            major=tools.matching_major(backup.server_version // 10000),
        )
    except BaseException:
        migrations.drop_database(admin, database)
        raise
    out(f"restored into {database}")
    return settings.dsn(database, include_password=False)


def restore_in_place(
    settings: Settings,
    *,
    backup_id: str | None = None,
    to_time: datetime | None = None,
    to_name: str | None = None,
    latest: bool = False,
    out: Out = print,
) -> Path:
    """Replace the embedded server's data directory with a restored one; the old one's new place.

    The restore is made beside it first (``pgdata.restoring``); only once it
    has recovered is the server stopped and the directories swapped. The old
    directory stays aside (``pgdata.before-restore-<time>``) until the
    restored one has started; if it does not start, the old one is put back
    and started again. The restored server archives again, on a new timeline.
    """
    from ikenei import embedded

    if not settings.uses_embedded:
        raise BackupError(
            "--in-place replaces the embedded server's data; for an existing server restore "
            "with --target DIR and point that server at it"
        )
    live = embedded.pgdata()
    staging = live.with_name("pgdata.restoring")
    if staging.exists():
        raise BackupError(f"{staging} exists (an interrupted in-place restore?); remove it first")
    restore(settings, staging, backup_id=backup_id, to_time=to_time, to_name=to_name,
            latest=latest, out=out)
    _archive_again(staging, LocalRepository(settings.backup_repository_path))
    aside = live.with_name(f"pgdata.before-restore-{now():%Y%m%dT%H%M%SZ}")
    embedded.stop()
    live.rename(aside)
    staging.rename(live)
    try:
        embedded.start()
    except BaseException:
        live.rename(staging.with_name("pgdata.failed-restore"))
        aside.rename(live)
        embedded.start()
        raise
    out(f"the embedded server runs on the restored data; the old data directory is kept at {aside}")
    return aside


def _archive_again(data: Path, repo: LocalRepository) -> None:
    """Undo the restore's ``archive_mode = 'off'`` and archive the new timeline's history file,
    which was written while archiving was off."""
    conf = data / "postgresql.auto.conf"
    lines = [line for line in conf.read_text().splitlines() if not line.startswith("archive_mode = ")]
    conf.write_text("\n".join(lines) + "\n")
    for history in (data / "pg_wal").glob("*.history"):
        target = repo.wal_dir / history.name
        if not target.exists():
            shutil.copyfile(history, target)
            tools.give_to_server(target)
