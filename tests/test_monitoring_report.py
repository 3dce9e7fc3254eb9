"""The report's index hygiene, the plans of named queries, and the Prometheus endpoint."""

from __future__ import annotations

import asyncio
import re
import socket
import urllib.request
from datetime import timedelta

import psycopg
import pytest
from monitoring_support import LARGE_ROWS, assert_session_clean, large_table_database, run_sql

from ikenei.errors import InvalidData
from ikenei.monitoring import advisor, metrics, plans, report, server, snapshots, workload


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


async def test_every_named_query_has_a_generic_plan(large_dsn: str) -> None:
    async with server.session(large_dsn) as session:
        schema = await advisor.load_schema(session)
        checks = await plans.check(session, workload.named_queries(), schema.rows, large_rows=10_000)
        await assert_session_clean(session, large_dsn)
    assert len(checks) >= 100
    assert [(c.label, c.error) for c in checks if c.error] == []
    assert [(c.label, c.skipped) for c in checks if c.skipped] == []


async def test_a_statement_on_a_table_made_at_run_time_is_skipped_saying_so(large_dsn: str) -> None:
    statement = workload.Statement("on_staging", "SELECT a FROM staging_rows WHERE a = $1", 1, "read",
                                   frozenset({"staging_rows"}))
    async with server.session(large_dsn) as session:
        [checked] = await plans.check(session, [statement], {"probe_rows": LARGE_ROWS}, large_rows=10_000)
        await assert_session_clean(session, large_dsn)
    assert (checked.label, checked.cost, checked.skipped) == (
        "on_staging", None, "reads staging_rows, made at run time")


async def test_plans_flag_a_sequential_scan_of_a_large_table(large_dsn: str) -> None:
    statement = workload.Statement("by_c", "SELECT id FROM probe_rows WHERE c = $1", 1, "read",
                                   frozenset({"probe_rows"}))
    async with server.session(large_dsn) as session:
        [checked] = await plans.check(session, [statement], {"probe_rows": LARGE_ROWS}, large_rows=10_000)
        await assert_session_clean(session, large_dsn)
    assert [f.kind for f in checked.findings] == ["seq_scan"]
    assert "probe_rows" in checked.findings[0].message


async def test_analyze_of_a_write_is_rolled_back(large_dsn: str) -> None:
    async with server.session(large_dsn) as session:
        plan = await plans.plan_with_values(session, "DELETE FROM probe_rows WHERE a = $1", [7], analyze=True)
        await assert_session_clean(session, large_dsn)
    assert plan["Plan"]["Node Type"] == "ModifyTable" and "Actual Rows" in plan["Plan"]["Plans"][0]
    with psycopg.connect(large_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM probe_rows WHERE a = 7").fetchone() == (100,)


async def test_bad_explain_input_is_one_clear_error_and_leaves_nothing(large_dsn: str) -> None:
    with pytest.raises(InvalidData, match="no named query 'get_nobody'"):
        workload.query_named("get_nobody")
    query = workload.query_named("get_user")
    async with server.session(large_dsn) as session:
        types = await plans.parameter_types(session, query.sql)
        assert types == ["uuid"]
        with pytest.raises(InvalidData) as caught:
            plans.arguments(query.params, types, {"user_id": "not-a-uuid"}, complete=True)
        assert caught.value.field == "user_id"
        with pytest.raises(InvalidData, match="a value is needed for user_id"):
            plans.arguments(query.params, types, {}, complete=True)
        with pytest.raises(InvalidData, match="nobody: not a parameter"):
            plans.arguments(query.params, types, {"nobody": "1"}, complete=False)
        generic = await plans.generic_plan(session, query.sql, len(query.params))
        await assert_session_clean(session, large_dsn)
    assert "Plan" in generic


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_the_metrics_endpoint_serves_the_figures(large_dsn: str) -> None:
    port = _free_port()
    stop = asyncio.Event()
    lines: list[str] = []
    serving = asyncio.create_task(metrics.serve(large_dsn, port=port, interval=0.2, stop=stop, out=lines.append))
    try:
        body = ""
        for _ in range(50):
            await asyncio.sleep(0.1)
            try:
                body = await asyncio.to_thread(
                    lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode())
            except OSError:
                continue
            if "ikenei_table_size_bytes" in body:
                break
    finally:
        stop.set()
        await serving
    with psycopg.connect(large_dsn) as conn:
        size = conn.execute("SELECT pg_total_relation_size('probe_rows')").fetchone()[0]
    served = re.search(r'^ikenei_table_size_bytes\{table="public.probe_rows"\} (\S+)$', body, re.MULTILINE)
    assert served is not None, body
    # Within a few pages: autovacuum may add a visibility map meanwhile.
    assert abs(float(served.group(1)) - size) <= 4 * 8192, (served.group(0), size)
    assert "ikenei_up 1.0" in body and "ikenei_xid_wraparound_headroom" in body
    assert "ikenei_wal_archived_total" in body and "ikenei_wal_archive_failed_total" in body
    assert "ikenei_wal_archive_last_failure_timestamp_seconds" in body
