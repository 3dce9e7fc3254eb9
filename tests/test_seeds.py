"""The seed data (``sql/seeds``) against a real server.

Seeding twice changes nothing; dev includes prod; the specification's two
"Complex Queries", run verbatim, give meaningful rows on the dev data; the
documented dev password verifies; an unmigrated database is refused and left
alone. The runner itself (order, one transaction) is tested in
``test_migrations.py``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import aiosql
import asyncpg
import psycopg
import pytest

from ikenei.errors import NotMigrated
from ikenei.schema import seeds
from ikenei.security import passwords

HERE = Path(__file__).resolve().parent
HELPERS = aiosql.from_path(HERE / "sql" / "seeds.sql", "psycopg")
COMPLEX_QUERIES_FILE = HERE / "sql" / "seed_complex_queries.sql"

#: The password of every dev test user (see sql/seeds/dev/010_organizations_and_users.sql).
DEV_PASSWORD = "ikenei-dev-2026"

# Fixed ids of the dev seed.
MAYA = UUID("00000000-0000-4000-8000-000000002002")
SAM = UUID("00000000-0000-4000-8000-000000002007")
LEADERSHIP_360 = UUID("00000000-0000-4000-8000-000000006101")  # active, anonymous form
MID_YEAR_CHECK_IN = UUID("00000000-0000-4000-8000-000000006102")  # closed, named form
BLUEFIN_DRAFT_CYCLE = UUID("00000000-0000-4000-8000-000000006201")
EXTERNAL_INVITATION = UUID("00000000-0000-4000-8000-000000610110")
EXTERNAL_TOKEN = "northwind-dev-external-rater"

#: Kinds of learning material the application relies on.
RESOURCE_TYPES = {
    "course",
    "book",
    "article",
    "video",
    "workshop",
    "mentoring",
    "podcast",
    "on_the_job",
}

#: The entities of the specification ("Core Entities"), each given rows by the dev seed.
SPEC_TABLES = {
    "users", "organizations", "user_organizations", "roles", "user_roles",
    "feedback_forms", "feedback_questions", "feedback_cycles", "feedback_invitations",
    "feedback_responses", "feedback_ratings",
    "competencies", "competency_categories", "competency_levels", "user_competencies",
    "learning_plans", "learning_objectives", "learning_resources", "learning_progress",
    "recommendations",
    "analytics_events", "reports", "dashboard_widgets",
}  # fmt: skip


def quiet(_line: str) -> None:
    """Swallow the runner's progress lines."""


def query(dsn: str, fn: Any, **params: Any) -> Any:
    with psycopg.connect(dsn, autocommit=True) as conn:
        result = fn(conn, **params)
        return list(result) if hasattr(result, "__next__") else result


def snapshot(dsn: str) -> dict[str, tuple[int, str]]:
    """``{table: (row count, digest of its rows)}`` for every table of schema public."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        HELPERS.create_table_digest_function(conn)
        rows = list(HELPERS.table_snapshot(conn))
    return {name: (count, digest) for name, count, digest in rows}


def complex_queries() -> dict[str, str]:
    """The spec's queries by name, each exactly as written under its ``-- name:`` line."""
    text = COMPLEX_QUERIES_FILE.read_text(encoding="utf-8")
    parts = re.split(r"^-- name: (\w+)\n", text, flags=re.MULTILINE)
    names, bodies = parts[1::2], parts[2::2]
    return {name: body.rstrip("\n") + "\n" for name, body in zip(names, bodies, strict=True)}


@pytest.fixture
def dev_dsn(fresh_dsn: str) -> str:
    """A migrated database with the dev seed (and so the prod seed) loaded."""
    seeds.run(fresh_dsn, "dev", out=quiet)
    return fresh_dsn


# --------------------------------------------------------------------------- idempotence


def test_prod_seed_twice_changes_nothing(fresh_dsn: str) -> None:
    seeds.run(fresh_dsn, "prod", out=quiet)
    first = snapshot(fresh_dsn)
    seeds.run(fresh_dsn, "prod", out=quiet)
    assert snapshot(fresh_dsn) == first

    assert [r[0] for r in query(fresh_dsn, HELPERS.system_role_names)] == [
        "admin", "employee", "external_rater", "hr_manager", "manager",
    ]  # fmt: skip
    categories = [r[0] for r in query(fresh_dsn, HELPERS.standard_category_names)]
    assert categories[:6] == [
        "Leadership", "Communication", "Collaboration",
        "Technical Excellence", "Execution", "Growth Mindset",
    ]  # fmt: skip
    codes = {r[0] for r in query(fresh_dsn, HELPERS.resource_type_codes)}
    assert RESOURCE_TYPES <= codes
    assert query(fresh_dsn, HELPERS.setting_value, key="feedback.default_anonymity_threshold") == 3
    assert query(fresh_dsn, HELPERS.setting_value, key="retention.analytics_events_days") > 0


def test_dev_seed_twice_changes_nothing(fresh_dsn: str) -> None:
    seeds.run(fresh_dsn, "dev", out=quiet)
    first = snapshot(fresh_dsn)
    seeds.run(fresh_dsn, "dev", out=quiet)
    assert snapshot(fresh_dsn) == first

    empty = sorted(table for table in SPEC_TABLES if first[table][0] == 0)
    assert empty == [], f"the dev seed leaves these tables empty: {empty}"


def test_dev_seed_includes_prod(fresh_dsn: str) -> None:
    seeds.run(fresh_dsn, "dev", out=quiet)
    after_dev = snapshot(fresh_dsn)
    # Everything prod seeds is there already: running it adds nothing.
    seeds.run(fresh_dsn, "prod", out=quiet)
    assert snapshot(fresh_dsn) == after_dev
    assert len(query(fresh_dsn, HELPERS.system_role_names)) == 5


def test_unmigrated_database_is_refused_and_left_alone(empty_dsn: str) -> None:
    before = query(empty_dsn, HELPERS.public_relation_count)
    for which in ("prod", "dev"):
        with pytest.raises(NotMigrated, match=r"run `make migrate` first"):
            seeds.run(empty_dsn, which, out=quiet)
    assert query(empty_dsn, HELPERS.public_relation_count) == before == 0


# --------------------------------------------------------------------------- the spec's queries


async def test_feedback_analysis_query_gives_meaningful_rows(dev_dsn: str) -> None:
    conn = await asyncpg.connect(dev_dsn)
    try:
        rows = await conn.fetch(complex_queries()["feedback_analysis"], MAYA, LEADERSHIP_360)
        earlier = await conn.fetch(complex_queries()["feedback_analysis"], MAYA, MID_YEAR_CHECK_IN)
    finally:
        await conn.close()

    by_name = {r["competency_name"]: r for r in rows}
    assert set(by_name) == {
        "Strategic Thinking", "Coaching & Developing Others", "Clear Communication",
        "Active Listening", "Cross-team Collaboration", "Delivery & Ownership",
    }  # fmt: skip
    for r in rows:
        assert 1 <= r["average_rating"] <= 5
        assert r["rating_variance"] is not None and 0 < r["rating_variance"] < 2
    # Nine raters answered (self, manager, three peers, three direct reports,
    # one external); coaching is asked twice.
    assert {name: r["response_count"] for name, r in by_name.items()} == {
        name: 18 if name == "Coaching & Developing Others" else 9 for name in by_name
    }
    averages = [r["average_rating"] for r in rows]
    assert averages == sorted(averages, reverse=True)
    assert len(set(averages)) > 3, "averages should differ between competencies"
    assert rows[-1]["competency_name"] == "Coaching & Developing Others"  # her largest gap

    assert len(earlier) >= 4
    assert all(1 <= r["average_rating"] <= 5 and r["response_count"] >= 1 for r in earlier)


async def test_learning_progress_query_matches_the_seeded_objectives(dev_dsn: str) -> None:
    conn = await asyncpg.connect(dev_dsn)
    try:
        maya = await conn.fetch(complex_queries()["learning_progress"], MAYA)
        sam = await conn.fetch(complex_queries()["learning_progress"], SAM)
    finally:
        await conn.close()

    got = {
        (
            r["plan_title"],
            r["total_objectives"],
            r["completed_objectives"],
            r["completion_percentage"],
        )
        for r in maya
    }
    # Only the active plans; the completed 2024 plan is left out.
    assert got == {
        ("Coaching and strategy: growing as a people leader", 4, 2, Decimal("50.00")),
        ("Sharpen technical judgement", 3, 1, Decimal("33.33")),
    }
    counted = query(dev_dsn, HELPERS.active_plan_objective_counts, user_id=MAYA)
    assert {
        (title, total, completed, round(Decimal(completed * 100) / total, 2))
        for title, total, completed in counted
    } == got
    assert [
        (r["total_objectives"], r["completed_objectives"], r["completion_percentage"]) for r in sam
    ] == [(2, 0, Decimal("0.00"))]


# --------------------------------------------------------------------------- the dev data


def test_dev_password_verifies_against_the_seeded_hashes(dev_dsn: str) -> None:
    hashes = {
        row[0]
        for domain in ("northwind.example", "bluefin.example")
        for row in query(dev_dsn, HELPERS.password_hashes_of_domain, domain=domain)
    }
    assert hashes, "no dev users found"
    for password_hash in hashes:
        assert password_hash.startswith("$2b$12$")  # bcrypt, cost 12
        assert passwords.verify_password(DEV_PASSWORD, password_hash)
        assert not passwords.verify_password(DEV_PASSWORD + "x", password_hash)


def test_feedback_cycles_have_every_kind_of_invitation(dev_dsn: str) -> None:
    statuses = dict(query(dev_dsn, HELPERS.invitation_status_counts, cycle_id=LEADERSHIP_360))
    assert set(statuses) == {"completed", "pending", "started", "declined"}
    assert statuses["completed"] > statuses["pending"]
    assert dict(query(dev_dsn, HELPERS.invitation_status_counts, cycle_id=MID_YEAR_CHECK_IN)) == {
        "completed": 7,
        "expired": 1,
    }
    assert dict(query(dev_dsn, HELPERS.invitation_status_counts, cycle_id=BLUEFIN_DRAFT_CYCLE)) == {
        "pending": 5
    }

    groups = dict(
        query(
            dev_dsn, HELPERS.invitation_relationships, cycle_id=LEADERSHIP_360, target_user_id=MAYA
        )
    )
    assert groups == {"self": 1, "manager": 1, "peer": 4, "direct_report": 3, "external": 1}

    digest_bytes, matches, still_valid, status = query(
        dev_dsn,
        HELPERS.external_invitation_token,
        invitation_id=EXTERNAL_INVITATION,
        token=EXTERNAL_TOKEN,
    )
    assert (digest_bytes, matches, still_valid, status) == (32, True, True, "completed")

    assert query(dev_dsn, HELPERS.named_answers_of_anonymous_forms) == 0


def test_dev_seed_shows_every_part_of_the_process(dev_dsn: str) -> None:
    states, notes, types, closed, reviewed, overdue, evidence = query(dev_dsn, HELPERS.process_capabilities)
    assert states == ["approved", "proposed", "rejected", "withdrawn"]
    assert notes == ["failed", "queued", "sent"]
    assert types == ["multiple_choice", "nps", "rating", "single_choice", "text"]
    assert closed == 2  # a trend for Maya
    assert (reviewed, overdue, evidence) == (1, 1, 1)
