"""Helpers of the process tests (nominations, reminders and notifications, question
types, evidence, plan templates and reviews, results across people).

``digest`` fingerprints every table those features write, so that a test can
prove a refused call changed nothing; test-only queries live in
``tests/sql/process.sql``.
"""

from __future__ import annotations

from pathlib import Path

from foundation_support import executor

from ikenei import Database
from ikenei.db.queries import load

TQ = load(Path(__file__).parent / "sql" / "process.sql")


async def digest(db: Database) -> str:
    """One md5 over every row of the tables the process features write."""
    return await executor(db).value(TQ.process_tables_digest)
