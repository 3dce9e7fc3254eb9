"""Baselines and alert rules: regressions, webhook delivery, recorded firings."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from datetime import timedelta
from typing import ClassVar

import asyncpg
import psycopg
import pytest
from monitoring_support import large_table_database, run_sql, statements_preloaded

from ikenei.errors import NotFound, Unavailable
from ikenei.monitoring import alerts, server, snapshots

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
