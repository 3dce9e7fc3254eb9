"""Consents and the data-processing log."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from pathlib import Path

import pytest
from foundation_support import executor, make_user
from paging_support import page_after

import ikenei
from ikenei.db.queries import load
from ikenei.errors import Conflict, InvalidData, NotFound
from ikenei.repositories.privacy import subject_reference

TQ = load(Path(__file__).parent / "sql" / "privacy.sql")
REFERENCE = "0123456789abcdef" * 4


@dataclasses.dataclass(frozen=True, slots=True)
class Counts:
    audit_log: int
    data_access_log: int
    data_processing_log: int
    user_consents: int


async def counts(db: ikenei.Database) -> Counts:
    found = await executor(db).one(TQ.count_privacy_rows, Counts)
    assert found is not None
    return found


# -- consents -----------------------------------------------------------------------


async def test_grant_then_has_and_list(db):
    user = await make_user(db)
    consent = await db.privacy.grant_consent(user.id, "feedback_processing", "2026-01")
    assert (consent.user_id, consent.purpose, consent.consent_version) == (user.id, "feedback_processing", "2026-01")
    assert consent.withdrawn_at is None
    assert await db.privacy.has_consent(user.id, "feedback_processing") is True
    assert await db.privacy.has_consent(user.id, "marketing_emails") is False
    assert await db.privacy.list_consents(user.id) == [consent]


async def test_granting_the_open_version_again_changes_nothing(db):
    user = await make_user(db)
    first = await db.privacy.grant_consent(user.id, "analytics", "v1")
    before = await counts(db)
    again = await db.privacy.grant_consent(user.id, "analytics", "v1")
    assert again == first
    assert await counts(db) == before  # no row, and no audit entry either


async def test_a_new_version_closes_the_old_one_at_the_same_instant(db):
    user = await make_user(db)
    old = await db.privacy.grant_consent(user.id, "ai_recommendations", "v1")
    new = await db.privacy.grant_consent(user.id, "ai_recommendations", "v2")
    assert new.id != old.id and new.withdrawn_at is None
    history = await db.privacy.list_consents(user.id)
    assert [c.id for c in history] == [new.id, old.id]
    assert history[1].withdrawn_at == new.granted_at
    assert await executor(db).value(
        TQ.count_open_consents, user_id=user.id, purpose="ai_recommendations",
    ) == 1
    assert await db.privacy.has_consent(user.id, "ai_recommendations") is True


async def test_withdraw_then_grant_again_keeps_the_history(db):
    user = await make_user(db)
    granted = await db.privacy.grant_consent(user.id, "marketing_emails", "v1")
    withdrawn = await db.privacy.withdraw_consent(user.id, "marketing_emails")
    assert withdrawn.id == granted.id and withdrawn.withdrawn_at is not None
    assert withdrawn.withdrawn_at >= withdrawn.granted_at
    assert await db.privacy.has_consent(user.id, "marketing_emails") is False
    regranted = await db.privacy.grant_consent(user.id, "marketing_emails", "v1")
    assert regranted.id != granted.id
    assert [c.id for c in await db.privacy.list_consents(user.id, purpose="marketing_emails")] == [
        regranted.id, granted.id,
    ]
    assert await db.privacy.list_consents(user.id, purpose="analytics") == []
    assert [c.id for c in await page_after(lambda c: db.privacy.list_consents(user.id, limit=1, after=c), 1)] == [granted.id]


async def test_withdraw_with_nothing_open_is_not_found_and_changes_nothing(db):
    user = await make_user(db)
    await db.privacy.grant_consent(user.id, "analytics", "v1")
    await db.privacy.withdraw_consent(user.id, "analytics")
    history = await db.privacy.list_consents(user.id)
    before = await counts(db)
    with pytest.raises(NotFound) as caught:
        await db.privacy.withdraw_consent(user.id, "analytics")
    assert caught.value.entity == "consent"
    assert caught.value.key == (user.id, "analytics")
    with pytest.raises(NotFound):
        await db.privacy.withdraw_consent(user.id, "marketing_emails")
    assert await counts(db) == before
    assert await db.privacy.list_consents(user.id) == history


@pytest.mark.parametrize("call", ["grant", "withdraw", "has", "list"])
async def test_an_unknown_purpose_is_invalid_data_everywhere(db, call):
    user = await make_user(db)
    await db.privacy.grant_consent(user.id, "analytics", "v1")
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        if call == "grant":
            await db.privacy.grant_consent(user.id, "analytic", "v1")
        elif call == "withdraw":
            await db.privacy.withdraw_consent(user.id, "analytic")
        elif call == "has":
            await db.privacy.has_consent(user.id, "analytic")
        else:
            await db.privacy.list_consents(user.id, purpose="analytic")
    assert caught.value.field == "purpose"
    assert await counts(db) == before


@pytest.mark.parametrize(
    ("version", "field"), [("", "consent_version"), ("   ", "consent_version"), ("v" * 51, "value")]
)
async def test_a_blank_or_overlong_version_is_refused(db, version, field):
    user = await make_user(db)
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.privacy.grant_consent(user.id, "analytics", version)
    assert caught.value.field == field
    assert await counts(db) == before


async def test_consent_of_an_unknown_person_is_refused(db):
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.privacy.grant_consent(uuid.uuid4(), "analytics", "v1")
    assert caught.value.field == "user_id"
    assert await counts(db) == before


async def test_racing_grants_of_one_version_leave_one_consent(db):
    user = await make_user(db)
    granted = await asyncio.gather(
        *(db.privacy.grant_consent(user.id, "feedback_processing", "v1") for _ in range(8))
    )
    assert len({c.id for c in granted}) == 1
    assert len(await db.privacy.list_consents(user.id)) == 1


async def test_racing_grants_of_different_versions_leave_exactly_one_open(db):
    user = await make_user(db)
    granted = await asyncio.gather(
        *(db.privacy.grant_consent(user.id, "feedback_processing", f"v{n}") for n in range(8))
    )
    assert len({c.id for c in granted}) == 8
    history = await db.privacy.list_consents(user.id)
    assert len(history) == 8
    assert [c.withdrawn_at for c in history].count(None) == 1
    assert await executor(db).value(
        TQ.count_open_consents, user_id=user.id, purpose="feedback_processing",
    ) == 1


async def test_a_recorded_consent_cannot_be_rewritten(db):
    user = await make_user(db)
    consent = await db.privacy.grant_consent(user.id, "analytics", "v1")
    with pytest.raises(Conflict) as caught:
        await executor(db).execute(TQ.update_consent_granted_at, consent_id=consent.id)
    assert caught.value.current == "granted"
    withdrawn = await db.privacy.withdraw_consent(user.id, "analytics")
    with pytest.raises(Conflict) as caught:
        await executor(db).execute(TQ.reopen_consent, consent_id=consent.id)
    assert caught.value.current == "withdrawn"
    assert await db.privacy.list_consents(user.id) == [withdrawn]


async def test_consents_are_audited_and_go_with_an_erased_person(db):
    user = await make_user(db)
    async with db.transaction(actor=str(user.id)) as tx:
        consent = await tx.privacy.grant_consent(user.id, "analytics", "v1")
        await tx.privacy.withdraw_consent(user.id, "analytics")
    entries = await db.privacy.list_audit(table_name="user_consents", row_id=consent.id)
    assert [(e.action, e.changed_columns, e.actor) for e in entries] == [
        ("UPDATE", ["withdrawn_at"], str(user.id)),
        ("INSERT", ["id", "user_id", "purpose", "consent_version", "granted_at"], str(user.id)),
    ]
    await executor(db).execute(TQ.hard_delete_user, user_id=user.id)
    assert await db.privacy.list_consents(user.id) == []


# -- the data-processing log ---------------------------------------------------------------


async def test_log_and_list_processing(db):
    user = await make_user(db)
    reference = subject_reference(user.email, b"pepper")
    export = await db.privacy.log_processing("export", user.id, reference, "dpo", {"feedback_responses": 12})
    erasure = await db.privacy.log_processing("erasure", user.id, reference, "dpo", {"users": 1})
    run = await db.privacy.log_processing("retention", None, None, "retention", None)
    assert (export.operation, export.subject_user_id, export.subject_reference, export.actor) == (
        "export", user.id, reference, "dpo",
    )
    assert export.details == {"feedback_responses": 12}
    assert run.details == {}
    assert await db.privacy.list_processing() == [run, erasure, export]
    assert await db.privacy.list_processing(operation="export") == [export]
    assert await db.privacy.list_processing(subject_user_id=user.id) == [erasure, export]
    assert await db.privacy.list_processing(subject_reference=reference, limit=1) == [erasure]
    # No foreign key: the entry stays when its subject is gone.
    await executor(db).execute(TQ.hard_delete_user, user_id=user.id)
    assert await db.privacy.list_processing(subject_user_id=user.id) == [erasure, export]


@pytest.mark.parametrize(
    ("operation", "subject", "reference", "actor", "details", "field"),
    [
        ("download", True, REFERENCE, "dpo", {}, "operation"),
        ("export", True, "ada@example.com", "dpo", {}, "subject_reference"),
        ("export", True, REFERENCE.upper(), "dpo", {}, "subject_reference"),
        ("erasure", True, None, "dpo", {}, "subject_reference"),
        ("retention", True, None, "retention", {}, "subject_reference"),
        ("export", True, REFERENCE, " ", {}, "actor"),
        ("export", True, REFERENCE, "dpo", [1, 2], "details"),
    ],
)
async def test_log_processing_refusals(db, operation, subject, reference, actor, details, field):
    subject_id = uuid.uuid4() if subject else None
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.privacy.log_processing(operation, subject_id, reference, actor, details)
    assert caught.value.field == field
    assert await counts(db) == before


def test_subject_reference_is_a_salted_hash_of_the_normalised_email():
    one = subject_reference("Ada.Lovelace@Example.com ", b"pepper")
    assert one == subject_reference("ada.lovelace@example.com", b"pepper")
    assert len(one) == 64 and all(c in "0123456789abcdef" for c in one)
    assert "ada" not in one
    assert subject_reference("ada.lovelace@example.com", b"salt") != one
    with pytest.raises(ValueError, match="salt"):
        subject_reference("ada.lovelace@example.com", b"")
