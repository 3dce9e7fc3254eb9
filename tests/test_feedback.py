"""The feedback repository against a real PostgreSQL: every method and every refusal."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import statistics
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from feedback_fixtures import (
    TQ,
    Setup,
    StoredLink,
    StoredRating,
    answers,
    counts,
    executor,
    give_feedback,
    invite_member,
    make_competency,
    make_member,
    make_org,
    make_setup,
)
from foundation_support import conflict_after_waiting
from paging_support import page_after
from process_support import TQ as PQ
from statement_counter import count_statements

from ikenei import Database
from ikenei.errors import AlreadyExists, Conflict, InvalidData, NotFound
from ikenei.repositories.feedback import Answer


def two(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


# Forms ------------------------------------------------------------------------


async def test_form_create_get_list_update_and_soft_delete(db: Database) -> None:
    org, other = await make_org(db), await make_org(db)
    author = await make_member(db, org.id)
    fb = db.feedback
    first = await fb.create_form(org.id, title="Quarterly", created_by=author.id)
    assert (first.form_type, first.is_anonymous, first.anonymity_threshold) == ("standard", False, 3)
    assert (first.is_active, first.settings, first.created_by) == (True, {}, author.id)
    second = await fb.create_form(org.id, title="Upward", form_type="upward", is_anonymous=True,
                                  anonymity_threshold=5, settings={"intro": "hi"})
    third = await fb.create_form(org.id, title="Old", is_active=False)
    await fb.create_form(other.id, title="Not ours")

    assert await fb.get_form(second.id) == second
    assert [f.id for f in await fb.list_forms(org.id)] == [first.id, second.id, third.id]
    assert [f.id for f in await page_after(lambda c: fb.list_forms(org.id, limit=2, after=c), 1)] == [third.id]
    assert [f.id for f in await fb.list_forms(org.id, is_active=False)] == [third.id]

    changed = await fb.update_form(dataclasses.replace(first, title="Quarterly check-in", is_anonymous=True))
    assert (changed.title, changed.is_anonymous) == ("Quarterly check-in", True)
    assert changed.updated_at > first.updated_at

    await fb.soft_delete_form(second.id)
    with pytest.raises(NotFound):
        await fb.get_form(second.id)
    assert [f.id for f in await fb.list_forms(org.id)] == [first.id, third.id]
    with pytest.raises(NotFound):
        await fb.soft_delete_form(second.id)
    with pytest.raises(NotFound):
        await fb.update_form(dataclasses.replace(second, title="Back"))


async def test_form_refusals_name_the_field(db: Database) -> None:
    org = await make_org(db)
    fb = db.feedback
    cases = [
        ({"title": "  "}, "title"),
        ({"title": "T", "form_type": "survey"}, "form_type"),
        ({"title": "T", "anonymity_threshold": 0}, "anonymity_threshold"),
    ]
    for fields, field in cases:
        with pytest.raises(InvalidData) as refused:
            await fb.create_form(org.id, **fields)
        assert refused.value.field == field
    with pytest.raises(InvalidData) as refused:
        await fb.create_form(uuid4(), title="Nowhere")
    assert refused.value.field == "organization_id"
    assert await fb.list_forms(org.id) == []
    with pytest.raises(NotFound):
        await fb.get_form(uuid4())


# Questions --------------------------------------------------------------------


async def test_questions_are_added_listed_updated_and_deleted_in_order(db: Database) -> None:
    org = await make_org(db)
    skill = await make_competency(db, org.id, "Coaching")
    fb = db.feedback
    form = await fb.create_form(org.id, title="Form")
    rating = await fb.add_question(form.id, question_text="Coaches well", competency_id=skill)
    assert (rating.position, rating.question_type, rating.scale_min, rating.scale_max) == (1, "rating", 1, 5)
    assert rating.organization_id == org.id and rating.is_required
    wide = await fb.add_question(form.id, question_text="Rate 0-10", competency_id=skill,
                                 scale_min=0, scale_max=10)
    text = await fb.add_question(form.id, question_text="Tell us more", question_type="text",
                                 is_required=False)
    assert (wide.position, text.position) == (2, 3)
    assert (text.competency_id, text.scale_min, text.scale_max) == (None, None, None)
    last = await fb.add_question(form.id, question_text="At ten", question_type="text", position=10)
    assert last.position == 10
    with pytest.raises(AlreadyExists) as taken:
        await fb.add_question(form.id, question_text="Also first", question_type="text", position=1)
    assert taken.value.field == "position"

    assert [q.id for q in await fb.list_questions(form.id)] == [rating.id, wide.id, text.id, last.id]
    assert await fb.get_question(wide.id) == wide

    updated = await fb.update_question(dataclasses.replace(wide, question_text="Rate 1-7", scale_min=1,
                                                           scale_max=7, is_required=False))
    assert (updated.question_text, updated.scale_min, updated.scale_max, updated.is_required) == (
        "Rate 1-7", 1, 7, False)
    assert updated.position == wide.position

    await fb.delete_question(text.id)
    assert [q.id for q in await fb.list_questions(form.id)] == [rating.id, wide.id, last.id]
    with pytest.raises(NotFound):
        await fb.delete_question(text.id)
    with pytest.raises(NotFound):
        await fb.get_question(text.id)
    with pytest.raises(NotFound):
        await fb.update_question(text)


async def test_question_refusals_name_the_field(db: Database) -> None:
    org, other = await make_org(db), await make_org(db)
    skill = await make_competency(db, org.id, "Coaching")
    foreign = await make_competency(db, other.id, "Coaching")
    fb = db.feedback
    form = await fb.create_form(org.id, title="Form")
    cases = [
        ({"question_text": "No competency"}, "scale"),
        ({"question_text": "Text with scale", "question_type": "text", "scale_min": 1, "scale_max": 5}, "scale"),
        ({"question_text": "Upside down", "competency_id": skill, "scale_min": 5, "scale_max": 1}, "scale"),
        ({"question_text": "Other org", "competency_id": foreign}, "competency_id"),
        ({"question_text": " ", "question_type": "text"}, "question_text"),
        ({"question_text": "Odd", "question_type": "choice"}, "question_type"),
        ({"question_text": "Zero", "question_type": "text", "position": 0}, "position"),
    ]
    for fields, field in cases:
        with pytest.raises(InvalidData) as refused:
            await fb.add_question(form.id, **fields)
        assert refused.value.field == field, fields
    assert await fb.list_questions(form.id) == []
    with pytest.raises(NotFound):
        await fb.add_question(uuid4(), question_text="Where", question_type="text")
    await fb.soft_delete_form(form.id)
    with pytest.raises(NotFound):
        await fb.add_question(form.id, question_text="Deleted form", question_type="text")


async def test_reorder_questions_takes_every_question_once(db: Database) -> None:
    org = await make_org(db)
    fb = db.feedback
    form = await fb.create_form(org.id, title="Form")
    a, b, c = [await fb.add_question(form.id, question_text=t, question_type="text") for t in "abc"]
    other_form = await fb.create_form(org.id, title="Other")
    stranger = await fb.add_question(other_form.id, question_text="x", question_type="text")

    moved = await fb.reorder_questions(form.id, [c.id, a.id, b.id])
    assert [(q.id, q.position) for q in moved] == [(c.id, 1), (a.id, 2), (b.id, 3)]
    assert [q.id for q in await fb.list_questions(form.id)] == [c.id, a.id, b.id]

    for wrong in ([a.id, b.id], [a.id, a.id, b.id], [a.id, b.id, c.id, stranger.id],
                  [a.id, b.id, stranger.id], []):
        with pytest.raises(InvalidData) as refused:
            await fb.reorder_questions(form.id, wrong)
        assert refused.value.field == "question_ids"
    assert [q.id for q in await fb.list_questions(form.id)] == [c.id, a.id, b.id]
    assert (await fb.get_question(stranger.id)).position == 1
    with pytest.raises(NotFound):
        await fb.reorder_questions(uuid4(), [a.id])


async def test_questions_are_frozen_while_an_active_or_closed_cycle_uses_the_form(db: Database) -> None:
    s = await make_setup(db, activate=False)
    fb = db.feedback
    # A draft cycle does not freeze anything.
    q = await fb.update_question(dataclasses.replace(s.questions[0], question_text="Explains well"))
    await fb.activate_cycle(s.cycle.id)
    ids = [x.id for x in s.questions]

    async def every_change() -> list[Conflict]:
        refusals = []
        for change in (
            fb.add_question(s.form.id, question_text="Late", question_type="text"),
            fb.update_question(dataclasses.replace(q, question_text="Changed")),
            fb.delete_question(s.questions[3].id),
            fb.reorder_questions(s.form.id, list(reversed(ids))),
        ):
            with pytest.raises(Conflict) as refused:
                await change
            refusals.append(refused.value)
        return refusals

    assert [r.current for r in await every_change()] == ["active"] * 4
    await fb.close_cycle(s.cycle.id)
    assert [r.current for r in await every_change()] == ["closed"] * 4
    assert await fb.list_questions(s.form.id) == [q, *s.questions[1:]]


async def test_anonymity_settings_are_frozen_while_a_cycle_uses_the_form(db: Database) -> None:
    s = await make_setup(db, anonymous=True, threshold=4, activate=False)
    fb = db.feedback
    # Still a draft: anything goes (above an anonymous form's floor of 3).
    form = await fb.update_form(dataclasses.replace(s.form, anonymity_threshold=3))
    form = await fb.update_form(dataclasses.replace(form, anonymity_threshold=4))
    await fb.activate_cycle(s.cycle.id)
    for weaker in ({"is_anonymous": False}, {"anonymity_threshold": 3}):
        with pytest.raises(Conflict) as refused:
            await fb.update_form(dataclasses.replace(form, **weaker))
        assert refused.value.current == "active"
    stricter = await fb.update_form(dataclasses.replace(form, anonymity_threshold=5, title="Renamed"))
    assert (stricter.anonymity_threshold, stricter.title, stricter.is_anonymous) == (5, "Renamed", True)


# Cycles -----------------------------------------------------------------------


async def test_cycle_create_get_list_and_update_while_draft(db: Database) -> None:
    s = await make_setup(db, activate=False)
    fb = db.feedback
    assert (s.cycle.status, s.cycle.organization_id, s.cycle.form_id) == ("draft", s.org.id, s.form.id)
    assert await fb.get_cycle(s.cycle.id) == s.cycle
    start = datetime(2027, 1, 4, 9, tzinfo=UTC)
    second = await fb.create_cycle(s.form.id, name="Autumn", starts_at=start,
                                   ends_at=start + timedelta(days=14), created_by=s.target.id)
    third = await fb.create_cycle(s.form.id, name="Winter")
    await fb.activate_cycle(third.id)

    assert [c.id for c in await fb.list_cycles(s.org.id)] == [third.id, second.id, s.cycle.id]
    assert [c.id for c in await fb.list_cycles(s.org.id, status="draft")] == [second.id, s.cycle.id]
    assert [c.id for c in await fb.list_cycles(s.org.id, status="active")] == [third.id]
    assert [c.id for c in await page_after(lambda c: fb.list_cycles(s.org.id, limit=1, after=c), 1)] == [second.id]
    assert [c.id for c in await fb.list_cycles(s.org.id, form_id=uuid4())] == []
    assert await fb.list_cycles((await make_org(db)).id) == []

    changed = await fb.update_cycle(dataclasses.replace(second, name="Autumn 2027", description="All staff",
                                                        ends_at=start + timedelta(days=21)))
    assert (changed.name, changed.description, changed.ends_at) == (
        "Autumn 2027", "All staff", start + timedelta(days=21))

    with pytest.raises(InvalidData) as refused:
        await fb.update_cycle(dataclasses.replace(changed, ends_at=start - timedelta(days=1)))
    assert refused.value.field == "ends_at"
    with pytest.raises(InvalidData) as refused:
        await fb.create_cycle(s.form.id, name=" ")
    assert refused.value.field == "name"
    with pytest.raises(Conflict) as refused:
        await fb.update_cycle(dataclasses.replace(third, name="Too late"))
    assert refused.value.current == "active"
    assert (await fb.get_cycle(third.id)).name == "Winter"
    with pytest.raises(NotFound):
        await fb.update_cycle(dataclasses.replace(third, id=uuid4()))
    with pytest.raises(NotFound):
        await fb.get_cycle(uuid4())
    with pytest.raises(NotFound):
        await fb.create_cycle(uuid4(), name="No form")
    await fb.soft_delete_form(s.form.id)
    with pytest.raises(NotFound):
        await fb.create_cycle(s.form.id, name="Deleted form")


async def test_cycle_transitions_and_their_refusals(db: Database) -> None:
    s = await make_setup(db, activate=False)
    fb = db.feedback
    with pytest.raises(Conflict) as refused:
        await fb.close_cycle(s.cycle.id)
    assert refused.value.current == "draft"
    assert "draft" in str(refused.value)

    active = await fb.activate_cycle(s.cycle.id)
    assert active.status == "active" and active.activated_at is not None
    with pytest.raises(Conflict) as refused:
        await fb.activate_cycle(s.cycle.id)
    assert refused.value.current == "active"

    closed = await fb.close_cycle(s.cycle.id)
    assert closed.status == "closed" and closed.closed_at is not None
    for move in (fb.activate_cycle, fb.close_cycle, fb.cancel_cycle):
        with pytest.raises(Conflict) as refused:
            await move(s.cycle.id)
        assert refused.value.current == "closed"

    draft = await fb.create_cycle(s.form.id, name="Dropped")
    assert (await fb.cancel_cycle(draft.id)).status == "cancelled"
    running = await fb.activate_cycle((await fb.create_cycle(s.form.id, name="Stopped")).id)
    assert (await fb.cancel_cycle(running.id)).status == "cancelled"
    for move in (fb.activate_cycle, fb.close_cycle, fb.cancel_cycle):
        with pytest.raises(Conflict) as refused:
            await move(running.id)
        assert refused.value.current == "cancelled"
        with pytest.raises(NotFound):
            await move(uuid4())


async def test_racing_transitions_exactly_one_wins(db: Database) -> None:
    s = await make_setup(db, activate=False)
    fb = db.feedback
    outcomes = await asyncio.gather(*(fb.activate_cycle(s.cycle.id) for _ in range(5)),
                                    return_exceptions=True)
    assert sum(1 for o in outcomes if not isinstance(o, Exception)) == 1
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(losers) == 4
    assert all(isinstance(o, Conflict) and o.current == "active" for o in losers)

    # Close and cancel race on the active cycle: one wins, the other sees its result.
    outcomes = await asyncio.gather(fb.close_cycle(s.cycle.id), fb.cancel_cycle(s.cycle.id),
                                    return_exceptions=True)
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    losers = [o for o in outcomes if isinstance(o, Exception)]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], Conflict) and losers[0].current == winners[0].status


async def test_a_transition_waiting_on_another_transaction_loses(db: Database) -> None:
    s = await make_setup(db, activate=False)
    refused = await conflict_after_waiting(
        db, lambda repos: repos.feedback.activate_cycle(s.cycle.id), TQ.count_lock_waiters
    )
    assert refused.current == "active"


# Invitations ------------------------------------------------------------------


async def test_invite_members_and_an_external_rater(db: Database) -> None:
    s = await make_setup(db)
    fb = db.feedback
    peer = await make_member(db, s.org.id)
    internal = await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="peer",
                               rater_user_id=peer.id)
    assert internal.access_token is None
    inv = internal.invitation
    assert (inv.status, inv.rater_user_id, inv.rater_email, inv.token_expires_at) == (
        "pending", peer.id, None, None)
    assert inv.organization_id == s.org.id
    assert await fb.get_invitation(inv.id) == inv

    external = await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                               rater_email="client@partner.example", rater_name="Cleo Client")
    token = external.access_token
    assert token is not None and len(token) >= 43
    ext = external.invitation
    assert ext.rater_user_id is None and ext.rater_email == "client@partner.example"
    assert ext.token_expires_at is not None
    assert timedelta(days=29) < ext.token_expires_at - datetime.now(UTC) <= timedelta(days=30)

    # Only the digest is kept; the token itself is nowhere in the row.
    stored = await executor(db).value(TQ.get_stored_token_hash, invitation_id=ext.id)
    assert stored == hashlib.sha256(token.encode()).digest()
    assert await executor(db).value(
        TQ.invitation_row_mentions, invitation_id=ext.id, text=token,
    ) is False

    opened = await fb.get_invitation_by_token(token)
    assert (opened.id, opened.cycle_id, opened.form_id, opened.form_title, opened.target_name) == (
        ext.id, s.cycle.id, s.form.id, s.form.title, "Tess Target")
    assert (opened.relationship, opened.status, opened.token_expires_at) == ("external", "pending",
                                                                           ext.token_expires_at)
    assert [q.id for q in await fb.list_questions_by_token(token)] == [q.id for q in s.questions]
    with pytest.raises(NotFound):
        await fb.get_invitation_by_token(token[:-1] + ("A" if token[-1] != "A" else "B"))

    ends = datetime.now(UTC) + timedelta(days=3)
    bounded = await fb.create_cycle(s.form.id, name="Bounded", ends_at=ends)
    default_to_end = await fb.invite(bounded.id, target_user_id=s.target.id, relationship="external",
                                     rater_email="late@partner.example")
    assert default_to_end.invitation.token_expires_at == ends

    gone = await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                           rater_email="gone@partner.example",
                           token_expires_at=datetime.now(UTC) - timedelta(minutes=1))
    assert gone.access_token is not None
    with pytest.raises(Conflict) as refused:
        await fb.get_invitation_by_token(gone.access_token)
    assert refused.value.current == "expired"
    with pytest.raises(NotFound):
        await fb.get_invitation(uuid4())


async def test_invite_refusals_name_the_field_or_state(db: Database) -> None:
    s = await make_setup(db)
    fb = db.feedback
    peer = await make_member(db, s.org.id)
    outsider_org = await make_org(db)
    outsider = await make_member(db, outsider_org.id)
    await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="peer", rater_user_id=peer.id)
    await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                    rater_email="Client@Partner.example")
    before = await fb.list_cycle_invitations(s.cycle.id)

    with pytest.raises(AlreadyExists) as taken:
        await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="manager", rater_user_id=peer.id)
    assert taken.value.field == "rater"
    with pytest.raises(AlreadyExists) as taken:
        await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                        rater_email="client@partner.EXAMPLE")
    assert taken.value.field == "rater_email"

    cases = [
        ({"relationship": "self", "rater_user_id": peer.id}, "rater_user_id"),
        ({"relationship": "manager", "rater_user_id": s.target.id}, "rater_user_id"),
        ({"relationship": "peer"}, "rater"),
        ({"relationship": "external"}, "rater"),
        ({"relationship": "peer", "rater_user_id": peer.id, "rater_email": "x@y.example"}, "rater"),
        ({"relationship": "external", "rater_email": "not-an-email"}, "rater_email"),
        ({"relationship": "friend", "rater_user_id": peer.id}, "relationship"),
        ({"relationship": "peer", "rater_user_id": outsider.id}, "rater_user_id"),
    ]
    for fields, field in cases:
        with pytest.raises(InvalidData) as refused:
            await fb.invite(s.cycle.id, target_user_id=s.target.id, **fields)
        assert refused.value.field == field, fields
    with pytest.raises(InvalidData) as refused:
        await fb.invite(s.cycle.id, target_user_id=outsider.id, relationship="peer", rater_user_id=peer.id)
    assert refused.value.field == "target_user_id"
    assert await fb.list_cycle_invitations(s.cycle.id) == before

    with pytest.raises(NotFound):
        await fb.invite(uuid4(), target_user_id=s.target.id, relationship="self", rater_user_id=s.target.id)
    await fb.close_cycle(s.cycle.id)
    with pytest.raises(Conflict) as refused:
        await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="self", rater_user_id=s.target.id)
    assert refused.value.current == "closed"


async def test_invitation_start_decline_and_reminders(db: Database) -> None:
    s = await make_setup(db)
    fb = db.feedback
    peer_invitation = await invite_member(db, s, "peer")
    started = await fb.start_invitation(peer_invitation)
    assert started.status == "started" and started.started_at is not None
    again = await fb.start_invitation(peer_invitation)
    assert (again.status, again.started_at) == ("started", started.started_at)

    sent = await fb.mark_invitation_sent(peer_invitation)
    assert sent.sent_at is not None
    assert (await fb.mark_invitation_sent(peer_invitation)).sent_at == sent.sent_at

    # Reminders follow the organization's limits (3 days apart by default): see test_notifications.py.
    reminded = await fb.record_reminder(peer_invitation, at=sent.sent_at + timedelta(days=3))
    assert reminded.reminder_count == 1 and reminded.last_reminded_at == sent.sent_at + timedelta(days=3)
    reminded_twice = await fb.record_reminder(peer_invitation, at=sent.sent_at + timedelta(days=6))
    assert reminded_twice.reminder_count == 2

    declined = await fb.decline_invitation(peer_invitation)
    assert declined.status == "declined" and declined.declined_at is not None
    for change in (fb.decline_invitation, fb.start_invitation, fb.record_reminder, fb.mark_invitation_sent):
        with pytest.raises(Conflict) as refused:
            await change(peer_invitation)
        assert refused.value.current == "declined"
        with pytest.raises(NotFound):
            await change(uuid4())

    manager_invitation = await invite_member(db, s, "manager")
    await fb.submit(manager_invitation, answers(s, (3, 3, 3)))
    for change in (fb.decline_invitation, fb.start_invitation, fb.record_reminder):
        with pytest.raises(Conflict) as refused:
            await change(manager_invitation)
        assert refused.value.current == "completed"

    expired = await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                              rater_email="late@partner.example",
                              token_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(Conflict) as refused:
        await fb.start_invitation(expired.invitation.id)
    assert refused.value.current == "expired"

    draft = await fb.create_cycle(s.form.id, name="Not yet")
    waiting = await fb.invite(draft.id, target_user_id=s.target.id, relationship="self",
                              rater_user_id=s.target.id)
    for change in (fb.start_invitation, fb.record_reminder, fb.mark_invitation_sent):
        with pytest.raises(Conflict) as refused:
            await change(waiting.invitation.id)
        assert refused.value.current == "draft"
    assert (await fb.get_invitation(waiting.invitation.id)).status == "pending"


async def test_expire_overdue_invitations(db: Database) -> None:
    s = await make_setup(db)
    fb = db.feedback
    now = datetime.now(UTC)
    overdue = await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                              rater_email="late@partner.example", token_expires_at=now - timedelta(hours=1))
    valid = await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                            rater_email="ontime@partner.example", token_expires_at=now + timedelta(days=1))
    member = await invite_member(db, s, "peer")
    done = await invite_member(db, s, "manager")
    await fb.submit(done, answers(s, (4, 4, 4)))

    assert await fb.expire_overdue_invitations(s.cycle.id) == 1
    assert (await fb.get_invitation(overdue.invitation.id)).status == "expired"
    assert [(await fb.get_invitation(i)).status for i in (valid.invitation.id, member, done)] == [
        "pending", "pending", "completed"]
    assert await fb.expire_overdue_invitations(s.cycle.id) == 0
    with pytest.raises(Conflict) as refused:
        await fb.submit(overdue.invitation.id, answers(s, (3, 3, 3)), token=overdue.access_token)
    assert refused.value.current == "expired"

    await fb.start_invitation(member)
    await fb.close_cycle(s.cycle.id)
    assert await fb.expire_overdue_invitations(s.cycle.id) == 2
    assert [(await fb.get_invitation(i)).status for i in (valid.invitation.id, member, done)] == [
        "expired", "expired", "completed"]

    # A cycle whose end date has passed expires its open invitations too.
    ended = await fb.create_cycle(s.form.id, name="Ended", starts_at=now - timedelta(days=10),
                                  ends_at=now - timedelta(days=1))
    await fb.activate_cycle(ended.id)
    late = await fb.invite(ended.id, target_user_id=s.target.id, relationship="self",
                           rater_user_id=s.target.id)
    assert await fb.expire_overdue_invitations(ended.id) == 1
    assert (await fb.get_invitation(late.invitation.id)).status == "expired"
    assert await fb.expire_overdue_invitations(uuid4()) == 0


async def test_pending_raters_feed_reminders(db: Database) -> None:
    s = await make_setup(db)
    fb = db.feedback
    ann = await make_member(db, s.org.id, "Ann", "Able")
    bob = await make_member(db, s.org.id, "Bob", "Baker")
    cid = await make_member(db, s.org.id, "Cid", "Cole")
    a = (await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="peer",
                         rater_user_id=ann.id)).invitation.id
    b = (await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="direct_report",
                         rater_user_id=bob.id)).invitation.id
    c = (await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="peer",
                         rater_user_id=cid.id)).invitation.id
    ext = (await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                           rater_email="eve@partner.example", rater_name="Eve Extern")).invitation.id
    await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                    rater_email="old@partner.example", token_expires_at=datetime.now(UTC) - timedelta(hours=1))
    await fb.submit(c, answers(s, (4, 4, 4)))
    await fb.start_invitation(b)
    # Sent four days ago and reminded half an hour ago (reminders keep 3 days apart).
    await fb.mark_invitation_sent(b)
    await executor(db).execute(
        PQ.backdate_invitation_sent, invitation_id=b, sent_at=datetime.now(UTC) - timedelta(days=4),
    )
    await fb.record_reminder(b, at=datetime.now(UTC) - timedelta(minutes=30))
    await fb.mark_invitation_sent(a)

    # Least recently contacted first: never, then Bob (reminded), then Ann (sent since).
    pending = await fb.list_pending_raters(s.cycle.id)
    assert [p.invitation_id for p in pending] == [ext, b, a]
    by_id = {p.invitation_id: p for p in pending}
    assert (by_id[a].rater_name, by_id[a].rater_email, by_id[a].target_name) == (
        "Ann Able", ann.email, "Tess Target")
    assert (by_id[b].status, by_id[b].reminder_count, by_id[b].relationship) == (
        "started", 1, "direct_report")
    assert by_id[b].last_reminded_at is not None
    assert (by_id[ext].rater_name, by_id[ext].rater_email, by_id[ext].rater_user_id) == (
        "Eve Extern", "eve@partner.example", None)

    # Only those not contacted within the last hour: Ann was just sent it, Bob reminded.
    quiet = await fb.list_pending_raters(s.cycle.id, not_contacted_within=timedelta(hours=1))
    assert [p.invitation_id for p in quiet] == [ext]
    assert [p.invitation_id for p in await page_after(lambda c: fb.list_pending_raters(s.cycle.id, limit=1, after=c), 1)] == [b]

    await fb.close_cycle(s.cycle.id)
    assert await fb.list_pending_raters(s.cycle.id) == []


async def test_cycle_invitations_come_with_names_in_one_page(db: Database) -> None:
    s = await make_setup(db)
    fb = db.feedback
    second = await make_member(db, s.org.id, "Abe", "Aardvark")
    zed = await make_member(db, s.org.id, "Zed", "Zulu")
    manager = await make_member(db, s.org.id, "Mia", "Manager")
    made = [
        await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="peer", rater_user_id=zed.id),
        await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                        rater_email="eve@partner.example", rater_name="Eve Extern"),
        await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="manager",
                        rater_user_id=manager.id),
        await fb.invite(s.cycle.id, target_user_id=second.id, relationship="self", rater_user_id=second.id),
    ]
    await fb.decline_invitation(made[0].invitation.id)

    listed = await fb.list_cycle_invitations(s.cycle.id)
    # By target person (their id: the index's order), then relationship.
    tess = [
        ("Tess Target", "external", "Eve Extern", "eve@partner.example"),
        ("Tess Target", "manager", "Mia Manager", manager.email),
        ("Tess Target", "peer", "Zed Zulu", zed.email),
    ]
    abe = [("Abe Aardvark", "self", "Abe Aardvark", second.email)]
    in_order = tess + abe if s.target.id < second.id else abe + tess
    assert [(x.target_name, x.relationship, x.rater_name, x.rater_email) for x in listed] == in_order
    declined = next(x for x in listed if x.relationship == "peer")
    assert declined.status == "declined" and declined.declined_at is not None
    assert [x.relationship for x in await fb.list_cycle_invitations(s.cycle.id, status="declined")] == ["peer"]
    assert [x.target_name for x in await fb.list_cycle_invitations(s.cycle.id, relationship="self")] == [
        "Abe Aardvark"]
    first = await fb.list_cycle_invitations(s.cycle.id, limit=1)
    assert first == listed[:1]
    assert await fb.list_cycle_invitations(s.cycle.id, limit=2, after=first.cursor) == listed[1:3]
    assert await fb.list_cycle_invitations(uuid4()) == []


async def test_a_page_of_invitations_with_names_is_one_statement(db: Database) -> None:
    s = await make_setup(db)
    for i in range(30):
        rater = await make_member(db, s.org.id, f"Rater{i}", "Peer")
        await db.feedback.invite(s.cycle.id, target_user_id=s.target.id, relationship="peer",
                                 rater_user_id=rater.id)
    async with count_statements(db) as (tx, sent):
        page = await tx.feedback.list_cycle_invitations(s.cycle.id, limit=25)
    assert sent.count == 1, sent.statements
    assert len(page) == 25
    assert all(x.target_name == "Tess Target" and x.rater_name.endswith(" Peer") for x in page)


# Submitting -------------------------------------------------------------------


async def test_submit_writes_answers_ratings_and_completes_the_invitation(db: Database) -> None:
    s = await make_setup(db)
    fb = db.feedback
    invitation_id = await invite_member(db, s, "peer")
    before = await counts(db)
    submission = await fb.submit(invitation_id, answers(s, (2, 5, 4), "Great teammate"))
    assert isinstance(submission, UUID)
    after = await counts(db)
    assert (after.responses - before.responses, after.ratings - before.ratings) == (4, 2)
    done = await fb.get_invitation(invitation_id)
    assert done.status == "completed" and done.completed_at is not None and done.started_at is not None

    ratings = await executor(db).all(
        TQ.list_submission_ratings, StoredRating, submission_id=submission,
    )
    by_competency = {r.competency_id: r for r in ratings}
    assert (by_competency[s.communication].rating, by_competency[s.communication].answer_count) == (
        Decimal("3.50"), 2)
    assert (by_competency[s.delivery].rating, by_competency[s.delivery].answer_count) == (Decimal("4.00"), 1)
    assert {r.relationship for r in ratings} == {"peer"}
    # A named form keeps the link to the invitation.
    links = await executor(db).all(
        TQ.list_stored_answer_links, StoredLink, submission_id=submission,
    )
    assert {link.invitation_id for link in links} == {invitation_id}


async def test_an_external_rater_submits_with_the_token(db: Database) -> None:
    s = await make_setup(db)
    created = await db.feedback.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                                       rater_email="client@partner.example")
    assert created.access_token is not None
    await db.feedback.submit(created.invitation.id, answers(s, (5, 5, 5)), token=created.access_token)
    assert (await db.feedback.get_invitation(created.invitation.id)).status == "completed"


async def test_an_anonymous_submission_keeps_no_link_to_its_rater(db: Database) -> None:
    s = await make_setup(db, anonymous=True)
    invitation_id = await invite_member(db, s, "peer")
    submission = await db.feedback.submit(invitation_id, answers(s, (3, 4, 5), "Fine"))
    links = await executor(db).all(
        TQ.list_stored_answer_links, StoredLink, submission_id=submission,
    )
    assert len(links) == 6
    assert {link.invitation_id for link in links} == {None}
    # Only the day is kept, so the time cannot single out a rater either.
    assert all((t := link.created_at) == t.replace(hour=0, minute=0, second=0, microsecond=0) for link in links)
    assert (await db.feedback.get_invitation(invitation_id)).status == "completed"


async def _refused(db: Database, invitation_id: UUID, given: list[Answer], token: str | None,
                   error: type[Exception]) -> Exception:
    """Submits, expecting ``error``; checks that nothing at all was written."""
    before = await counts(db)
    status_before = None if error is NotFound else (await db.feedback.get_invitation(invitation_id)).status
    with pytest.raises(error) as refused:
        await db.feedback.submit(invitation_id, given, token=token)
    assert await counts(db) == before
    if status_before is not None:
        assert (await db.feedback.get_invitation(invitation_id)).status == status_before
    return refused.value


async def test_submit_refusals_write_nothing(db: Database) -> None:
    s: Setup = await make_setup(db)
    fb = db.feedback
    peer = await invite_member(db, s, "peer")
    q = s.questions
    good = answers(s, (3, 3, 3))

    # Invalid answers, the last one spoiling an otherwise good submission.
    off_scale = await _refused(db, peer, [*good[:2], Answer(q[2].id, 6)], None, InvalidData)
    assert off_scale.field == "rating"
    below = await _refused(db, peer, [Answer(q[0].id, 0), *good[1:]], None, InvalidData)
    assert below.field == "rating"
    rated_text = await _refused(db, peer, [*good, Answer(q[3].id, 3)], None, InvalidData)
    assert rated_text.field == "rating"
    other_form = await db.feedback.create_form(s.org.id, title="Other")
    stray = await fb.add_question(other_form.id, question_text="Elsewhere", question_type="text")
    foreign = await _refused(db, peer, [*good, Answer(stray.id, comment="hi")], None, InvalidData)
    assert foreign.field == "question_id"
    missing = await _refused(db, peer, good[:2], None, InvalidData)
    assert missing.field == "answers"
    blank = await _refused(db, peer, [*good[:2], Answer(q[2].id, comment="  ")], None, InvalidData)
    assert blank.field == "answers"
    empty = await _refused(db, peer, [], None, InvalidData)
    assert empty.field == "answers"
    twice = await _refused(db, peer, [*good, good[0]], None, AlreadyExists)
    assert twice.field == "question_id"
    with_token = await _refused(db, peer, good, "a-token-for-nothing", InvalidData)
    assert with_token.field == "access_token"

    unknown = await _refused(db, uuid4(), good, None, NotFound)
    assert unknown.entity == "feedback invitation"

    # The second submission of an invitation.
    await fb.submit(peer, good)
    second = await _refused(db, peer, good, None, Conflict)
    assert second.current == "completed"

    declined = await invite_member(db, s, "direct_report")
    await fb.decline_invitation(declined)
    assert (await _refused(db, declined, good, None, Conflict)).current == "declined"

    # External raters: wrong, missing and expired tokens.
    ext = await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                          rater_email="client@partner.example")
    wrong = await _refused(db, ext.invitation.id, good, "not-the-token", InvalidData)
    assert wrong.field == "access_token"
    without = await _refused(db, ext.invitation.id, good, None, InvalidData)
    assert without.field == "access_token"
    old = await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                          rater_email="old@partner.example",
                          token_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    expired = await _refused(db, old.invitation.id, good, old.access_token, Conflict)
    assert expired.current == "expired"


async def test_submit_is_refused_unless_the_cycle_is_active(db: Database) -> None:
    s = await make_setup(db, activate=False)
    fb = db.feedback
    good = answers(s, (3, 3, 3))
    in_draft = await invite_member(db, s, "peer")
    refused = await _refused(db, in_draft, good, None, Conflict)
    assert refused.current == "draft" and "draft" in str(refused)

    await fb.activate_cycle(s.cycle.id)
    await fb.close_cycle(s.cycle.id)
    assert (await _refused(db, in_draft, good, None, Conflict)).current == "closed"

    cancelled = await fb.activate_cycle((await fb.create_cycle(s.form.id, name="Stopped")).id)
    invitation = await fb.invite(cancelled.id, target_user_id=s.target.id, relationship="self",
                                 rater_user_id=s.target.id)
    await fb.cancel_cycle(cancelled.id)
    assert (await _refused(db, invitation.invitation.id, good, None, Conflict)).current == "cancelled"


# Results ----------------------------------------------------------------------


async def _rated(db: Database, groups: dict[str, list[tuple[int, int, int]]], *,
                 anonymous: bool = False, threshold: int = 3) -> Setup:
    s = await make_setup(db, anonymous=anonymous, threshold=threshold)
    for relationship, given in groups.items():
        for i, ratings in enumerate(given):
            await give_feedback(db, s, relationship, ratings, f"{relationship} comment {i}")
    return s


async def test_analysis_is_the_seed_query_with_self_apart(db: Database) -> None:
    peers = [(3, 4, 2), (4, 5, 3), (5, 5, 5)]
    s = await _rated(db, {"self": [(5, 5, 1)], "peer": peers, "direct_report": [(2, 2, 2)] * 3})
    got = {a.competency_name: a for a in await db.feedback.analyze(s.target.id, s.cycle.id)}
    others = peers + [(2, 2, 2)] * 3
    communication = [r for rs in others for r in rs[:2]]
    delivery = [rs[2] for rs in others]
    c, d = got["Communication"], got["Delivery"]
    assert (c.competency_id, c.response_count, c.average_rating, c.rating_stddev, c.self_rating) == (
        s.communication, 12, two(statistics.mean(communication)), two(statistics.stdev(communication)),
        Decimal("5.00"))
    assert (d.response_count, d.average_rating, d.rating_stddev, d.self_rating) == (
        6, two(statistics.mean(delivery)), two(statistics.stdev(delivery)), Decimal("1.00"))
    # Best average first.
    assert [a.competency_name for a in await db.feedback.analyze(s.target.id, s.cycle.id)] == [
        "Communication", "Delivery"]
    assert await db.feedback.analyze(s.target.id, uuid4()) == []


async def test_analysis_leaves_out_groups_results_would_hide(db: Database) -> None:
    # A lone manager is hidden (others = 1 < 3): the overall average must not
    # contain them, or overall minus peers would give the manager's rating away.
    s = await _rated(db, {"peer": [(3, 3, 3), (4, 4, 4), (5, 5, 5)], "manager": [(1, 1, 1)]})
    got = {a.competency_name: a for a in await db.feedback.analyze(s.target.id, s.cycle.id)}
    assert (got["Delivery"].average_rating, got["Delivery"].response_count) == (Decimal("4.00"), 3)
    assert got["Delivery"].self_rating is None

    # Only two peers and no self: nothing can be shown.
    few = await _rated(db, {"peer": [(3, 3, 3), (4, 4, 4)]})
    assert await db.feedback.analyze(few.target.id, few.cycle.id) == []
    # Self alone is shown, without an average of others.
    alone = await _rated(db, {"self": [(4, 2, 3)], "peer": [(1, 1, 1)]})
    assert [(a.competency_name, a.average_rating, a.response_count, a.self_rating)
            for a in await db.feedback.analyze(alone.target.id, alone.cycle.id)] == [
        ("Communication", None, 0, Decimal("3.00")), ("Delivery", None, 0, Decimal("3.00"))]


async def test_every_read_of_results_is_logged_with_its_reader(db: Database) -> None:
    s = await _rated(db, {"peer": [(3, 3, 3), (4, 4, 4), (5, 5, 5)]})
    async with db.transaction(actor="hr-7") as tx:
        await tx.feedback.analyze(s.target.id, s.cycle.id)
        await tx.feedback.results_by_group(s.target.id, s.cycle.id)
        await tx.feedback.comments(s.target.id, s.cycle.id)
    await db.feedback.analyze(s.target.id, s.cycle.id)  # no actor declared
    logged = await db.privacy.list_access(subject_user_id=s.target.id)
    assert [(e.actor, e.organization_id, e.what) for e in reversed(logged)] == [
        ("hr-7", s.org.id, "feedback.analysis"),
        ("hr-7", s.org.id, "feedback.results_by_group"),
        ("hr-7", s.org.id, "feedback.comments"),
        (await executor(db).value(TQ.current_role), s.org.id, "feedback.analysis"),
    ]
    # A cycle that does not exist shows nothing and logs nothing.
    assert await db.feedback.analyze(s.target.id, uuid4()) == []
    assert len(await db.privacy.list_access(subject_user_id=s.target.id)) == 4


def _groups(results: list) -> dict[str, list[tuple[str, int, Decimal]]]:
    out: dict[str, list[tuple[str, int, Decimal]]] = {}
    for r in results:
        out.setdefault(r.competency_name, []).append((r.rater_group, r.submission_count, r.average_rating))
    return out


async def test_results_by_group_fold_small_groups_into_others(db: Database) -> None:
    s = await _rated(db, {
        "self": [(5, 5, 5)],
        "peer": [(3, 3, 3), (4, 4, 4), (5, 5, 2)],
        "manager": [(1, 1, 1)],
        "direct_report": [(2, 4, 4), (4, 4, 4)],
    })
    got = _groups(await db.feedback.results_by_group(s.target.id, s.cycle.id))
    # The manager (1) and direct reports (2) are only seen together, as others (3).
    assert got == {
        "Communication": [("self", 1, Decimal("5.00")), ("peer", 3, Decimal("4.00")),
                          ("others", 3, two((1 + 3 + 4) / 3))],
        "Delivery": [("self", 1, Decimal("5.00")), ("peer", 3, Decimal("3.00")),
                     ("others", 3, Decimal("3.00"))],
    }


async def test_results_by_group_suppress_others_below_the_threshold(db: Database) -> None:
    s = await _rated(db, {
        "self": [(2, 2, 2)],
        "peer": [(3, 3, 3), (4, 4, 4), (5, 5, 5)],
        "manager": [(1, 1, 1)],
        "external": [(5, 5, 5)],
    })
    got = _groups(await db.feedback.results_by_group(s.target.id, s.cycle.id))
    assert got["Delivery"] == [("self", 1, Decimal("2.00")), ("peer", 3, Decimal("4.00"))]
    assert all(g not in ("manager", "external", "others") for rows in got.values() for g, _, _ in rows)

    # Two small groups together reach the threshold; neither shows on its own.
    s2 = await _rated(db, {"peer": [(3, 3, 3), (4, 4, 4)], "direct_report": [(5, 5, 5), (5, 5, 5)]})
    assert _groups(await db.feedback.results_by_group(s2.target.id, s2.cycle.id))["Delivery"] == [
        ("others", 4, two(17 / 4))]

    # With a threshold of 1 every group stands alone, the manager too.
    s3 = await _rated(db, {"manager": [(1, 2, 3)], "peer": [(4, 4, 4)]}, threshold=1)
    assert _groups(await db.feedback.results_by_group(s3.target.id, s3.cycle.id))["Delivery"] == [
        ("manager", 1, Decimal("3.00")), ("peer", 1, Decimal("4.00"))]
    assert await db.feedback.results_by_group(s3.target.id, uuid4()) == []


async def test_comments_respect_the_threshold(db: Database) -> None:
    s = await _rated(db, {
        "self": [(3, 3, 3)],
        "peer": [(3, 3, 3)] * 3,
        "manager": [(1, 1, 1)],
        "direct_report": [(2, 2, 2)] * 2,
    })
    got = await db.feedback.comments(s.target.id, s.cycle.id)
    assert {(c.question_id, c.question_position, c.question_text, c.competency_id) for c in got} == {
        (s.questions[3].id, 4, "Anything else?", None)}
    assert [(c.rater_group, c.comment) for c in got] == [
        ("self", "self comment 0"),
        ("peer", "peer comment 0"), ("peer", "peer comment 1"), ("peer", "peer comment 2"),
        ("others", "direct_report comment 0"), ("others", "direct_report comment 1"),
        ("others", "manager comment 0"),
    ]

    lone = await _rated(db, {"peer": [(3, 3, 3)] * 3, "manager": [(1, 1, 1)]})
    assert [(c.rater_group, c.comment) for c in await db.feedback.comments(lone.target.id, lone.cycle.id)] == [
        ("peer", "peer comment 0"), ("peer", "peer comment 1"), ("peer", "peer comment 2")]


async def test_anonymous_results_never_name_a_rater(db: Database) -> None:
    s = await _rated(db, {"self": [(4, 4, 4)], "peer": [(3, 3, 3), (4, 4, 4), (5, 5, 5)],
                          "direct_report": [(2, 2, 2)] * 3}, anonymous=True)
    await db.feedback.close_cycle(s.cycle.id)  # an anonymous form's results wait for the close
    invitations = await db.feedback.list_cycle_invitations(s.cycle.id)
    identities = {i.id for i in invitations} | {i.rater_user_id for i in invitations} - {s.target.id}
    results = [
        *await db.feedback.analyze(s.target.id, s.cycle.id),
        *await db.feedback.results_by_group(s.target.id, s.cycle.id),
        *await db.feedback.comments(s.target.id, s.cycle.id),
    ]
    assert len(results) == 2 + 6 + 7
    for record in results:
        values = set(dataclasses.astuple(record))
        assert not values & identities, record
        assert not {f.name for f in dataclasses.fields(record)} & {"invitation_id", "rater_user_id", "submission_id"}


async def test_completion_per_relationship(db: Database) -> None:
    s = await make_setup(db)
    fb = db.feedback
    await give_feedback(db, s, "self", (3, 3, 3))
    await give_feedback(db, s, "peer", (3, 3, 3))
    started = await invite_member(db, s, "peer")
    await fb.start_invitation(started)
    await fb.decline_invitation(await invite_member(db, s, "peer"))
    await invite_member(db, s, "manager")
    await fb.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                    rater_email="old@partner.example", token_expires_at=datetime.now(UTC) - timedelta(hours=1))
    await fb.expire_overdue_invitations(s.cycle.id)

    got = [dataclasses.astuple(r) for r in await fb.completion(s.cycle.id)]
    assert got == [
        # relationship, invited, pending, started, completed, declined, expired
        ("self", 1, 0, 0, 1, 0, 0),
        ("manager", 1, 1, 0, 0, 0, 0),
        ("peer", 3, 0, 1, 1, 1, 0),
        ("direct_report", 0, 0, 0, 0, 0, 0),
        ("external", 1, 0, 0, 0, 0, 1),
    ]
    with pytest.raises(NotFound):
        await fb.completion(uuid4())
