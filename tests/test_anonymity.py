"""Nothing links an anonymous answer to its rater, and nobody answers for a rater.

Each test is an attack of the adversarial review, made as ``ikenei_app`` in
an ordinary organization scope (``db.organization(org, user_id=...)``), the
way service code would: it must be refused, or find nothing, and change
nothing. The tables' owner (the ``db`` fixture) only builds the data.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import pytest
from feedback_fixtures import (
    EVERY_PERMISSION,
    Setup,
    answers,
    counts,
    executor,
    invite_member,
    make_member,
    make_setup,
)
from feedback_fixtures import TQ as FTQ
from isolation_support import changed_tables, snapshot
from security_support import TQ, raw

from ikenei import Database
from ikenei.errors import Conflict, DatabaseError, InvalidData, OutOfScope

_GROUPS = ["self", "manager", "peer", "direct_report", "external", "others"]


@dataclass(frozen=True, slots=True)
class _Served:
    question_position: int
    rater_group: str
    response_id: UUID


async def _rater_of(db: Database, s: Setup, relationship: str = "peer") -> tuple[UUID, UUID]:
    """A new member invited to rate the target; (their user id, the invitation id)."""
    rater = await make_member(db, s.org.id)
    return rater.id, await invite_member(db, s, relationship, rater)


# -- only the invited rater answers (fill-in) --------------------------------------


async def test_nobody_but_the_rater_submits_or_declines_an_invitation(db: Database, app: Database) -> None:
    # The fill-in attack: answer the other raters' invitations with known
    # values, and solve the mean for the one real rating.
    s = await make_setup(db, anonymous=True)
    admin = await make_member(db, s.org.id, "Ada", "Admin", permissions=EVERY_PERMISSION)
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
                await raw(org).execute(
                    TQ.set_invitation_status, invitation_id=invitation, status=status,
                )
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


# -- raw answers: no join, no system column, no time, no order -------------------------


async def _answered_by_raters(db: Database, app: Database, *, anonymous: bool = True) -> Setup:
    """Three peers and the target (self) answer in their own scopes, two of the peers with a comment."""
    s = await make_setup(db, anonymous=anonymous)
    given = [("peer", (2, 3, 4), "Clear goals"), ("peer", (4, 4, 4), None), ("peer", (5, 4, 3), "Listens"),
             ("self", (3, 3, 3), None)]
    for relationship, ratings, comment in given:
        rater, invitation = (s.target.id, await invite_member(db, s, "self")) if relationship == "self" \
            else await _rater_of(db, s, relationship)
        async with app.organization(s.org.id, user_id=rater, actor=f"user:{rater}") as me:
            await me.feedback.submit(invitation, answers(s, ratings, comment))
    return s


JOINS = {
    "answers to invitations by xmin": "join_answers_by_xmin",
    "ratings to invitations by xmin": "join_ratings_by_xmin",
    "answers in ctid order": "answers_in_ctid_order",
    "answers to invitations by completion time": "join_answers_by_time",
    "answers in stored order": "answers_as_stored",
}


@pytest.mark.parametrize("join", list(JOINS), ids=list(JOINS))
async def test_no_statement_of_the_application_reads_a_raw_answer(db: Database, app: Database, join: str) -> None:
    s = await _answered_by_raters(db, app)
    query = getattr(TQ, JOINS[join])
    # The tables' owner can still run it (the attack is real, see "What is not defended").
    assert await executor(db).execute(query, cycle_id=s.cycle.id) > 0
    before = await snapshot(db)
    for acting in (None, s.target.id):
        with pytest.raises(DatabaseError, match="permission denied"):
            async with app.organization(s.org.id, user_id=acting) as org:
                await raw(org).execute(query, cycle_id=s.cycle.id)
    assert changed_tables(before, await snapshot(db)) == []


async def test_the_application_cannot_write_an_answer_past_submit(db: Database, app: Database) -> None:
    s = await make_setup(db, anonymous=True)
    before = await snapshot(db)
    with pytest.raises(DatabaseError, match="permission denied"):
        async with app.organization(s.org.id, user_id=s.target.id) as org:
            await raw(org).execute(
                TQ.insert_answer, organization_id=s.org.id, cycle_id=s.cycle.id, form_id=s.form.id,
                question_id=s.questions[0].id, target_user_id=s.target.id,
            )
    assert changed_tables(before, await snapshot(db)) == []


async def test_results_carry_no_rater_time_or_insertion_order(db: Database, app: Database) -> None:
    s = await _answered_by_raters(db, app)
    await db.feedback.close_cycle(s.cycle.id)
    invitations = await db.feedback.list_cycle_invitations(s.cycle.id)
    identities = {i.id for i in invitations} | {i.rater_user_id for i in invitations if i.relationship != "self"}
    async with app.organization(s.org.id, user_id=s.target.id) as me:
        results = [*await me.feedback.analyze(s.target.id, s.cycle.id),
                   *await me.feedback.results_by_group(s.target.id, s.cycle.id),
                   *await me.feedback.comments(s.target.id, s.cycle.id)]
        served = await raw(me).all(
            TQ.comments_as_served, _Served, target_user_id=s.target.id, cycle_id=s.cycle.id,
        )
    for record in results:
        assert not set(dataclasses.astuple(record)) & identities, record
        assert not {type(v) for v in dataclasses.astuple(record)} & {datetime}, record
    # The server sends comments by question, group and a random id, never in the order written.
    assert served == sorted(served, key=lambda c: (c.question_position, _GROUPS.index(c.rater_group),
                                                   c.response_id))


# -- results of an anonymous form: only after the close ---------------------------------


async def test_results_of_an_anonymous_form_wait_for_the_close(db: Database, app: Database) -> None:
    # Differencing: reading results after each completion gave the newest rater's rating.
    s = await _answered_by_raters(db, app)
    reads = {
        "analysis": lambda r: r.feedback.analyze(s.target.id, s.cycle.id),
        "results by group": lambda r: r.feedback.results_by_group(s.target.id, s.cycle.id),
        "comments": lambda r: r.feedback.comments(s.target.id, s.cycle.id),
    }
    for name, read in reads.items():
        before = await snapshot(db)
        with pytest.raises(Conflict, match="once its cycle is closed") as refused:
            async with app.organization(s.org.id, user_id=s.target.id) as me:
                await read(me)
        assert refused.value.current == "active", name
        assert changed_tables(before, await snapshot(db)) == [], name  # not even the access log
    await db.feedback.close_cycle(s.cycle.id)
    async with app.organization(s.org.id, user_id=s.target.id) as me:
        shown = {name: await read(me) for name, read in reads.items()}
    assert {r.rater_group for r in shown["results by group"]} == {"self", "peer"}
    assert sorted(c.comment for c in shown["comments"]) == ["Clear goals", "Listens"]


async def test_a_cancelled_anonymous_cycle_never_shows_results(db: Database, app: Database) -> None:
    s = await _answered_by_raters(db, app)
    await db.feedback.cancel_cycle(s.cycle.id)
    with pytest.raises(Conflict) as refused:
        async with app.organization(s.org.id, user_id=s.target.id) as me:
            await me.feedback.results_by_group(s.target.id, s.cycle.id)
    assert refused.value.current == "cancelled"


async def test_a_named_forms_results_are_shown_while_it_runs(db: Database, app: Database) -> None:
    s = await _answered_by_raters(db, app, anonymous=False)
    async with app.organization(s.org.id, user_id=s.target.id) as me:
        assert {r.rater_group for r in await me.feedback.results_by_group(s.target.id, s.cycle.id)} == {
            "self", "peer"}


# -- the audit trail -----------------------------------------------------------------------


async def test_the_audit_trail_tells_nothing_of_anonymous_answers(db: Database, app: Database) -> None:
    # The review matched each submission's audit rows to the invitation
    # update next to them, and read from their columns which held a comment.
    s = await make_setup(db, anonymous=True)
    shapes = []
    for comment in ("With a comment", None):
        rater, invitation = await _rater_of(db, s)
        async with app.organization(s.org.id) as org:
            before = {e.id for e in await org.privacy.list_audit(limit=1000)}
        async with app.organization(s.org.id, user_id=rater, actor=f"user:{rater}") as me:
            await me.feedback.submit(invitation, answers(s, (3, 4, 5), comment))
        async with app.organization(s.org.id, user_id=s.target.id) as org:
            added = [e for e in await org.privacy.list_audit(limit=1000) if e.id not in before]
        shapes.append(sorted((e.table_name, e.action, tuple(e.changed_columns)) for e in added))
    # One entry per submission, the invitation's, the same with or without a comment.
    assert shapes[0] == shapes[1] == [("feedback_invitations", "UPDATE",
                                       ("status", "started_at", "completed_at"))]
    # Nor when the answers are deleted (with their cycle, by the owner).
    await executor(db).execute(TQ.delete_cycle, cycle_id=s.cycle.id)
    for table in ("feedback_responses", "feedback_ratings"):
        assert await db.privacy.list_audit(table_name=table, limit=1000) == []


# -- the threshold of an anonymous form: at least 3 -----------------------------------------


async def test_an_anonymous_form_needs_a_threshold_of_at_least_3(db: Database, app: Database) -> None:
    s = await make_setup(db, anonymous=False, threshold=1, activate=False)
    before = await snapshot(db)
    attempts = {
        "create": lambda r: r.feedback.create_form(s.org.id, title="Lone", is_anonymous=True,
                                                   anonymity_threshold=1),
        "create at 2": lambda r: r.feedback.create_form(s.org.id, title="Pair", is_anonymous=True,
                                                        anonymity_threshold=2),
        "make a named form with threshold 1 anonymous":
            lambda r: r.feedback.update_form(dataclasses.replace(s.form, is_anonymous=True)),
        "by hand": lambda r: raw(r).execute(
            TQ.insert_form, organization_id=s.org.id, is_anonymous=True, anonymity_threshold=1,
        ),
    }
    for name, attempt in attempts.items():
        with pytest.raises(InvalidData) as refused:
            async with app.organization(s.org.id, user_id=s.target.id) as org:
                await attempt(org)
        assert refused.value.field == "anonymity_threshold", name
    assert changed_tables(before, await snapshot(db)) == []
    async with app.organization(s.org.id, user_id=s.target.id) as org:
        assert (await org.feedback.create_form(s.org.id, title="Fine", is_anonymous=True,
                                               anonymity_threshold=3)).anonymity_threshold == 3


# -- at the close: the rows themselves lose the link ----------------------------------------


@dataclass(frozen=True, slots=True)
class _Stamps:
    transactions: int
    dates: int
    written_by_the_cycles_last_change: bool


async def test_closing_an_anonymous_cycle_rewrites_its_answers_apart_from_their_invitations(
    db: Database, app: Database
) -> None:
    s = await _answered_by_raters(db, app)
    # Until the close the rows hold the link, for the tables' owner.
    assert await executor(db).execute(TQ.join_answers_by_xmin, cycle_id=s.cycle.id) > 0
    assert (await executor(db).one(
        TQ.answer_stamps, _Stamps, cycle_id=s.cycle.id,
    )).transactions == 4
    counted = await counts(db)
    async with app.organization(s.org.id) as org:
        await org.feedback.close_cycle(s.cycle.id)
    # Not even the owner can join them now: one transaction (the close's), one date.
    for join in ("join_answers_by_xmin", "join_ratings_by_xmin"):
        assert await executor(db).execute(getattr(TQ, join), cycle_id=s.cycle.id) == 0, join
    assert await executor(db).one(
        TQ.answer_stamps, _Stamps, cycle_id=s.cycle.id,
    ) == _Stamps(1, 1, True)
    # The same answers: counts, results, and comments that still decrypt (same row ids).
    assert await counts(db) == counted
    async with app.organization(s.org.id, user_id=s.target.id) as me:
        assert sorted(c.comment for c in await me.feedback.comments(s.target.id, s.cycle.id)) == [
            "Clear goals", "Listens"]
        assert {(r.rater_group, r.submission_count)
                for r in await me.feedback.results_by_group(s.target.id, s.cycle.id)} == {
            ("self", 1), ("peer", 3)}


async def test_closing_a_named_forms_cycle_leaves_its_answers_as_written(db: Database, app: Database) -> None:
    s = await _answered_by_raters(db, app, anonymous=False)
    await db.feedback.close_cycle(s.cycle.id)
    assert (await executor(db).one(
        TQ.answer_stamps, _Stamps, cycle_id=s.cycle.id,
    )).transactions == 4
