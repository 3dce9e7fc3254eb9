"""The benchmark compares like with like: every way of a read returns the same rows.

Correctness only; how fast anything is, is ``make bench``'s business, never a test's.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import replace

import asyncpg
import psycopg
import pytest
from conftest import DATABASE_PREFIX, drop_database

from bench import data
from bench.report import report
from bench.timing import BenchError, Timing, check_same_rows, measure
from bench.variants import AIOSQL, COLUMNS, ORM, PAGE, RAW, REPOSITORY, Read, Variant, reads
from ikenei.schema.migrations import dsn_for_database

RATIOS_LINE = re.compile(r"bench: get \d+\.\d\d list \d+\.\d\d")


@pytest.fixture
async def conn(fresh_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a migrated database holding the benchmark's users."""
    connection = await asyncpg.connect(fresh_dsn)
    try:
        await data.load_users(connection)
        yield connection
    finally:
        await connection.close()


async def _expected_page(conn: asyncpg.Connection) -> list[object]:
    # The first page in creation order: users 1, 2, ... skipping the soft-deleted
    # (every fiftieth), as load_users makes them.
    numbers = [n for n in range(1, data.USER_COUNT + 1) if n % 50 != 0][:PAGE]
    return [await data.user_id(conn, n) for n in numbers]


async def test_every_way_returns_the_rows_raw_asyncpg_returns(conn: asyncpg.Connection) -> None:
    user_id = await data.user_id(conn)
    get, page = reads(conn, user_id)
    assert [v.name for v in get.variants] == [RAW, REPOSITORY, AIOSQL]

    one = await check_same_rows(get)
    assert len(one) == 1 and one[0][COLUMNS.index("id")] == user_id
    assert one[0][COLUMNS.index("email")] == f"person{data.LOOKUP_USER}@bench.example"

    rows = await check_same_rows(page)
    assert [row[COLUMNS.index("id")] for row in rows] == await _expected_page(conn)


async def test_the_orm_reads_the_same_rows(conn: asyncpg.Connection, fresh_dsn: str) -> None:
    pytest.importorskip("sqlalchemy", reason="SQLAlchemy is a bench-only dependency ('.[bench]')")
    from bench.orm import OrmReads

    orm = await OrmReads.connect(fresh_dsn)
    try:
        get, page = reads(conn, await data.user_id(conn), orm)
        assert [v.name for v in get.variants] == [RAW, REPOSITORY, AIOSQL, ORM]
        assert len(await check_same_rows(get)) == 1
        assert len(await check_same_rows(page)) == PAGE
        # A soft-deleted user is found by no way.
        deleted = await data.user_id(conn, 50)
        assert await orm.get(deleted) is None
        assert await reads(conn, deleted, orm)[0].variants[0].call() is None
    finally:
        await orm.close()


async def test_a_way_that_reads_other_rows_is_refused(conn: asyncpg.Connection) -> None:
    get, _page = reads(conn, await data.user_id(conn))
    other_user = await data.user_id(conn, data.LOOKUP_USER + 1)
    strays, _ = reads(conn, other_user)
    # The repository's way, but reading another user.
    mixed = replace(get, variants=(get.variants[0], strays.variants[1]))
    with pytest.raises(BenchError, match=f"get: {REPOSITORY} returned 1 row"):
        await check_same_rows(mixed)

    async def nothing() -> None:
        return None

    with pytest.raises(BenchError, match="returned no row"):
        await check_same_rows(Read("get", "nothing", (Variant(RAW, nothing),)))


async def test_measure_times_every_way_in_order(conn: asyncpg.Connection) -> None:
    get, page = reads(conn, await data.user_id(conn))
    for read in (get, page):
        timings = await measure(read, rounds=2, calls=2)
        assert [t.name for t in timings] == [v.name for v in read.variants]
        assert timings[0].ratio == 1.0
        assert all(t.micros > 0 and t.ratio > 0 for t in timings)


def test_the_report_ends_with_the_ratios_and_warns_above_a_bound() -> None:
    get = Read("get", "a lookup", ())
    page = Read("list", "a page", ())

    def timings(repository: float) -> list[Timing]:
        return [Timing(RAW, 50.0, 1.0), Timing(REPOSITORY, 50.0 * repository, repository)]

    within = report([(get, timings(1.1)), (page, timings(1.149))])
    assert within[-1] == "bench: get 1.10 list 1.15"
    assert not any("warning" in line for line in within)
    assert f"| get | {REPOSITORY} | 55.0 | 1.10 |" in within

    above = report([(get, timings(1.106)), (page, timings(1.02))])
    assert above[-1] == "bench: get 1.11 list 1.02"
    assert RATIOS_LINE.fullmatch(above[-1])
    assert [line for line in above if "warning" in line] == [
        "bench: warning: the repository's get costs 1.11x raw asyncpg, above the bound of 1.10x"
    ]


def test_the_command_prints_the_table_and_ends_with_the_ratios(
    admin_dsn: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("sqlalchemy", reason="SQLAlchemy is a bench-only dependency ('.[bench]')")
    from bench.__main__ import main

    configured = f"{DATABASE_PREFIX}benchcmd_{secrets.token_hex(4)}"
    bench_database = data.database_name(configured)
    monkeypatch.setenv("DATABASE_URL", dsn_for_database(admin_dsn, configured))
    try:
        assert main(["--rounds", "2"]) == 0
    finally:
        drop_database(admin_dsn, bench_database)
    lines = capsys.readouterr().out.splitlines()
    assert RATIOS_LINE.fullmatch(lines[-1])
    for read in ("get", "list"):
        for way in (RAW, REPOSITORY, AIOSQL, ORM):
            assert any(line.startswith(f"| {read} | {way} | ") for line in lines)
    # Made for the run, dropped after it.
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(dsn_for_database(admin_dsn, bench_database)).close()
