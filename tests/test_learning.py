"""Learning: resources, plans and their moves, objectives, progress, recommendations."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from foundation_support import conflict_after_waiting, executor, make_member, make_org
from paging_support import page_after
from statement_counter import count_statements

from ikenei import Database
from ikenei.db.queries import load
from ikenei.errors import AlreadyExists, Conflict, InvalidData, NotFound
from ikenei.repositories.competencies import LevelSpec

# What the repositories deliberately cannot do: count raw rows, bypass a guard, see lock waits.
TQ = load(Path(__file__).parent / "sql" / "learning.sql")


@dataclass(frozen=True, slots=True)
class Counts:
    plans: int
    objectives: int
    progress: int


async def counts(db: Database) -> Counts:
    found = await executor(db).one(TQ.count_learning_rows, Counts)
    assert found is not None
    return found


SCALE = [
    LevelSpec("Novice"),
    LevelSpec("Practitioner"),
    LevelSpec("Expert"),
    LevelSpec("Leader"),
    LevelSpec("Master"),
]


async def new_org(db, name: str = "Acme") -> UUID:
    return (await make_org(db, name=name)).id


async def new_member(db, organization_id: UUID) -> UUID:
    return (await make_member(db, organization_id)).id


async def competency_with_scale(db, organization_id: UUID, name: str, **kwargs):
    competency = await db.competencies.create(organization_id, name=name, **kwargs)
    await db.competencies.set_proficiency_levels(organization_id, competency.id, SCALE)
    return competency


async def all_plans(db, organization_id: UUID, user_id: UUID):
    return await db.learning.list_plans(organization_id, user_id, limit=1000)


# Resource types and resources


async def test_resource_types_are_upserted_by_code(db):
    await db.learning.upsert_resource_type("course", "Course")
    renamed = await db.learning.upsert_resource_type("course", "Online course", "self-paced")
    await db.learning.upsert_resource_type("book", "Book")

    assert (renamed.code, renamed.name, renamed.description) == (
        "course",
        "Online course",
        "self-paced",
    )
    assert [(t.code, t.name) for t in await db.learning.list_resource_types()] == [
        ("book", "Book"),
        ("course", "Online course"),
    ]
    with pytest.raises(InvalidData) as refused:
        await db.learning.upsert_resource_type("Bad Code", "Bad")
    assert refused.value.field == "code"
    assert len(await db.learning.list_resource_types()) == 2


async def test_resources_are_listed_by_competency_type_and_overlapping_level_range(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    await db.learning.upsert_resource_type("course", "Course")
    await db.learning.upsert_resource_type("book", "Book")
    testing = await db.competencies.create(acme, name="Testing")
    basics = await db.learning.create_resource(
        acme,
        title="Basics",
        resource_type="course",
        competency_id=testing.id,
        min_level=1,
        max_level=2,
        url="https://example.com/basics",
        provider="Example",
        duration_minutes=90,
        cost=Decimal("19.99"),
        description="first steps",
    )
    advanced = await db.learning.create_resource(
        acme, title="Advanced", resource_type="book", competency_id=testing.id, min_level=4
    )
    general = await db.learning.create_resource(
        acme, title="General", resource_type="course", is_active=False
    )
    await db.learning.create_resource(other, title="Theirs", resource_type="course")

    assert (
        basics.url,
        basics.provider,
        basics.duration_minutes,
        basics.cost,
        basics.description,
    ) == ("https://example.com/basics", "Example", 90, Decimal("19.99"), "first steps")
    assert await db.learning.get_resource(basics.id) == basics

    async def titles(**filters: Any) -> list[str]:
        return [r.title for r in await db.learning.list_resources(acme, **filters)]

    assert await titles() == ["Advanced", "Basics", "General"]
    assert await titles(competency_id=testing.id) == ["Advanced", "Basics"]
    assert await titles(resource_type="course") == ["Basics", "General"]
    assert await titles(level_from=2, level_to=3) == ["Basics", "General"]
    assert await titles(level_from=3, level_to=5) == ["Advanced", "General"]
    assert await titles(competency_id=testing.id, level_from=5) == ["Advanced"]
    assert await titles(is_active=False) == ["General"]
    assert [r.title for r in await page_after(lambda c: db.learning.list_resources(acme, limit=1, after=c), 1)] == [
        "Basics"]
    assert advanced.max_level is None and general.competency_id is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"resource_type": "podcast"}, "resource_type"),
        ({"url": "ftp://example.com"}, "url"),
        ({"min_level": 3, "max_level": 2}, "max_level"),
        ({"min_level": 11}, "min_level"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"cost": Decimal(-1)}, "cost"),
        ({"title": " "}, "title"),
    ],
)
async def test_resource_refuses_bad_fields(db, fields, field):
    acme = await new_org(db)
    await db.learning.upsert_resource_type("course", "Course")

    with pytest.raises(InvalidData) as refused:
        await db.learning.create_resource(
            acme, **{"title": "T", "resource_type": "course", **fields}
        )

    assert refused.value.field == field
    assert await db.learning.list_resources(acme) == []


async def test_resource_refuses_another_organizations_competency(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    await db.learning.upsert_resource_type("course", "Course")
    theirs = await db.competencies.create(other, name="Selling")

    with pytest.raises(InvalidData) as refused:
        await db.learning.create_resource(
            acme, title="T", resource_type="course", competency_id=theirs.id
        )

    assert refused.value.field == "competency_id"
    assert await db.learning.list_resources(acme) == []


async def test_update_and_soft_delete_resource(db):
    acme = await new_org(db)
    await db.learning.upsert_resource_type("course", "Course")
    await db.learning.upsert_resource_type("video", "Video")
    resource = await db.learning.create_resource(acme, title="Basics", resource_type="course")

    updated = await db.learning.update_resource(
        dataclasses.replace(
            resource,
            title="Basics, 2nd ed.",
            resource_type="video",
            min_level=1,
            max_level=3,
            is_active=False,
        )
    )
    assert (
        updated.title,
        updated.resource_type,
        updated.min_level,
        updated.max_level,
        updated.is_active,
    ) == ("Basics, 2nd ed.", "video", 1, 3, False)
    with pytest.raises(InvalidData) as refused:
        await db.learning.update_resource(dataclasses.replace(updated, resource_type="podcast"))
    assert refused.value.field == "resource_type"
    assert (await db.learning.get_resource(resource.id)).resource_type == "video"

    await db.learning.soft_delete_resource(resource.id)
    with pytest.raises(NotFound):
        await db.learning.get_resource(resource.id)
    with pytest.raises(NotFound):
        await db.learning.update_resource(updated)
    with pytest.raises(NotFound):
        await db.learning.soft_delete_resource(resource.id)
    assert await db.learning.list_resources(acme) == []


# Plans


async def test_plans_are_created_listed_by_status_updated_and_soft_deleted(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    older = await db.learning.create_plan(
        acme,
        person,
        title="Grow",
        description="this year",
        ai_analysis={"summary": "ok"},
        start_date=date(2027, 1, 1),
        target_completion_date=date(2027, 6, 30),
        created_by=person,
    )
    draft = await db.learning.create_plan(acme, person, title="Later", status="draft")

    assert (older.status, older.ai_analysis, older.start_date, older.created_by) == (
        "active",
        {"summary": "ok"},
        date(2027, 1, 1),
        person,
    )
    assert await db.learning.get_plan(older.id) == older
    assert [p.id for p in await all_plans(db, acme, person)] == [draft.id, older.id]
    assert [p.id for p in await db.learning.list_plans(acme, person, status="active")] == [older.id]
    assert [p.id for p in await page_after(lambda c: db.learning.list_plans(acme, person, limit=1, after=c), 1)] == [
        older.id
    ]

    updated = await db.learning.update_plan(
        dataclasses.replace(
            older,
            title="Grow more",
            description=None,
            ai_analysis={"summary": "better"},
            target_completion_date=date(2027, 12, 31),
            status="completed",
        )
    )
    assert (
        updated.title,
        updated.description,
        updated.ai_analysis,
        updated.target_completion_date,
    ) == ("Grow more", None, {"summary": "better"}, date(2027, 12, 31))
    assert updated.status == "active"  # status moves only through the guarded moves

    await db.learning.soft_delete_plan(draft.id)
    with pytest.raises(NotFound):
        await db.learning.get_plan(draft.id)
    with pytest.raises(NotFound):
        await db.learning.soft_delete_plan(draft.id)
    with pytest.raises(NotFound):
        await db.learning.activate_plan(draft.id)
    assert [p.id for p in await all_plans(db, acme, person)] == [older.id]


async def test_plan_refuses_a_non_member_bad_dates_and_a_non_object_analysis(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    person, outsider = await new_member(db, acme), await new_member(db, other)

    with pytest.raises(InvalidData) as not_member:
        await db.learning.create_plan(acme, outsider, title="Grow")
    with pytest.raises(InvalidData) as dates:
        await db.learning.create_plan(
            acme,
            person,
            title="Grow",
            start_date=date(2027, 2, 1),
            target_completion_date=date(2027, 1, 1),
        )
    with pytest.raises(InvalidData) as analysis:
        await db.learning.create_plan(
            acme, person, title="Grow", ai_analysis=["not", "an", "object"]
        )
    with pytest.raises(InvalidData) as status:
        await db.learning.create_plan(acme, person, title="Grow", status="someday")

    assert not_member.value.field == "user_id"
    assert dates.value.field == "target_completion_date"
    assert analysis.value.field == "ai_analysis"
    assert status.value.field == "status"
    assert await all_plans(db, acme, person) == []
    assert await all_plans(db, acme, outsider) == []


async def test_plan_moves_through_its_allowed_states(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    plan = await db.learning.create_plan(acme, person, title="Grow", status="draft")

    assert (await db.learning.activate_plan(plan.id)).status == "active"
    assert (await db.learning.pause_plan(plan.id)).status == "paused"
    resumed = await db.learning.resume_plan(plan.id)
    assert (resumed.status, resumed.actual_completion_date) == ("active", None)
    completed = await db.learning.complete_plan(plan.id)
    assert (completed.status, completed.actual_completion_date) == ("completed", date.today())

    for start, cancel_from in (("draft", None), ("active", None), ("active", "pause")):
        other = await db.learning.create_plan(acme, person, title="Other", status=start)
        if cancel_from == "pause":
            await db.learning.pause_plan(other.id)
        assert (await db.learning.cancel_plan(other.id)).status == "cancelled"


@pytest.mark.parametrize(
    ("start", "move", "current"),
    [
        ("draft", "pause_plan", "draft"),
        ("draft", "complete_plan", "draft"),
        ("draft", "resume_plan", "draft"),
        ("active", "activate_plan", "active"),
        ("active", "resume_plan", "active"),
        ("paused", "complete_plan", "paused"),
        ("paused", "pause_plan", "paused"),
        ("completed", "cancel_plan", "completed"),
        ("completed", "activate_plan", "completed"),
        ("cancelled", "resume_plan", "cancelled"),
        ("cancelled", "cancel_plan", "cancelled"),
    ],
)
async def test_a_refused_plan_move_names_the_current_state_and_changes_nothing(
    db, start, move, current
):
    acme = await new_org(db)
    person = await new_member(db, acme)
    plan = await db.learning.create_plan(acme, person, title="Grow", status="draft")
    path = {
        "draft": [],
        "active": ["activate_plan"],
        "paused": ["activate_plan", "pause_plan"],
        "completed": ["activate_plan", "complete_plan"],
        "cancelled": ["cancel_plan"],
    }[start]
    for step in path:
        plan = await getattr(db.learning, step)(plan.id)

    with pytest.raises(Conflict) as refused:
        await getattr(db.learning, move)(plan.id)

    assert refused.value.current == current
    assert await db.learning.get_plan(plan.id) == plan


async def test_plan_moves_on_a_missing_plan_are_not_found(db):
    for move in ("activate_plan", "pause_plan", "resume_plan", "complete_plan", "cancel_plan"):
        with pytest.raises(NotFound):
            await getattr(db.learning, move)(uuid4())


async def test_two_racing_moves_on_one_plan_one_wins_the_other_conflicts(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    plan = await db.learning.create_plan(acme, person, title="Grow")

    results = await asyncio.gather(
        db.learning.complete_plan(plan.id), db.learning.cancel_plan(plan.id), return_exceptions=True
    )

    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], Conflict)
    assert losers[0].current == winners[0].status
    assert (await db.learning.get_plan(plan.id)).status == winners[0].status


async def test_a_move_waiting_on_a_concurrent_one_sees_its_result(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    plan = await db.learning.create_plan(acme, person, title="Grow", status="draft")

    refused = await conflict_after_waiting(
        db, lambda repos: repos.learning.activate_plan(plan.id), TQ.count_lock_waiters
    )
    assert refused.current == "active"
    assert (await db.learning.get_plan(plan.id)).status == "active"


@pytest.mark.parametrize(
    ("path", "target"),
    [
        (["complete_plan"], "active"),
        (["cancel_plan"], "active"),
        (["pause_plan"], "completed"),
        ([], "draft"),
    ],
)
async def test_the_database_refuses_a_move_that_skips_the_guarded_queries(db, path, target):
    acme = await new_org(db)
    person = await new_member(db, acme)
    plan = await db.learning.create_plan(acme, person, title="Grow")
    for step in path:
        plan = await getattr(db.learning, step)(plan.id)

    with pytest.raises(Conflict) as refused:
        await executor(db).execute(TQ.force_learning_plan_status, plan_id=plan.id, status=target)

    assert refused.value.current == plan.status
    assert await db.learning.get_plan(plan.id) == plan


async def test_the_database_lets_an_allowed_move_through_without_the_guarded_queries(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    plan = await db.learning.create_plan(acme, person, title="Grow", status="draft")

    assert await executor(db).execute(
        TQ.force_learning_plan_status, plan_id=plan.id, status="active",
    ) == 1
    assert (await db.learning.get_plan(plan.id)).status == "active"


# Plans built from gaps


async def test_plan_from_gaps_has_one_objective_per_gap_largest_first(db):
    acme = await new_org(db)
    person, manager = await new_member(db, acme), await new_member(db, acme)
    testing = await competency_with_scale(db, acme, "Testing")
    design = await competency_with_scale(db, acme, "Design")
    coaching = await competency_with_scale(db, acme, "Coaching")
    writing = await competency_with_scale(db, acme, "Writing")
    reached = await competency_with_scale(db, acme, "Reached")
    await db.competencies.set_level(
        acme, person, testing.id, current_level=3, target_level=4, source="self"
    )
    await db.competencies.set_level(
        acme, person, design.id, current_level=1, target_level=3, source="self"
    )
    await db.competencies.set_level(acme, person, coaching.id, target_level=5, source="manager")
    await db.competencies.set_level(
        acme, person, writing.id, current_level=2, target_level=5, source="self"
    )
    await db.competencies.set_level(
        acme, person, reached.id, current_level=3, target_level=3, source="self"
    )
    analysis = {"summary": "focus on coaching", "scores": [1, 2], "nested": {"ok": True}}

    created = await db.learning.create_plan_from_gaps(
        acme,
        person,
        title="From 360",
        ai_analysis=analysis,
        description="auto",
        start_date=date(2027, 1, 1),
        target_completion_date=date(2027, 3, 1),
        created_by=manager,
    )

    plan = created.plan
    assert (
        plan.title,
        plan.description,
        plan.ai_analysis,
        plan.status,
        plan.created_by,
        plan.user_id,
    ) == ("From 360", "auto", analysis, "active", manager, person)
    assert [
        (
            o.competency_id,
            o.title,
            o.current_level,
            o.target_level,
            o.priority,
            o.position,
            o.status,
        )
        for o in created.objectives
    ] == [
        (coaching.id, "Coaching", 0, 5, 1, 1, "not_started"),
        (writing.id, "Writing", 2, 5, 2, 2, "not_started"),
        (design.id, "Design", 1, 3, 3, 3, "not_started"),
        (testing.id, "Testing", 3, 4, 4, 4, "not_started"),
    ]
    assert created.progress == []
    assert [g.competency_id for g in await db.competencies.gaps(acme, person)] == [
        o.competency_id for o in created.objectives
    ]
    assert await db.learning.get_plan_with_details(plan.id) == created
    assert await db.learning.get_plan(plan.id) == plan


async def test_plan_from_gaps_for_a_person_without_gaps_is_refused_and_writes_nothing(db):
    acme = await new_org(db)
    person, newcomer = await new_member(db, acme), await new_member(db, acme)
    testing = await competency_with_scale(db, acme, "Testing")
    await db.competencies.set_level(
        acme, person, testing.id, current_level=4, target_level=3, source="self"
    )

    before = await counts(db)
    for who in (person, newcomer):
        with pytest.raises(Conflict) as refused:
            await db.learning.create_plan_from_gaps(
                acme, who, title="Nothing to do", ai_analysis={}
            )
        assert refused.value.current == "no_gaps"
        assert await all_plans(db, acme, who) == []
    assert await counts(db) == before


async def test_plan_from_gaps_with_a_bad_field_writes_nothing(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    testing = await competency_with_scale(db, acme, "Testing")
    await db.competencies.set_level(
        acme, person, testing.id, current_level=1, target_level=3, source="self"
    )

    with pytest.raises(InvalidData) as analysis:
        await db.learning.create_plan_from_gaps(
            acme, person, title="Grow", ai_analysis=["a", "list"]
        )
    with pytest.raises(InvalidData) as title:
        await db.learning.create_plan_from_gaps(acme, person, title=" ", ai_analysis={})
    with pytest.raises(InvalidData) as cycle:
        await db.learning.create_plan_from_gaps(
            acme, person, title="Grow", ai_analysis={}, source_cycle_id=uuid4()
        )

    assert (analysis.value.field, title.value.field, cycle.value.field) == (
        "ai_analysis",
        "title",
        "source_cycle_id",
    )
    assert await counts(db) == Counts(plans=0, objectives=0, progress=0)


# Objectives


async def test_objectives_are_added_in_order_updated_and_deleted(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    testing = await competency_with_scale(db, acme, "Testing")
    plan = await db.learning.create_plan(acme, person, title="Grow")

    first = await db.learning.add_objective(
        acme,
        plan.id,
        title="Write tests",
        competency_id=testing.id,
        current_level=1,
        target_level=3,
        priority=2,
        due_date=date(2027, 3, 1),
        description="unit first",
    )
    second = await db.learning.add_objective(acme, plan.id, title="Review tests")
    early = await db.learning.add_objective(acme, plan.id, title="Read a book", position=1)

    assert (first.position, second.position, early.position) == (1, 2, 1)
    assert (first.due_date, first.priority, first.status, first.completed_at) == (
        date(2027, 3, 1),
        2,
        "not_started",
        None,
    )
    assert await db.learning.get_objective(first.id) == first
    assert [o.id for o in await db.learning.list_objectives(plan.id)] == [
        first.id,
        early.id,
        second.id,
    ]

    moved = await db.learning.update_objective(
        dataclasses.replace(
            second,
            position=1,
            title="Review others' tests",
            due_date=date(2027, 2, 1),
            priority=1,
            status="completed",
        )
    )
    assert (moved.position, moved.title, moved.due_date, moved.priority, moved.status) == (
        1,
        "Review others' tests",
        date(2027, 2, 1),
        1,
        "not_started",
    )

    await db.learning.delete_objective(early.id)
    assert [o.id for o in await db.learning.list_objectives(plan.id)] == [first.id, second.id]
    with pytest.raises(NotFound):
        await db.learning.delete_objective(early.id)
    with pytest.raises(NotFound):
        await db.learning.get_objective(early.id)
    with pytest.raises(NotFound):
        await db.learning.update_objective(early)


async def test_objective_status_keeps_completed_at_consistent(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    plan = await db.learning.create_plan(acme, person, title="Grow")
    objective = await db.learning.add_objective(acme, plan.id, title="Write tests")

    started = await db.learning.set_objective_status(objective.id, "in_progress")
    done = await db.learning.set_objective_status(objective.id, "completed")
    again = await db.learning.set_objective_status(objective.id, "completed")
    reopened = await db.learning.set_objective_status(objective.id, "in_progress")

    assert (started.status, started.completed_at) == ("in_progress", None)
    assert done.status == "completed" and isinstance(done.completed_at, datetime)
    assert again.completed_at == done.completed_at
    assert (reopened.status, reopened.completed_at) == ("in_progress", None)
    with pytest.raises(InvalidData) as refused:
        await db.learning.set_objective_status(objective.id, "finished")
    assert refused.value.field == "status"
    assert await db.learning.get_objective(objective.id) == reopened
    with pytest.raises(NotFound):
        await db.learning.set_objective_status(uuid4(), "completed")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"priority": 6}, "priority"),
        ({"position": 0}, "position"),
        ({"target_level": 11}, "target_level"),
        ({"current_level": -1}, "current_level"),
        ({"title": ""}, "title"),
    ],
)
async def test_objective_refuses_bad_fields(db, fields, field):
    acme = await new_org(db)
    person = await new_member(db, acme)
    plan = await db.learning.create_plan(acme, person, title="Grow")

    with pytest.raises(InvalidData) as refused:
        await db.learning.add_objective(acme, plan.id, **{"title": "T", **fields})

    assert refused.value.field == field
    assert await db.learning.list_objectives(plan.id) == []


async def test_objective_refuses_another_organizations_competency_or_plan_and_a_repeated_competency(
    db,
):
    acme, other = await new_org(db), await new_org(db, "Other")
    person, outsider = await new_member(db, acme), await new_member(db, other)
    theirs = await db.competencies.create(other, name="Selling")
    ours = await db.competencies.create(acme, name="Testing")
    plan = await db.learning.create_plan(acme, person, title="Grow")
    their_plan = await db.learning.create_plan(other, outsider, title="Theirs")
    existing = await db.learning.add_objective(acme, plan.id, title="Test", competency_id=ours.id)

    with pytest.raises(InvalidData) as wrong_competency:
        await db.learning.add_objective(acme, plan.id, title="Sell", competency_id=theirs.id)
    with pytest.raises(InvalidData) as wrong_plan:
        await db.learning.add_objective(acme, their_plan.id, title="Sneak in")
    with pytest.raises(AlreadyExists) as repeated:
        await db.learning.add_objective(acme, plan.id, title="Test again", competency_id=ours.id)
    with pytest.raises(InvalidData) as moved_to_theirs:
        await db.learning.update_objective(dataclasses.replace(existing, competency_id=theirs.id))

    assert wrong_competency.value.field == "competency_id"
    assert wrong_plan.value.field == "plan_id"
    assert repeated.value.field == "competency_id"
    assert moved_to_theirs.value.field == "competency_id"
    assert await db.learning.list_objectives(plan.id) == [existing]
    assert await db.learning.list_objectives(their_plan.id) == []


# Progress


async def test_progress_is_recorded_for_the_plans_owner_and_listed_per_plan_and_objective(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    await db.learning.upsert_resource_type("course", "Course")
    resource = await db.learning.create_resource(acme, title="Basics", resource_type="course")
    plan = await db.learning.create_plan(acme, person, title="Grow")
    first = await db.learning.add_objective(acme, plan.id, title="Write tests")
    second = await db.learning.add_objective(acme, plan.id, title="Review tests")

    halfway = await db.learning.record_progress(
        plan.id,
        objective_id=first.id,
        resource_id=resource.id,
        progress_percent=50,
        time_spent_minutes=30,
        notes="chapter 3",
    )
    general = await db.learning.record_progress(plan.id, progress_percent=10)
    done = await db.learning.record_progress(plan.id, objective_id=first.id, progress_percent=100)
    earlier = datetime(2027, 1, 1, 12, 0).astimezone()
    backdated = await db.learning.record_progress(
        plan.id, objective_id=second.id, progress_percent=100, completed_at=earlier
    )

    assert (halfway.user_id, halfway.organization_id, halfway.resource_id, halfway.notes) == (
        person,
        acme,
        resource.id,
        "chapter 3",
    )
    assert (halfway.time_spent_minutes, halfway.completed_at) == (30, None)
    assert isinstance(done.completed_at, datetime) and backdated.completed_at == earlier
    assert await db.learning.list_progress(plan.id) == [halfway, general, done, backdated]
    assert await db.learning.list_progress(plan.id, objective_id=first.id) == [halfway, done]


async def test_progress_refuses_bad_values_and_an_objective_of_another_plan(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    plan = await db.learning.create_plan(acme, person, title="Grow")
    other_plan = await db.learning.create_plan(acme, person, title="Other")
    elsewhere = await db.learning.add_objective(acme, other_plan.id, title="Elsewhere")

    cases = [
        ({"progress_percent": 101}, "progress_percent"),
        ({"progress_percent": 50, "completed_at": datetime.now().astimezone()}, "completed_at"),
        ({"progress_percent": 10, "time_spent_minutes": -5}, "time_spent_minutes"),
        ({"progress_percent": 10, "objective_id": elsewhere.id}, "objective_id"),
        ({"progress_percent": 10, "resource_id": uuid4()}, "resource_id"),
    ]
    for fields, field in cases:
        with pytest.raises(InvalidData) as refused:
            await db.learning.record_progress(plan.id, **fields)
        assert refused.value.field == field
    with pytest.raises(NotFound):
        await db.learning.record_progress(uuid4(), progress_percent=10)

    assert await db.learning.list_progress(plan.id) == []
    assert await db.learning.list_progress(other_plan.id) == []


async def test_plan_with_details_comes_in_one_statement(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    plan = await db.learning.create_plan(acme, person, title="Grow", ai_analysis={"k": [1, 2]})
    objectives = [
        await db.learning.add_objective(acme, plan.id, title=f"Objective {i}") for i in range(5)
    ]
    entries = [
        await db.learning.record_progress(plan.id, objective_id=o.id, progress_percent=20 * i)
        for i, o in enumerate(objectives)
    ]
    bare = await db.learning.create_plan(acme, person, title="Bare")

    async with count_statements(db) as (tx, sent):
        details = await tx.learning.get_plan_with_details(plan.id)

    assert sent.count == 1, sent.statements
    assert details.plan == plan
    assert details.objectives == objectives
    assert details.progress == entries
    empty = await db.learning.get_plan_with_details(bare.id)
    assert (empty.plan, empty.objectives, empty.progress) == (bare, [], [])
    with pytest.raises(NotFound):
        await db.learning.get_plan_with_details(uuid4())


# Progress summary


async def test_progress_summary_per_active_plan(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    person = await new_member(db, acme)
    await db.organizations.add_member(other, person)
    three = await db.learning.create_plan(acme, person, title="Three objectives")
    empty = await db.learning.create_plan(acme, person, title="No objectives")
    paused = await db.learning.create_plan(acme, person, title="Paused")
    elsewhere = await db.learning.create_plan(other, person, title="Elsewhere")
    objectives = [await db.learning.add_objective(acme, three.id, title=f"O{i}") for i in range(3)]
    await db.learning.set_objective_status(objectives[0].id, "completed")
    await db.learning.set_objective_status(objectives[1].id, "in_progress")
    await db.learning.add_objective(acme, paused.id, title="Waiting")
    await db.learning.pause_plan(paused.id)
    await db.learning.add_objective(other, elsewhere.id, title="There")

    summary = await db.learning.progress_summary(person, organization_id=acme)

    assert [
        (
            s.plan_id,
            s.plan_title,
            s.total_objectives,
            s.completed_objectives,
            s.completion_percentage,
        )
        for s in summary
    ] == [
        (three.id, "Three objectives", 3, 1, Decimal("33.33")),
        (empty.id, "No objectives", 0, 0, None),
    ]
    everywhere = await db.learning.progress_summary(person)
    assert [s.plan_id for s in everywhere] == [three.id, empty.id, elsewhere.id]
    assert everywhere[2].completion_percentage == Decimal("0.00")


# Recommendations


async def test_recommendations_are_listed_by_score_and_decided_once(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    await db.learning.upsert_resource_type("course", "Course")
    testing = await db.competencies.create(acme, name="Testing")
    resource = await db.learning.create_resource(acme, title="Basics", resource_type="course")
    plan = await db.learning.create_plan(acme, person, title="Grow")
    low = await db.learning.create_recommendation(acme, person, title="Low", score=0.2)
    high = await db.learning.create_recommendation(
        acme,
        person,
        title="High",
        score=Decimal("0.9500"),
        resource_id=resource.id,
        plan_id=plan.id,
        competency_id=testing.id,
        reason="closest to the gap",
        model_name="ranker",
        model_version="2.1",
        model_metadata={"features": ["gap", "cost"], "temperature": 0.1},
    )
    middle = await db.learning.create_recommendation(
        acme, person, title="Middle", score=0.5, recommendation_type="mentor"
    )

    assert (
        high.status,
        high.decided_at,
        high.score,
        high.reason,
        high.model_name,
        high.model_version,
    ) == ("pending", None, Decimal("0.9500"), "closest to the gap", "ranker", "2.1")
    assert high.model_metadata == {"features": ["gap", "cost"], "temperature": 0.1}
    assert low.model_metadata == {} and middle.recommendation_type == "mentor"
    assert await db.learning.get_recommendation(high.id) == high
    assert [r.id for r in await db.learning.list_recommendations(acme, person)] == [
        high.id,
        middle.id,
        low.id,
    ]

    accepted = await db.learning.accept_recommendation(high.id)
    dismissed = await db.learning.dismiss_recommendation(low.id)

    assert accepted.status == "accepted" and isinstance(accepted.decided_at, datetime)
    assert dismissed.status == "dismissed" and isinstance(dismissed.decided_at, datetime)
    assert [r.id for r in await db.learning.list_recommendations(acme, person)] == [middle.id]
    assert [
        r.id for r in await db.learning.list_recommendations(acme, person, status="accepted")
    ] == [high.id]
    assert [
        r.id for r in await db.learning.list_recommendations(acme, person, status=None, limit=2)
    ] == [high.id, middle.id]

    with pytest.raises(Conflict) as again:
        await db.learning.dismiss_recommendation(high.id)
    with pytest.raises(Conflict) as reversed_:
        await db.learning.accept_recommendation(low.id)
    assert (again.value.current, reversed_.value.current) == ("accepted", "dismissed")
    assert await db.learning.get_recommendation(high.id) == accepted
    assert await db.learning.get_recommendation(low.id) == dismissed
    with pytest.raises(NotFound):
        await db.learning.accept_recommendation(uuid4())
    with pytest.raises(NotFound):
        await db.learning.get_recommendation(uuid4())


async def test_racing_accept_and_dismiss_one_wins(db):
    acme = await new_org(db)
    person = await new_member(db, acme)
    recommendation = await db.learning.create_recommendation(acme, person, title="Read", score=0.5)

    results = await asyncio.gather(
        db.learning.accept_recommendation(recommendation.id),
        db.learning.dismiss_recommendation(recommendation.id),
        return_exceptions=True,
    )

    winners = [r for r in results if not isinstance(r, BaseException)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1 and len(losers) == 1 and isinstance(losers[0], Conflict)
    assert losers[0].current == winners[0].status
    assert (await db.learning.get_recommendation(recommendation.id)).status == winners[0].status


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"score": 1.5}, "score"),
        ({"score": -0.1}, "score"),
        ({"score": 0.5, "recommendation_type": "webinar"}, "recommendation_type"),
        ({"score": 0.5, "model_metadata": ["not", "an", "object"]}, "model_metadata"),
        ({"score": 0.5, "title": " "}, "title"),
    ],
)
async def test_recommendation_refuses_bad_fields(db, fields, field):
    acme = await new_org(db)
    person = await new_member(db, acme)

    with pytest.raises(InvalidData) as refused:
        await db.learning.create_recommendation(acme, person, **{"title": "T", **fields})

    assert refused.value.field == field
    assert await db.learning.list_recommendations(acme, person, status=None) == []


async def test_recommendation_refuses_another_organizations_resource_and_a_non_member(db):
    acme, other = await new_org(db), await new_org(db, "Other")
    person, outsider = await new_member(db, acme), await new_member(db, other)
    await db.learning.upsert_resource_type("course", "Course")
    theirs = await db.learning.create_resource(other, title="Theirs", resource_type="course")

    with pytest.raises(InvalidData) as wrong_resource:
        await db.learning.create_recommendation(
            acme, person, title="T", score=0.5, resource_id=theirs.id
        )
    with pytest.raises(InvalidData) as not_member:
        await db.learning.create_recommendation(acme, outsider, title="T", score=0.5)

    assert wrong_resource.value.field == "resource_id"
    assert not_member.value.field == "user_id"
    assert await db.learning.list_recommendations(acme, person, status=None) == []
    assert await db.learning.list_recommendations(acme, outsider, status=None) == []
