"""Results and counts are read through indexes that hold what they need: the
entries of one person's answers in one cycle, of one cycle's invitations, not
a walk over the table (see 20261205_110200_result_indexes)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from feedback_fixtures import answers, give_feedback, make_setup
from foundation_support import make_member, make_org
from plan_support import lookups, rows_read
from security_support import app_database, raw

from ikenei.db.queries import Executor, Q, load
from ikenei.monitoring.plans import nodes
from ikenei.repositories.analytics import Event, EventCount

TQ = load(Path(__file__).parent / "sql" / "result_indexes.sql")



def scans_of(plan: dict[str, Any], table: str) -> list[tuple[str, str | None]]:
    return [(n["Node Type"], n.get("Index Name")) for n in nodes(plan)
            if n.get("Relation Name") == table]


@asynccontextmanager
async def nested_plans(dsn: str, *, analyse: bool = False) -> AsyncIterator[tuple[Executor, list[dict[str, Any]]]]:
    """A connection that logs the plan of every statement it runs, nested ones
    included (auto_explain; with ``analyse``, each node's actual rows and
    loops), into the list it yields beside it."""
    plans: list[dict[str, Any]] = []

    def keep(_: Any, message: Any) -> None:
        text = message.message
        if "plan:" in text:
            plans.append(json.loads(text.split("plan:", 1)[1])["Plan"])

    conn = await asyncpg.connect(dsn)
    try:
        x = Executor(conn)
        await x.execute(TQ.load_auto_explain)
        await x.value(TQ.analyse_nested_statements if analyse else TQ.explain_nested_statements)
        conn.add_log_listener(keep)
        yield x, plans
    finally:
        await conn.close()


async def test_the_analysis_reads_one_persons_answers_from_the_covering_index(fresh_dsn, db):
    setup = await make_setup(db, anonymous=False, threshold=1)
    for relationship, ratings in (("self", (3, 4, 5)), ("peer", (4, 4, 4)), ("manager", (2, 3, 4))):
        await give_feedback(db, setup, relationship, ratings)

    await Executor(db._pool).execute(TQ.vacuum_answers_and_invitations)
    async with nested_plans(fresh_dsn) as (x, plans), x.transaction() as tx:
        await tx.value(TQ.avoid_sequential_scans)
        await tx.value(TQ.act_as_application, organization_id=setup.org.id)
        found = await tx.all(TQ.analysis_of, Id, target_user_id=setup.target.id, cycle_id=setup.cycle.id)
    assert len(found) == 2
    answers = [scans_of(p, "feedback_responses") for p in plans]
    [scans] = [s for s in answers if s]
    # Twice: for the questions the answers name, and for the answers themselves.
    assert scans == [("Index Only Scan", "idx_feedback_responses_target_cycle")] * 2


async def test_the_completion_of_a_cycle_reads_its_invitations_from_the_index(fresh_dsn, db):
    setup = await make_setup(db, anonymous=False, threshold=1)
    for relationship in ("self", "peer", "peer", "manager"):
        await give_feedback(db, setup, relationship, (3, 4, 5))
    await Executor(db._pool).execute(TQ.vacuum_answers_and_invitations)
    explain = dataclasses.replace(Q.get_feedback_cycle_completion, name="explain_completion",
                                  sql="EXPLAIN (FORMAT JSON) " + Q.get_feedback_cycle_completion.sql)
    app = await app_database(fresh_dsn)
    try:
        async with app.organization(setup.org.id) as tx:
            await raw(tx).value(TQ.avoid_sequential_scans)
            found = await raw(tx).value(explain, cycle_id=setup.cycle.id)
    finally:
        await app.close()
    [plan] = json.loads(found) if isinstance(found, str) else found
    assert scans_of(plan["Plan"], "feedback_invitations") == [
        ("Index Only Scan", "idx_feedback_invitations_cycle_status")
    ]


async def test_the_rater_group_rule_runs_once_not_once_per_answer(fresh_dsn, db):
    # The planner expects a person to have one answer in a cycle; with the rule
    # (a window over the groups' counts) inlined it ran once per answer, and
    # results by group rescanned the ratings once per group
    # (20261205_120000_rater_groups_counted_once, 20261205_122000_results_read_ratings_once).
    setup = await make_setup(db, anonymous=False, threshold=1)
    for relationship in ("self", "peer", "peer", "manager", "direct_report"):
        await give_feedback(db, setup, relationship, (3, 4, 5))
    await db.feedback.close_cycle(setup.cycle.id)

    calls = {"question results": (TQ.question_results_of, QuestionId, True),
             "blind spots": (TQ.blind_spots_of, Id, True),
             "trend": (TQ.trend_of, Id, False),
             "analysis": (TQ.analysis_of, Id, True),
             "weighted score": (TQ.weighted_score_of, Id, True),
             "results by group": (TQ.results_by_group_of, Id, True)}
    made: dict[str, list[dict[str, Any]]] = {}
    async with nested_plans(fresh_dsn, analyse=True) as (x, plans):
        for name, (query, record, per_cycle) in calls.items():
            plans.clear()
            async with x.transaction() as tx:
                await tx.value(TQ.act_as_application, organization_id=setup.org.id)
                cycle = {"cycle_id": setup.cycle.id} if per_cycle else {}
                assert await tx.all(query, record, target_user_id=setup.target.id, **cycle)
            made[name] = list(plans)
    for name in ("question results", "blind spots", "trend", "analysis", "weighted score"):
        windows = [n for p in made[name] for n in nodes(p) if n["Node Type"] == "WindowAgg"]
        assert windows and all(w["Actual Loops"] == 1 for w in windows), name
    [by_group] = [p for p in made["results by group"]
                  if any(n.get("Relation Name") == "competencies" for n in nodes(p))]
    ratings_read = [n["Actual Loops"] for n in nodes(by_group)
                    if n.get("Relation Name") == "feedback_ratings" or n["Node Type"] == "CTE Scan"]
    assert ratings_read == [1], json.dumps(by_group, indent=1)


async def test_the_heatmap_looks_up_each_person_once_not_once_per_rating(fresh_dsn, db):
    # It joined every rating to its person, their manager and its competency:
    # three lookups per rating (20261205_125000_heatmap_reads_people_once).
    setup = await make_setup(db, anonymous=False, threshold=1)
    people = [setup.target] + [await make_member(db, setup.org.id) for _ in range(3)]
    raters = [await make_member(db, setup.org.id) for _ in range(4)]
    for person in people:
        for rater in raters:
            created = await db.feedback.invite(setup.cycle.id, target_user_id=person.id, relationship="peer",
                                               rater_user_id=rater.id)
            await db.feedback.submit(created.invitation.id, answers(setup, (3, 4, 5)))
    await db.feedback.close_cycle(setup.cycle.id)
    async with nested_plans(fresh_dsn, analyse=True) as (x, plans), x.transaction() as tx:
        await tx.value(TQ.avoid_sequential_scans)  # as at scale: by index, where the loops show
        await tx.value(TQ.act_as_application, organization_id=setup.org.id)
        assert await tx.all(TQ.heatmap_of, Id, cycle_id=setup.cycle.id)
    looked_up = lookups(plans, "users", "competencies")
    # Each person and their manager at most, each competency once (32 ratings of 4 people in 2 competencies).
    assert looked_up["users"] <= 2 * len(people), looked_up
    assert looked_up["competencies"] <= 2, looked_up


async def test_a_persons_results_look_up_each_question_and_competency_once(fresh_dsn, db):
    # They joined every answer to its question and its competency: two or three
    # lookups per answer; the trend probed every closed cycle of the server
    # (20261205_126000_results_look_up_questions_once).
    setup = await make_setup(db, anonymous=False, threshold=1)
    for relationship in ("self", "peer", "peer", "peer", "manager", "direct_report"):
        await give_feedback(db, setup, relationship, (3, 4, 5))
    await db.feedback.close_cycle(setup.cycle.id)
    calls = {"analysis": (TQ.analysis_of, True), "weighted score": (TQ.weighted_score_of, True),
             "trend": (TQ.trend_of, False)}
    looked_up: dict[str, dict[str, int]] = {}
    async with nested_plans(fresh_dsn, analyse=True) as (x, plans):
        for name, (query, per_cycle) in calls.items():
            plans.clear()
            async with x.transaction() as tx:
                await tx.value(TQ.avoid_sequential_scans)
                await tx.value(TQ.act_as_application, organization_id=setup.org.id)
                cycle = {"cycle_id": setup.cycle.id} if per_cycle else {}
                assert await tx.all(query, Id, target_user_id=setup.target.id, **cycle)
            looked_up[name] = lookups(plans, "feedback_questions", "competencies", "feedback_cycles")
    # 3 questions (2 of them rated) of 2 competencies, 6 submissions; the cycle once
    # to open the results, once to list the trend's.
    for name, counts in looked_up.items():
        assert counts["feedback_questions"] <= 3, (name, counts)
        assert counts["competencies"] <= 2, (name, counts)
        assert counts["feedback_cycles"] <= 3, (name, counts)


async def test_the_trend_reads_the_persons_closed_cycles_not_the_servers(fresh_dsn, db):
    # The planner started from the closed cycles of every organization and
    # probed the person's ratings for each (20261205_128000).
    setup = await make_setup(db, anonymous=False, threshold=1)
    for relationship in ("self", "peer"):
        await give_feedback(db, setup, relationship, (3, 4, 5))
    await db.feedback.close_cycle(setup.cycle.id)
    for _ in range(5):
        other = await make_setup(db, anonymous=False, threshold=1)
        await give_feedback(db, other, "peer", (3, 4, 5))
        await db.feedback.close_cycle(other.cycle.id)
    async with nested_plans(fresh_dsn, analyse=True) as (x, plans), x.transaction() as tx:
        await tx.value(TQ.avoid_sequential_scans)
        await tx.value(TQ.act_as_application, organization_id=setup.org.id)
        trend = await tx.all(TQ.trend_of, Id, target_user_id=setup.target.id)
    assert trend
    cycles_read = rows_read(plans, "feedback_cycles")
    # The person's one closed cycle: once to list it, once to open its results.
    assert cycles_read <= 2, cycles_read


async def test_a_viewer_counts_events_from_the_index_alone(fresh_dsn, db):
    # The policy of events reads each row's user_id and xmin; a viewer, whom it
    # lets see every event, counts them without (20261205_121000).
    org = await make_org(db)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    await db.analytics.record_events(
        [Event(org.id, "page.view", occurred_at=start + timedelta(hours=h)) for h in range(48)])
    await Executor(db._pool).execute(TQ.vacuum_events)

    async with nested_plans(fresh_dsn, analyse=True) as (x, plans), x.transaction() as tx:
        await tx.value(TQ.avoid_sequential_scans)
        await tx.value(TQ.act_as_application, organization_id=org.id)
        counted = await tx.all(Q.count_analytics_events_by_day, EventCount, organization_id=org.id,
                               since=start, until=start + timedelta(days=2), event_type=None,
                               time_zone="UTC")
    assert [c.events for c in counted] == [24, 24]
    read = [n for p in plans for n in nodes(p)
            if n.get("Relation Name") == "analytics_events" and n.get("Actual Loops", 0) > 0]
    assert [(n["Node Type"], n.get("Index Name"), n.get("Heap Fetches")) for n in read] == [
        ("Index Only Scan", "idx_analytics_events_organization_page", 0)
    ]


@dataclasses.dataclass(frozen=True, slots=True)
class QuestionId:
    question_id: Any


@dataclasses.dataclass(frozen=True, slots=True)
class Id:
    competency_id: Any
