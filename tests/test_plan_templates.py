"""Learning plan templates, plan review by the owner's manager, and overdue objectives."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date, timedelta
from uuid import uuid4

import pytest
from feedback_fixtures import make_competency, make_member, make_org
from process_support import digest
from statement_counter import count_statements

from ikenei import Database
from ikenei.errors import AlreadyExists, Conflict, InvalidData, NotFound
from ikenei.repositories.competencies import LevelSpec

START = date(2027, 1, 4)


async def _template(db: Database):
    org = await make_org(db)
    manager = await make_member(db, org.id, "Mia", "Manager")
    person = await make_member(db, org.id, "Pat", "Person")
    await db.users.update(replace(person, manager_id=manager.id))
    skill = await make_competency(db, org.id, "Coaching")
    await db.competencies.set_proficiency_levels(org.id, skill, [LevelSpec("One"), LevelSpec("Two"),
                                                                 LevelSpec("Three")])
    await db.competencies.set_level(org.id, person.id, skill, current_level=1, target_level=3, source="manager")
    await db.learning.upsert_resource_type("course", "Course")
    course = await db.learning.create_resource(org.id, title="Coaching basics", resource_type="course")
    t = db.plan_templates
    template = await t.create(org.id, title="New team lead", created_by=manager.id)
    first = await t.add_objective(template.id, title="Shadow a senior lead", due_offset_days=14)
    second = await t.add_objective(template.id, title="Run one-on-ones", due_offset_days=45, competency_id=skill,
                                   target_level=3, resource_id=course.id, priority=1)
    return org, manager, person, skill, course, template, [first, second]


async def test_a_plan_from_a_template_copies_its_objectives_with_due_dates(db: Database) -> None:
    _org, manager, person, skill, course, template, _objectives = await _template(db)
    assert [o.position for o in await db.plan_templates.list_objectives(template.id)] == [1, 2]
    async with count_statements(db) as (tx, sent):
        plan = await tx.plan_templates.create_plan(template.id, person.id, start_date=START, created_by=manager.id)
    assert sent.count == 1, sent.statements
    assert (plan.title, plan.status, plan.template_id, plan.target_completion_date) == (
        "New team lead", "draft", template.id, START + timedelta(days=45))
    assert [(o.title, o.due_date, o.competency_id, o.current_level, o.target_level, o.resource_id, o.priority)
            for o in plan.objectives] == [
        ("Shadow a senior lead", START + timedelta(days=14), None, None, None, None, 3),
        ("Run one-on-ones", START + timedelta(days=45), skill, 1, 3, course.id, 1),
    ]
    details = await db.learning.get_plan_with_details(plan.id)
    assert [o.due_date for o in details.objectives] == [o.due_date for o in plan.objectives]


async def test_template_refusals_name_the_field_and_change_nothing(db: Database) -> None:
    org, _manager, person, _skill, _course, template, _ = await _template(db)
    other_org = await make_org(db)
    outsider = await make_member(db, other_org.id)
    foreign_skill = await make_competency(db, other_org.id, "Selling")
    before = await digest(db), await db.plan_templates.list_objectives(template.id)
    t = db.plan_templates
    for fields, field in (({"due_offset_days": -1}, "due_offset_days"),
                          ({"due_offset_days": 5, "priority": 9}, "priority"),
                          ({"due_offset_days": 5, "competency_id": foreign_skill}, "competency_id"),
                          ({"due_offset_days": 5, "title": " "}, "title")):
        with pytest.raises(InvalidData) as refused:
            await t.add_objective(template.id, **({"title": "x"} | fields))
        assert refused.value.field == field, fields
    with pytest.raises(AlreadyExists) as taken:
        await t.add_objective(template.id, title="Again first", due_offset_days=1, position=1)
    assert taken.value.field == "position"
    with pytest.raises(AlreadyExists) as taken:
        await t.create(org.id, title="new TEAM lead")
    assert taken.value.field == "title"
    with pytest.raises(InvalidData) as refused:
        await t.create_plan(template.id, outsider.id, start_date=START)
    assert refused.value.field == "user_id"
    with pytest.raises(NotFound):
        await t.create_plan(uuid4(), person.id, start_date=START)
    with pytest.raises(NotFound):
        await t.add_objective(uuid4(), title="x", due_offset_days=1)
    assert (await digest(db), await t.list_objectives(template.id)) == before
    await t.set_active(template.id, False)
    with pytest.raises(NotFound):
        await t.create_plan(template.id, person.id, start_date=START)
    assert [x.id for x in await t.list(org.id, is_active=False)] == [template.id]


async def test_only_the_owners_manager_reviews_a_plan(db: Database) -> None:
    org, manager, person, _skill, _course, template, _ = await _template(db)
    plan = await db.plan_templates.create_plan(template.id, person.id, start_date=START)
    r = db.plan_reviews
    colleague = await make_member(db, org.id)
    with pytest.raises(InvalidData) as refused:
        await r.submit(plan.id, submitted_by=manager.id)
    assert refused.value.field == "submitted_by"
    with pytest.raises(Conflict) as refused:
        await r.approve(plan.id, reviewer_id=manager.id)
    assert refused.value.current == "not_submitted"
    pending = await r.submit(plan.id, submitted_by=person.id)
    assert pending.status == "pending"
    with pytest.raises(Conflict) as refused:
        await r.submit(plan.id, submitted_by=person.id)
    assert refused.value.current == "submitted"

    before = await digest(db), await r.list(plan.id)
    for who in (colleague.id, person.id, uuid4()):
        with pytest.raises(InvalidData) as refused:
            await r.approve(plan.id, reviewer_id=who)
        assert refused.value.field == "reviewer_id"
    with pytest.raises(InvalidData) as refused:
        await r.send_back(plan.id, reviewer_id=manager.id, comment="  ")
    assert refused.value.field == "comment"
    assert (await digest(db), await r.list(plan.id)) == before

    sent_back = await r.send_back(plan.id, reviewer_id=manager.id, comment="Add a date for the first 1:1")
    assert (sent_back.status, sent_back.reviewer_id, sent_back.comment) == (
        "changes_requested", manager.id, "Add a date for the first 1:1")
    with pytest.raises(Conflict) as refused:
        await r.approve(plan.id, reviewer_id=manager.id)
    assert refused.value.current == "changes_requested"
    await r.submit(plan.id, submitted_by=person.id)
    # Two racing decisions: one wins.
    results = await asyncio.gather(r.approve(plan.id, reviewer_id=manager.id),
                                   r.send_back(plan.id, reviewer_id=manager.id, comment="Wait"),
                                   return_exceptions=True)
    assert sorted(type(x).__name__ for x in results) == ["Conflict", "PlanReview"]
    rounds = await r.list(plan.id)
    assert [x.status for x in rounds][1:] == ["changes_requested"]
    assert rounds[0].status in ("approved", "changes_requested")
    await db.learning.cancel_plan(plan.id)
    with pytest.raises(Conflict) as refused:
        await r.submit(plan.id, submitted_by=person.id)
    assert refused.value.current == "cancelled"


async def test_overdue_objectives_feed_plan_due_reminders(db: Database) -> None:
    org, _manager, person, _skill, _course, template, _ = await _template(db)
    plan = await db.plan_templates.create_plan(template.id, person.id, start_date=START, status="active")
    draft = await db.plan_templates.create_plan(template.id, person.id, start_date=START, title="Not started")
    first, second = plan.objectives
    r = db.plan_reviews
    assert await r.overdue_objectives(org.id, as_of=START + timedelta(days=14)) == []
    [late] = await r.overdue_objectives(org.id, as_of=START + timedelta(days=20))
    assert (late.objective_id, late.days_overdue, late.plan_id, late.user_id, late.user_name) == (
        first.id, 6, plan.id, person.id, "Pat Person")
    await db.learning.set_objective_status(first.id, "completed")
    assert [o.objective_id for o in await r.overdue_objectives(org.id, as_of=START + timedelta(days=60))] == [
        second.id]
    assert draft.id not in {o.plan_id for o in await r.overdue_objectives(org.id, as_of=START + timedelta(days=60))}
    note = await db.notifications.queue(org.id, template_key="learning.plan_due", subject_id=second.id,
                                        recipient_user_id=person.id)
    assert note.subject_type == "learning_objective"
