"""The index advisor on a 100,000-row table: the right index, measured, and nothing left behind."""

from __future__ import annotations

import dataclasses
import statistics
import time
from pathlib import Path

import asyncpg
import psycopg
import pytest
from monitoring_support import assert_session_clean, large_table_database, run_sql

from ikenei.errors import InvalidData
from ikenei.monitoring import advisor, server, workload
from ikenei.schema import migrations

EQUALITY = "SELECT id, a, b, c FROM probe_rows WHERE a = $1"
TOP_FIVE = "SELECT id, a, b, c FROM probe_rows WHERE a = $1 ORDER BY b DESC LIMIT 5"


@pytest.fixture(scope="module")
def large_dsn(admin_dsn: str, template_dsn: str):
    with large_table_database(admin_dsn, template_dsn) as dsn:
        run_sql(dsn, "CREATE TABLE few_rows (id int PRIMARY KEY, a int NOT NULL)",
                "INSERT INTO few_rows SELECT n, n % 10 FROM generate_series(1, 400) AS n",
                "ANALYZE few_rows")
        yield dsn


async def _advise(dsn: str, text: str, tmp_path: Path, **options) -> advisor.Advice:
    path = tmp_path / "workload.sql"
    path.write_text(text)
    async with server.session(dsn) as session:
        schema = await advisor.load_schema(session)
        statements = workload.read_sql_file(path, set(schema.columns))
        advice = await advisor.advise(session, statements, **options)
        await assert_session_clean(session, dsn)
    assert _indexes(dsn) == ["probe_rows_pkey"]  # no candidate index stays behind
    return advice


def _indexes(dsn: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [r[0] for r in conn.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'probe_rows' ORDER BY 1")]


def _found(advice: advisor.Advice) -> list[tuple[str, tuple[str, ...]]]:
    return [(s.table_name, s.columns) for s in advice.suggestions]


async def test_an_equality_filter_gets_exactly_the_index_on_its_column(large_dsn: str, tmp_path: Path) -> None:
    advice = await _advise(large_dsn, EQUALITY + ";\n", tmp_path)
    assert _found(advice) == [("public.probe_rows", ("a",))]
    helped = advice.suggestions[0].statements
    assert [h.label for h in helped] == ["workload.sql:1"]
    assert helped[0].savings >= 50.0
    print(f"advisor ({advice.method}) on {EQUALITY}: cost {helped[0].cost_before:.1f} -> "
          f"{helped[0].cost_after:.1f} ({helped[0].savings:.1f} % less)")


async def test_a_filter_with_an_order_gets_the_pair(large_dsn: str, tmp_path: Path) -> None:
    advice = await _advise(large_dsn, "\n" + TOP_FIVE + ";\n", tmp_path)
    assert _found(advice) == [("public.probe_rows", ("a", "b"))]
    helped = advice.suggestions[0].statements[0]
    assert helped.label == "workload.sql:2" and helped.savings >= 50.0
    print(f"advisor ({advice.method}) on {TOP_FIVE}: cost {helped.cost_before:.1f} -> "
          f"{helped.cost_after:.1f} ({helped.savings:.1f} % less)")


async def test_both_methods_give_the_same_suggestion(large_dsn: str, tmp_path: Path) -> None:
    text = EQUALITY + ";\n" + TOP_FIVE + ";\n"
    usual = await _advise(large_dsn, text, tmp_path)
    built = await _advise(large_dsn, text, tmp_path, prefer_rollback=True)
    assert built.method == "rollback"
    # The pair serves the equality too: one index for both statements.
    assert _found(usual) == _found(built) == [("public.probe_rows", ("a", "b"))]
    assert sorted(h.label for h in built.suggestions[0].statements) == ["workload.sql:1", "workload.sql:2"]


async def test_small_tables_and_covered_columns_get_nothing(large_dsn: str, tmp_path: Path) -> None:
    advice = await _advise(
        large_dsn,
        "SELECT id FROM few_rows WHERE a = $1;\nSELECT a FROM probe_rows WHERE id = $1;\n",
        tmp_path, min_savings=0.0,
    )
    assert advice.suggestions == [] and advice.checked == 2


async def test_a_statement_of_maintenance_alone_earns_no_index(large_dsn: str, tmp_path: Path) -> None:
    path = tmp_path / "workload.sql"
    path.write_text(EQUALITY + ";\n")
    async with server.session(large_dsn) as session:
        schema = await advisor.load_schema(session)
        [statement] = workload.read_sql_file(path, set(schema.columns))
        advice = await advisor.advise(session, [dataclasses.replace(statement, maintenance=True)])
        await assert_session_clean(session, large_dsn)
    assert advice.suggestions == [] and advice.checked == 1
    assert "not weighed: 1 statements that run only in maintenance (the retention run): workload.sql:1" in advice.notes


def test_the_retention_run_is_the_maintenance_of_the_named_queries() -> None:
    marked = {s.label for s in workload.named_queries() if s.maintenance}
    assert "purge_erased_person_leftovers" in marked and "purge_audit_log" in marked
    assert marked == set(workload.maintenance_query_names()) - {"enable_retention_purge"}


async def test_the_projects_own_workload_gets_no_suggestion(large_dsn: str) -> None:
    async with server.session(large_dsn) as session:
        advice = await advisor.advise(session, workload.named_queries())
    assert advice.checked >= 100
    assert advice.suggestions == [], [(s.table_name, s.columns) for s in advice.suggestions]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("SELECT 1 FROM probe_rows;\nSELEC a FROM probe_rows;\n", "workload.sql:2: cannot parse"),
        ("CREATE INDEX ON probe_rows (a);\n", "workload.sql:1: not a read or a write"),
        ("SELECT a FROM probe_rows;\nBEGIN;\n", "workload.sql:2: not a read or a write"),
        ("SELECT relname FROM pg_class WHERE oid = $1;\n", "workload.sql:1: not a statement on our tables"),
        ("SELECT * FROM monitoring.snapshots;\n", "workload.sql:1: not a statement on our tables"),
        ("-- nothing\n", "workload.sql: no statement"),
    ],
)
async def test_a_bad_workload_file_is_refused_naming_its_line(
    large_dsn: str, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "workload.sql"
    path.write_text(text)
    with pytest.raises(InvalidData) as caught:
        workload.read_sql_file(path, {"probe_rows", "few_rows"})
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_a_statement_the_planner_refuses_is_skipped_and_leaves_nothing(large_dsn: str, tmp_path: Path) -> None:
    advice = await _advise(large_dsn, "SELECT id FROM probe_rows WHERE a = 'not a number';\n"
                           + EQUALITY + ";\n", tmp_path)
    assert [label for label, _ in advice.skipped] == ["workload.sql:1"]
    assert _found(advice) == [("public.probe_rows", ("a",))]


async def _median_ms(dsn: str, sql: str, rounds: int = 25) -> float:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.fetch(sql, 7)
        times = []
        for n in range(rounds):
            started = time.perf_counter()
            await conn.fetch(sql, n % 1000)
            times.append(time.perf_counter() - started)
    finally:
        await conn.close()
    return statistics.median(times) * 1000


async def test_the_written_migration_makes_the_statement_five_times_faster(large_dsn: str, tmp_path: Path) -> None:
    advice = await _advise(large_dsn, EQUALITY + ";\n", tmp_path)
    directory = tmp_path / "migrations"
    directory.mkdir()
    async with server.session(large_dsn) as session:
        path = await advisor.write_migration(session, advice.suggestions[0], advice.method, directory)
    text = path.read_text()
    assert "-- transactional: false" in text
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_probe_rows_a ON public.probe_rows (a);" in text
    twin = path.with_name(path.name.replace(".sql", ".rollback.sql"))
    assert "DROP INDEX CONCURRENTLY IF EXISTS public.idx_probe_rows_a;" in twin.read_text()
    assert _indexes(large_dsn) == ["probe_rows_pkey"]  # writing it changed nothing
    before = await _median_ms(large_dsn, EQUALITY)
    migrations.apply(large_dsn, migrations_dir=directory, out=lambda _line: None)
    try:
        assert _indexes(large_dsn) == ["idx_probe_rows_a", "probe_rows_pkey"]
        after = await _median_ms(large_dsn, EQUALITY)
    finally:
        migrations.rollback(large_dsn, migrations_dir=directory, out=lambda _line: None)
    assert _indexes(large_dsn) == ["probe_rows_pkey"]
    print(f"{EQUALITY}: median {before:.3f} ms before, {after:.3f} ms after ({before / after:.1f}x)")
    assert before / after >= 5.0
