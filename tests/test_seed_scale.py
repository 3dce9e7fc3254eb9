"""``ikenei seed scale``: the generated data's shape, determinism, refusals.

Tiny sizes only (a few organizations of twenty people); the full size is
measured by ``make bench-scale``, not tested.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import psycopg
import pytest
from conftest import create_database, drop_database, dsn_for
from pii_support import TEST_PII_KEY

from ikenei.cli import main
from ikenei.db.queries import Query, load
from ikenei.errors import Conflict, DatabaseError, InvalidData
from ikenei.schema import seed_scale
from ikenei.schema.seed_scale import COMMENTS, ScaleSize, load_scale
from ikenei.security.encryption import Cipher, parse_key

TQ = load(Path(__file__).parent / "sql" / "seed_scale.sql")
AS_OF = date(2026, 12, 1)
# Three cycles an organization: a closed one on each form and an active one.
SMALL = ScaleSize(organizations=3, people=60, cycles=9, seed=7, as_of=AS_OF)


def cipher() -> Cipher:
    return Cipher(parse_key(TEST_PII_KEY))


def quiet(_line: str) -> None:
    pass


async def load(dsn: str, size: ScaleSize = SMALL, **options: Any) -> seed_scale.LoadResult:
    return await load_scale(
        dsn, size, cipher(), progress=seed_scale.plain_progress(quiet), out=quiet, **options
    )


async def fetch(dsn: str, query: Query) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(query.sql))
    finally:
        await conn.close()


async def value(dsn: str, query: Query) -> Any:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(query.sql)
    finally:
        await conn.close()


async def test_the_shape_of_a_small_load(fresh_dsn: str) -> None:
    result = await load(fresh_dsn)
    rows = result.rows
    assert rows["organizations"] == 3
    assert rows["users"] == 60
    assert rows["feedback_cycles"] == 9
    # About eight invitations a person and cycle, ten rated answers and 0.4
    # comments a submission, ten competency ratings, fifty events a person.
    assert 6 * 60 * 3 <= rows["feedback_invitations"] <= 9 * 60 * 3
    submissions = rows["feedback_ratings"] / 10
    assert 10.2 * submissions <= rows["feedback_responses"] <= 10.6 * submissions
    assert rows["learning_plans"] == 60 and rows["learning_objectives"] == 120
    assert rows["analytics_events"] == 60 * seed_scale.EVENTS_PER_PERSON

    # Every member rated by self and peers, by their manager, by their reports.
    assert await fetch(fresh_dsn, TQ.people_without_invitations) == []
    assert 0.85 <= await value(fresh_dsn, TQ.completion) <= 0.95

    # Comments decrypt with the key, bound to their rows.
    stored = await fetch(fresh_dsn, TQ.stored_comments)
    assert len(stored) >= 0.3 * submissions
    key = cipher()
    for answer_id, ciphertext, key_id in stored:
        text = key.decrypt(ciphertext, key_id, table="feedback_responses", column="comment",
                           row_id=answer_id)
        assert text in COMMENTS

    # Events: fifty a member, over the twelve months before as_of.
    for org in await fetch(fresh_dsn, TQ.events_per_organization):
        assert org["events"] == org["members"] * seed_scale.EVENTS_PER_PERSON
        assert org["months"] >= 12

    # Anonymous answers name no invitation and leave no audit entry; a closed
    # anonymous cycle's answers are dated the day of its close (the close's
    # rewrite); named ones keep both.
    kinds = {(r["is_anonymous"], r["status"]): r for r in await fetch(fresh_dsn, TQ.anonymous_answers)}
    assert set(kinds) == {(True, "closed"), (True, "active"), (False, "closed"), (False, "active")}
    for (anonymous, _status), r in kinds.items():
        if anonymous:
            assert r["with_invitation"] == 0 and r["audited"] == 0
        else:
            assert r["with_invitation"] == r["answers"] and r["audited"] == r["answers"]
        assert r["dated_at_close"]


async def test_results_are_read_through_the_application(fresh_dsn: str) -> None:
    from ikenei import Database
    from ikenei.config.settings import load_settings

    await load(fresh_dsn)
    conn = await asyncpg.connect(fresh_dsn)
    try:
        cycle = await conn.fetchrow(TQ.closed_anonymous_cycle.sql)
    finally:
        await conn.close()
    db = await Database.connect(
        load_settings(database_url=fresh_dsn, pii_encryption_key=TEST_PII_KEY, db_app_role=None)
    )
    try:
        async with db.organization(cycle["organization_id"], user_id=cycle["admin_id"]) as tx:
            analysis = await tx.feedback.analyze(cycle["target_user_id"], cycle["cycle_id"])
            groups = await tx.feedback.results_by_group(cycle["target_user_id"], cycle["cycle_id"])
            comments = await tx.feedback.comments(cycle["target_user_id"], cycle["cycle_id"])
    finally:
        await db.close()
    assert len(analysis) == 10
    assert all(1 <= a.average_rating <= 5 for a in analysis if a.average_rating is not None)
    assert any(g.rater_group == "direct_report" for g in groups)
    assert all(c.comment in COMMENTS for c in comments)


async def test_the_same_seed_loads_the_same_data(admin_dsn: str, template_dsn: str) -> None:
    template = str(psycopg.conninfo.conninfo_to_dict(template_dsn)["dbname"])
    size = ScaleSize(organizations=2, people=30, cycles=4, seed=11, as_of=AS_OF)
    names = [create_database(admin_dsn, template=template) for _ in range(3)]
    try:
        dsns = [dsn_for(admin_dsn, name) for name in names]
        await load(dsns[0], size)
        await load(dsns[1], size)
        await load(dsns[2], ScaleSize(organizations=2, people=30, cycles=4, seed=12, as_of=AS_OF))
        first, second, other = [
            {r["table_name"]: r["digest"] for r in await fetch(dsn, TQ.table_digests)} for dsn in dsns
        ]
    finally:
        for name in names:
            drop_database(admin_dsn, name)
    assert first == second
    assert all(first[table] != other[table] for table in first)


async def test_a_database_with_people_is_refused_unless_added_to(fresh_dsn: str) -> None:
    size = ScaleSize(organizations=2, people=20, cycles=2, seed=3, as_of=AS_OF)
    await load(fresh_dsn, size)
    with pytest.raises(Conflict, match="already holds people"):
        await load(fresh_dsn, size)
    assert await value(fresh_dsn, TQ.people_count) == 20
    added = await load(fresh_dsn, size, add=True)
    assert added.first_organization == 2
    assert added.rows["organizations"] == 4 and added.rows["users"] == 40
    recorded = await seed_scale.loads(fresh_dsn)
    assert [entry["first_organization"] for entry in recorded] == [0, 2]


async def test_a_failing_organization_leaves_nothing_of_it(
    fresh_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same named arguments, and a statement that fails.
    failing = Query("scale_insert_objectives", "SELECT 1 / 0, $1::int, $2::int, $3::int",
                    ("seed", "org_no", "people"))
    monkeypatch.setattr(seed_scale.Q, "scale_insert_objectives", failing, raising=True)
    with pytest.raises(DatabaseError, match="0 of 2 organizations were loaded"):
        await load(fresh_dsn, ScaleSize(organizations=2, people=20, cycles=2, seed=3, as_of=AS_OF))
    assert await value(fresh_dsn, TQ.people_count) == 0
    assert await seed_scale.loads(fresh_dsn) == []


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"organizations": 0}, "organizations"),
        ({"people": 3}, "people"),
        ({"cycles": 1}, "cycles"),
        ({"seed": -1}, "seed"),
    ],
)
async def test_a_bad_size_is_refused_before_anything_is_written(
    fresh_dsn: str, options: dict[str, int], field: str
) -> None:
    size = ScaleSize(**{"organizations": 2, "people": 20, "cycles": 2, "as_of": AS_OF, **options})
    with pytest.raises(InvalidData) as refused:
        await load(fresh_dsn, size)
    assert refused.value.field == field
    assert await value(fresh_dsn, TQ.people_count) == 0


def test_the_command_line(fresh_dsn: str, monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", fresh_dsn)
    assert main(["seed", "scale", "--organizations", "0"]) == 1
    assert "organizations" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["seed", "scale", "--people", "many"])
    assert "invalid int value" in capsys.readouterr().err
    arguments = ["seed", "scale", "--organizations", "2", "--people", "20", "--cycles", "2",
                 "--seed", "5", "--as-of", "2026-12-01"]
    assert main(arguments) == 0
    output = capsys.readouterr().out
    assert "organizations: 2/2" in output and "seeded scale (seed 5" in output
    assert main(arguments) == 1
    assert "--add" in capsys.readouterr().err
    assert main([*arguments, "--add"]) == 0
    assert "organizations 2-3" in capsys.readouterr().out
