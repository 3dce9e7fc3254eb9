"""The report's index hygiene, the plans of named queries, and the Prometheus endpoint."""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from monitoring_support import large_table_database, run_sql

from ikenei.monitoring import report, server, snapshots


@pytest.fixture(scope="module")
def large_dsn(admin_dsn: str, template_dsn: str):
    with large_table_database(admin_dsn, template_dsn) as dsn:
        yield dsn


async def test_planted_duplicate_unused_and_invalid_indexes_are_reported_keys_never(large_dsn: str) -> None:
    run_sql(
        large_dsn,
        "CREATE INDEX planted_prefix ON probe_rows (a)",
        "CREATE INDEX planted_wide ON probe_rows (a, b)",
        "CREATE INDEX planted_unused ON probe_rows (c)",
        "CREATE UNIQUE INDEX planted_unique ON probe_rows (id, a)",
        "ALTER TABLE probe_rows ADD CONSTRAINT planted_key UNIQUE (b, id)",
    )
    try:
        with pytest.raises(psycopg.errors.UniqueViolation):
            run_sql(large_dsn, "CREATE UNIQUE INDEX CONCURRENTLY planted_invalid ON probe_rows (a)")
        async with server.session(large_dsn) as session:
            await snapshots.take(session)
            built = await report.build(session, timedelta(hours=1))
    finally:
        run_sql(large_dsn, "DROP INDEX planted_prefix, planted_wide, planted_unused, planted_unique, "
                           "planted_invalid", "ALTER TABLE probe_rows DROP CONSTRAINT planted_key")
    duplicates = {(d.index_name, d.covered_by) for d in built.duplicate_indexes}
    unused = {i.index_name for i in built.unused_indexes}
    assert ("public.planted_prefix", "public.planted_wide") in duplicates
    assert "public.planted_unused" in unused
    assert [i.index_name for i in built.invalid_indexes] == ["public.planted_invalid"]
    keys = {"public.probe_rows_pkey", "public.planted_unique", "public.planted_key", "public.planted_invalid"}
    assert not keys & {name for name, _ in duplicates}
    assert not keys & unused
    # Everything a machine reads is in the JSON form.
    data = built.as_json()
    assert {"most_time", "slowest", "tables", "cache_hit_ratio", "pool", "xid_headroom"} <= set(data)


