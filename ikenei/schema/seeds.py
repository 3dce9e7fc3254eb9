"""Loads the seed data: ``sql/seeds/prod`` (roles, standard categories, …) and,
for a development database, ``sql/seeds/dev`` after it.

Every file of a run executes in name order inside ONE transaction: a failure
anywhere leaves the database as it was. The seed files are written to be run
again safely (fixed ids, ``ON CONFLICT DO NOTHING``); this module only runs
them. A seed file must not contain ``BEGIN``/``COMMIT`` of its own, which would
break the single transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import psycopg

from ikenei.config.paths import MIGRATIONS_DIR, SEEDS_DIR
from ikenei.errors import DatabaseError
from ikenei.schema.admin import connect, display_path, pg_error
from ikenei.schema.migrations import require_migrated

__all__ = ["run", "seed_files"]

Which = Literal["prod", "dev"]


def seed_files(which: Which, seeds_dir: Path | str = SEEDS_DIR) -> list[Path]:
    """The files a run of ``which`` executes, in order: prod's, then (dev) dev's."""
    if which not in ("prod", "dev"):
        raise ValueError(f"which must be 'prod' or 'dev', not {which!r}")
    groups = ["prod"] if which == "prod" else ["prod", "dev"]
    root = Path(seeds_dir)
    return [path for group in groups for path in sorted((root / group).glob("*.sql"))]


def run(
    dsn: str,
    which: Which,
    *,
    out: Callable[[str], Any] = print,
    seeds_dir: Path | str = SEEDS_DIR,
    migrations_dir: Path | str = MIGRATIONS_DIR,
) -> list[Path]:
    """Run the ``which`` seeds in one transaction; returns the files run.

    Refuses with ``NotMigrated`` when the schema is absent or a migration is
    pending; a failing file raises ``DatabaseError`` naming it, and nothing is
    kept.
    """
    files = seed_files(which, seeds_dir)
    require_migrated(dsn, migrations_dir)
    current: Path | None = None
    with connect(dsn) as conn:
        try:
            with conn.transaction():
                for path in files:
                    out(f"seeding {display_path(str(path))}")
                    current = path
                    conn.execute(path.read_text(encoding="utf-8"))
        except psycopg.Error as exc:
            raise DatabaseError(
                f"seed {display_path(str(current))} failed: {pg_error(exc)}; nothing was seeded"
            ) from exc
    out(f"seeded {which}: {len(files)} file(s)")
    return files
