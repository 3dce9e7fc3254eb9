"""What a backup is, and its record in the repository that holds it.

The catalog lives in the repository, never only in the database it protects:
each backup's directory holds ``backup.json`` beside the data PostgreSQL's
tools wrote. A record is written whole to a temporary file and renamed into
place, so a reader never sees half of one. It holds no secret: no password,
no key, no URL with credentials.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from ikenei.errors import BackupError

Kind = Literal["full", "incremental", "logical"]
RECORD = "backup.json"
FORMAT = 1


@dataclass(frozen=True)
class Backup:
    id: str
    kind: Kind
    parent: str | None
    start_time: datetime
    stop_time: datetime
    start_lsn: str | None
    stop_lsn: str | None
    timeline: int | None
    system_identifier: str
    server_version: int
    size_bytes: int
    #: For a logical backup: the database it holds.
    database: str | None = None
    #: True: pg_verifybackup and the WAL checks passed; False: they found a problem.
    verified: bool | None = None
    verified_at: datetime | None = None
    #: Where copies are: "local", "remote".
    copies: tuple[str, ...] = field(default=("local",))

    @property
    def point_in_time(self) -> bool:
        return self.kind != "logical"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["format"] = FORMAT
        for name in ("start_time", "stop_time", "verified_at"):
            if data[name] is not None:
                data[name] = data[name].isoformat()
        data["copies"] = list(self.copies)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Backup:
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        for name in ("start_time", "stop_time", "verified_at"):
            if values.get(name) is not None:
                values[name] = datetime.fromisoformat(values[name])
        values["copies"] = tuple(values.get("copies") or ("local",))
        return cls(**values)

    def with_(self, **changes: Any) -> Backup:
        return replace(self, **changes)


@dataclass(frozen=True)
class Problem:
    """What a verification found wrong, and where: a backup id, "wal", "remote" or "repository"."""

    subject: str
    message: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.message}"


def write_json(path: Path, data: dict[str, Any]) -> None:
    """``data`` as JSON at ``path``, whole or not at all."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    with temporary.open("rb") as file:
        os.fsync(file.fileno())
    temporary.replace(path)


def read_record(path: Path) -> Backup:
    try:
        return Backup.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise BackupError(f"the catalog record {path.parent.name}/{path.name} is unreadable: {exc}")


def chain_of(backup: Backup, by_id: dict[str, Backup]) -> list[Backup]:
    """The backups a restore of ``backup`` combines, its full backup first."""
    chain = [backup]
    while chain[0].parent is not None:
        parent = by_id.get(chain[0].parent)
        if parent is None:
            raise BackupError(
                f"backup {chain[0].id} is incremental on {chain[0].parent}, which is gone; "
                "it cannot be restored (take a full backup: `ikenei backup run --full`)"
            )
        if parent in chain:
            raise BackupError(f"backup {backup.id}: its chain of parents loops")
        chain.insert(0, parent)
    return chain
