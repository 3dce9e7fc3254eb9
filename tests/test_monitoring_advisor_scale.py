"""No false advice: the project's own workload on generated data of a realistic shape.

Four organizations of 150 people each (``ikenei seed scale``), so that
answers, competency ratings, invitations, the audit log and the analytics
events hold thousands to tens of thousands of rows, analysed: the named
queries of ``sql/queries`` get no suggestion, and the small tables (the
organizations, their cycles, competencies, forms) never get a candidate.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import psycopg
import pytest
from conftest import template_clone
from pii_support import TEST_PII_KEY

from ikenei.monitoring import advisor, server, workload
from ikenei.schema import seed_scale
from ikenei.schema.seed_scale import ScaleSize, load_scale
from ikenei.security.encryption import Cipher, parse_key

pytestmark = pytest.mark.scale_drills

SIZE = ScaleSize(organizations=4, people=600, cycles=12, seed=17, as_of=date(2026, 12, 1))
MIN_ROWS = 500.0
#: The tables the advisor must see above MIN_ROWS for the figure to mean anything.
LARGE = ("feedback_responses", "feedback_ratings", "feedback_invitations", "audit_log",
         "analytics_events", "users")


@dataclass(frozen=True, slots=True)
class Loaded:
    dsn: str
    rows: dict[str, int]
    seconds: float


@pytest.fixture(scope="module")
def loaded(admin_dsn: str, template_dsn: str) -> Iterator[Loaded]:
    import asyncio

    with template_clone(admin_dsn, template_dsn, prefix="adv_") as dsn:
        started = time.perf_counter()
        result = asyncio.run(load_scale(
            dsn, SIZE, Cipher(parse_key(TEST_PII_KEY)),
            progress=seed_scale.plain_progress(lambda _line: None), out=lambda _line: None,
        ))
        # As autovacuum leaves a loaded table: analysed, and its pages marked
        # all-visible, without which an index-only scan of a covering index
        # is costed as reading every row it finds.
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("VACUUM (ANALYZE)")
        yield Loaded(dsn, result.rows, time.perf_counter() - started)


def _listed(advice: advisor.Advice) -> str:
    return "\n".join(
        f"{s.table_name} ({', '.join(s.columns)}): cost {s.cost_before:.1f} -> {s.cost_after:.1f}; "
        + "; ".join(f"{h.label} {h.cost_before:.1f} -> {h.cost_after:.1f}" for h in s.statements)
        for s in advice.suggestions
    )


async def test_the_projects_own_workload_on_realistic_data_gets_no_suggestion(loaded: Loaded) -> None:
    started = time.perf_counter()
    async with server.session(loaded.dsn) as session:
        schema = await advisor.load_schema(session)
        advice = await advisor.advise(session, workload.named_queries(), min_rows=MIN_ROWS)
    seconds = time.perf_counter() - started
    rows = {table: schema.rows.get(table, 0.0) for table in LARGE}
    print(f"loaded {loaded.rows} in {loaded.seconds:.1f} s; advisor ({advice.method}) "
          f"checked {advice.checked} statements in {seconds:.1f} s")
    print(_listed(advice))
    assert all(n > MIN_ROWS for n in rows.values()), rows
    assert advice.checked >= 100
    assert advice.skipped == []
    assert any(note.startswith("not weighed: ") and "purge_erased_person_leftovers" in note
               for note in advice.notes), advice.notes
    assert advice.suggestions == [], "\n" + _listed(advice)


async def test_a_table_under_min_rows_never_gets_a_candidate(loaded: Loaded) -> None:
    async with server.session(loaded.dsn) as session:
        schema = await advisor.load_schema(session)
    small = {table for table, n in schema.rows.items() if n < MIN_ROWS and table in schema.columns}
    # The workload does filter on them: organizations, cycles, competencies are read by key and more.
    filtered = {
        table
        for statement in workload.named_queries()
        for table, _ in advisor.predicate_columns(statement, schema)[0]
    }
    assert {"organizations", "feedback_cycles", "feedback_forms", "competencies"} <= small & filtered
    offered = {
        (table, columns)
        for statement in workload.named_queries()
        for table, columns in advisor.candidates(statement, schema, MIN_ROWS)
        if table in small
    }
    assert offered == set()
