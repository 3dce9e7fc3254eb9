"""Baselines and alert rules: regressions, webhook delivery, recorded firings; backups and archiving."""

from __future__ import annotations

import http.server
import json
import shutil
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import asyncpg
import psycopg
import pytest
from backup_support import Cluster, on_the_embedded_run, quiet, scratch_dir
from monitoring_support import large_table_database, run_sql, statements_preloaded

from ikenei.backup import run
from ikenei.config.settings import load_settings
from ikenei.errors import NotFound, Unavailable
from ikenei.monitoring import alerts, metrics, server, snapshots

FAST = alerts.Thresholds(regression_min_calls=20)


@pytest.fixture(scope="module")
def large_dsn(admin_dsn: str, template_dsn: str):
    with large_table_database(admin_dsn, template_dsn) as dsn:
        yield dsn


def _row(factor: float, calls: int = 100) -> alerts.Comparison:
    return alerts.Comparison("q", 10.0, 10.0 * factor, calls)


def test_the_regression_rule_fires_at_twice_the_baseline_not_at_one_and_a_half() -> None:
    assert alerts.regressed(_row(2.0), alerts.Thresholds())
    assert alerts.regressed(_row(3.5), alerts.Thresholds())
    assert not alerts.regressed(_row(1.5), alerts.Thresholds())
    assert not alerts.regressed(_row(1.99), alerts.Thresholds())
    assert not alerts.regressed(_row(4.0, calls=49), alerts.Thresholds())


async def _calls(dsn: str, sql: str, args: list, times: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for n in range(times):
            await conn.fetch(sql, *[a(n) if callable(a) else a for a in args])
    finally:
        await conn.close()


async def test_a_query_made_slow_by_dropping_its_index_fires(large_dsn: str) -> None:
    if not statements_preloaded(large_dsn):
        pytest.skip("pg_stat_statements is not preloaded on this server")
    sql = "SELECT c FROM probe_rows WHERE b = $1"
    run_sql(large_dsn, "CREATE INDEX probe_rows_b ON probe_rows (b)")
    async with server.session(large_dsn) as session:
        await snapshots.take(session)
        await _calls(large_dsn, sql, [lambda n: n * 17], 30)
        await snapshots.take(session)
        assert await alerts.save_baseline(session, "indexed", timedelta(hours=1)) >= 1
        run_sql(large_dsn, "DROP INDEX probe_rows_b")
        await _calls(large_dsn, sql, [lambda n: n * 17], 30)
        await snapshots.take(session)
        fired, notes = await alerts.evaluate(session, FAST, since=timedelta(hours=1), baseline="indexed")
        rows = await alerts.compare(session, "indexed")
    with psycopg.connect(large_dsn) as conn:
        [(queryid,)] = conn.execute(
            "SELECT DISTINCT queryid FROM monitoring.statement_stats WHERE query = %s", (sql,)).fetchall()
    ours = [f for f in fired if f.rule == "regression" and f.subject == f"queryid {queryid}"]
    assert len(ours) == 1 and ours[0].value >= 2.0, (fired, rows)
    assert not [n for n in notes if n.startswith("regression")]


async def test_one_and_a_half_times_slower_does_not_fire(fresh_dsn: str) -> None:
    if not statements_preloaded(fresh_dsn):
        pytest.skip("pg_stat_statements is not preloaded on this server")
    # Sleeps long enough that a busy machine's scheduling noise stays small beside them.
    sql = "SELECT pg_sleep($1)"
    thresholds = alerts.Thresholds(regression_min_calls=10)
    async with server.session(fresh_dsn) as session:
        await snapshots.take(session)
        await _calls(fresh_dsn, sql, [0.1], 10)
        await snapshots.take(session)
        await alerts.save_baseline(session, "calm", timedelta(hours=1))
        await _calls(fresh_dsn, sql, [0.15], 10)
        await snapshots.take(session)
        fired, _ = await alerts.evaluate(session, thresholds, since=timedelta(hours=1), baseline="calm")
        rows = {r.statement: r for r in await alerts.compare(session, "calm")}
    with psycopg.connect(fresh_dsn) as conn:
        [(queryid,)] = conn.execute(
            "SELECT DISTINCT queryid FROM monitoring.statement_stats WHERE query = %s", (sql,)).fetchall()
    sleeper = rows[f"queryid {queryid}"]
    assert sleeper.calls == 10 and 1.2 <= sleeper.factor < 1.9, sleeper
    assert [f for f in fired if f.subject == f"queryid {queryid}"] == []


async def test_without_pg_stat_statements_baselines_say_what_is_missing(fresh_dsn: str) -> None:
    async with server.session(fresh_dsn) as session:
        if session.server.statements:
            with pytest.raises(NotFound):
                await alerts.compare(session, "never-saved")
            return
        with pytest.raises(Unavailable) as caught:
            await alerts.save_baseline(session, "any", timedelta(hours=1))
        _, notes = await alerts.evaluate(session, FAST, since=timedelta(hours=1), baseline="any")
    assert "shared_preload_libraries" in str(caught.value) and "\n" not in str(caught.value)
    assert [n for n in notes if n.startswith("regression")] == [
        f"regression: not evaluated, {caught.value}"
    ]


class _Hook(http.server.BaseHTTPRequestHandler):
    received: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        self.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_firings_are_recorded_and_posted_and_an_unreachable_hook_is_reported(fresh_dsn: str) -> None:
    strict = alerts.Thresholds(cache_hit_min=100.0, xid_headroom_min=2**31)
    async with server.session(fresh_dsn) as session:
        await snapshots.take(session)
        run_sql(fresh_dsn, "CREATE TABLE filler AS SELECT n FROM generate_series(1, 50000) AS n")
        await snapshots.take(session)
        fired, _ = await alerts.evaluate(session, strict, since=timedelta(hours=1))
        await alerts.record(session, fired)
    assert "wraparound" in {f.rule for f in fired}
    with psycopg.connect(fresh_dsn) as conn:
        stored = conn.execute("SELECT rule FROM monitoring.alerts ORDER BY id").fetchall()
    assert [r[0] for r in stored] == [f.rule for f in fired]

    hook = http.server.HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=hook.serve_forever, daemon=True)
    thread.start()
    try:
        assert alerts.post(f"http://127.0.0.1:{hook.server_port}/hook", fired) is None
    finally:
        hook.shutdown()
        hook.server_close()
    posted = json.loads(_Hook.received[-1])
    assert [a["rule"] for a in posted["alerts"]] == [f.rule for f in fired]

    port = _closed_port()
    failure = alerts.post(f"http://user:secret@127.0.0.1:{port}/hook?token=t", fired, timeout=2)
    assert failure is not None and failure.startswith(f"webhook http://127.0.0.1:{port}/hook not reached")
    assert "secret" not in failure and "token" not in failure


# -- backups and archiving (the findings of ikenei backup status) ---------------------------


def _rules(fired: list[alerts.Firing]) -> list[str]:
    return sorted(f.rule for f in fired)


def _until(what: str, check, timeout: float = 60) -> list[alerts.Firing]:
    deadline = time.monotonic() + timeout
    while True:
        fired = check()
        if fired is not None:
            return fired
        assert time.monotonic() < deadline, f"{what} within {timeout} s"
        time.sleep(0.5)


@on_the_embedded_run
async def test_archiving_that_fails_fires_and_a_healthy_setup_fires_nothing(
    cluster: Cluster, fresh_dsn: str
) -> None:
    settings = cluster.settings()
    backup = run.run(settings, out=quiet, progress=False)
    cluster.archive_everything()
    assert alerts.backup_firings(settings) == ([], [])
    # The endpoint serves when the newest backup ended (ikenei_backup_last_stop_timestamp_seconds).
    async with server.session(fresh_dsn) as session:
        served = {m.name: m for m in await metrics.wal_metrics(session, backups=settings)}
    assert served["ikenei_backup_last_stop_timestamp_seconds"].samples[0].value == backup.stop_time.timestamp()
    assert served["ikenei_backups"].samples[0].value == 1
    assert "ikenei_wal_archive_failed" in served and "ikenei_replication_slot_active" in served
    # Two days on, the daily schedule has been missed.
    late, _ = alerts.backup_firings(settings, now=datetime.now(UTC) + timedelta(days=2))
    assert _rules(late) == ["backup_age"] and "BACKUP_SCHEDULE" in late[0].message

    # The archive directory cannot be written any more: the archiver fails, for real.
    wal = cluster.repository / "wal"
    mode = wal.stat().st_mode
    wal.chmod(0o555)
    try:
        cluster.sql("CREATE TABLE archived_not (i int)")
        cluster.sql("SELECT pg_switch_wal()")

        def failing() -> list[alerts.Firing] | None:
            fired, _ = alerts.backup_firings(settings)
            return fired if fired else None

        fired = _until("the archiving alert", failing)
        assert _rules(fired) == ["archiving"]
        assert "pg_wal grows" in fired[0].message and fired[0].value >= 1
        # monitor check raises it with the other rules.
        async with server.session(fresh_dsn) as session:
            checked, _ = await alerts.evaluate(
                session, alerts.Thresholds(), since=timedelta(hours=1), backups=settings
            )
        assert "archiving" in _rules(checked)
    finally:
        wal.chmod(mode)
    # Writable again: the next segment wakes the archiver, the backlog goes, the alert stops.
    cluster.archive_everything(timeout=90)
    assert alerts.backup_firings(settings) == ([], [])


@on_the_embedded_run
def test_a_receivers_slot_that_is_inactive_or_keeps_too_much_wal_fires(cluster: Cluster) -> None:
    # A repository the server does not archive into: its WAL would come through the receiver.
    elsewhere = cluster.root / "received"
    settings = cluster.settings(backup_repository=str(elsewhere), backup_slot_max_retained_mb=1)
    fired, notes = alerts.backup_firings(settings)
    assert fired == [] and "not evaluated" in notes[0]  # no backup, no slot: not in use
    cluster.sql("SELECT pg_create_physical_replication_slot('ikenei_backup', true)")
    try:
        cluster.sql("CREATE TABLE filler AS SELECT g, repeat('x', 200) AS x FROM generate_series(1, 20000) g")
        fired, notes = alerts.backup_firings(settings)
    finally:
        cluster.sql("SELECT pg_drop_replication_slot('ikenei_backup')")
    slot = [f for f in fired if f.rule == "wal_slot"]
    assert len(slot) == 2, fired
    inactive, retains = slot
    assert "not running" in inactive.message and "pg_wal grows" in inactive.message
    assert retains.value > 1 and retains.threshold == 1 and "BACKUP_SLOT_MAX_RETAINED_MB" in retains.message
    assert "backup_age" in _rules(fired) and notes == []  # the slot puts backups in use


def test_backups_not_in_use_fire_nothing_but_are_noted(admin_dsn: str) -> None:
    root = scratch_dir()
    try:
        settings = load_settings(database_url=admin_dsn, backup_repository=str(root / "none"))
        fired, notes = alerts.backup_firings(settings)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert fired == [] or _rules(fired) == ["archiving"]
    assert len(notes) == 1 and notes[0].startswith("backups: not evaluated")
