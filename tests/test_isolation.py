"""Organization isolation: row-level security keeps every organization's data its own.

The application works as ``ikenei_app``, a role that owns nothing, so the
policies of migration ``20261125_100141_row_level_security`` bind it. These
tests build two organizations, alpha (A) and bravo (B), with data in every
domain (``isolation_support``), and then, connected as ``ikenei_app``:

* call every public method of every repository in A's scope with B's ids
  (``CASES``, one test per case): B's rows are absent (``NotFound``, empty
  results) and writing one is refused, nothing in the database changes, and
  no result holds anything of B. ``test_every_repository_method_has_a_case``
  fails when a method is added without a case;
* make the same calls with no scope set: refused or empty, never all
  organizations; the same holds for plain statements on every table;
* check that a pooled connection does not carry a scope to its next user;
* check the catalog: every table of an organization's or a person's data has
  row-level security, ``ikenei_app`` owns nothing and cannot bypass it, and the
  logs are append-only for it.

Each case is also run as the tables' owner, which row-level security does not
bind, and rolled back: there the same call reaches B's rows, which shows that
the case's arguments are real ids of B that the method would otherwise use.
Migrations, seeds and maintenance commands stay with the owner (last tests).
"""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from isolation_support import (
    CONSENT_PURPOSE,
    PASSWORD,
    RESOURCE_TYPE,
    TQ,
    Marks,
    Probe,
    Rollback,
    World,
    build_world,
    changed_tables,
    marks_of,
    snapshot,
)
from pii_support import TEST_PII_KEY, cipher, make_key
from security_support import owner_and_app

from ikenei import Database
from ikenei.config.settings import Settings, load_settings
from ikenei.db.database import Repositories
from ikenei.db.queries import Executor, Q
from ikenei.errors import (
    AlreadyExists,
    ConfigError,
    Conflict,
    DatabaseError,
    IkeneiError,
    InvalidData,
    NotFound,
)
from ikenei.privacy import keys
from ikenei.repositories.analytics import Event
from ikenei.repositories.competencies import LevelSpec
from ikenei.repositories.feedback import Answer

APP_ROLE = "ikenei_app"

#: Tables of no organization and no person: the application only reads them
#: (and registers encryption keys); they need no row-level security.
GLOBAL_TABLES = {"encryption_keys", "learning_resource_types", "retention_policies", "system_settings"}
#: Tables whose rows with organization_id NULL are shared by every organization.
SHARED_ROW_TABLES = ["competency_categories", "roles"]
#: The logs: ikenei_app may read and (but audit_log, which its trigger writes) append, never more.
LOG_PRIVILEGES = {
    "audit_log": ["SELECT"],
    "data_access_log": ["SELECT", "INSERT"],
    "data_processing_log": ["SELECT", "INSERT"],
}
#: Raw answers: ikenei_app may do nothing at all with them; functions of the
#: schema write them (submit_feedback) and serve results from them.
ANSWER_PRIVILEGES: dict[str, list[str]] = {"feedback_ratings": [], "feedback_responses": []}
#: What ikenei_app may do with the global tables.
GLOBAL_PRIVILEGES = {
    "encryption_keys": ["SELECT", "INSERT", "UPDATE"],
    "learning_resource_types": ["SELECT"],
    "retention_policies": ["SELECT"],
    "system_settings": ["SELECT"],
}
#: Every function that runs as its owner, past row-level security, and why it may.
SECURITY_DEFINER_FUNCTIONS = {
    "acting_permissions",  # the acting person's permissions; the policies of user_roles call it
    "audit_row_change",  # writes audit_log, which ikenei_app may not
    "current_person_id",  # finds the person of a scope; the users policies call it
    "ensure_shared_or_same_organization",  # must see another organization's row to refuse it
    "decline_feedback",  # declines for the invited rater, who may not see the row otherwise
    "feedback_analysis",  # results from the answers, which the application may not read
    "feedback_comments",  # the comments by rater group, from the same answers
    "feedback_results_by_group",  # results by rater group, from the competency ratings
    "open_feedback_results",  # the checks and the access log every results function starts with
    "rewrite_anonymous_answers",  # at an anonymous cycle's close, rewrites answers the closer may not read
    "feedback_invitation_of_token",  # what an external rater's token opens, in a scope of no organization
    "feedback_questions_of_token",  # the questions of that invitation's form
    "invitation_for_its_rater",  # finds an invitation for whoever may answer it (not executable by the app)
    "submit_feedback",  # writes the answers, which the application may not write itself
    "learning_plan_person",  # whose plan an objective joins, past the plan's policies
    "organization_has_role_assignments",  # lets a founder grant the first role
    "password_hash_for_sign_in",  # the hash to check a password against, for the email scope alone
    "people_in_reach",  # follows the manager chain past the policies of users
    "feedback_question_results",  # per-question aggregates, from the answers
    "feedback_trend",  # a person's results cycle by cycle, from the competency ratings
    "feedback_heatmap",  # competency x team or department, from the competency ratings
    "feedback_blind_spots",  # self against others, from the competency ratings
    "feedback_weighted_score",  # the weighted score, from the answers
    "feedback_question_options_of_token",  # the options of a token's form, in a scope of no organization
    "encryption_keys_in_use",  # the start-up check must see every stored key id, past row-level security
    "refuse_retired_key",  # locks a key's registry row (FOR SHARE), which ikenei_app may not
    "analytics_event_counts_for_viewers",  # counts for whom the policies show every event, from the index
    "membership_takes_person_created_at",  # copies the created_at of a person not yet visible to the organization
    "person_created_at_to_memberships",  # carries a person's created_at to memberships of every organization
}


# -- the world: two organizations, as the owner and as the application --------


@dataclass(frozen=True, slots=True)
class Env:
    owner: Database  # the tables' owner: row-level security does not bind it
    app: Database  # every pooled connection works as ikenei_app
    world: World
    a_marks: Marks
    b_marks: Marks
    dsn: str


def settings_for(dsn: str, **values: Any) -> Settings:
    return load_settings(database_url=dsn, pii_encryption_key=TEST_PII_KEY, **values)


@pytest.fixture(scope="module")
async def env(module_dsn: str) -> AsyncIterator[Env]:
    async with owner_and_app(module_dsn) as (owner, app):
        world = await build_world(owner)
        yield Env(owner, app, world, marks_of(world.a), marks_of(world.b), module_dsn)


# -- the cases: every repository method, called with B's ids -------------------

Call = Callable[[Repositories, World], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Raises:
    """The call raises ``error`` (or a subclass) whose message holds ``message``."""

    error: type[IkeneiError]
    message: str = ""

    def __str__(self) -> str:
        return f"{self.error.__name__}({self.message!r})" if self.message else self.error.__name__


@dataclass(frozen=True, slots=True)
class Returns:
    """The call returns: nothing at all (``empty``), or anything but another organization's data."""

    empty: bool


NOT_FOUND = Raises(NotFound)
#: Refused by a policy: the row would belong to (or the person be) another organization's.
RLS = Raises(DatabaseError, "row-level security policy")
#: Refused for want of a privilege: the owner's to write.
NO_PRIVILEGE = Raises(DatabaseError, "permission denied")
EMPTY = Returns(empty=True)
#: Shared or own rows may come back; none of B's (nor, without a scope, of A's).
NO_B_DATA = Returns(empty=False)


def invalid(field: str) -> Raises:
    return Raises(InvalidData, field)


#: Owner's run: the call succeeds and its result holds B's data (or is None: a write done).
REACHES_B = "reaches B"
#: Owner's run: the call succeeds (its result does not name B, say a new id).
SUCCEEDS = "succeeds"


@dataclass(frozen=True, slots=True)
class Case:
    method: str  # "repository.method"
    call: Call
    expect: Raises | Returns
    variant: str = ""
    # What the owner's run shows: REACHES_B, SUCCEEDS, a check of its result,
    # or a Raises when the owner is refused as well (then the case is about a
    # rule of the schema, not a policy).
    control: str | Callable[[Any], bool] | Raises = REACHES_B
    # What the application gets with no scope set, when not ``expect``.
    unscoped: Raises | Returns | None = None

    @property
    def id(self) -> str:
        return f"{self.method}[{self.variant}]" if self.variant else self.method


NOW = datetime.now(UTC)
CHANGED = "changed by another organization"

CASES: list[Case] = [
    # users ------------------------------------------------------------------
    Case("users.create", lambda r, w: r.users.create(
        email="newcomer@bravo.example", password=PASSWORD, first_name="Bravo", last_name="Newcomer"),
        RLS),
    Case("users.create", lambda r, w: r.users.create(
        email=w.b.member.email, password=PASSWORD, first_name="Bravo", last_name="Again"),
        RLS, "B's taken email: refused, not AlreadyExists", control=Raises(AlreadyExists)),
    Case("users.get", lambda r, w: r.users.get(w.b.member.id), NOT_FOUND),
    Case("users.get_by_email", lambda r, w: r.users.get_by_email(w.b.member.email), NOT_FOUND),
    # In an organization's scope users.list reads that organization's members
    # by construction, so not even the owner reaches B there; that row-level
    # security keeps B's people out of any read of users is the table probe's proof.
    Case("users.list", lambda r, w: r.users.list(limit=500), NO_B_DATA, control=SUCCEEDS),
    Case("users.list_direct_reports", lambda r, w: r.users.list_direct_reports(w.b.manager.id), EMPTY),
    Case("users.update", lambda r, w: r.users.update(replace(w.b.member, job_title=CHANGED)), NOT_FOUND),
    Case("users.soft_delete", lambda r, w: r.users.soft_delete(w.b.member.id), NOT_FOUND),
    Case("users.set_password", lambda r, w: r.users.set_password(w.b.member.id, "a new secret"),
         NOT_FOUND),
    # Someone who left A keeps their users row visible there (A's history
    # names them), but A no longer changes it: they are B's member now.
    Case("users.update", lambda r, w: r.users.update(replace(w.mover, email="mover@alpha.example.net")),
         NOT_FOUND, "B's person who left A", control=SUCCEEDS),
    Case("users.soft_delete", lambda r, w: r.users.soft_delete(w.mover.id), NOT_FOUND,
         "B's person who left A"),
    Case("users.set_password", lambda r, w: r.users.set_password(w.mover.id, "a new secret"), NOT_FOUND,
         "B's person who left A"),
    Case("users.authenticate", lambda r, w: r.users.authenticate(w.b.member.email, PASSWORD), EMPTY),
    # organizations ----------------------------------------------------------
    Case("organizations.create", lambda r, w: r.organizations.create(
        name="Bravo Two", domain="bravo-two.example"), RLS),
    Case("organizations.get", lambda r, w: r.organizations.get(w.b.org.id), NOT_FOUND),
    Case("organizations.get_by_domain", lambda r, w: r.organizations.get_by_domain("bravo.example"),
         NOT_FOUND),
    Case("organizations.list", lambda r, w: r.organizations.list(limit=500), NO_B_DATA, control=SUCCEEDS),
    Case("organizations.update", lambda r, w: r.organizations.update(replace(w.b.org, name=CHANGED)),
         NOT_FOUND),
    Case("organizations.soft_delete", lambda r, w: r.organizations.soft_delete(w.b.org.id), NOT_FOUND),
    Case("organizations.add_member", lambda r, w: r.organizations.add_member(w.b.org.id, w.a.admin.id),
         RLS, "A's person into B"),
    Case("organizations.add_member", lambda r, w: r.organizations.add_member(w.a.org.id, w.b.member.id),
         RLS, "B's person into A"),
    Case("organizations.get_membership",
         lambda r, w: r.organizations.get_membership(w.b.org.id, w.b.member.id), NOT_FOUND),
    Case("organizations.set_member_status",
         lambda r, w: r.organizations.set_member_status(w.b.org.id, w.b.member.id, "suspended"),
         NOT_FOUND),
    Case("organizations.remove_member",
         lambda r, w: r.organizations.remove_member(w.b.org.id, w.b.member.id), NOT_FOUND),
    Case("organizations.list_members", lambda r, w: r.organizations.list_members(w.b.org.id), EMPTY),
    Case("organizations.list_for_user", lambda r, w: r.organizations.list_for_user(w.b.member.id), EMPTY),
    # roles ------------------------------------------------------------------
    Case("roles.create", lambda r, w: r.roles.create(w.b.org.id, name="bravo_auditor"), RLS),
    Case("roles.get", lambda r, w: r.roles.get(w.b.role.id), NOT_FOUND),
    Case("roles.get_by_name", lambda r, w: r.roles.get_by_name(w.b.org.id, w.b.role.name), NOT_FOUND),
    Case("roles.list", lambda r, w: r.roles.list(w.b.org.id), NO_B_DATA),
    Case("roles.update", lambda r, w: r.roles.update(replace(w.b.role, description=CHANGED)), NOT_FOUND),
    Case("roles.delete", lambda r, w: r.roles.delete(w.b.role.id), NOT_FOUND),
    Case("roles.assign", lambda r, w: r.roles.assign(w.b.org.id, w.b.admin.id, w.b.role.id), NOT_FOUND),
    # Another organization's role is not found, exactly as a missing one.
    Case("roles.assign", lambda r, w: r.roles.assign(w.a.org.id, w.a.admin.id, w.b.role.id),
         NOT_FOUND, "A's member, B's role", control=NOT_FOUND),
    Case("roles.revoke", lambda r, w: r.roles.revoke(w.b.org.id, w.b.member.id, w.b.role.id), NOT_FOUND),
    Case("roles.list_for_user", lambda r, w: r.roles.list_for_user(w.b.org.id, w.b.member.id), EMPTY),
    Case("roles.list_assignments", lambda r, w: r.roles.list_assignments(w.b.org.id, w.b.role.id), EMPTY),
    # competencies -----------------------------------------------------------
    Case("competencies.create_category",
         lambda r, w: r.competencies.create_category(w.b.org.id, name="Bravo extra"), RLS),
    Case("competencies.create_category",
         lambda r, w: r.competencies.create_category(None, name="Bravo for everyone"), RLS,
         "a shared category: the owner's"),
    Case("competencies.get_category", lambda r, w: r.competencies.get_category(w.b.category.id),
         NOT_FOUND),
    Case("competencies.list_categories", lambda r, w: r.competencies.list_categories(w.b.org.id),
         NO_B_DATA),
    Case("competencies.update_category",
         lambda r, w: r.competencies.update_category(replace(w.b.category, description=CHANGED)),
         NOT_FOUND),
    Case("competencies.update_category",
         lambda r, w: r.competencies.update_category(replace(w.shared.category, description=CHANGED)),
         NOT_FOUND, "the shared category", control=SUCCEEDS),
    Case("competencies.delete_category",
         lambda r, w: r.competencies.delete_category(w.b.org.id, w.b.category.id), NOT_FOUND),
    Case("competencies.delete_category",
         lambda r, w: r.competencies.delete_category(None, w.shared.category.id), NOT_FOUND,
         "the shared category"),
    Case("competencies.create", lambda r, w: r.competencies.create(w.b.org.id, name="Bravo x"), RLS),
    Case("competencies.create",
         lambda r, w: r.competencies.create(w.a.org.id, name="Alpha x", category_id=w.b.category.id),
         invalid("category_id"), "A's competency in B's category", control=invalid("category_id")),
    Case("competencies.get", lambda r, w: r.competencies.get(w.b.competency.id), NOT_FOUND),
    Case("competencies.list", lambda r, w: r.competencies.list(w.b.org.id), EMPTY),
    Case("competencies.update",
         lambda r, w: r.competencies.update(replace(w.b.competency, description=CHANGED)), NOT_FOUND),
    Case("competencies.soft_delete", lambda r, w: r.competencies.soft_delete(w.b.competency.id),
         NOT_FOUND),
    Case("competencies.set_proficiency_levels",
         lambda r, w: r.competencies.set_proficiency_levels(
             w.b.org.id, w.b.competency.id, [LevelSpec("one"), LevelSpec("two"), LevelSpec("three")]),
         RLS),
    Case("competencies.set_proficiency_levels",
         lambda r, w: r.competencies.set_proficiency_levels(
             w.a.org.id, w.b.competency.id, [LevelSpec("one")]),
         invalid("competency_id"), "A's levels for B's competency", control=invalid("competency_id"), unscoped=RLS),
    Case("competencies.list_proficiency_levels",
         lambda r, w: r.competencies.list_proficiency_levels(w.b.competency.id), EMPTY),
    Case("competencies.update_proficiency_level",
         lambda r, w: r.competencies.update_proficiency_level(replace(w.b.levels[0], description=CHANGED)),
         NOT_FOUND),
    Case("competencies.delete_proficiency_level",
         lambda r, w: r.competencies.delete_proficiency_level(w.b.levels[1].id), NOT_FOUND),
    Case("competencies.set_level",
         lambda r, w: r.competencies.set_level(w.b.org.id, w.b.member.id, w.b.competency.id,
                                               current_level=2, source="manager"), RLS),
    Case("competencies.get_level",
         lambda r, w: r.competencies.get_level(w.b.org.id, w.b.member.id, w.b.competency.id),
         NOT_FOUND),
    Case("competencies.list_user_levels",
         lambda r, w: r.competencies.list_user_levels(w.b.org.id, w.b.member.id), EMPTY),
    Case("competencies.history",
         lambda r, w: r.competencies.history(w.b.org.id, w.b.member.id, w.b.competency.id), EMPTY),
    Case("competencies.gaps", lambda r, w: r.competencies.gaps(w.b.org.id, w.b.member.id), EMPTY),
    # feedback ---------------------------------------------------------------
    Case("feedback.create_form", lambda r, w: r.feedback.create_form(w.b.org.id, title="Bravo x"), RLS),
    Case("feedback.get_form", lambda r, w: r.feedback.get_form(w.b.form.id), NOT_FOUND),
    Case("feedback.list_forms", lambda r, w: r.feedback.list_forms(w.b.org.id), EMPTY),
    Case("feedback.update_form",
         lambda r, w: r.feedback.update_form(replace(w.b.spare_form, description=CHANGED)), NOT_FOUND),
    Case("feedback.soft_delete_form", lambda r, w: r.feedback.soft_delete_form(w.b.spare_form.id),
         NOT_FOUND),
    Case("feedback.add_question",
         lambda r, w: r.feedback.add_question(w.b.spare_form.id, question_text="Bravo?",
                                              question_type="text"), NOT_FOUND),
    Case("feedback.get_question", lambda r, w: r.feedback.get_question(w.b.rating_question.id),
         NOT_FOUND),
    Case("feedback.list_questions", lambda r, w: r.feedback.list_questions(w.b.form.id), EMPTY),
    Case("feedback.update_question",
         lambda r, w: r.feedback.update_question(replace(w.b.spare_question, question_text=CHANGED)),
         NOT_FOUND),
    Case("feedback.set_options",
         lambda r, w: r.feedback.set_options(w.b.choice_question.id, [CHANGED]), NOT_FOUND),
    Case("feedback.list_options", lambda r, w: r.feedback.list_options(w.b.spare_form.id), EMPTY),
    Case("feedback.list_options_by_token",
         lambda r, w: r.feedback.list_options_by_token(w.b.access_token), NOT_FOUND,
         control=lambda options: options == []),
    Case("feedback.delete_question", lambda r, w: r.feedback.delete_question(w.b.spare_question.id),
         NOT_FOUND),
    Case("feedback.reorder_questions",
         lambda r, w: r.feedback.reorder_questions(w.b.spare_form.id,
                                                   [w.b.choice_question.id, w.b.spare_question.id]),
         NOT_FOUND),
    Case("feedback.create_cycle", lambda r, w: r.feedback.create_cycle(w.b.form.id, name="Bravo x"),
         NOT_FOUND),
    Case("feedback.get_cycle", lambda r, w: r.feedback.get_cycle(w.b.active_cycle.id), NOT_FOUND),
    Case("feedback.list_cycles", lambda r, w: r.feedback.list_cycles(w.b.org.id), EMPTY),
    Case("feedback.update_cycle",
         lambda r, w: r.feedback.update_cycle(replace(w.b.draft_cycle, description=CHANGED)), NOT_FOUND),
    Case("feedback.activate_cycle", lambda r, w: r.feedback.activate_cycle(w.b.draft_cycle.id),
         NOT_FOUND),
    Case("feedback.close_cycle", lambda r, w: r.feedback.close_cycle(w.b.active_cycle.id), NOT_FOUND),
    Case("feedback.cancel_cycle", lambda r, w: r.feedback.cancel_cycle(w.b.active_cycle.id), NOT_FOUND),
    Case("feedback.invite",
         lambda r, w: r.feedback.invite(w.b.active_cycle.id, target_user_id=w.b.member.id,
                                        relationship="self", rater_user_id=w.b.member.id), NOT_FOUND),
    Case("feedback.get_invitation", lambda r, w: r.feedback.get_invitation(w.b.open_invitation.id),
         NOT_FOUND),
    Case("feedback.get_invitation_by_token",
         lambda r, w: r.feedback.get_invitation_by_token(w.b.access_token), NOT_FOUND),
    Case("feedback.list_questions_by_token",
         lambda r, w: r.feedback.list_questions_by_token(w.b.access_token), NOT_FOUND),
    Case("feedback.mark_invitation_sent",
         lambda r, w: r.feedback.mark_invitation_sent(w.b.open_invitation.id), NOT_FOUND),
    Case("feedback.start_invitation", lambda r, w: r.feedback.start_invitation(w.b.open_invitation.id),
         NOT_FOUND),
    Case("feedback.decline_invitation",
         lambda r, w: r.feedback.decline_invitation(w.b.open_invitation.id), NOT_FOUND),
    Case("feedback.record_reminder",
         lambda r, w: r.feedback.record_reminder(w.b.open_invitation.id, at=NOW + timedelta(days=10)),
         NOT_FOUND),
    Case("feedback.due_reminders",
         lambda r, w: r.feedback.due_reminders(w.b.active_cycle.id, at=NOW + timedelta(days=10)), EMPTY,
         control=lambda due: len(due) == 1),
    Case("feedback.expire_overdue_invitations",
         lambda r, w: r.feedback.expire_overdue_invitations(w.b.active_cycle.id), EMPTY,
         control=lambda expired: expired == 1),
    Case("feedback.list_pending_raters",
         lambda r, w: r.feedback.list_pending_raters(w.b.active_cycle.id), EMPTY),
    Case("feedback.list_cycle_invitations",
         lambda r, w: r.feedback.list_cycle_invitations(w.b.active_cycle.id), EMPTY),
    Case("feedback.submit",
         lambda r, w: r.feedback.submit(w.b.open_invitation.id, [Answer(w.b.rating_question.id, 2)]),
         NOT_FOUND, control=SUCCEEDS),
    Case("feedback.submit",
         lambda r, w: r.feedback.submit(w.b.external_invitation.id, [Answer(w.b.rating_question.id, 2)],
                                        token=w.b.access_token),
         NOT_FOUND, "an external rater's token", control=SUCCEEDS),
    Case("feedback.analyze", lambda r, w: r.feedback.analyze(w.b.member.id, w.b.active_cycle.id), EMPTY),
    Case("feedback.results_by_group",
         lambda r, w: r.feedback.results_by_group(w.b.member.id, w.b.active_cycle.id), EMPTY),
    Case("feedback.question_results",
         lambda r, w: r.feedback.question_results(w.b.member.id, w.b.active_cycle.id), EMPTY,
         control=lambda results: [r.answer_count for r in results] == [1]),
    Case("feedback.comments", lambda r, w: r.feedback.comments(w.b.member.id, w.b.active_cycle.id),
         EMPTY),
    Case("feedback.completion", lambda r, w: r.feedback.completion(w.b.active_cycle.id), NOT_FOUND,
         control=lambda rows: sum(c.invited for c in rows) == 4),
    # nominations ------------------------------------------------------------
    Case("nominations.set_rule", lambda r, w: r.nominations.set_rule(w.b.draft_cycle.id, "peer", max_raters=9),
         NOT_FOUND),
    Case("nominations.list_rules", lambda r, w: r.nominations.list_rules(w.b.draft_cycle.id), EMPTY),
    Case("nominations.nominate",
         lambda r, w: r.nominations.nominate(w.b.draft_cycle.id, target_user_id=w.b.member.id,
                                             relationship="peer", rater_user_id=w.b.admin.id,
                                             nominated_by=w.b.member.id), NOT_FOUND),
    Case("nominations.nominate",
         lambda r, w: r.nominations.nominate(w.a.draft_cycle.id, target_user_id=w.a.member.id,
                                             relationship="peer", rater_user_id=w.b.admin.id,
                                             nominated_by=w.a.member.id),
         invalid("rater_user_id"), "B's person as A's rater", control=invalid("rater_user_id"),
         unscoped=NOT_FOUND),
    Case("nominations.approve",
         lambda r, w: r.nominations.approve(w.b.nomination.id, decided_by=w.b.manager.id), NOT_FOUND),
    Case("nominations.reject",
         lambda r, w: r.nominations.reject(w.b.nomination.id, decided_by=w.b.manager.id), NOT_FOUND),
    Case("nominations.withdraw", lambda r, w: r.nominations.withdraw(w.b.nomination.id), NOT_FOUND),
    Case("nominations.get", lambda r, w: r.nominations.get(w.b.nomination.id), NOT_FOUND),
    Case("nominations.list", lambda r, w: r.nominations.list(w.b.draft_cycle.id), EMPTY),
    Case("nominations.summary", lambda r, w: r.nominations.summary(w.b.draft_cycle.id, w.b.member.id), EMPTY,
         control=lambda counts: [c.proposed for c in counts] == [1]),
    # results across cycles and people ----------------------------------------
    Case("results.trend", lambda r, w: r.results.trend(w.b.member.id), EMPTY,
         control=lambda points: len(points) == 1),
    Case("results.heatmap", lambda r, w: r.results.heatmap(w.b.active_cycle.id), NOT_FOUND),
    Case("results.blind_spots", lambda r, w: r.results.blind_spots(w.b.member.id, w.b.closed_cycle.id),
         NOT_FOUND),
    Case("results.weighted_score",
         lambda r, w: r.results.weighted_score(w.b.member.id, w.b.active_cycle.id), NO_B_DATA,
         control=lambda score: score.overall_score is not None),
    # plan templates and reviews ---------------------------------------------
    Case("plan_templates.create", lambda r, w: r.plan_templates.create(w.b.org.id, title="Bravo x"), RLS),
    Case("plan_templates.get", lambda r, w: r.plan_templates.get(w.b.template.id), NOT_FOUND),
    Case("plan_templates.list", lambda r, w: r.plan_templates.list(w.b.org.id), EMPTY),
    Case("plan_templates.set_active", lambda r, w: r.plan_templates.set_active(w.b.template.id, False),
         NOT_FOUND),
    Case("plan_templates.add_objective",
         lambda r, w: r.plan_templates.add_objective(w.b.template.id, title="Bravo x", due_offset_days=1),
         NOT_FOUND),
    Case("plan_templates.add_objective",
         lambda r, w: r.plan_templates.add_objective(w.a.template.id, title="Alpha x", due_offset_days=1,
                                                     competency_id=w.b.competency.id),
         invalid("competency_id"), "A's template, B's competency", control=invalid("competency_id"),
         unscoped=NOT_FOUND),
    Case("plan_templates.list_objectives", lambda r, w: r.plan_templates.list_objectives(w.b.template.id),
         EMPTY),
    Case("plan_templates.create_plan",
         lambda r, w: r.plan_templates.create_plan(w.b.template.id, w.b.member.id, start_date=NOW.date()),
         NOT_FOUND),
    Case("plan_templates.create_plan",
         lambda r, w: r.plan_templates.create_plan(w.a.template.id, w.b.member.id, start_date=NOW.date()),
         RLS, "A's template for B's person", control=invalid("user_id"), unscoped=NOT_FOUND),
    Case("plan_reviews.submit",
         lambda r, w: r.plan_reviews.submit(w.b.draft_plan.id, submitted_by=w.b.member.id), NOT_FOUND),
    Case("plan_reviews.approve",
         lambda r, w: r.plan_reviews.approve(w.b.active_plan.id, reviewer_id=w.b.manager.id), NOT_FOUND),
    Case("plan_reviews.send_back",
         lambda r, w: r.plan_reviews.send_back(w.b.active_plan.id, reviewer_id=w.b.manager.id, comment=CHANGED),
         NOT_FOUND),
    Case("plan_reviews.list", lambda r, w: r.plan_reviews.list(w.b.active_plan.id), EMPTY),
    Case("plan_reviews.overdue_objectives",
         lambda r, w: r.plan_reviews.overdue_objectives(w.b.org.id, as_of=NOW.date()), EMPTY,
         control=lambda overdue: len(overdue) == 1),
    # notifications ----------------------------------------------------------
    Case("notifications.queue",
         lambda r, w: r.notifications.queue(w.b.org.id, template_key="feedback.cycle_closing",
                                            subject_id=w.b.active_cycle.id, recipient_user_id=w.b.member.id),
         NOT_FOUND),
    Case("notifications.queue",
         lambda r, w: r.notifications.queue(w.a.org.id, template_key="feedback.cycle_closing",
                                            subject_id=w.b.active_cycle.id, recipient_user_id=w.a.member.id),
         NOT_FOUND, "A's notification about B's cycle", control=NOT_FOUND),
    Case("notifications.get", lambda r, w: r.notifications.get(w.b.notification.id), NOT_FOUND),
    Case("notifications.mark_sent", lambda r, w: r.notifications.mark_sent(w.b.notification.id), NOT_FOUND),
    Case("notifications.mark_failed",
         lambda r, w: r.notifications.mark_failed(w.b.notification.id, CHANGED), NOT_FOUND),
    Case("notifications.requeue", lambda r, w: r.notifications.requeue(w.b.notification.id), NOT_FOUND,
         control=Raises(Conflict, "queued")),
    Case("notifications.list", lambda r, w: r.notifications.list(w.b.org.id), EMPTY),
    # learning ---------------------------------------------------------------
    Case("learning.upsert_resource_type",
         lambda r, w: r.learning.upsert_resource_type("bravo_kind", "Bravo kind"), NO_PRIVILEGE,
         "a global catalog: the owner's"),
    Case("learning.list_resource_types", lambda r, w: r.learning.list_resource_types(), NO_B_DATA,
         "a global catalog", control=lambda kinds: RESOURCE_TYPE in {k.code for k in kinds}),
    Case("learning.create_resource",
         lambda r, w: r.learning.create_resource(w.b.org.id, title="Bravo x", resource_type=RESOURCE_TYPE),
         RLS),
    Case("learning.create_resource",
         lambda r, w: r.learning.create_resource(w.a.org.id, title="Alpha x", resource_type=RESOURCE_TYPE,
                                                 competency_id=w.b.competency.id),
         invalid("competency_id"), "A's resource on B's competency", control=invalid("competency_id"), unscoped=RLS),
    Case("learning.get_resource", lambda r, w: r.learning.get_resource(w.b.resource.id), NOT_FOUND),
    Case("learning.list_resources", lambda r, w: r.learning.list_resources(w.b.org.id), EMPTY),
    Case("learning.update_resource",
         lambda r, w: r.learning.update_resource(replace(w.b.resource, description=CHANGED)), NOT_FOUND),
    Case("learning.soft_delete_resource",
         lambda r, w: r.learning.soft_delete_resource(w.b.resource.id), NOT_FOUND),
    Case("learning.create_plan",
         lambda r, w: r.learning.create_plan(w.b.org.id, w.b.member.id, title="Bravo x"), RLS),
    Case("learning.create_plan",
         lambda r, w: r.learning.create_plan(w.a.org.id, w.b.member.id, title="Alpha x"),
         invalid("user_id"), "A's plan for B's person", control=invalid("user_id"), unscoped=RLS),
    Case("learning.create_plan_from_gaps",
         lambda r, w: r.learning.create_plan_from_gaps(w.b.org.id, w.b.member.id, title="Bravo x",
                                                       ai_analysis={}),
         Raises(Conflict, "no competency below target")),
    Case("learning.get_plan", lambda r, w: r.learning.get_plan(w.b.active_plan.id), NOT_FOUND),
    Case("learning.get_plan_with_details",
         lambda r, w: r.learning.get_plan_with_details(w.b.active_plan.id), NOT_FOUND),
    Case("learning.list_plans", lambda r, w: r.learning.list_plans(w.b.org.id, w.b.member.id), EMPTY),
    Case("learning.update_plan",
         lambda r, w: r.learning.update_plan(replace(w.b.active_plan, description=CHANGED)), NOT_FOUND),
    Case("learning.soft_delete_plan", lambda r, w: r.learning.soft_delete_plan(w.b.active_plan.id),
         NOT_FOUND),
    Case("learning.activate_plan", lambda r, w: r.learning.activate_plan(w.b.draft_plan.id), NOT_FOUND),
    Case("learning.pause_plan", lambda r, w: r.learning.pause_plan(w.b.active_plan.id), NOT_FOUND),
    Case("learning.resume_plan", lambda r, w: r.learning.resume_plan(w.b.paused_plan.id), NOT_FOUND),
    Case("learning.complete_plan", lambda r, w: r.learning.complete_plan(w.b.active_plan.id), NOT_FOUND),
    Case("learning.cancel_plan", lambda r, w: r.learning.cancel_plan(w.b.active_plan.id), NOT_FOUND),
    Case("learning.add_objective",
         lambda r, w: r.learning.add_objective(w.b.org.id, w.b.active_plan.id, title="Bravo x"), RLS),
    Case("learning.add_objective",
         lambda r, w: r.learning.add_objective(w.a.org.id, w.b.active_plan.id, title="Alpha x"),
         RLS, "A's objective in B's plan", control=invalid("plan_id")),
    Case("learning.get_objective", lambda r, w: r.learning.get_objective(w.b.objective.id), NOT_FOUND),
    Case("learning.list_objectives", lambda r, w: r.learning.list_objectives(w.b.active_plan.id), EMPTY),
    Case("learning.update_objective",
         lambda r, w: r.learning.update_objective(replace(w.b.objective, description=CHANGED)),
         NOT_FOUND),
    Case("learning.set_objective_status",
         lambda r, w: r.learning.set_objective_status(w.b.objective.id, "completed"), NOT_FOUND),
    Case("learning.delete_objective", lambda r, w: r.learning.delete_objective(w.b.objective.id),
         NOT_FOUND),
    Case("learning.record_progress",
         lambda r, w: r.learning.record_progress(w.b.active_plan.id, progress_percent=90), NOT_FOUND),
    Case("learning.list_progress", lambda r, w: r.learning.list_progress(w.b.active_plan.id), EMPTY),
    Case("learning.progress_summary",
         lambda r, w: r.learning.progress_summary(w.b.member.id, organization_id=w.b.org.id), EMPTY,
         control=lambda plans: len(plans) == 1),
    Case("learning.progress_summary", lambda r, w: r.learning.progress_summary(w.b.member.id), EMPTY,
         "every organization of B's person", control=lambda plans: len(plans) == 1),
    Case("learning.create_recommendation",
         lambda r, w: r.learning.create_recommendation(w.b.org.id, w.b.member.id, title="Bravo x",
                                                       score=Decimal("0.5")), RLS),
    Case("learning.create_recommendation",
         lambda r, w: r.learning.create_recommendation(w.a.org.id, w.a.member.id, title="Alpha x",
                                                       score=Decimal("0.5"), resource_id=w.b.resource.id),
         invalid("resource_id"), "A's person, B's resource", control=invalid("resource_id"), unscoped=RLS),
    Case("learning.get_recommendation",
         lambda r, w: r.learning.get_recommendation(w.b.recommendation.id), NOT_FOUND),
    Case("learning.list_recommendations",
         lambda r, w: r.learning.list_recommendations(w.b.org.id, w.b.member.id), EMPTY),
    Case("learning.accept_recommendation",
         lambda r, w: r.learning.accept_recommendation(w.b.recommendation.id), NOT_FOUND),
    Case("learning.dismiss_recommendation",
         lambda r, w: r.learning.dismiss_recommendation(w.b.recommendation.id), NOT_FOUND),
    # analytics --------------------------------------------------------------
    Case("analytics.record_event", lambda r, w: r.analytics.record_event(w.b.org.id, "page.viewed"), RLS,
         control=SUCCEEDS),
    Case("analytics.record_events",
         lambda r, w: r.analytics.record_events([Event(w.a.org.id, "page.viewed"),
                                                 Event(w.b.org.id, "page.viewed")]),
         RLS, "a batch of A's and B's events", control=lambda recorded: recorded == 2),
    Case("analytics.list_events", lambda r, w: r.analytics.list_events(w.b.org.id), EMPTY),
    Case("analytics.count_events_by_day",
         lambda r, w: r.analytics.count_events_by_day(w.b.org.id, since=NOW - timedelta(days=1),
                                                      until=NOW + timedelta(days=1)),
         EMPTY, control=lambda counts: sum(c.events for c in counts) == 1),
    Case("analytics.create_report",
         lambda r, w: r.analytics.create_report(w.b.org.id, report_type="engagement", title="Bravo x"),
         RLS),
    Case("analytics.get_report", lambda r, w: r.analytics.get_report(w.b.queued_report.id), NOT_FOUND),
    Case("analytics.list_reports", lambda r, w: r.analytics.list_reports(w.b.org.id), EMPTY),
    Case("analytics.start_report", lambda r, w: r.analytics.start_report(w.b.queued_report.id),
         NOT_FOUND),
    Case("analytics.complete_report",
         lambda r, w: r.analytics.complete_report(w.b.running_report.id, result={"done": True}),
         NOT_FOUND),
    Case("analytics.fail_report",
         lambda r, w: r.analytics.fail_report(w.b.queued_report.id, CHANGED), NOT_FOUND),
    Case("analytics.delete_report", lambda r, w: r.analytics.delete_report(w.b.queued_report.id),
         NOT_FOUND),
    Case("analytics.add_widget",
         lambda r, w: r.analytics.add_widget(w.b.org.id, w.b.member.id, "activity"), RLS),
    # A dashboard is its person's own: A's admin may not add to B's person's (nor to anyone's).
    Case("analytics.add_widget",
         lambda r, w: r.analytics.add_widget(w.a.org.id, w.b.member.id, "activity"),
         RLS, "A's widget for B's person", control=invalid("user_id")),
    Case("analytics.get_widget", lambda r, w: r.analytics.get_widget(w.b.widget.id), NOT_FOUND),
    Case("analytics.list_widgets", lambda r, w: r.analytics.list_widgets(w.b.org.id, w.b.member.id),
         EMPTY),
    Case("analytics.update_widget",
         lambda r, w: r.analytics.update_widget(replace(w.b.widget, title=CHANGED)), NOT_FOUND),
    Case("analytics.move_widget", lambda r, w: r.analytics.move_widget(w.b.widget.id, 0), NOT_FOUND),
    Case("analytics.remove_widget", lambda r, w: r.analytics.remove_widget(w.b.widget.id), NOT_FOUND),
    Case("analytics.dashboard", lambda r, w: r.analytics.dashboard(w.b.org.id, w.b.member.id), NOT_FOUND),
    # privacy ----------------------------------------------------------------
    Case("privacy.list_audit", lambda r, w: r.privacy.list_audit(limit=1000), NO_B_DATA),
    Case("privacy.list_audit", lambda r, w: r.privacy.list_audit(organization_id=w.b.org.id), EMPTY,
         "B's organization"),
    Case("privacy.list_audit",
         lambda r, w: r.privacy.list_audit(table_name="users", row_id=w.b.member.id), EMPTY,
         "B's person's row"),
    Case("privacy.log_access",
         lambda r, w: r.privacy.log_access(str(w.a.admin.id), w.b.org.id, w.b.member.id, "export"), RLS),
    Case("privacy.list_access", lambda r, w: r.privacy.list_access(limit=1000), NO_B_DATA),
    Case("privacy.list_access", lambda r, w: r.privacy.list_access(subject_user_id=w.b.member.id), EMPTY,
         "B's person"),
    Case("privacy.list_access", lambda r, w: r.privacy.list_access(organization_id=w.b.org.id), EMPTY,
         "B's organization"),
    Case("privacy.grant_consent",
         lambda r, w: r.privacy.grant_consent(w.b.member.id, "marketing_emails", "bravo-v1"), RLS),
    Case("privacy.withdraw_consent",
         lambda r, w: r.privacy.withdraw_consent(w.b.member.id, CONSENT_PURPOSE), NOT_FOUND),
    Case("privacy.list_consents", lambda r, w: r.privacy.list_consents(w.b.member.id), EMPTY),
    Case("privacy.has_consent", lambda r, w: r.privacy.has_consent(w.b.member.id, CONSENT_PURPOSE), EMPTY,
         control=lambda given: given is True),
    Case("privacy.log_processing",
         lambda r, w: r.privacy.log_processing("export", w.b.member.id, w.b.subject_reference,
                                               str(w.a.admin.id)), RLS),
    Case("privacy.list_processing", lambda r, w: r.privacy.list_processing(limit=1000), NO_B_DATA),
    Case("privacy.list_processing",
         lambda r, w: r.privacy.list_processing(subject_user_id=w.b.member.id), EMPTY, "B's person"),
    Case("privacy.list_processing",
         lambda r, w: r.privacy.list_processing(subject_reference=w.b.subject_reference), EMPTY,
         "B's person's reference"),
    Case("privacy.list_retention_policies", lambda r, w: r.privacy.list_retention_policies(), NO_B_DATA,
         "a global catalog", control=lambda policies: len(policies) > 0),
]


#: Whom the application's transaction works for when it is given B's ids.
SCOPES = ("organization A", "no scope")


def scope_of(env: Env, scope: str) -> Any:
    a = env.world.a
    if scope == "organization A":
        # A's admin acting: a person scope too, which must not open B either.
        return env.app.organization(a.org.id, user_id=a.admin.id, actor=str(a.admin.id))
    return env.app.transaction()


def _is_empty(value: Any) -> bool:
    return value is None or value is False or value == 0 or value == []


async def _outcome(scope: Any, case: Case, world: World) -> tuple[Any, BaseException | None]:
    try:
        async with scope as repositories:
            return await case.call(repositories, world), None
    except IkeneiError as exc:
        return None, exc


@pytest.mark.parametrize("scope", SCOPES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_work_for_a_neither_sees_nor_changes_b(env: Env, case: Case, scope: str) -> None:
    before = await snapshot(env.owner)
    result, error = await _outcome(scope_of(env, scope), case, env.world)
    assert changed_tables(before, await snapshot(env.owner)) == []
    expect = case.unscoped if scope == "no scope" and case.unscoped else case.expect
    if isinstance(expect, Raises):
        assert error is not None, f"expected {expect}, got {result!r}"
        assert isinstance(error, expect.error), f"expected {expect}, got {error!r}"
        assert expect.message in str(error)
        return
    assert error is None, f"expected a result, got {error!r}"
    assert env.b_marks.found_in(result) == []
    if scope == "no scope":
        assert env.a_marks.found_in(result) == []
    if expect.empty:
        assert _is_empty(result), result


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_as_the_owner_the_same_call_reaches_b(env: Env, case: Case) -> None:
    # The owner is not bound by row-level security: the case's ids are real
    # rows of B that the method works on. Rolled back, so the world stays.
    result: Any = None
    error: IkeneiError | None = None
    try:
        async with env.owner.organization(env.world.a.org.id) as repositories:
            raise Rollback(await case.call(repositories, env.world))
    except Rollback as done:
        result = done.value
    except IkeneiError as exc:
        error = exc
    if isinstance(case.control, Raises):
        assert isinstance(error, case.control.error), error
        assert case.control.message in str(error)
        return
    assert error is None, f"as the owner: {error!r}"
    if case.control == REACHES_B:
        assert result is None or env.b_marks.found_in(result) != [], result
    elif callable(case.control):
        assert case.control(result), result


def _public_methods() -> set[str]:
    # The repositories only keep their executor until a method is called.
    bound = Repositories(None, None)  # type: ignore[arg-type]
    found = set()
    for name in Repositories.__slots__:
        repository = type(getattr(bound, name))
        for method, member in inspect.getmembers(repository, inspect.isfunction):
            if not method.startswith("_"):
                found.add(f"{name}.{method}")
    return found


def test_every_repository_method_has_a_case() -> None:
    methods = _public_methods()
    covered = {c.method for c in CASES}
    assert sorted(methods - covered) == [], "repository methods without an isolation case"
    assert sorted(covered - methods) == [], "cases naming no repository method"


def test_every_case_is_named_once() -> None:
    ids = [c.id for c in CASES]
    assert sorted({i for i in ids if ids.count(i) > 1}) == []


# -- statements without a scope, and the scope of a pooled connection -----------


async def probe(
    db: Database, *, scope: UUID | None, other_than: UUID | None, write: bool
) -> list[Probe]:
    """``probe_tables`` as ``db``'s role in the scope of organization ``scope`` (None: no scope):
    the rows of organizations other than ``other_than`` it sees, updates and deletes."""
    try:
        async with Executor(db._pool).transaction() as x:
            if scope is not None:
                await x.value(
                    Q.set_scope, organization_id=scope, user_id=None, user_email=None, actor=None,
                )
            await x.execute(TQ.create_probe_function)
            raise Rollback(await x.all(
                TQ.probe_tables, Probe, other_than=other_than, shared_tables=SHARED_ROW_TABLES,
                write=write,
            ))
    except Rollback as done:
        return done.value


async def test_a_statement_without_a_scope_sees_and_changes_no_row_of_any_organization(env: Env) -> None:
    # As the owner, every table with row-level security holds rows: the probe can find some.
    as_owner = await probe(env.owner, scope=None, other_than=None, write=False)
    assert [p.table_name for p in as_owner if p.seen == 0] == []
    before = await snapshot(env.owner)
    as_app = await probe(env.app, scope=None, other_than=None, write=True)
    assert [p.table_name for p in as_app] == [p.table_name for p in as_owner]
    for p in as_app:
        if p.table_name in ANSWER_PRIVILEGES:
            assert (p.seen, p.updated, p.deleted) == (-1, -1, -1), p  # not even a read
            continue
        assert p.seen == 0, p
        assert p.updated in (0, -1), p
        assert p.deleted in (0, -1), p
        if p.table_name in LOG_PRIVILEGES:
            assert (p.updated, p.deleted) == (-1, -1), p  # the logs: no UPDATE, no DELETE at all
    assert changed_tables(before, await snapshot(env.owner)) == []


def _of_organizations(probes: list[Probe]) -> dict[str, Probe]:
    """The probes of the tables whose rows each belong to one organization."""
    return {p.table_name: p for p in probes if p.key_column}


async def test_in_a_scope_a_statement_sees_and_changes_no_row_of_another_organization(env: Env) -> None:
    a, b = env.world.a.org.id, env.world.b.org.id
    as_owner = _of_organizations(await probe(env.owner, scope=a, other_than=a, write=False))
    assert [name for name, p in as_owner.items() if p.seen == 0] == []
    # The scope is no blindfold: A's own rows are there in every table.
    own = _of_organizations(await probe(env.app, scope=a, other_than=b, write=False))
    assert sorted(own) == sorted(as_owner)
    assert [name for name, p in own.items() if p.seen == 0] == []
    assert sorted(name for name, p in own.items() if p.seen == -1) == sorted(ANSWER_PRIVILEGES)
    before = await snapshot(env.owner)
    as_app = _of_organizations(await probe(env.app, scope=a, other_than=a, write=True))
    assert sorted(as_app) == sorted(as_owner)
    for p in as_app.values():
        if p.table_name in ANSWER_PRIVILEGES:
            assert (p.seen, p.updated, p.deleted) == (-1, -1, -1), p
            continue
        assert (p.seen, p.updated in (0, -1), p.deleted in (0, -1)) == (0, True, True), p
    assert changed_tables(before, await snapshot(env.owner)) == []


@dataclass(frozen=True, slots=True)
class SessionState:
    backend_pid: int
    role_name: str
    organization_id: str | None
    user_id: str | None
    user_email: str | None
    actor: str | None


async def _state(db: Database) -> SessionState:
    state = await Executor(db._pool).one(TQ.session_state, SessionState)
    assert state is not None
    return state


def _unscoped(state: SessionState) -> bool:
    return all(v in ("", None) for v in (state.organization_id, state.user_id, state.user_email, state.actor))


async def test_a_pooled_connection_carries_no_scope_to_its_next_user(env: Env) -> None:
    a = env.world.a
    settings = settings_for(env.dsn, db_pool_min=1, db_pool_max=1)
    async with await Database.connect(settings, role=APP_ROLE) as app:
        first = await _state(app)
        assert first.role_name == APP_ROLE and _unscoped(first)
        async with app.organization(a.org.id, user_id=a.admin.id, actor="alpha admin") as org:
            assert [f.id for f in await org.feedback.list_forms(a.org.id)] == [a.form.id, a.spare_form.id]
        with pytest.raises(ZeroDivisionError):
            async with app.organization(a.org.id, actor="alpha admin") as org:
                await org.feedback.get_form(a.form.id)
                raise ZeroDivisionError
        async with app.person(email=a.member.email) as person:
            assert (await person.users.authenticate(a.member.email, PASSWORD)).email == a.member.email
        after = await _state(app)
        assert after.backend_pid == first.backend_pid  # the same connection, reused
        assert after.role_name == APP_ROLE and _unscoped(after)
        # What the next user of the connection gets without a scope: nothing of A.
        assert await app.feedback.list_forms(a.org.id) == []
        with pytest.raises(NotFound):
            await app.users.get(a.member.id)


@pytest.mark.parametrize("reset", ["reset_role", "reset_all"])
async def test_resetting_a_pooled_connection_keeps_it_in_the_application_role(env: Env, reset: str) -> None:
    settings = settings_for(env.dsn, db_pool_min=1, db_pool_max=1)
    async with await Database.connect(settings, role=APP_ROLE) as app:
        async with Executor(app._pool).transaction() as x:
            await x.execute(getattr(TQ, reset))
            state = await x.one(TQ.session_state, SessionState)
        assert state is not None and state.role_name == APP_ROLE
        assert (await _state(app)).role_name == APP_ROLE
        assert await app.organizations.list() == []


async def test_a_role_row_level_security_does_not_bind_is_refused(env: Env) -> None:
    owner_role = await Executor(env.owner._pool).value(TQ.current_role)
    with pytest.raises(ConfigError, match="row-level security does not bind role"):
        await Database.connect(settings_for(env.dsn), role=owner_role)


# -- the catalog ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TableSecurity:
    table_name: str
    owner: str
    has_organization_id: bool
    rls_enabled: bool
    rls_forced: bool
    policies: list[str]
    app_privileges: list[str]


@dataclass(frozen=True, slots=True)
class RoleAttributes:
    superuser: bool
    bypasses_rls: bool


@dataclass(frozen=True, slots=True)
class Name:
    name: str


async def _catalog(env: Env) -> list[TableSecurity]:
    return await Executor(env.owner._pool).all(TQ.rls_catalog, TableSecurity)


async def test_every_table_of_an_organization_or_a_person_has_row_level_security(env: Env) -> None:
    tables = await _catalog(env)
    assert GLOBAL_TABLES <= {t.table_name for t in tables}
    for t in tables:
        if t.table_name in GLOBAL_TABLES:
            assert not t.has_organization_id, t
            continue
        assert t.rls_enabled and t.policies, f"{t.table_name}: no row-level security"
        # Not forced: the owner (migrations, seeds, maintenance) sees every row.
        assert not t.rls_forced, t


async def test_the_application_role_owns_nothing_and_cannot_bypass_row_level_security(env: Env) -> None:
    owner_role = await Executor(env.owner._pool).value(TQ.current_role)
    assert owner_role != APP_ROLE
    assert {t.owner for t in await _catalog(env)} == {owner_role}
    attributes = await Executor(env.owner._pool).one(TQ.app_role_attributes, RoleAttributes)
    assert attributes == RoleAttributes(superuser=False, bypasses_rls=False)


async def test_the_application_role_may_only_read_and_append_the_logs(env: Env) -> None:
    privileges = {t.table_name: t.app_privileges for t in await _catalog(env)}
    expected = {**LOG_PRIVILEGES, **GLOBAL_PRIVILEGES, **ANSWER_PRIVILEGES}
    for table, granted in expected.items():
        assert privileges[table] == granted, table
    for table, granted in privileges.items():
        # TRUNCATE is not bound by row-level security: never the application's.
        assert "TRUNCATE" not in granted, table
        if table not in expected:
            assert granted == ["SELECT", "INSERT", "UPDATE", "DELETE"], table


async def test_nothing_reads_past_row_level_security_but_the_known_functions(env: Env) -> None:
    x = Executor(env.owner._pool)
    assert {f.name for f in await x.all(TQ.security_definer_functions, Name)} == SECURITY_DEFINER_FUNCTIONS
    assert await x.all(TQ.views_running_as_owner, Name) == []


# -- migrations, seeds and maintenance run as the owner ----------------------------


def _cli(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """``python -m ikenei.cli ARGS`` with only ``variables`` configured."""
    settings = {name.upper() for name in Settings.model_fields}
    environment = {k: v for k, v in os.environ.items() if k not in settings and k != "TEST_DATABASE_URL"}
    environment.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "ikenei.cli", *args], env=environment, check=False,
        capture_output=True, text=True, timeout=120,
    )


async def test_maintenance_commands_work_as_the_owner_whatever_db_app_role_says(fresh_dsn: str) -> None:
    owner = await Database.connect(settings_for(fresh_dsn), role=None)
    try:
        world = await build_world(owner)
        long_ago = datetime.now(UTC) - timedelta(days=400)
        for data in (world.a, world.b):
            await owner.analytics.record_event(data.org.id, "old.event", occurred_at=long_ago)
    finally:
        await owner.close()
    new_key = make_key("next")
    variables = {"DATABASE_URL": fresh_dsn, "DB_APP_ROLE": APP_ROLE, "PII_ENCRYPTION_KEY": new_key,
                 "PII_ENCRYPTION_OLD_KEYS": TEST_PII_KEY}

    seeded = _cli("seed", "prod", **variables)
    assert seeded.returncode == 0, seeded.stderr

    rotated = _cli("keys", "rotate", **variables)
    assert rotated.returncode == 0, rotated.stderr
    # Both organizations' comment, note and evidence note (and nothing else) moved to the new key.
    state = await keys.status(fresh_dsn, cipher(new_key, TEST_PII_KEY))
    assert sorted((u.table_name, u.key_id, u.value_count) for u in state.usage) == [
        ("competency_evidence", "next", 2), ("feedback_responses", "next", 2), ("learning_progress", "next", 2),
    ]

    purged = _cli("retention", "run", RETENTION_OVERRIDES="analytics_events=30", **variables)
    assert purged.returncode == 0, purged.stderr
    assert "analytics_events: 2 row(s)" in purged.stdout  # A's old event and B's

    exported = _cli("gdpr", "export", "--email", world.b.member.email,
                    SUBJECT_REFERENCE_SALT="a salt of the isolation tests", **variables)
    assert exported.returncode == 0, exported.stderr
    assert world.b.org.name in exported.stdout and world.b.comment in exported.stdout
