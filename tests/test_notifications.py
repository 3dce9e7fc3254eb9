"""Reminders under the organization's limits, and the notification log."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from feedback_fixtures import answers, invite_member, make_member, make_org, make_setup
from plan_support import lookups
from process_support import digest

from ikenei import Database
from ikenei.db.queries import Executor, Q
from ikenei.errors import Conflict, InvalidData, NotFound
from ikenei.monitoring.plans import plan_with_values
from ikenei.monitoring.server import Session, inspect

DAY = timedelta(days=1)


async def _sent_invitations(db: Database, *, max_reminders: int = 2, interval_days: int = 3, **setup):
    s = await make_setup(db, **setup)
    org = await db.organizations.get(s.org.id)
    await db.organizations.update(replace(org, settings={
        "feedback.max_reminders": max_reminders, "feedback.reminder_interval_days": interval_days}))
    peer = await invite_member(db, s, "peer")
    sent = await db.feedback.mark_invitation_sent(peer)
    return s, sent


async def test_due_reminders_follow_the_organizations_limits(db: Database) -> None:
    s, sent = await _sent_invitations(db)
    fb = db.feedback
    t0 = sent.sent_at
    unsent = await invite_member(db, s, "direct_report")

    assert await fb.due_reminders(s.cycle.id, at=t0 + 3 * DAY - timedelta(seconds=1)) == []
    [due] = await fb.due_reminders(s.cycle.id, at=t0 + 3 * DAY)
    assert (due.invitation_id, due.reminder_count, due.reminders_left) == (sent.id, 0, 2)
    assert due.rater_email and due.target_name == "Tess Target"

    first = await fb.record_reminder(sent.id, at=t0 + 3 * DAY)
    assert (first.invitation_id, first.reminder_count, first.last_reminded_at) == (sent.id, 1, t0 + 3 * DAY)
    [note] = await db.notifications.list(s.org.id, subject_id=sent.id)
    assert (note.id, note.template_key, note.subject_type, note.status, note.recipient_user_id) == (
        first.notification_id, "feedback.reminder", "feedback_invitation", "queued", sent.rater_user_id)

    # Too soon after the first: neither due nor recordable, and nothing changes.
    assert await fb.due_reminders(s.cycle.id, at=t0 + 5 * DAY) == []
    before = await digest(db)
    with pytest.raises(Conflict) as refused:
        await fb.record_reminder(sent.id, at=t0 + 5 * DAY)
    assert refused.value.current == "reminder_interval_days"
    with pytest.raises(Conflict) as refused:
        await fb.record_reminder(unsent, at=t0 + 5 * DAY)
    assert refused.value.current == "sent_at"
    assert await digest(db) == before

    second = await fb.record_reminder(sent.id, at=t0 + 6 * DAY)
    assert second.reminder_count == 2
    # The limit of two is reached: never due again, and a third is refused.
    assert await fb.due_reminders(s.cycle.id, at=t0 + 60 * DAY) == []
    before = await digest(db)
    with pytest.raises(Conflict) as refused:
        await fb.record_reminder(sent.id, at=t0 + 60 * DAY)
    assert refused.value.current == "max_reminders"
    with pytest.raises(NotFound):
        await fb.record_reminder(uuid4())
    assert await digest(db) == before
    assert len(await db.notifications.list(s.org.id, subject_id=sent.id)) == 2


async def test_no_reminder_after_the_cycle_ends_or_once_answered(db: Database) -> None:
    now = datetime.now(UTC)
    s = await make_setup(db, activate=False)
    cycle = await db.feedback.update_cycle(replace(s.cycle, starts_at=now - DAY, ends_at=now + 5 * DAY))
    await db.feedback.activate_cycle(cycle.id)
    fb = db.feedback
    peer = await fb.mark_invitation_sent(await invite_member(db, replace(s, cycle=cycle), "peer"))
    manager = await fb.mark_invitation_sent(await invite_member(db, replace(s, cycle=cycle), "manager"))
    await fb.submit(manager.id, answers(s, (4, 4, 4)))

    assert [d.invitation_id for d in await fb.due_reminders(cycle.id, at=now + 4 * DAY)] == [peer.id]
    assert await fb.due_reminders(cycle.id, at=now + 5 * DAY) == []
    before = await digest(db)
    with pytest.raises(Conflict) as refused:
        await fb.record_reminder(peer.id, at=now + 5 * DAY)
    assert refused.value.current == "ends_at"
    with pytest.raises(Conflict) as refused:
        await fb.record_reminder(manager.id, at=now + 4 * DAY)
    assert refused.value.current == "completed"
    assert await digest(db) == before


async def test_the_reminder_lists_read_the_cycle_once_not_per_invitation(db: Database) -> None:
    # Joined to every invitation walked, the cycle and the organization's
    # reminder policy were read once per invitation.
    s, sent = await _sent_invitations(db)
    for _ in range(6):
        await db.feedback.mark_invitation_sent(await invite_member(db, s, "peer"))
    at = sent.sent_at + 30 * DAY
    reads = {"due reminders": (Q.list_feedback_due_reminders, {"cycle_id": s.cycle.id, "at": at}),
             "pending raters": (Q.list_feedback_pending_raters, {"cycle_id": s.cycle.id, "quiet_period": None})}
    server = await inspect(Executor(db._pool))  # outside a transaction: a failed probe would end it
    async with db.organization(s.org.id) as tx:
        assert len(await tx.feedback.due_reminders(s.cycle.id, at=at)) == 7
        session = Session(tx.feedback._x, server)
        for name, (query, arguments) in reads.items():
            values = query.pick({**arguments, "after_last_reminded_at": None, "after_sent_at": None,
                                 "after_invitation_id": None, "limit": 100})
            plan = (await plan_with_values(session, query.sql, values, analyze=True))["Plan"]
            cycle_reads = lookups([plan], "feedback_cycles")["feedback_cycles"]
            assert cycle_reads <= 2, (name, json.dumps(plan, indent=1))


async def test_two_workers_racing_record_one_reminder(db: Database) -> None:
    s, sent = await _sent_invitations(db, max_reminders=3)
    at = sent.sent_at + 4 * DAY
    results = await asyncio.gather(*(db.feedback.record_reminder(sent.id, at=at) for _ in range(4)),
                                   return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Conflict", "Conflict", "Reminder"]
    assert (await db.feedback.get_invitation(sent.id)).reminder_count == 1
    assert len(await db.notifications.list(s.org.id, subject_id=sent.id)) == 1


async def test_reminders_of_an_anonymous_form_say_nothing_about_answers(db: Database) -> None:
    s, sent = await _sent_invitations(db, anonymous=True)
    answered = await db.feedback.mark_invitation_sent(await invite_member(db, s, "peer"))
    await db.feedback.submit(answered.id, answers(s, (2, 2, 2), comment="candid words"))
    reminder = await db.feedback.record_reminder(sent.id, at=sent.sent_at + 4 * DAY)
    notes = await db.notifications.list(s.org.id)
    assert [(n.id, n.subject_id) for n in notes] == [(reminder.notification_id, sent.id)]
    # Only open invitations are owed reminders; the answered one is never named.
    due = await db.feedback.due_reminders(s.cycle.id, at=sent.sent_at + 30 * DAY)
    assert [d.invitation_id for d in due] == [sent.id]


async def test_bad_reminder_settings_are_refused(db: Database) -> None:
    org = await make_org(db)
    for settings, field in (({"feedback.max_reminders": "three"}, "settings_max_reminders"),
                            ({"feedback.max_reminders": 11}, "settings_max_reminders"),
                            ({"feedback.reminder_interval_days": 0}, "settings_reminder_interval_days"),
                            ({"feedback.reminder_interval_days": 1.5}, "settings_reminder_interval_days")):
        with pytest.raises(InvalidData) as refused:
            await db.organizations.update(replace(org, settings=settings))
        assert refused.value.field == field
    assert (await db.organizations.get(org.id)).settings == org.settings


async def test_a_notification_is_queued_then_sent_or_failed(db: Database) -> None:
    s = await make_setup(db)
    note_ = db.notifications
    queued = await note_.queue(s.org.id, template_key="feedback.results_released", subject_id=s.cycle.id,
                               recipient_user_id=s.target.id, channel="in_app")
    assert (queued.subject_type, queued.status, queued.attempts) == ("feedback_cycle", "queued", 0)
    failed = await note_.mark_failed(queued.id, "mailbox full")
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 1, "mailbox full")
    with pytest.raises(Conflict) as refused:
        await note_.mark_sent(queued.id)
    assert refused.value.current == "failed"
    again = await note_.requeue(queued.id)
    sent = await note_.mark_sent(again.id)
    assert (sent.status, sent.attempts, sent.sent_at is not None) == ("sent", 2, True)
    for move in (note_.mark_sent, note_.requeue):
        with pytest.raises(Conflict) as refused:
            await move(queued.id)
        assert refused.value.current == "sent"
    with pytest.raises(NotFound):
        await note_.mark_sent(uuid4())
    assert [n.id for n in await note_.list(s.org.id, status="sent")] == [queued.id]


async def test_refused_notifications_name_the_field_and_change_nothing(db: Database) -> None:
    s = await make_setup(db)
    other = await make_setup(db)
    outsider = await make_member(db, other.org.id)
    q = db.notifications.queue
    before = await digest(db)
    with pytest.raises(InvalidData) as refused:
        await q(s.org.id, template_key="feedback.gossip", subject_id=s.cycle.id, recipient_user_id=s.target.id)
    assert refused.value.field == "template_key"
    with pytest.raises(InvalidData) as refused:
        await q(s.org.id, template_key="feedback.cycle_closing", subject_id=s.cycle.id,
                recipient_user_id=outsider.id)
    assert refused.value.field == "recipient_user_id"
    with pytest.raises(InvalidData) as refused:
        await q(s.org.id, template_key="feedback.cycle_closing", subject_id=s.cycle.id)
    assert refused.value.field == "recipient_user_id"
    with pytest.raises(InvalidData) as refused:
        await q(s.org.id, template_key="feedback.cycle_closing", subject_id=s.cycle.id,
                recipient_user_id=s.target.id, channel="carrier_pigeon")
    assert refused.value.field == "channel"
    # Another organization's cycle is no subject of this one.
    with pytest.raises(NotFound):
        await q(s.org.id, template_key="feedback.cycle_closing", subject_id=other.cycle.id,
                recipient_user_id=s.target.id)
    created = await db.notifications.queue(s.org.id, template_key="feedback.cycle_closing",
                                           subject_id=s.cycle.id, recipient_user_id=s.target.id)
    with pytest.raises(InvalidData) as refused:
        await db.notifications.mark_failed(created.id, " ")
    assert refused.value.field == "last_error"
    assert (await db.notifications.get(created.id)).status == "queued"
    assert len(await db.notifications.list(s.org.id)) == 1
    assert before != await digest(db)
