"""Inside an organization: the acting person's role permissions decide whose
results, comments, plans, progress notes, levels and invitations they reach.

The world is one organization with the production seed's roles, two
branches and a manager chain (``permissions_support``)::

    director (manager) ── lead (manager) ── employee (employee)
    other manager (manager) ── colleague (employee)
    admin (admin), hr (hr_manager), peer (employee): the raters

The employee and the lead each have results of a closed anonymous cycle
(three peer raters, threshold 3), a comment, an open invitation, a plan with
an objective, a progress entry with a private note, a recommendation and a
competency level. Connected as ``ikenei_app``, these tests:

* call every reading method of a person's data (``READS``) as a colleague
  without permission, a manager of the other branch, and a report reading
  their manager: nothing comes back, and nothing changes;
* make the same calls as whom the permissions name (the person, their
  manager, the manager's manager, HR with ``*_all``, the maintenance scope):
  the data comes back, so the refusals above are the permissions' doing;
* try the same by plain SQL in the attacker's scope, on every table of a
  person's data: no row seen, updated or deleted;
* check that every reading method of the feedback, learning and
  competencies repositories is either in ``READS`` or named as not about one
  person, and that the policies read the permissions once per statement.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from isolation_support import Rollback
from permissions_support import PQ, PermissionWorld, Person, build_permission_world
from security_support import owner_and_app

from ikenei import Database
from ikenei.config.paths import SEEDS_DIR
from ikenei.db.database import Repositories
from ikenei.db.queries import Executor
from ikenei.errors import IkeneiError, NotFound, OutOfScope
from ikenei.monitoring.plans import nodes
from ikenei.repositories.competencies import CompetenciesRepository
from ikenei.repositories.feedback import FeedbackRepository
from ikenei.repositories.learning import LearningRepository


@dataclass(frozen=True, slots=True)
class Env:
    owner: Database
    app: Database
    world: PermissionWorld


@pytest.fixture(scope="module")
async def env(module_dsn: str) -> AsyncIterator[Env]:
    async with owner_and_app(module_dsn) as (owner, app):
        yield Env(owner, app, await build_permission_world(owner, module_dsn))


async def _as(env: Env, actor: Person | None, call: Callable[[Repositories], Awaitable[Any]]) -> Any:
    """``call`` in the organization's scope with ``actor`` acting (None: the
    maintenance scope), rolled back; its result, or the IkeneiError it raised."""
    w = env.world
    try:
        async with env.app.organization(w.org.id, user_id=actor.user.id if actor else None) as repos:
            raise Rollback(await call(repos))
    except Rollback as done:
        return done.value
    except IkeneiError as exc:
        return exc


# -- every reading method of a person's data --------------------------------------

Read = Callable[[Repositories, PermissionWorld, Person], Awaitable[Any]]

#: When reminders of the open cycle's invitations (sent when the world is built) are due.
_IN_A_MONTH = datetime.now(UTC) + timedelta(days=30)

READS: dict[str, Read] = {
    "feedback.analyze": lambda r, w, t: r.feedback.analyze(t.user.id, w.closed_cycle.id),
    "feedback.results_by_group": lambda r, w, t: r.feedback.results_by_group(t.user.id, w.closed_cycle.id),
    "feedback.comments": lambda r, w, t: r.feedback.comments(t.user.id, w.closed_cycle.id),
    "feedback.get_invitation": lambda r, w, t: r.feedback.get_invitation(t.open_invitation.id),
    "feedback.list_cycle_invitations":
        lambda r, w, t: _about(t, r.feedback.list_cycle_invitations(w.open_cycle.id)),
    "feedback.list_pending_raters":
        lambda r, w, t: _about(t, r.feedback.list_pending_raters(w.open_cycle.id)),
    "learning.get_plan": lambda r, w, t: r.learning.get_plan(t.plan.id),
    "learning.get_plan_with_details": lambda r, w, t: r.learning.get_plan_with_details(t.plan.id),
    "learning.list_plans": lambda r, w, t: r.learning.list_plans(w.org.id, t.user.id),
    "learning.get_objective": lambda r, w, t: r.learning.get_objective(t.objective.id),
    "learning.list_objectives": lambda r, w, t: r.learning.list_objectives(t.plan.id),
    "learning.list_progress": lambda r, w, t: r.learning.list_progress(t.plan.id),
    "learning.progress_summary": lambda r, w, t: r.learning.progress_summary(t.user.id),
    "learning.get_recommendation": lambda r, w, t: r.learning.get_recommendation(t.recommendation.id),
    "learning.list_recommendations": lambda r, w, t: r.learning.list_recommendations(w.org.id, t.user.id),
    "competencies.get_level": lambda r, w, t: r.competencies.get_level(w.org.id, t.user.id, w.competency),
    "competencies.list_user_levels": lambda r, w, t: r.competencies.list_user_levels(w.org.id, t.user.id),
    "competencies.history": lambda r, w, t: r.competencies.history(w.org.id, t.user.id, w.competency),
    "competencies.gaps": lambda r, w, t: r.competencies.gaps(w.org.id, t.user.id),
    "feedback.question_results": lambda r, w, t: r.feedback.question_results(t.user.id, w.closed_cycle.id),
    "feedback.due_reminders":
        lambda r, w, t: _about(t, r.feedback.due_reminders(w.open_cycle.id, at=_IN_A_MONTH)),
}

#: Methods of these repositories that read no one person's results, plans,
#: notes, levels or invitations (the organization's framework, forms, cycles,
#: resources), or that write (their refusals are below and in test_isolation).
NOT_ONE_PERSONS_READ = {
    "feedback.get_form", "feedback.list_forms", "feedback.get_question", "feedback.list_questions",
    "feedback.get_cycle", "feedback.list_cycles", "feedback.completion",
    "feedback.get_invitation_by_token",  # an external rater's own invitation, by its token
    "feedback.list_questions_by_token",  # the questions of that invitation's form
    "feedback.list_options", "feedback.list_options_by_token",  # the options of a form's choice questions
    "learning.list_resource_types", "learning.get_resource", "learning.list_resources",
    "competencies.get_category", "competencies.list_categories", "competencies.get", "competencies.list",
    "competencies.list_proficiency_levels",
}

WRITE_VERBS = ("create", "add", "update", "set", "delete", "soft_delete", "remove", "invite", "submit",
               "mark", "start", "decline", "record", "expire", "activate", "close", "cancel", "pause",
               "resume", "complete", "accept", "dismiss", "reorder", "upsert")


async def _about(target: Person, rows: Awaitable[list[Any]]) -> list[Any]:
    """The rows of a cycle-wide list that are about ``target``."""
    return [row for row in await rows if row.target_user_id == target.user.id]


def _refused(outcome: Any) -> bool:
    if isinstance(outcome, IkeneiError):
        return isinstance(outcome, NotFound | OutOfScope)
    return outcome in (None, [], ())


def _reached(outcome: Any) -> bool:
    return not isinstance(outcome, IkeneiError) and outcome not in (None, [], ())


#: The reads of a plan or levels: every person has them (results only the employee and the lead).
LEARNING_READS = {m for m in READS if m.startswith(("learning.", "competencies."))}

#: (attacker, target) by role in the world: who must not reach whom.
ATTACKS = {
    "a colleague without permission": ("colleague", "employee"),
    "a manager of another branch": ("other_manager", "employee"),
    "a report reading their manager": ("employee", "lead"),
    "a manager reading their own manager": ("lead", "director"),
}

#: (reader, target): whom the permissions name.
ALLOWED = {
    "the person themselves (*_own)": ("employee", "employee"),
    "their manager (*_team)": ("lead", "employee"),
    "their manager's manager (*_team, down the chain)": ("director", "employee"),
    "HR (*_all)": ("hr", "employee"),
    "the maintenance scope (no acting person)": (None, "employee"),
}


@pytest.mark.parametrize("attack", ATTACKS)
@pytest.mark.parametrize("method", READS)
async def test_without_permission_a_read_of_a_persons_data_finds_nothing(env: Env, method: str, attack: str) -> None:
    w = env.world
    attacker, target = (w.person(name) for name in ATTACKS[attack])
    if attack == "a manager reading their own manager" and method not in LEARNING_READS:
        pytest.skip("the director has no results to read")
    before = await w.snapshot(env.owner)
    outcome = await _as(env, attacker, lambda r: READS[method](r, w, target))
    assert _refused(outcome), f"{attack} reached {outcome!r}"
    assert await w.snapshot(env.owner) == before



@pytest.mark.parametrize("allowed", ALLOWED)
@pytest.mark.parametrize("method", READS)
async def test_whom_the_permissions_name_reads_it(env: Env, method: str, allowed: str) -> None:
    w = env.world
    reader_name, target_name = ALLOWED[allowed]
    reader = w.person(reader_name) if reader_name else None
    outcome = await _as(env, reader, lambda r: READS[method](r, w, w.person(target_name)))
    assert _reached(outcome), f"{allowed}: {outcome!r}"


#: Who counts which of the organization's events: the world has one, the employee's.
EVENT_COUNTS = {
    "HR (analytics.view), none of their own": ("hr", 1),
    "the admin (analytics.view)": ("admin", 1),
    "the employee, their own": ("employee", 1),
    "a colleague without analytics.view": ("colleague", 0),
    "a manager without analytics.view": ("lead", 0),
    "the maintenance scope (no acting person)": (None, 1),
}


@pytest.mark.parametrize("reader", EVENT_COUNTS)
async def test_event_counts_are_whole_for_a_viewer_and_their_own_for_anyone_else(env: Env, reader: str) -> None:
    w = env.world
    name, expected = EVENT_COUNTS[reader]
    now = datetime.now(UTC)
    counts = await _as(env, w.person(name) if name else None, lambda r: r.analytics.count_events_by_day(
        w.org.id, since=now - timedelta(days=1), until=now + timedelta(days=1)))
    assert sum(c.events for c in counts) == expected


async def test_a_private_note_reaches_its_author_and_whom_the_permissions_name_only(env: Env) -> None:
    w = env.world
    note = w.employee.note

    async def notes(repos: Repositories) -> list[str | None]:
        return [p.notes for p in await repos.learning.list_progress(w.employee.plan.id)]

    # The author, the managers above them (learning.plans.manage_team), HR and
    # the admin (learning.plans.manage_all): whom the permissions name.
    for reader in ("employee", "lead", "director", "hr", "admin"):
        assert await _as(env, w.person(reader), notes) == [note], reader
    for reader in ("colleague", "other_manager", "peer"):
        assert await _as(env, w.person(reader), notes) == [], reader


def _personal_repositories_methods() -> set[str]:
    found: set[str] = set()
    for name, cls in (("feedback", FeedbackRepository), ("learning", LearningRepository),
                      ("competencies", CompetenciesRepository)):
        for method, _ in inspect.getmembers(cls, inspect.isfunction):
            if not method.startswith("_"):
                found.add(f"{name}.{method}")
    return found


def test_every_read_of_a_persons_data_has_permission_cases() -> None:
    methods = _personal_repositories_methods()
    writes = {m for m in methods if m.split(".")[1].startswith(WRITE_VERBS)}
    unclassified = methods - writes - set(READS) - NOT_ONE_PERSONS_READ
    assert sorted(unclassified) == [], "reading methods without permission cases"
    assert sorted(set(READS) - methods) == []


# -- writing a person's plan, progress, levels and invitations ---------------------

Write = Callable[[Repositories, PermissionWorld, Person], Awaitable[Any]]

WRITES: dict[str, Write] = {
    "learning.create_plan": lambda r, w, t: r.learning.create_plan(w.org.id, t.user.id, title="Imposed"),
    "learning.update_plan": lambda r, w, t: r.learning.update_plan(replace(t.plan, title="Changed")),
    "learning.pause_plan": lambda r, w, t: r.learning.pause_plan(t.plan.id),
    "learning.soft_delete_plan": lambda r, w, t: r.learning.soft_delete_plan(t.plan.id),
    "learning.add_objective": lambda r, w, t: r.learning.add_objective(w.org.id, t.plan.id, title="More"),
    "learning.update_objective": lambda r, w, t: r.learning.update_objective(replace(t.objective, title="X")),
    "learning.delete_objective": lambda r, w, t: r.learning.delete_objective(t.objective.id),
    "learning.record_progress": lambda r, w, t: r.learning.record_progress(t.plan.id, progress_percent=99,
                                                                           notes="forged"),
    "learning.create_recommendation": lambda r, w, t: r.learning.create_recommendation(
        w.org.id, t.user.id, title="Forged", score=0.9),
    "learning.dismiss_recommendation": lambda r, w, t: r.learning.dismiss_recommendation(t.recommendation.id),
    "competencies.set_level": lambda r, w, t: r.competencies.set_level(
        w.org.id, t.user.id, w.competency, current_level=2, source="manager"),
    "feedback.invite": lambda r, w, t: r.feedback.invite(
        w.open_cycle.id, target_user_id=t.user.id, relationship="peer", rater_user_id=w.person("peer").user.id),
    "feedback.record_reminder": lambda r, w, t: r.feedback.record_reminder(
        w.person("employee").open_invitation.id, at=_IN_A_MONTH),
}


@pytest.mark.parametrize("attack", ["a colleague without permission", "a manager of another branch"])
@pytest.mark.parametrize("method", WRITES)
async def test_without_permission_a_persons_plan_levels_and_invitations_stay_as_they_are(
    env: Env, method: str, attack: str
) -> None:
    w = env.world
    attacker, target = (w.person(name) for name in ATTACKS[attack])
    before = await w.snapshot(env.owner)
    outcome = await _as(env, attacker, lambda r: WRITES[method](r, w, target))
    assert isinstance(outcome, NotFound | OutOfScope), f"{attack}: {outcome!r}"
    assert await w.snapshot(env.owner) == before


async def test_nobody_invites_themselves_to_rate_a_colleague(env: Env) -> None:
    # A rater reads and answers the invitations addressed to them, never makes one.
    w = env.world
    colleague = w.person("colleague")
    before = await w.snapshot(env.owner)
    outcome = await _as(env, colleague, lambda r: r.feedback.invite(
        w.open_cycle.id, target_user_id=w.employee.user.id, relationship="peer",
        rater_user_id=colleague.user.id))
    assert isinstance(outcome, OutOfScope), outcome
    assert await w.snapshot(env.owner) == before


@pytest.mark.parametrize("method", WRITES)
async def test_the_manager_may_make_the_same_writes(env: Env, method: str) -> None:
    # The control: the same calls succeed for the employee's manager (rolled back).
    w = env.world
    outcome = await _as(env, w.person("lead"), lambda r: WRITES[method](r, w, w.employee))
    assert not isinstance(outcome, IkeneiError), outcome


# -- the same by plain SQL, as a hostile service would --------------------------

#: Every table of one person's results, plans, notes, levels and invitations, and its person column.
#: The answer tables the application may not read at all (-1 below): results come from functions.
ANSWER_TABLES = [("feedback_ratings", "target_user_id"), ("feedback_responses", "target_user_id")]
PERSONAL_TABLES = [
    *ANSWER_TABLES,
    ("feedback_invitations", "target_user_id"),
    ("learning_plans", "user_id"),
    ("learning_progress", "user_id"),
    ("recommendations", "user_id"),
    ("user_competencies", "user_id"),
    ("user_competency_history", "user_id"),
]


@dataclass(frozen=True, slots=True)
class Reach:
    seen: int
    updated: int | None
    deleted: int | None


@pytest.mark.parametrize("attack", ATTACKS)
async def test_plain_sql_in_an_attackers_scope_reaches_no_row_of_the_person(env: Env, attack: str) -> None:
    w = env.world
    attacker, target = (w.person(name) for name in ATTACKS[attack])
    before = await w.snapshot(env.owner)
    try:
        async with env.app.organization(w.org.id, user_id=attacker.user.id) as repos:
            x: Executor = repos.users._x
            await x.execute(PQ.create_reach_functions)
            found = {table: await x.one(
                PQ.rows_about, Reach, table_name=table, column_name=column, person=target.user.id,
                write=True,
            )
                     for table, column in PERSONAL_TABLES}
            objectives = await x.value(PQ.objectives_of_plan, plan_id=target.plan.id)
            raise Rollback((found, objectives))
    except Rollback as done:
        found, objectives = done.value
    for table, reach in found.items():
        assert reach is not None and reach.seen in (0, -1), (table, reach)
        assert reach.updated in (0, -1) and reach.deleted in (0, -1), (table, reach)
    assert objectives == 0
    assert await w.snapshot(env.owner) == before


async def test_the_policies_see_the_rows_the_owner_sees(env: Env) -> None:
    # The control of the test above: in the person's own scope the same probe finds their rows.
    w = env.world
    try:
        async with env.app.organization(w.org.id, user_id=w.employee.user.id) as repos:
            x: Executor = repos.users._x
            await x.execute(PQ.create_reach_functions)
            raise Rollback({table: await x.one(
                PQ.rows_about, Reach, table_name=table, column_name=column,
                person=w.employee.user.id, write=False,
            )
                             for table, column in PERSONAL_TABLES})
    except Rollback as done:
        found = done.value
    answers = {table for table, _ in ANSWER_TABLES}
    assert [t for t, reach in found.items() if reach.seen <= 0 and t not in answers] == []
    assert [found[t].seen for t in sorted(answers)] == [-1, -1]


async def test_the_permissions_are_read_once_per_statement_not_per_row(env: Env) -> None:
    w = env.world
    try:
        async with env.app.organization(w.org.id, user_id=w.employee.user.id) as repos:
            raise Rollback(await repos.users._x.value(PQ.explain_plans_read))
    except Rollback as done:
        plan = done.value
    every = list(nodes((json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]))
    init_plans = [n for n in every if n.get("Parent Relationship") == "InitPlan"]
    assert init_plans and all(n["Actual Loops"] == 1 for n in init_plans)
    assert [n for n in every if n.get("Parent Relationship") == "SubPlan"] == []



# -- every permission of the production roles: enforced, or removed ---------------

Call = Callable[[Repositories, PermissionWorld, Person], Awaitable[Any]]

#: A call that needs exactly this permission, made by a member holding it alone (``holder``).
PERMISSION_CALLS: dict[str, Call] = {
    "organization.manage": lambda r, w, h: r.organizations.update(replace(w.org, name="Renamed Ltd")),
    "users.manage": lambda r, w, h: r.organizations.set_member_status(
        w.org.id, w.person("colleague").user.id, "suspended"),
    "roles.manage": lambda r, w, h: r.roles.create(w.org.id, name="coach"),
    "competencies.manage": lambda r, w, h: r.competencies.create(w.org.id, name="Negotiation"),
    "feedback.forms.manage": lambda r, w, h: r.feedback.create_form(w.org.id, title="Pulse"),
    "feedback.cycles.manage": lambda r, w, h: r.feedback.create_cycle(w.closed_cycle.form_id, name="Next"),
    "feedback.results.view_all": lambda r, w, h: r.feedback.results_by_group(
        w.employee.user.id, w.closed_cycle.id),
    "feedback.invitations.manage_own": lambda r, w, h: r.feedback.invite(
        w.open_cycle.id, target_user_id=h.user.id, relationship="self", rater_user_id=h.user.id),
    "learning.plans.manage_all": lambda r, w, h: r.learning.list_plans(w.org.id, w.employee.user.id),
    "learning.plans.manage_own": lambda r, w, h: r.learning.list_plans(w.org.id, h.user.id),
    "learning.resources.manage": lambda r, w, h: r.learning.create_resource(
        w.org.id, title="A course", resource_type="course"),
    "reports.manage": lambda r, w, h: r.analytics.create_report(
        w.org.id, report_type="engagement", title="Again"),
    "reports.view": lambda r, w, h: r.analytics.list_reports(w.org.id),
    "analytics.view": lambda r, w, h: r.analytics.list_events(w.org.id),
    "dashboard.manage_own": lambda r, w, h: r.analytics.add_widget(w.org.id, h.user.id, "activity"),
}

#: Permissions whose reach needs a manager chain: proven by the matrix above
#: (the employee reads their own, the lead and the director their team).
PROVEN_BY_THE_MATRIX = {
    "feedback.results.view_own", "feedback.results.view_team", "feedback.invitations.manage_team",
    "learning.plans.manage_team",
}
#: Taken from the production roles: nothing should hang on them.
REMOVED = {"users.view", "feedback.respond"}


async def _holding(env: Env, permissions: list[str], call: Call) -> Any:
    """``call`` by the newcomer (a member with no role) after they were granted a
    role with ``permissions`` in the maintenance scope; all rolled back."""
    w = env.world
    holder = w.person("newcomer")
    try:
        async with env.app.organization(w.org.id) as repos:
            role = await repos.roles.create(w.org.id, name="only_this", permissions=permissions)
            await repos.roles.assign(w.org.id, holder.user.id, role.id)
            await repos.users._x.value(PQ.set_acting_person, user_id=holder.user.id)
            try:
                raise Rollback(await call(repos, w, holder))
            except IkeneiError as exc:
                raise Rollback(exc) from exc
    except Rollback as done:
        return done.value


@pytest.mark.parametrize("permission", PERMISSION_CALLS)
async def test_a_permission_is_what_allows_its_call(env: Env, permission: str) -> None:
    before = await env.world.snapshot(env.owner)
    without = await _holding(env, [], PERMISSION_CALLS[permission])
    assert _refused(without), f"without {permission}: {without!r}"
    with_it = await _holding(env, [permission], PERMISSION_CALLS[permission])
    assert _reached(with_it), f"with {permission}: {with_it!r}"
    assert await env.world.snapshot(env.owner) == before


async def test_every_permission_of_the_production_roles_is_enforced_or_removed(env: Env) -> None:
    granted: set[str] = set()
    for name in ("admin", "hr_manager", "manager", "employee", "external_rater"):
        role = await env.owner.roles.get_by_name(env.world.org.id, name)
        granted |= set(role.permissions)
    assert granted & REMOVED == set()
    assert sorted(granted - set(PERMISSION_CALLS) - PROVEN_BY_THE_MATRIX) == []
    # The seed file, which an empty database gets, says the same.
    seed = (SEEDS_DIR / "prod" / "010_system_roles.sql").read_text(encoding="utf-8")
    assert [p for p in REMOVED if f'"{p}"' in seed] == []


async def test_a_founder_grants_the_first_role_and_no_member_grants_themselves_one(env: Env) -> None:
    w = env.world
    founder = w.person("newcomer").user

    async def found(repos: Repositories) -> list[str]:
        new = await repos.organizations.create(name="Founded Ltd", domain="founded.example")
        await repos.organizations.add_member(new.id, founder.id)
        admin = await repos.roles.get_by_name(new.id, "admin")
        await repos.roles.assign(new.id, founder.id, admin.id)
        return [r.name for r in await repos.roles.list_for_user(new.id, founder.id)]

    try:
        async with env.app.organization(uuid4(), user_id=founder.id) as repos:
            raise Rollback(await found(repos))
    except Rollback as done:
        assert done.value == ["admin"]
    # In an organization that has its roles, a member without roles.manage grants nothing.
    colleague = w.person("colleague")
    before = await w.snapshot(env.owner)
    admin = await env.owner.roles.get_by_name(w.org.id, "admin")
    outcome = await _as(env, colleague, lambda r: r.roles.assign(w.org.id, colleague.user.id, admin.id))
    assert isinstance(outcome, OutOfScope), outcome
    assert await w.snapshot(env.owner) == before
