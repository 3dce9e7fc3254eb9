"""Nothing links an anonymous answer to its rater, and nobody answers for a rater.

Each test is an attack of the adversarial review, made as ``ikenei_app`` in
an ordinary organization scope (``db.organization(org, user_id=...)``), the
way service code would: it must be refused, or find nothing, and change
nothing. The tables' owner (the ``db`` fixture) only builds the data.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from uuid import UUID

import pytest
from feedback_fixtures import TQ as FTQ
from feedback_fixtures import (
    Setup,
    answers,
    counts,
    executor,
    invite_member,
    make_member,
    make_setup,
)
from isolation_support import changed_tables, snapshot
from security_support import TQ, app_database, raw

from ikenei import Database
from ikenei.errors import Conflict, OutOfScope


@pytest.fixture
async def app(fresh_dsn: str, db: Database) -> AsyncIterator[Database]:
    app = await app_database(fresh_dsn)
    try:
        yield app
    finally:
        await app.close()


async def _rater_of(db: Database, s: Setup, relationship: str = "peer") -> tuple[UUID, UUID]:
    """A new member invited to rate the target; (their user id, the invitation id)."""
    rater = await make_member(db, s.org.id)
    return rater.id, await invite_member(db, s, relationship, rater)


# -- only the invited rater answers (fill-in) --------------------------------------


async def test_nobody_but_the_rater_submits_or_declines_an_invitation(db: Database, app: Database) -> None:
    # The fill-in attack: answer the other raters' invitations with known
    # values, and solve the mean for the one real rating.
    s = await make_setup(db, anonymous=True)
    admin = await make_member(db, s.org.id, "Ada", "Admin")
    _, invitation = await _rater_of(db, s)
    for acting in (admin.id, s.target.id, None):
        for attempt in (lambda r: r.feedback.submit(invitation, answers(s, (1, 1, 1))),
                        lambda r: r.feedback.decline_invitation(invitation)):
            before = await snapshot(db)
            with pytest.raises(OutOfScope, match="by its rater only"):
                async with app.organization(s.org.id, user_id=acting) as org:
                    await attempt(org)
            assert changed_tables(before, await snapshot(db)) == []


async def test_the_application_cannot_complete_or_decline_an_invitation_itself(
    db: Database, app: Database
) -> None:
    s = await make_setup(db, anonymous=True)
    _, invitation = await _rater_of(db, s)
    for status in ("completed", "declined"):
        before = await snapshot(db)
        with pytest.raises(OutOfScope, match="by its rater only"):
            async with app.organization(s.org.id) as org:
                await raw(org).execute(TQ.set_invitation_status, invitation, status)
        assert changed_tables(before, await snapshot(db)) == []


async def test_the_rater_submits_and_declines_in_their_own_scope(db: Database, app: Database) -> None:
    s = await make_setup(db, anonymous=True)
    rater, invitation = await _rater_of(db, s)
    other, declining = await _rater_of(db, s)
    async with app.organization(s.org.id, user_id=rater, actor=f"user:{rater}") as me:
        await me.feedback.submit(invitation, answers(s, (4, 4, 4), "Good work"))
    async with app.organization(s.org.id, user_id=other) as me:
        declined = await me.feedback.decline_invitation(declining)
    assert declined.status == "declined"
    assert (await db.feedback.get_invitation(invitation)).status == "completed"
    assert (await counts(db)).responses == 4
    # Once.
    with pytest.raises(Conflict) as refused:
        async with app.organization(s.org.id, user_id=rater) as me:
            await me.feedback.submit(invitation, answers(s, (1, 1, 1)))
    assert refused.value.current == "completed"


# -- never after the close, also when racing it -------------------------------------


async def test_an_answer_after_the_close_is_refused(db: Database, app: Database) -> None:
    s = await make_setup(db, anonymous=True)
    rater, invitation = await _rater_of(db, s)
    await db.feedback.close_cycle(s.cycle.id)
    before = await snapshot(db)
    with pytest.raises(Conflict) as refused:
        async with app.organization(s.org.id, user_id=rater) as me:
            await me.feedback.submit(invitation, answers(s, (2, 2, 2)))
    assert refused.value.current == "closed"
    assert changed_tables(before, await snapshot(db)) == []


async def _until_one_waits_for_a_lock(db: Database) -> None:
    for _ in range(200):
        if await executor(db).value(FTQ.count_lock_waiters) >= 1:
            return
        await asyncio.sleep(0.05)
    pytest.fail("the second transaction never waited for the first one's lock")


async def test_a_submission_in_flight_commits_before_the_close(db: Database, app: Database) -> None:
    s = await make_setup(db, anonymous=True)
    rater, invitation = await _rater_of(db, s)
    async with app.organization(s.org.id, user_id=rater) as me:
        await me.feedback.submit(invitation, answers(s, (3, 3, 3)))
        # The close waits for the submission's share lock on the cycle.
        closing = asyncio.create_task(_close(app, s))
        await _until_one_waits_for_a_lock(db)
        assert not closing.done()
    closed_at = await closing
    assert (await counts(db)).responses == 3
    assert (await db.feedback.get_cycle(s.cycle.id)).closed_at == closed_at


async def test_a_submission_waiting_for_the_close_is_refused(db: Database, app: Database) -> None:
    s = await make_setup(db, anonymous=True)
    rater, invitation = await _rater_of(db, s)
    before = await counts(db)

    async def submit() -> None:
        async with app.organization(s.org.id, user_id=rater) as me:
            await me.feedback.submit(invitation, answers(s, (3, 3, 3)))

    async with app.organization(s.org.id) as org:
        await org.feedback.close_cycle(s.cycle.id)
        submitting = asyncio.create_task(submit())
        await _until_one_waits_for_a_lock(db)
        assert not submitting.done()
    with pytest.raises(Conflict) as refused:
        await submitting
    assert refused.value.current == "closed"
    assert await counts(db) == before
    assert (await db.feedback.get_invitation(invitation)).status == "pending"


async def _close(app: Database, s: Setup) -> object:
    async with app.organization(s.org.id) as org:
        return (await org.feedback.close_cycle(s.cycle.id)).closed_at
