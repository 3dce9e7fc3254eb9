"""An erasure leaves nothing of the person, and export and erasure act on one person.

The person of ``test_gdpr.build_world`` holds a bit of everything; here
colleagues also write about them: a recommendation that names them, a report
titled with their name whose parameters hold their id, a comment on a named form
and a private note (encrypted) that name them, an analytics event that holds
their id, audit entries whose actor is ``user:<id>`` and logged reads of and
by them. After the erasure a scan of every column of every table of every
schema (``traces``, in ``tests/sql/gdpr.sql``) finds none of their email,
full name or id (with or without hyphens), and what others wrote reads
``[erased person]`` where it named them.

An address freed by a soft-deleted account and reused is two people: export
and erasure by email reach the current holder only, ``--user-id`` the former.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from uuid import UUID

import pytest
from feedback_fixtures import FAST_COST, executor, give_feedback, make_org
from pii_support import cipher
from test_gdpr import (
    EMAIL,
    FIRST,
    LAST,
    SALT,
    TQ,
    World,
    build_world,
    fingerprints,
    run_erase,
    run_export,
)

from ikenei import Database
from ikenei.db.queries import Executor
from ikenei.errors import InvalidData, NotFound
from ikenei.privacy import gdpr
from ikenei.privacy.redaction import REDACTED
from ikenei.repositories.users import User, UsersRepository

FULL_NAME = f"{FIRST} {LAST}"


@pytest.fixture
async def world(db: Database) -> World:
    return await build_world(db)


@dataclass(frozen=True, slots=True)
class _Trace:
    needle: str
    column_name: str


async def traces(db: Database, *needles: str) -> list[tuple[str, str]]:
    """Where any of the needles is still written, in any column of any table (ignoring case)."""
    async with Executor(db._pool).transaction() as x:
        await x.execute(TQ.create_traces_function)
        return [(t.needle, t.column_name) for t in await x.all(
            TQ.traces, _Trace, needles=list(needles),
        )]


def forms_of(user_id: UUID) -> tuple[str, str]:
    return str(user_id), user_id.hex


@dataclass(frozen=True, slots=True)
class Mentions:
    recommendation: UUID
    report: UUID
    otto_plan: UUID
    otto_note_plan: UUID


async def mention_the_person(db: Database, world: World) -> Mentions:
    """What colleagues write about the person, and what the logs keep of them."""
    org, person, otto = world.org.id, world.person, world.otto
    recommendation = await db.learning.create_recommendation(
        org, otto.id, title=f"Ask {FULL_NAME} for coaching tips", score=0.5,
        reason=f"{FIRST.upper()}  {LAST} coached three teams; write to {EMAIL.lower()}.",
    )
    report = await db.analytics.create_report(
        org, report_type="feedback_summary", title=f"Feedback of {FULL_NAME}",
        parameters={"user_id": str(person.id), "people": [person.id.hex]}, requested_by=otto.id,
    )
    # The actor form the README gives: user:<id>.
    async with db.transaction(actor=f"user:{person.id}") as tx:
        otto_plan = await tx.learning.create_plan(
            org, otto.id, title="Zelphine's workshop follow-up",
            description=f"pairing with user {str(person.id).upper()}",
        )
    await db.privacy.log_access(f"user:{person.id}", org, otto.id, "feedback_results")
    await db.privacy.log_access(f"user:{otto.id}", org, person.id, "feedback_results")
    await db.analytics.record_event(org, "profile.viewed", user_id=otto.id, properties={"viewed": str(person.id)})
    await give_feedback(db, world.named_given, "peer", (3, 3, 3), f"Learned a lot from {FULL_NAME}")
    note_plan = await db.learning.create_plan(org, otto.id, title="Notes")
    await db.learning.record_progress(note_plan.id, progress_percent=5, notes=f"mail {EMAIL} about it")
    return Mentions(recommendation.id, report.id, otto_plan.id, note_plan.id)


async def test_after_erasure_no_column_of_any_table_names_the_person(db, fresh_dsn, world):
    mentions = await mention_the_person(db, world)
    person, otto = world.person, world.otto
    needles = (EMAIL, FULL_NAME, *forms_of(person.id))
    assert {n for n, _ in await traces(db, *needles)} == set(needles)  # the scan sees them before

    erasure, _ = await run_erase(fresh_dsn)
    assert await traces(db, *needles) == []
    assert erasure.rows["traces_removed"] == sum(erasure.traces.values()) > 0
    assert "public.audit_log.actor" in erasure.traces

    # What others wrote stays, with the person redacted.
    [recommendation] = [
        r for r in await db.learning.list_recommendations(world.org.id, otto.id) if r.id == mentions.recommendation
    ]
    assert recommendation.title == f"Ask {REDACTED} for coaching tips"
    assert recommendation.reason == f"{REDACTED} coached three teams; write to {REDACTED}."
    report = await db.analytics.get_report(mentions.report)
    assert report.title == f"Feedback of {REDACTED}"
    assert report.parameters == {"user_id": REDACTED, "people": [REDACTED]}
    plan = await db.learning.get_plan(mentions.otto_plan)
    # A first name alone is not the person: only the full name, email and id are.
    assert (plan.title, plan.description) == ("Zelphine's workshop follow-up", f"pairing with user {REDACTED}")
    comments = {c.comment for c in await db.feedback.comments(otto.id, world.named_given.cycle.id)}
    assert f"Learned a lot from {REDACTED}" in comments
    assert "a named colleague's remark" in comments
    assert [p.notes for p in await db.learning.list_progress(mentions.otto_note_plan)] == [
        f"mail {REDACTED} about it"
    ]
    # The logs keep what happened, not who it was.
    reads = await db.privacy.list_access(actor=f"user:{REDACTED}")
    assert [(r.subject_user_id, r.what) for r in reads] == [(otto.id, "feedback_results")]
    assert await db.privacy.list_access(subject_user_id=person.id) == []
    [entry] = await db.privacy.list_processing(operation="erasure")
    assert entry.subject_user_id is None
    assert (await db.users.get(otto.id)).last_name == "Other"


async def test_a_refused_redaction_changes_nothing(db, fresh_dsn, world):
    """A column that cannot take the redaction stops the whole erasure: nothing is half-erased."""
    await executor(db).execute(TQ.make_recommendation_update_fail)
    await mention_the_person(db, world)
    before = await fingerprints(db)
    with pytest.raises(Exception, match="recommendations.title") as refused:
        await run_erase(fresh_dsn)
    assert "cannot remove the person" in str(refused.value)
    assert await fingerprints(db) == before


# -- one person per address ----------------------------------------------------------------

REUSED = "Shared.Inbox@Example.com"


@dataclass(frozen=True, slots=True)
class Holders:
    former: User
    current: User


async def reused_address(db: Database) -> Holders:
    org = await make_org(db)
    users = UsersRepository(executor(db), bcrypt_cost=FAST_COST)

    async def holder(first: str, last: str, note: str) -> User:
        user = await users.create(email=REUSED, password="a long enough secret", first_name=first, last_name=last)
        await db.organizations.add_member(org.id, user.id)
        plan = await db.learning.create_plan(org.id, user.id, title=f"{first}'s plan")
        await db.learning.record_progress(plan.id, progress_percent=10, notes=note)
        return user

    former = await holder("Adaline", "Formerholder", "former-private-note")
    await db.users.soft_delete(former.id)
    current = await holder("Beatrix", "Currentholder", "current-private-note")
    return Holders(former, current)


async def test_export_by_email_is_the_current_holder_only(db, fresh_dsn):
    h = await reused_address(db)
    notices: list[str] = []
    doc, _ = await run_export(fresh_dsn, REUSED, notice=notices.append)
    assert [a["id"] for a in doc["accounts"]] == [str(h.current.id)]
    text = json.dumps(doc)
    assert "current-private-note" in text
    for trace in (str(h.former.id), "former-private-note", "Adaline", "Formerholder"):
        assert trace not in text
    # The operator learns where the former holder is; the document does not.
    assert notices == [
        (
            f"note: 1 former account(s) used {REUSED} before and were not included (another "
            f"person's data): reach them with --user-id {h.former.id}"
        )
    ]

    former, _ = await run_export(fresh_dsn, None, user_id=h.former.id)
    assert [a["id"] for a in former["accounts"]] == [str(h.former.id)]
    text = json.dumps(former)
    assert "former-private-note" in text
    for trace in (str(h.current.id), "current-private-note", "Beatrix"):
        assert trace not in text


async def test_erasure_by_email_spares_the_former_holder_who_is_reached_by_id(db, fresh_dsn):
    h = await reused_address(db)
    erasure, lines = await run_erase(fresh_dsn, REUSED.lower())
    assert (erasure.accounts, erasure.former_accounts) == (1, (h.former.id,))
    assert await traces(db, *forms_of(h.current.id), "Beatrix Currentholder", "current-private-note") == []
    # The former holder is untouched, address included, and still reachable by id.
    doc, _ = await run_export(fresh_dsn, None, user_id=h.former.id)
    [account] = doc["accounts"]
    assert (account["email"], account["first_name"]) == (REUSED, "Adaline")
    assert "former-private-note" in json.dumps(doc)

    # By email there is nobody left: erasing again changes nothing, and says where the former holder is.
    before = await fingerprints(db)
    again, lines = await run_erase(fresh_dsn, REUSED)
    assert again.already_erased_at is not None and again.accounts == 0
    assert lines[0].startswith("nothing to erase") and str(h.former.id) in lines[1]
    with pytest.raises(InvalidData) as refused:
        await run_export(fresh_dsn, REUSED)
    assert refused.value.field == "email" and str(h.former.id) in refused.value.reason
    assert await fingerprints(db) == before

    erased, _ = await run_erase(fresh_dsn, None, user_id=h.former.id)
    assert erased.accounts == 1
    assert await traces(db, REUSED, *forms_of(h.former.id), "Adaline Formerholder", "former-private-note") == []
    with pytest.raises(NotFound):
        await run_erase(fresh_dsn, None, user_id=h.former.id)


async def test_an_unknown_id_is_not_found_and_changes_nothing(db, fresh_dsn, world):
    before = await fingerprints(db)
    with pytest.raises(NotFound):
        await run_export(fresh_dsn, None, user_id=UUID(int=7))
    with pytest.raises(NotFound):
        await run_erase(fresh_dsn, None, user_id=UUID(int=7))
    with pytest.raises(InvalidData):  # one person: an email or an id, not both
        await gdpr.erase_async(fresh_dsn, EMAIL, user_id=world.person.id, cipher=cipher(), salt=SALT)
    assert await fingerprints(db) == before
