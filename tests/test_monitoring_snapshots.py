"""Monitoring history: the schema and who sees it, snapshots, deltas, growth, pool, prune."""

from __future__ import annotations

import contextlib
import time
from datetime import timedelta

import asyncpg
import psycopg
import pytest
from monitoring_support import large_table_database, run_sql, statements_preloaded

from ikenei.config.settings import load_settings
from ikenei.db.database import Database
from ikenei.db.queries import Q
from ikenei.errors import InvalidData
from ikenei.monitoring import alerts, report, server, snapshots
from ikenei.monitoring.periods import parse_period


@pytest.fixture(scope="module")
def large_dsn(admin_dsn: str, template_dsn: str):
    with large_table_database(admin_dsn, template_dsn) as dsn:
        yield dsn


def test_monitoring_role_reads_history_and_no_organization_data(fresh_dsn: str) -> None:
    with psycopg.connect(fresh_dsn, autocommit=True) as conn:
        conn.execute("BEGIN")
        conn.execute("SET LOCAL ROLE ikenei_monitor")
        conn.execute("SELECT count(*) FROM monitoring.snapshots")
        for table in ("users", "organizations", "feedback_responses"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SAVEPOINT s")
                try:
                    conn.execute(f"SELECT 1 FROM {table} LIMIT 1")
                finally:
                    conn.execute("ROLLBACK TO SAVEPOINT s")
        conn.execute("ROLLBACK")
        conn.execute("BEGIN")
        conn.execute("SET LOCAL ROLE ikenei_app")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT count(*) FROM monitoring.snapshots")
        conn.execute("ROLLBACK")
        owner = conn.execute(
            "SELECT nspowner::regrole::text = current_user FROM pg_namespace WHERE nspname = 'monitoring'"
        ).fetchone()
        assert owner == (True,)


async def test_snapshot_records_tables_indexes_and_growth(large_dsn: str) -> None:
    async with server.session(large_dsn) as session:
        first = await snapshots.take(session)
        with psycopg.connect(large_dsn) as conn:
            size_after_first = conn.execute(
                "SELECT pg_total_relation_size('probe_rows')").fetchone()[0]
        run_sql(large_dsn, "INSERT INTO probe_rows (a, b, c) "
                           "SELECT n % 1000, n, repeat('x', 200) FROM generate_series(1, 20000) AS n")
        with psycopg.connect(large_dsn) as conn:
            size_before_second = conn.execute(
                "SELECT pg_total_relation_size('probe_rows')").fetchone()[0]
        second = await snapshots.take(session)
        assert second.id > first.id
        built = await report.build(session, timedelta(hours=1))
    probe = next(t for t in built.tables if t.table_name == "public.probe_rows")
    # Growth is what pg_total_relation_size moved by between the two snapshots (within a page).
    measured = size_before_second - size_after_first
    assert abs(probe.growth_bytes - measured) <= 8192
    print(f"growth of probe_rows: reported {probe.growth_bytes} bytes, measured {measured} bytes")
    assert probe.growth_bytes > 1_000_000
    assert len(probe.history) == 2


async def test_snapshot_holds_no_lock_that_blocks_writes(large_dsn: str) -> None:
    """The snapshot's transaction, held open, leaves writers free; the time is a figure for the note."""
    conn = await asyncpg.connect(large_dsn)
    try:
        async with server.session(large_dsn) as session:
            started = time.perf_counter()
            await snapshots.take(session)
            elapsed = time.perf_counter() - started
            # The same statements, their transaction held open while another connection writes.
            ex = session.executor
            async with ex.transaction():
                await ex.value(Q.limit_snapshot_wait)
                snapshot_id = await ex.value(
                    Q.insert_snapshot, statements_available=False, pool_size=None, pool_max=None,
                    pool_idle=None, pool_in_use=None, pool_waiting=None,
                )
                await ex.execute(Q.insert_table_stats, snapshot_id=snapshot_id)
                await ex.execute(Q.insert_index_stats, snapshot_id=snapshot_id)
                await conn.execute("SET lock_timeout = '1s'")
                await conn.execute("INSERT INTO probe_rows (a, b, c) VALUES (1, 1, 'w')")
                await conn.execute("UPDATE probe_rows SET c = 'u' WHERE id = 1")
                await conn.execute("DELETE FROM probe_rows WHERE id = 2")
                held = await conn.fetch(
                    "SELECT l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "JOIN pg_namespace n ON n.oid = c.relnamespace "
                    "WHERE l.pid <> pg_backend_pid() AND l.database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database()) "
                    "AND n.nspname = 'public' AND l.granted"
                )
            # Only what INSERT/UPDATE/DELETE never wait for.
            assert {r["mode"] for r in held} <= {"AccessShareLock"}
    finally:
        await conn.close()
    print(f"snapshot took {elapsed * 1000:.0f} ms")


async def test_statement_deltas_and_reset_start_a_new_series(large_dsn: str) -> None:
    if not statements_preloaded(large_dsn):
        pytest.skip("pg_stat_statements is not preloaded on this server")
    conn = await asyncpg.connect(large_dsn)
    try:
        async with server.session(large_dsn) as session:
            for _ in range(3):
                await conn.fetchval("SELECT count(*) FROM probe_rows WHERE a = $1", 7)
            await snapshots.take(session)
            for _ in range(5):
                await conn.fetchval("SELECT count(*) FROM probe_rows WHERE a = $1", 7)
            second = await snapshots.take(session)
            await conn.execute("SELECT monitoring.pg_stat_statements_reset()")
            for _ in range(2):
                await conn.fetchval("SELECT count(*) FROM probe_rows WHERE a = $1", 7)
            third = await snapshots.take(session)
            rows = await conn.fetch(
                "SELECT snapshot_id, calls, delta_calls, new_series FROM monitoring.statement_stats "
                "WHERE query LIKE 'SELECT count(*) FROM probe_rows WHERE a = $1' ORDER BY snapshot_id"
            )
            named = await conn.fetchval(
                "SELECT count(*) FROM monitoring.statement_stats "
                "WHERE snapshot_id = $1 AND query_name = 'insert_snapshot'", third.id)
    finally:
        await conn.close()
    by_snapshot = {r["snapshot_id"]: r for r in rows}
    assert (by_snapshot[second.id]["delta_calls"], by_snapshot[second.id]["new_series"]) == (5, False)
    assert (by_snapshot[third.id]["delta_calls"], by_snapshot[third.id]["new_series"]) == (2, True)
    assert named == 1  # our own named query, recognised by its fingerprint


async def test_without_statements_every_snapshot_still_works_and_says_why(large_dsn: str) -> None:
    async with server.session(large_dsn) as session:
        taken = await snapshots.take(session)
        if session.server.statements:
            # Drop the extension inside a rolled-back transaction to see the other side.
            missing = None
        else:
            missing = taken.missing
    if missing is None:
        pytest.skip("this server has pg_stat_statements; the missing case runs on PostgreSQL 15")
    assert "pg_stat_statements" in missing and "shared_preload_libraries" in missing
    assert "\n" not in missing


async def test_pool_nine_of_ten_held_is_ninety_percent_and_alerts(fresh_dsn: str) -> None:
    settings = load_settings(database_url=fresh_dsn, db_app_role=None, db_pool_min=1, db_pool_max=10)
    db = await Database.connect(settings)
    try:
        async with contextlib.AsyncExitStack() as held:
            for _ in range(9):
                await held.enter_async_context(db.transaction())
            figures = db.pool_figures()
            async with server.session(fresh_dsn) as session:
                await snapshots.take(session, pool=figures)
                fired, _ = await alerts.evaluate(session, alerts.Thresholds(), since=timedelta(hours=1))
        released = db.pool_figures()
    finally:
        await db.close()
    assert (figures.in_use, figures.max_size) == (9, 10)
    assert figures.utilization == pytest.approx(90.0)
    assert released.in_use == 0
    pool_alerts = [f for f in fired if f.rule == "pool"]
    assert len(pool_alerts) == 1 and pool_alerts[0].value == pytest.approx(90.0)


async def test_prune_removes_old_snapshots_only(fresh_dsn: str) -> None:
    async with server.session(fresh_dsn) as session:
        old = await snapshots.take(session)
        kept = await snapshots.take(session)
        run_sql(fresh_dsn, f"UPDATE monitoring.snapshots SET taken_at = now() - interval '31 days' "
                           f"WHERE id = {int(old.id)}")
        assert await snapshots.prune(session, parse_period("30d")) == 1
        assert await snapshots.prune(session, parse_period("30d")) == 0
    with psycopg.connect(fresh_dsn) as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM monitoring.snapshots")]
        orphans = conn.execute(
            "SELECT count(*) FROM monitoring.table_stats WHERE snapshot_id = %s", (old.id,)).fetchone()
    assert ids == [kept.id] and orphans == (0,)


@pytest.mark.parametrize("text", ["", "30", "30x", "0d", "-1d", "1.5h"])
def test_a_bad_period_is_refused_naming_the_option(text: str) -> None:
    with pytest.raises(InvalidData) as caught:
        parse_period(text, "--keep")
    assert caught.value.field == "--keep"
