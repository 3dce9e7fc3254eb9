"""Asking a server what a backup needs to know (``sql/queries/backup.sql``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from ikenei.config.paths import QUERIES_DIR
from ikenei.errors import ConnectionFailed
from ikenei.schema.admin import psycopg_queries


def q() -> Any:
    return psycopg_queries(QUERIES_DIR / "backup.sql")


@contextmanager
def connect(dsn: str, where: str = "the server") -> Iterator[psycopg.Connection[Any]]:
    """An autocommit connection; ``ConnectionFailed`` in one line naming ``where``."""
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConnectionFailed(f"cannot connect to {where}: {reason}") from None
    try:
        yield conn
    finally:
        conn.close()


@dataclass(frozen=True)
class Facts:
    version_num: int
    system_identifier: str
    archive_mode: str
    wal_level: str
    summarize_wal: str
    archive_timeout: str
    may_replicate: bool
    in_recovery: bool
    archive_directory: str

    def archives_into(self, wal_dir: Path) -> bool:
        """Whether the server archives its WAL into ``wal_dir`` (ours, with basic_archive)."""
        return (
            self.archive_mode in ("on", "always")
            and bool(self.archive_directory)
            and Path(self.archive_directory).resolve() == wal_dir.resolve()
        )

    @property
    def incremental_possible(self) -> bool:
        return self.version_num >= 170000 and self.summarize_wal == "on"


def facts(conn: psycopg.Connection[Any]) -> Facts:
    row = q().server_facts(conn)
    return Facts(*row)
