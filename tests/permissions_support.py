"""One organization with the production seed's roles and a manager chain, for
the permission tests (``tests/test_permissions.py``).

Built as the tables' owner, through the repositories; each rater submits in
their own scope. Every person has a plan (with an objective, a progress entry
with a private note, a recommendation) and a competency level below target;
the employee and the lead also have results of a closed anonymous cycle
(three peer raters at threshold 3, with comments) and an open invitation.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

from foundation_support import FAST_COST
from foundation_support import executor as owner_executor
from isolation_support import Snapshot, snapshot

from ikenei import Database
from ikenei.db.queries import load
from ikenei.repositories.competencies import LevelSpec
from ikenei.repositories.feedback import Answer, Cycle, Invitation
from ikenei.repositories.learning import (
    LearningObjective,
    LearningPlan,
    LearningProgress,
    Recommendation,
)
from ikenei.repositories.organizations import Organization
from ikenei.repositories.users import User, UsersRepository
from ikenei.schema import seeds

PQ = load(Path(__file__).parent / "sql" / "permissions.sql")

PASSWORD = "correct horse battery staple"

#: name: (system role of the production seed, or none; manager's name)
PEOPLE = {
    "admin": ("admin", None),
    "hr": ("hr_manager", None),
    "director": ("manager", None),
    "lead": ("manager", "director"),
    "employee": ("employee", "lead"),
    "other_manager": ("manager", None),
    "colleague": ("employee", "other_manager"),
    "peer": ("employee", None),
    "newcomer": (None, None),  # a member holding no role
}
#: The people rated in the closed cycle, and by whom (as peers).
RATED = {"employee": ("admin", "hr", "peer"), "lead": ("admin", "hr", "peer")}


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    user: User
    plan: LearningPlan
    objective: LearningObjective
    progress: LearningProgress
    recommendation: Recommendation
    open_invitation: Invitation | None

    @property
    def note(self) -> str:
        return f"{self.name} private note"

    @property
    def comment(self) -> str:
        return f"{self.name} private comment"


@dataclass(frozen=True, slots=True)
class PermissionWorld:
    org: Organization
    competency: UUID
    closed_cycle: Cycle  # of an anonymous form (threshold 3), with results for the employee and the lead
    open_cycle: Cycle
    people: dict[str, Person]

    def person(self, name: str) -> Person:
        return self.people[name]

    @property
    def employee(self) -> Person:
        return self.people["employee"]

    async def snapshot(self, owner: Database) -> dict[str, Snapshot]:
        """Every table's row count and digest but data_access_log's (reads are logged, attempts too)."""
        return {name: s for name, s in (await snapshot(owner)).items() if name != "data_access_log"}


async def build_permission_world(owner: Database, dsn: str) -> PermissionWorld:
    await asyncio.to_thread(seeds.run, dsn, "prod", out=lambda _line: None)
    org = await owner.organizations.create(name="Permissions Ltd", domain="permissions.example")
    users = UsersRepository(owner_executor(owner), bcrypt_cost=FAST_COST)
    made: dict[str, User] = {}
    for name, (role_name, manager) in PEOPLE.items():
        user = await users.create(
            email=f"{name}@permissions.example", password=PASSWORD, first_name=name.title(),
            last_name="Permson", manager_id=made[manager].id if manager else None,
        )
        await owner.organizations.add_member(org.id, user.id)
        if role_name:
            role = await owner.roles.get_by_name(org.id, role_name)
            await owner.roles.assign(org.id, user.id, role.id)
        made[name] = user

    comp = owner.competencies
    competency = await comp.create(org.id, name="Listening")
    await comp.set_proficiency_levels(org.id, competency.id, [LevelSpec("Novice"), LevelSpec("Skilled"),
                                                              LevelSpec("Expert")])
    for user in made.values():
        await comp.set_level(org.id, user.id, competency.id, current_level=1, target_level=3, source="self")

    fb = owner.feedback
    form = await fb.create_form(org.id, title="Annual 360", form_type="360", is_anonymous=True,
                                anonymity_threshold=3)
    rating = await fb.add_question(form.id, question_text="Listens well", competency_id=competency.id)
    text = await fb.add_question(form.id, question_text="Anything else?", question_type="text",
                                 is_required=False)
    closed = await fb.create_cycle(form.id, name="Closed review")
    invitations: list[tuple[str, str, Invitation]] = []
    for target, raters in RATED.items():
        for rater in raters:
            new = await fb.invite(closed.id, target_user_id=made[target].id, relationship="peer",
                                  rater_user_id=made[rater].id)
            invitations.append((target, rater, new.invitation))
    await fb.activate_cycle(closed.id)
    for target, rater, invitation in invitations:
        async with owner.organization(org.id, user_id=made[rater].id) as scope:
            await scope.feedback.submit(invitation.id, [
                Answer(rating.id, 4), Answer(text.id, comment=f"{target} private comment"),
            ])
    closed = await fb.close_cycle(closed.id)

    open_cycle = await fb.create_cycle(form.id, name="Open review")
    open_invitations = {
        target: (await fb.invite(open_cycle.id, target_user_id=made[target].id, relationship="peer",
                                 rater_user_id=made["admin"].id)).invitation
        for target in RATED
    }
    open_cycle = await fb.activate_cycle(open_cycle.id)
    for invitation in open_invitations.values():  # sent, so that reminders are due in time
        await fb.mark_invitation_sent(invitation.id)

    learn = owner.learning
    people: dict[str, Person] = {}
    for name, user in made.items():
        plan = await learn.create_plan(org.id, user.id, title=f"{name} growth plan")
        objective = await learn.add_objective(org.id, plan.id, title=f"{name} objective",
                                              competency_id=competency.id, current_level=1, target_level=3)
        progress = await learn.record_progress(plan.id, progress_percent=30, objective_id=objective.id,
                                               notes=f"{name} private note")
        recommendation = await learn.create_recommendation(org.id, user.id, title=f"{name} read a book",
                                                           score=0.5, plan_id=plan.id)
        people[name] = Person(name, user, plan, objective, progress, recommendation,
                              open_invitations.get(name))
    await owner.analytics.record_event(org.id, "page.viewed", made["employee"].id)
    await owner.analytics.create_report(org.id, report_type="engagement", title="Engagement")
    return PermissionWorld(org, competency.id, closed, open_cycle, people)
