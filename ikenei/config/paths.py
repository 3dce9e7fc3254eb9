"""Where the SQL files live, in a checkout and in an installed wheel alike."""

from __future__ import annotations

from pathlib import Path

import ikenei.sql as _sql_package

SQL_DIR = Path(_sql_package.__file__).resolve().parent
MIGRATIONS_DIR = SQL_DIR / "migrations"
QUERIES_DIR = SQL_DIR / "queries"
SEEDS_DIR = SQL_DIR / "seeds"
