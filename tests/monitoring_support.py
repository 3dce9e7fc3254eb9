"""Shared pieces of the monitoring tests: a database with one large table, and sessions on it.

``large_table_database(admin_dsn, template_dsn)`` clones the migrated template
and adds ``public.probe_rows`` (``a``, ``b``, ``c``): 100,000 rows, ``a`` with
1,000 distinct values, ``b`` unique-ish, analysed, with no index but its
primary key. Each test module makes one (module-scoped fixture) and drops it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from conftest import template_clone

from ikenei.db.queries import Q

LARGE_ROWS = 100_000

_LARGE_TABLE = """
CREATE TABLE probe_rows (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    a integer NOT NULL,
    b integer NOT NULL,
    c text NOT NULL
);
INSERT INTO probe_rows (a, b, c)
SELECT n % 1000, (n * 7919) % 100003, md5(n::text) FROM generate_series(1, %(rows)s) AS n;
ANALYZE probe_rows;
"""


@contextmanager
def large_table_database(admin_dsn: str, template_dsn: str) -> Iterator[str]:
    """A migrated database holding probe_rows (see the module doc); dropped after."""
    with template_clone(admin_dsn, template_dsn, prefix="mon_") as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(_LARGE_TABLE.replace("%(rows)s", str(LARGE_ROWS)))
        yield dsn


def statements_preloaded(dsn: str) -> bool:
    """Whether pg_stat_statements can be read on this database's server."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        try:
            conn.execute("SELECT 1 FROM monitoring.pg_stat_statements LIMIT 1")
        except psycopg.Error:
            try:
                conn.execute("SELECT 1 FROM pg_stat_statements LIMIT 1")
            except psycopg.Error:
                return False
    return True


def run_sql(dsn: str, *statements: str) -> None:
    """Runs fixed statements of a test in autocommit."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


@dataclasses.dataclass(frozen=True, slots=True)
class _Leftovers:
    prepared_statements: int
    pid: int


async def assert_session_clean(session: Any, dsn: str) -> None:
    """The session holds no prepared statement of its own and no open transaction."""
    left = await session.executor.one(Q.session_leftovers, _Leftovers)
    assert left.prepared_statements == 0
    with psycopg.connect(dsn, autocommit=True) as conn:
        state = conn.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", (left.pid,)).fetchone()
    assert state == ("idle",)
