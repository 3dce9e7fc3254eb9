"""The primary repository: a directory (``BACKUP_REPOSITORY``, default ``.ikenei/backups``).

Layout::

    repository.json          format and the identity of the cluster it holds
    lock                     flock'ed by the command working on it; says who
    receiver.lock            flock'ed by `ikenei backup receive-wal` while it runs
    backups/<id>/backup.json the catalog record of one backup (ikenei.backup.catalog)
    backups/<id>/data/       what pg_basebackup wrote (or pg_dump -Fd, for a logical one)
    wal/                     the WAL archive, written by the server (basic_archive), or by
                             pg_receivewal for an existing server (`<segment>.partial`:
                             the segment it is writing, not yet complete)

A backup is written to ``backups/<id>.partial`` and renamed when complete: a
directory without that suffix is always a whole backup.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from ikenei.backup.catalog import RECORD, Backup, read_record, write_json
from ikenei.errors import BackupError, RepositoryLocked

META = "repository.json"
PARTIAL = ".partial"


class LocalRepository:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.backups_dir = path / "backups"
        self.wal_dir = path / "wal"

    def __repr__(self) -> str:
        return f"LocalRepository({self.path})"

    # -- existence -----------------------------------------------------------

    def create(self) -> None:
        """Make the directories (idempotent); ``BackupError`` when the place is not writable."""
        try:
            self.backups_dir.mkdir(parents=True, exist_ok=True)
            from ikenei.backup.archive import prepare_archive_directory

            prepare_archive_directory(self.wal_dir)
            if not os.access(self.path, os.W_OK):
                raise PermissionError(f"{self.path} is not writable")
        except OSError as exc:
            raise BackupError(
                f"the backup repository {self.path} cannot be written ({exc.strerror or exc}); "
                "set BACKUP_REPOSITORY to a writable directory"
            ) from None

    def require(self) -> None:
        """``BackupError`` unless the repository exists and can be read."""
        if not self.backups_dir.is_dir() or not os.access(self.backups_dir, os.R_OK | os.X_OK):
            raise BackupError(
                f"no readable backup repository at {self.path} (BACKUP_REPOSITORY); "
                "take a backup first with `ikenei backup run`, or point BACKUP_REPOSITORY at it"
            )
        try:
            list(self.backups_dir.iterdir())
        except OSError as exc:
            raise BackupError(f"the backup repository {self.path} cannot be read: {exc.strerror}") from None

    # -- the cluster it holds --------------------------------------------------

    def system_identifier(self) -> str | None:
        try:
            identifier: str = json.loads((self.path / META).read_text())["system_identifier"]
            return identifier
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError) as exc:
            raise BackupError(f"{self.path / META} is unreadable: {exc}") from None

    def check_claim(self, system_identifier: str) -> None:
        """``BackupError`` if the repository holds backups of another cluster."""
        held = self.system_identifier()
        if held is not None and held != system_identifier:
            raise BackupError(
                f"the repository {self.path} holds backups of cluster {held}, "
                f"but this server is cluster {system_identifier}; use another BACKUP_REPOSITORY"
            )

    def claim(self, system_identifier: str) -> None:
        """Bind the repository to one cluster (after its first backup)."""
        self.check_claim(system_identifier)
        if self.system_identifier() is None:
            write_json(self.path / META, {"format": 1, "system_identifier": system_identifier})

    # -- the lock --------------------------------------------------------------

    @contextmanager
    def lock(self, command: str, name: str = "lock") -> Iterator[None]:
        """Hold the repository for ``command``; ``RepositoryLocked`` naming the holder if taken.

        An flock: released by the kernel when the holder ends, however it ends,
        so a crashed command never leaves a stale lock. ``name`` is the lock's
        file: ``lock`` for the commands that change backups, ``receiver.lock``
        for the WAL receiver, which runs beside them.
        """
        path = self.path / name
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 400, 0).decode(errors="replace").strip() or "another command"
                raise RepositoryLocked(
                    f"the backup repository {self.path} is in use by {holder}; "
                    "try again when it has finished"
                ) from None
            since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            text = f"`ikenei {command}` (pid {os.getpid()} on {socket.gethostname()}, since {since})"
            os.ftruncate(fd, 0)
            os.pwrite(fd, text.encode(), 0)
            try:
                yield
            finally:
                os.ftruncate(fd, 0)
        finally:
            os.close(fd)

    # -- backups ---------------------------------------------------------------

    def backups(self) -> list[Backup]:
        """Every complete backup, oldest first."""
        if not self.backups_dir.is_dir():
            return []
        found = []
        for entry in self.backups_dir.iterdir():
            if entry.name.endswith(PARTIAL) or not (entry / RECORD).exists():
                continue
            found.append(read_record(entry / RECORD))
        return sorted(found, key=lambda b: (b.stop_time, b.id))

    def get(self, backup_id: str) -> Backup:
        path = self.backups_dir / backup_id / RECORD
        if "/" in backup_id or backup_id.startswith(".") or not path.exists():
            known = [b.id for b in self.backups()]
            hint = f"known: {', '.join(known[-5:])}" if known else "the repository has no backup"
            raise BackupError(f"no backup {backup_id!r} in {self.path}; {hint} (`ikenei backup list`)")
        return read_record(path)

    def data_dir(self, backup_id: str) -> Path:
        return self.backups_dir / backup_id / "data"

    def save(self, backup: Backup) -> None:
        write_json(self.backups_dir / backup.id / RECORD, backup.to_json())

    def new_id(self, kind: str, when: datetime) -> str:
        letter = {"full": "F", "incremental": "I", "logical": "L"}[kind]
        base = when.strftime("%Y%m%dT%H%M%SZ")
        candidate, n = f"{base}-{letter}", 1
        while (self.backups_dir / candidate).exists() or (
            self.backups_dir / (candidate + PARTIAL)
        ).exists():
            n += 1
            candidate = f"{base}-{letter}{n}"
        return candidate

    def partial_dir(self, backup_id: str) -> Path:
        return self.backups_dir / (backup_id + PARTIAL)

    def complete(self, backup: Backup) -> None:
        """Record ``backup`` and move its partial directory into place."""
        partial = self.partial_dir(backup.id)
        write_json(partial / RECORD, backup.to_json())
        partial.rename(self.backups_dir / backup.id)

    def discard_partial(self, backup_id: str) -> None:
        shutil.rmtree(self.partial_dir(backup_id), ignore_errors=True)

    def remove(self, backup_id: str) -> None:
        """Delete a backup: its record first, so that a crash leaves no record without data."""
        directory = self.backups_dir / backup_id
        doomed = self.backups_dir / (backup_id + PARTIAL)
        directory.rename(doomed)
        shutil.rmtree(doomed)

    # -- space -----------------------------------------------------------------

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.rglob("*") if p.is_file())

    def free_bytes(self) -> int:
        return shutil.disk_usage(self.path).free


def directory_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
