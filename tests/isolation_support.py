"""Two organizations with data in every domain, for the isolation tests.

``build_world`` makes organizations ``alpha`` and ``bravo`` as the tables'
owner, through the repositories, each with the same kinds of rows: people and
memberships, a role and its assignment, the competency framework and people's
levels, a feedback form with cycles, invitations and answers, learning
resources, plans in several states, objectives, progress and a
recommendation, analytics events, reports and a dashboard widget, a consent,
and entries in every log. Every text of an organization (names, emails,
comments, notes) contains its label, so ``Marks.found_in`` can tell whether a
result holds anything of it: one of its ids or one of its texts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

from foundation_support import EVERY_PERMISSION, FAST_COST, insert_system_role
from foundation_support import executor as owner_executor

from ikenei import Database
from ikenei.db.queries import Executor, load
from ikenei.repositories.analytics import Report, Widget
from ikenei.repositories.competencies import (
    Competency,
    CompetencyCategory,
    Evidence,
    LevelSpec,
    ProficiencyLevel,
)
from ikenei.repositories.feedback import Answer, Cycle, Form, Invitation, Question
from ikenei.repositories.learning import (
    LearningObjective,
    LearningPlan,
    LearningProgress,
    LearningResource,
    Recommendation,
)
from ikenei.repositories.nominations import Nomination
from ikenei.repositories.notifications import Notification
from ikenei.repositories.organizations import Organization
from ikenei.repositories.plan_templates import PlanFromTemplate, PlanTemplate
from ikenei.repositories.privacy import subject_reference
from ikenei.repositories.roles import Role
from ikenei.repositories.users import User, UsersRepository

TQ = load(Path(__file__).parent / "sql" / "isolation.sql")

PASSWORD = "correct horse battery staple"
CONSENT_PURPOSE = "analytics"
RESOURCE_TYPE = "course"


@dataclass(frozen=True, slots=True)
class OrgData:
    """One organization and a row of each kind it holds (some kinds in several states)."""

    label: str
    org: Organization
    admin: User
    member: User  # rated, has levels, plans, recommendations, a widget, a consent
    manager: User  # the member's manager
    role: Role
    category: CompetencyCategory
    competency: Competency
    levels: list[ProficiencyLevel]
    resource: LearningResource
    active_plan: LearningPlan
    draft_plan: LearningPlan
    paused_plan: LearningPlan
    objective: LearningObjective
    progress: LearningProgress
    recommendation: Recommendation
    form: Form  # used by the cycles: its questions are frozen
    rating_question: Question
    text_question: Question
    spare_form: Form  # used by no cycle: its questions can still change
    spare_question: Question
    draft_cycle: Cycle
    active_cycle: Cycle
    answered_invitation: Invitation  # the admin's peer feedback on the member, submitted
    open_invitation: Invitation  # the manager's, not answered yet
    external_invitation: Invitation  # an external rater's, not answered yet
    access_token: str  # the external rater's
    overdue_invitation: Invitation  # an external rater's whose token has expired
    event_id: int
    queued_report: Report
    running_report: Report
    widget: Widget
    subject_reference: str  # of the member, as the processing log keeps it
    colleague: User  # proposed as the member's peer rater in the draft cycle
    nomination: Nomination  # that proposal, not decided yet
    notification: Notification  # queued to the member about the active cycle
    choice_question: Question  # a single choice question of the spare form, with options
    template: PlanTemplate  # with one objective due ten days after the start
    template_plan: PlanFromTemplate  # the colleague's active plan from it, overdue since 2026
    closed_cycle: Cycle  # on the form, closed, with the member's self-assessment

    @property
    def comment(self) -> str:
        """The free-text answer of the answered invitation (stored encrypted)."""
        return f"{self.label} private comment"

    @property
    def note(self) -> str:
        """The note of the progress entry (stored encrypted)."""
        return f"{self.label} private note"


@dataclass(frozen=True, slots=True)
class Shared:
    """Rows every organization reads and only the owner writes."""

    system_role: Role
    category: CompetencyCategory


@dataclass(frozen=True, slots=True)
class World:
    a: OrgData
    b: OrgData
    shared: Shared
    mover: User  # was A's member, left A, is B's member now


@dataclass(frozen=True, slots=True)
class Marks:
    """What identifies one organization's data in a result: its ids and its label."""

    label: str
    ids: frozenset[UUID] = field(default_factory=frozenset)
    # The ids as text too: the audit trail keeps a row's id as text.
    id_texts: frozenset[str] = field(default_factory=frozenset)

    def found_in(self, value: Any) -> list[str]:
        """Where ``value`` (records, lists, dicts, nested) holds one of these ids or the label."""
        found: list[str] = []
        self._search(value, "result", found)
        return found

    def _search(self, value: Any, path: str, found: list[str]) -> None:
        if isinstance(value, UUID):
            if value in self.ids:
                found.append(f"{path} = {value}")
        elif isinstance(value, str):
            if self.label in value.lower() or value in self.id_texts:
                found.append(f"{path} = {value!r}")
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                self._search(getattr(value, f.name), f"{path}.{f.name}", found)
        elif isinstance(value, dict):
            for key, item in value.items():
                self._search(key, f"{path}[key]", found)
                self._search(item, f"{path}[{key!r}]", found)
        elif isinstance(value, list | tuple | set | frozenset):
            for i, item in enumerate(value):
                self._search(item, f"{path}[{i}]", found)


def marks_of(data: OrgData) -> Marks:
    """Every id of the organization's rows (and of rows they refer to in it), and its label."""
    ids: set[UUID] = set()

    def collect(value: Any) -> None:
        if isinstance(value, UUID):
            ids.add(value)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                collect(getattr(value, f.name))
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)

    collect(data)
    return Marks(data.label, frozenset(ids), frozenset(str(i) for i in ids))


async def build_world(db: Database) -> World:
    """Both organizations and the shared rows, as ``db``'s role (the tables' owner)."""
    await db.learning.upsert_resource_type(RESOURCE_TYPE, "Course")
    system_role = await insert_system_role(db, "isolation_system_role", ["feedback.read"])
    shared_category = await db.competencies.create_category(None, name="Shared standard category")
    a = await build_organization(db, "alpha")
    b = await build_organization(db, "bravo")
    mover = await _person(db, "alpha", a.org.id, "mover")
    await db.organizations.remove_member(a.org.id, mover.id)
    await db.organizations.add_member(b.org.id, mover.id)
    return World(a, b, Shared(system_role, shared_category), mover)


async def _person(db: Database, label: str, org_id: UUID, who: str, **fields: Any) -> User:
    users = UsersRepository(owner_executor(db), bcrypt_cost=FAST_COST)
    user = await users.create(
        email=f"{who}@{label}.example", password=PASSWORD,
        first_name=f"{label.title()} {who}", last_name=f"{label.title()}son", **fields,
    )
    await db.organizations.add_member(org_id, user.id)
    return user


async def build_organization(db: Database, label: str) -> OrgData:
    """One organization with a row of every kind, as ``db``'s role (the tables' owner)."""
    name = label.title()
    org = await db.organizations.create(name=f"{name} Ltd", domain=f"{label}.example")
    admin = await _person(db, label, org.id, "admin")
    manager = await _person(db, label, org.id, "manager")
    member = await _person(db, label, org.id, "member", manager_id=manager.id)

    role = await db.roles.create(org.id, name=f"{label}_coach", permissions=["feedback.read"])
    await db.roles.assign(org.id, member.id, role.id, granted_by=admin.id)
    # The admin acts in the isolation tests: holding every permission, only
    # the wall between organizations stands between them and B's rows.
    runs_it = await db.roles.create(org.id, name=f"{label}_admin", permissions=EVERY_PERMISSION)
    await db.roles.assign(org.id, admin.id, runs_it.id)

    comp = db.competencies
    category = await comp.create_category(org.id, name=f"{name} skills")
    competency = await comp.create(org.id, name=f"{name} communication", category_id=category.id)
    levels = await comp.set_proficiency_levels(
        org.id, competency.id, [LevelSpec(f"{name} novice"), LevelSpec(f"{name} skilled"),
                                LevelSpec(f"{name} expert")],
    )
    await comp.set_level(org.id, member.id, competency.id, current_level=1, target_level=3,
                         source="manager", set_by=manager.id,
                         evidence=Evidence(note=f"{label} private evidence", url=f"https://{label}.example/e"))

    fb = db.feedback
    form = await fb.create_form(org.id, title=f"{name} 360", form_type="360",
                                anonymity_threshold=1, created_by=admin.id)
    rating_question = await fb.add_question(form.id, question_text=f"{name}: explains clearly",
                                            competency_id=competency.id)
    text_question = await fb.add_question(form.id, question_text=f"{name}: anything else?",
                                          question_type="text", is_required=False)
    spare_form = await fb.create_form(org.id, title=f"{name} pulse survey")
    spare_question = await fb.add_question(spare_form.id, question_text=f"{name}: how are you?",
                                           question_type="text")
    choice_question = await fb.add_question(spare_form.id, question_text=f"{name}: pick one",
                                            question_type="single_choice")
    await fb.set_options(choice_question.id, [f"{name} yes", f"{name} no"])
    draft_cycle = await fb.create_cycle(form.id, name=f"{name} autumn review")
    active_cycle = await fb.create_cycle(form.id, name=f"{name} spring review")
    answered = (await fb.invite(active_cycle.id, target_user_id=member.id, relationship="peer",
                                rater_user_id=admin.id)).invitation
    opened = (await fb.invite(active_cycle.id, target_user_id=member.id, relationship="manager",
                              rater_user_id=manager.id)).invitation
    external = await fb.invite(active_cycle.id, target_user_id=member.id, relationship="external",
                               rater_email=f"outside@{label}-partner.example",
                               rater_name=f"{name} outsider")
    overdue = (await fb.invite(active_cycle.id, target_user_id=member.id, relationship="external",
                               rater_email=f"late@{label}-partner.example",
                               token_expires_at=datetime.now(UTC) - timedelta(days=1))).invitation
    active_cycle = await fb.activate_cycle(active_cycle.id)
    await fb.mark_invitation_sent(opened.id)
    await fb.submit(answered.id, [Answer(rating_question.id, 4),
                                  Answer(text_question.id, comment=f"{label} private comment")])
    answered = await fb.get_invitation(answered.id)

    closed_cycle = await fb.create_cycle(form.id, name=f"{name} winter review")
    own = (await fb.invite(closed_cycle.id, target_user_id=member.id, relationship="self",
                           rater_user_id=member.id)).invitation
    await fb.activate_cycle(closed_cycle.id)
    await fb.submit(own.id, [Answer(rating_question.id, 3)])
    closed_cycle = await fb.close_cycle(closed_cycle.id)
    colleague = await _person(db, label, org.id, "colleague")
    await db.nominations.set_rule(draft_cycle.id, "peer", min_raters=1, max_raters=3)
    nomination = await db.nominations.nominate(draft_cycle.id, target_user_id=member.id, relationship="peer",
                                               rater_user_id=colleague.id, nominated_by=member.id)
    notification = await db.notifications.queue(org.id, template_key="feedback.cycle_closing",
                                                subject_id=active_cycle.id, recipient_user_id=member.id)

    learn = db.learning
    resource = await learn.create_resource(org.id, title=f"{name} course", resource_type=RESOURCE_TYPE,
                                           competency_id=competency.id, min_level=1, max_level=3)
    active_plan = await learn.create_plan(org.id, member.id, title=f"{name} growth plan",
                                          target_completion_date=date(2030, 1, 1))
    draft_plan = await learn.create_plan(org.id, member.id, title=f"{name} draft plan", status="draft")
    paused_plan = await learn.pause_plan(
        (await learn.create_plan(org.id, member.id, title=f"{name} paused plan")).id
    )
    objective = await learn.add_objective(org.id, active_plan.id, title=f"{name} objective",
                                          competency_id=competency.id, current_level=1, target_level=3)
    progress = await learn.record_progress(active_plan.id, progress_percent=40, objective_id=objective.id,
                                           resource_id=resource.id, notes=f"{label} private note")
    recommendation = await learn.create_recommendation(
        org.id, member.id, title=f"{name} take the course", score=Decimal("0.8"),
        resource_id=resource.id, plan_id=active_plan.id, competency_id=competency.id,
    )

    template = await db.plan_templates.create(org.id, title=f"{name} onboarding", created_by=admin.id)
    await db.plan_templates.add_objective(template.id, title=f"{name} first steps", due_offset_days=10,
                                          competency_id=competency.id, target_level=2, resource_id=resource.id)
    template_plan = await db.plan_templates.create_plan(template.id, colleague.id, start_date=date(2026, 1, 1),
                                                        status="active")
    await db.plan_reviews.submit(active_plan.id, submitted_by=member.id)

    stats = db.analytics
    event_id = await stats.record_event(org.id, "page.viewed", member.id, f"{label}-session",
                                        {"page": f"{label} home"})
    queued_report = await stats.create_report(org.id, report_type="engagement",
                                              title=f"{name} engagement", requested_by=admin.id)
    running_report = await stats.start_report(
        (await stats.create_report(org.id, report_type="cycle_completion",
                                   title=f"{name} completion")).id
    )
    widget = await stats.add_widget(org.id, member.id, "pending_feedback", title=f"{name} to answer")

    reference = subject_reference(member.email, f"{label} salt".encode())
    await db.privacy.grant_consent(member.id, CONSENT_PURPOSE, f"{label}-v1")
    await db.privacy.log_access(str(admin.id), org.id, member.id, "feedback_results")
    await db.privacy.log_processing("export", member.id, reference, str(admin.id), {"rows": 1})

    return OrgData(
        label=label, org=org, admin=admin, member=member, manager=manager, role=role,
        category=category, competency=competency, levels=levels, resource=resource,
        active_plan=active_plan, draft_plan=draft_plan, paused_plan=paused_plan,
        objective=objective, progress=progress, recommendation=recommendation, form=form,
        rating_question=rating_question, text_question=text_question, spare_form=spare_form,
        spare_question=spare_question, draft_cycle=draft_cycle,
        active_cycle=active_cycle, answered_invitation=answered, open_invitation=opened,
        external_invitation=external.invitation, access_token=external.access_token or "",
        overdue_invitation=overdue, event_id=event_id, queued_report=queued_report,
        running_report=running_report, widget=widget, subject_reference=reference,
        colleague=colleague, nomination=nomination, notification=notification, choice_question=choice_question,
        template=template, template_plan=template_plan, closed_cycle=closed_cycle,
    )


# -- what changed: every table as the owner sees it -------------------------------


@dataclass(frozen=True, slots=True)
class Snapshot:
    table_name: str
    row_count: int
    digest: str


class Rollback(Exception):
    """Raised to end a transaction without committing it, carrying what it found."""

    def __init__(self, value: Any = None) -> None:
        super().__init__("rolled back")
        self.value = value


async def snapshot(db: Database) -> dict[str, Snapshot]:
    """Every table's row count and digest, as ``db``'s role sees it (the owner: every row)."""
    try:
        async with Executor(db._pool).transaction() as x:
            # Made and dropped with the transaction: nothing stays in the session.
            await x.execute(TQ.create_table_digest_function)
            raise Rollback(await x.all(TQ.table_snapshot, Snapshot))
    except Rollback as done:
        return {s.table_name: s for s in done.value}


def changed_tables(before: dict[str, Snapshot], after: dict[str, Snapshot]) -> list[str]:
    return [
        f"{name}: {before[name].row_count} -> {after[name].row_count} rows"
        for name in before
        if before[name] != after[name]
    ]


# -- what a scope reaches: the probe of every table with row-level security -------


@dataclass(frozen=True, slots=True)
class Probe:
    """A row of ``probe_tables``: of a table, the rows a scope sees, updates and deletes (-1: no privilege)."""

    table_name: str
    key_column: str | None
    seen: int
    updated: int | None
    deleted: int | None
