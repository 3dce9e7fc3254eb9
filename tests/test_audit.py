"""The audit trail: what the trigger records (metadata, never values), the actor,
anonymous feedback, the append-only guard, and the log of reads."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from feedback_fixtures import answers, invite_member, make_setup
from foundation_support import executor, make_member, make_org, make_user
from paging_support import page_after
from test_privacy import counts  # the same privacy tables, counted the same way

import ikenei
from ikenei.config.settings import load_settings
from ikenei.db.queries import load
from ikenei.errors import Conflict, DatabaseError, InvalidData

TQ = load(Path(__file__).parent / "sql" / "privacy.sql")

AUDITED = [
    "competency_evidence",
    "dashboard_widgets",
    "feedback_invitations",
    "feedback_nominations",
    "feedback_ratings",
    "feedback_responses",
    "learning_objectives",
    "learning_plan_reviews",
    "learning_plans",
    "learning_progress",
    "notifications",
    "recommendations",
    "user_competencies",
    "user_consents",
    "user_organizations",
    "user_roles",
    "users",
]


@dataclasses.dataclass(frozen=True, slots=True)
class Definer:
    prosecdef: bool
    proconfig: list[str]


@dataclasses.dataclass(frozen=True, slots=True)
class _Name:
    relname: str


async def test_every_table_with_personal_data_is_audited(db):
    assert await executor(db).all(TQ.list_audited_tables, _Name) == [_Name(t) for t in AUDITED]


async def test_the_audit_function_runs_as_its_owner_with_a_fixed_search_path(db):
    found = await executor(db).one(TQ.audit_function_is_definer, Definer)
    assert found is not None
    assert found.prosecdef is True
    assert found.proconfig == ["search_path=pg_catalog, public, pg_temp"]


async def test_insert_records_the_columns_that_hold_a_value_never_the_values(db):
    user = await make_user(db, email="ada.lovelace@example.com", first_name="Ada", job_title="Analyst")
    [entry] = await db.privacy.list_audit(table_name="users", row_id=user.id)
    assert (entry.table_name, entry.row_id, entry.action) == ("users", str(user.id), "INSERT")
    assert entry.organization_id is None
    assert entry.actor is None  # written outside transaction(actor=...)
    # Every non-null column, in table order; the nulls (department, manager...) are not named.
    assert entry.changed_columns == [
        "id", "email", "password_hash", "first_name", "last_name", "job_title",
        "is_active", "email_verified", "created_at", "updated_at",
    ]
    for value in ("ada.lovelace@example.com", "Analyst", user.last_name, "$2b$"):
        assert await executor(db).value(TQ.audit_log_mentions, text=value) is False, value


async def test_update_records_only_the_changed_columns_and_the_actor(db):
    user = await make_user(db)
    async with db.transaction(actor="admin-7") as tx:
        await tx.users.update(dataclasses.replace(user, job_title="Staff engineer", department="R&D"))
    newest = (await db.privacy.list_audit(table_name="users", row_id=user.id))[0]
    assert newest.action == "UPDATE"
    assert newest.changed_columns == ["job_title", "department"]  # not updated_at
    assert newest.actor == "admin-7"
    assert await executor(db).value(TQ.audit_log_mentions, text="Staff engineer") is False


async def test_an_update_that_changes_nothing_is_not_recorded(db):
    user = await make_user(db)
    before = await counts(db)
    async with db.transaction(actor="admin-7") as tx:
        await tx.users.update(user)  # same values; only updated_at moves
    assert await counts(db) == before


async def test_membership_rows_record_their_organization(db):
    org = await make_org(db)
    user = await make_user(db)
    async with db.transaction(actor="hr-1") as tx:
        membership = await tx.organizations.add_member(org.id, user.id)
        await tx.organizations.set_member_status(org.id, user.id, "suspended")
    entries = await db.privacy.list_audit(table_name="user_organizations", row_id=membership.id)
    assert [(e.action, e.changed_columns, e.organization_id, e.actor) for e in entries] == [
        ("UPDATE", ["status"], org.id, "hr-1"),
        ("INSERT", ["id", "organization_id", "user_id", "status", "joined_at", "created_at", "updated_at",
                    "user_created_at"], org.id, "hr-1"),
    ]
    assert await db.privacy.list_audit(organization_id=org.id, limit=1) == entries[:1]


async def test_deletes_are_recorded_also_when_they_cascade(db):
    org = await make_org(db)
    user = await make_user(db)
    membership = await db.organizations.add_member(org.id, user.id)
    async with db.transaction(actor="dpo") as tx:
        await tx.privacy._x.execute(TQ.hard_delete_user, user_id=user.id)
    [user_delete] = [e for e in await db.privacy.list_audit(table_name="users", row_id=user.id)
                     if e.action == "DELETE"]
    [member_delete] = [e for e in await db.privacy.list_audit(table_name="user_organizations",
                                                              row_id=membership.id)
                       if e.action == "DELETE"]
    assert user_delete.actor == member_delete.actor == "dpo"
    assert "email" in user_delete.changed_columns and "department" not in user_delete.changed_columns
    assert member_delete.organization_id == org.id


async def test_the_actor_ends_with_its_transaction_on_a_pooled_connection(fresh_dsn):
    # One connection in the pool: the next caller surely gets the one that carried the actor.
    settings = load_settings(database_url=fresh_dsn, db_pool_min=1, db_pool_max=1)
    async with await ikenei.Database.connect(settings) as one:
        user = await make_user(one)
        async with one.transaction(actor="admin-7") as tx:
            await tx.users.update(dataclasses.replace(user, job_title="One"))
        with pytest.raises(RuntimeError):
            async with one.transaction(actor="rolled-back") as tx:
                await tx.users.update(dataclasses.replace(user, job_title="Two"))
                raise RuntimeError
        assert await executor(one).value(TQ.current_actor) in ("", None)
        await one.users.update(dataclasses.replace(user, job_title="Three"))
        async with one.transaction() as tx:
            await tx.users.update(dataclasses.replace(user, job_title="Four"))
        entries = await one.privacy.list_audit(table_name="users", row_id=user.id)
    assert [(e.action, e.actor) for e in entries] == [
        ("UPDATE", None), ("UPDATE", None), ("UPDATE", "admin-7"), ("INSERT", None),
    ]


async def test_changes_by_the_application_role_are_recorded_though_it_cannot_write_the_log(db):
    x = executor(db)
    async with x.transaction() as tx:
        await tx.value(TQ.become_app_role_signing_up, email="app-role@example.com")
        user_id = await tx.value(TQ.insert_user_as_is, email="app-role@example.com")
    [entry] = await db.privacy.list_audit(table_name="users", row_id=user_id)
    assert entry.action == "INSERT"
    before = await counts(db)
    for attempt in ("insert_audit_row_directly", "update_audit_rows_directly",
                    "delete_audit_rows_directly"):
        with pytest.raises(DatabaseError, match="permission denied for table audit_log"):
            async with x.transaction() as tx:
                await tx.value(TQ.become_app_role_signing_up, email="app-role@example.com")
                await tx.execute(getattr(TQ, attempt))
    assert await counts(db) == before


# -- append-only -------------------------------------------------------------------


@pytest.mark.parametrize(
    "attempt", ["tamper_audit_actor", "delete_audit_rows", "truncate_audit_log"]
)
async def test_the_audit_trail_cannot_be_changed_or_deleted(db, attempt):
    user = await make_user(db)
    async with db.transaction(actor="admin-7") as tx:
        await tx.users.update(dataclasses.replace(user, job_title="Kept"))
    before = await db.privacy.list_audit()
    assert len(before) == 2
    with pytest.raises(Conflict) as caught:
        await executor(db).execute(getattr(TQ, attempt))
    assert caught.value.current == "append-only"
    assert "audit_log is append-only" in str(caught.value)
    assert await db.privacy.list_audit() == before


@pytest.mark.parametrize(
    "attempt",
    ["delete_access_rows", "tamper_access_actor", "delete_processing_rows", "tamper_processing_details"],
)
async def test_the_access_and_processing_logs_cannot_be_changed_or_deleted(db, attempt):
    user = await make_user(db)
    await db.privacy.log_access("manager-3", None, user.id, "feedback_results")
    await db.privacy.log_processing("export", user.id, "a" * 64, "dpo", {"rows": 12})
    before = (await db.privacy.list_access(), await db.privacy.list_processing())
    with pytest.raises(Conflict) as caught:
        await executor(db).execute(getattr(TQ, attempt))
    assert caught.value.current == "append-only"
    assert (await db.privacy.list_access(), await db.privacy.list_processing()) == before


async def test_only_a_transaction_that_enables_the_retention_purge_may_delete(db):
    await make_user(db)
    x = executor(db)
    with pytest.raises(ZeroDivisionError):
        async with x.transaction() as tx:
            await tx.value(TQ.enable_retention_purge_here)
            assert await tx.execute(TQ.delete_audit_rows) == 1
            raise ZeroDivisionError  # roll back: the test only shows the path exists
    # The switch was transaction-local: the same pool refuses again.
    with pytest.raises(Conflict):
        await x.execute(TQ.delete_audit_rows)
    assert (await counts(db)).audit_log == 1


# -- anonymous feedback ---------------------------------------------------------------


async def test_an_anonymous_submission_leaves_no_entry_of_its_answers(db):
    setup = await make_setup(db, anonymous=True)
    rater = await make_member(db, setup.org.id)
    invitation_id = await invite_member(db, setup, "peer", rater)
    async with db.transaction(actor=str(rater.id)) as tx:
        submission = await tx.feedback.submit(invitation_id, answers(setup, (4, 5, 3), "Kind words"))
    assert submission is not None

    # Nothing of the answers or ratings: not when written (see tests/test_anonymity.py
    # for deletes and for what an attacker can read).
    for table in ("feedback_responses", "feedback_ratings"):
        assert await db.privacy.list_audit(table_name=table) == []
    # The invitation's own entry names the rater, as the invitation row does.
    [completed] = [e for e in await db.privacy.list_audit(table_name="feedback_invitations",
                                                          row_id=invitation_id)
                   if e.action == "UPDATE"]
    assert completed.actor == str(rater.id)


async def test_a_named_submission_records_its_rater(db):
    setup = await make_setup(db, anonymous=False)
    rater = await make_member(db, setup.org.id)
    invitation_id = await invite_member(db, setup, "peer", rater)
    async with db.transaction(actor=str(rater.id)) as tx:
        await tx.feedback.submit(invitation_id, answers(setup, (4, 5, 3)))
    entries = [e for e in await db.privacy.list_audit(table_name="feedback_responses") if e.action == "INSERT"]
    assert len(entries) == 3
    assert all(e.actor == str(rater.id) and e.row_id is not None for e in entries)
    assert all("invitation_id" in e.changed_columns for e in entries)


# -- reads of sensitive data --------------------------------------------------------------


async def test_log_access_records_who_viewed_whose_results(db):
    org = await make_org(db)
    subject = await make_user(db)
    first = await db.privacy.log_access("manager-3", org.id, subject.id, "feedback_results")
    second = await db.privacy.log_access("hr-1", org.id, subject.id, "export")
    await db.privacy.log_access("hr-1", org.id, None, "cycle_completion")
    assert (first.actor, first.organization_id, first.subject_user_id, first.what) == (
        "manager-3", org.id, subject.id, "feedback_results",
    )
    assert isinstance(first.id, int) and first.occurred_at is not None
    assert await db.privacy.list_access(subject_user_id=subject.id) == [second, first]
    assert await db.privacy.list_access(actor="manager-3") == [first]
    assert len(await db.privacy.list_access(organization_id=org.id)) == 3
    assert await page_after(lambda c: db.privacy.list_access(limit=1, after=c), 1) == [second]


@pytest.mark.parametrize(
    ("actor", "what", "field"),
    [
        ("manager-3", "Viewed the results of Ada Lovelace", "what"),
        ("manager-3", "", "what"),
        ("  ", "feedback_results", "actor"),
    ],
)
async def test_log_access_refuses_free_text_and_a_blank_actor(db, actor, what, field):
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.privacy.log_access(actor, None, None, what)
    assert caught.value.field == field
    assert await counts(db) == before
