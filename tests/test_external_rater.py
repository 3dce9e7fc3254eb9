"""An external rater's token reaches its own open invitation and nothing else.

The attack of the review: inside ``db.external_rater(token)`` the holder of
any token read every member's email, another person's results and comments,
private learning notes, named invitations with rater names and the audit
trail, and created a new invitation with a new token, also after the
invitation was used and after the token expired. Here every such attempt is
made as ``ikenei_app`` in a token scope and must find nothing, be refused,
and change nothing; the token itself opens its invitation, the questions of
its form and the name of the person rated, and submits or declines once.

Read-only attacks share one world (two organizations with data of every
kind, ``isolation_support``), built once for the module; the attempts that
commit get a fresh database of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from feedback_fixtures import Setup, answers, make_setup
from isolation_support import TQ as ITQ
from isolation_support import Probe, World, build_world, changed_tables, snapshot
from security_support import TQ, owner_and_app, raw

from ikenei import Database
from ikenei.db.database import Repositories
from ikenei.errors import Conflict, IkeneiError, NotFound, OutOfScope
from ikenei.repositories.feedback import Answer, RaterInvitation


@dataclass(frozen=True, slots=True)
class Env:
    owner: Database
    app: Database
    world: World


@pytest.fixture(scope="module")
async def env(module_dsn: str) -> AsyncIterator[Env]:
    async with owner_and_app(module_dsn) as (owner, app):
        yield Env(owner, app, await build_world(owner))


# -- the scope itself: no row of any table ---------------------------------------


async def test_a_token_scope_sees_no_row_of_any_table_and_changes_none(env: Env) -> None:
    before = await snapshot(env.owner)
    async with env.app.external_rater(env.world.a.access_token) as rater:
        x = raw(rater)
        await x.execute(ITQ.create_probe_function)
        probes = await x.all(
            ITQ.probe_tables, Probe, other_than=None,
            shared_tables=["roles", "competency_categories"], write=True,
        )
    assert probes, "the probe found no table with row-level security"
    for p in probes:
        # The raw answers are not even readable by the application (-1: no privilege).
        assert p.seen in ((-1,) if p.table_name in ("feedback_responses", "feedback_ratings") else (0,)), p
        assert p.updated in (0, -1) and p.deleted in (0, -1), p
    assert changed_tables(before, await snapshot(env.owner)) == []


# -- what the review did inside a token scope, each with the token's own organization ----


Attack = Callable[[Repositories, World], Awaitable[Any]]

ATTACKS: dict[str, Attack] = {
    "every member's email": lambda r, w: r.organizations.list_members(w.a.org.id),
    "the people": lambda r, w: r.users.list(limit=1000),
    "a person by id": lambda r, w: r.users.get(w.a.member.id),
    "another person's results": lambda r, w: r.feedback.results_by_group(w.a.member.id, w.a.active_cycle.id),
    "another person's analysis": lambda r, w: r.feedback.analyze(w.a.member.id, w.a.active_cycle.id),
    "another person's comments": lambda r, w: r.feedback.comments(w.a.member.id, w.a.active_cycle.id),
    "private learning notes": lambda r, w: r.learning.list_progress(w.a.active_plan.id),
    "named invitations with rater names":
        lambda r, w: r.feedback.list_cycle_invitations(w.a.active_cycle.id),
    "pending raters": lambda r, w: r.feedback.list_pending_raters(w.a.active_cycle.id),
    "its own invitation's row": lambda r, w: r.feedback.get_invitation(w.a.external_invitation.id),
    "the cycle": lambda r, w: r.feedback.get_cycle(w.a.active_cycle.id),
    "the audit trail": lambda r, w: r.privacy.list_audit(limit=1000),
    "the access log": lambda r, w: r.privacy.list_access(limit=1000),
    "a new invitation with a new token": lambda r, w: r.feedback.invite(
        w.a.active_cycle.id, target_user_id=w.a.member.id, relationship="external",
        rater_email="friend@elsewhere.example"),
    "a member's invitation answered": lambda r, w: r.feedback.submit(
        w.a.open_invitation.id, [Answer(w.a.rating_question.id, 5)]),
    "a member's invitation declined": lambda r, w: r.feedback.decline_invitation(w.a.open_invitation.id),
    "a reminder counted": lambda r, w: r.feedback.record_reminder(w.a.external_invitation.id),
    "the cycle closed": lambda r, w: r.feedback.close_cycle(w.a.active_cycle.id),
    "another invitation's token": lambda r, w: r.feedback.get_invitation_by_token(w.b.access_token),
    "another invitation answered with its token": lambda r, w: r.feedback.submit(
        w.b.external_invitation.id, [Answer(w.b.rating_question.id, 5)], token=w.b.access_token),
}


def _holds_nothing(result: Any) -> bool:
    return result is None or result == [] or result == 0


@pytest.mark.parametrize("attack", list(ATTACKS), ids=list(ATTACKS))
async def test_a_token_scope_reaches_nothing_of_its_organization(env: Env, attack: str) -> None:
    before = await snapshot(env.owner)
    result: Any = None
    error: IkeneiError | None = None
    try:
        async with env.app.external_rater(env.world.a.access_token) as rater:
            result = await ATTACKS[attack](rater, env.world)
    except IkeneiError as exc:
        error = exc
    assert changed_tables(before, await snapshot(env.owner)) == []
    if error is None:
        assert _holds_nothing(result), result
    else:
        assert isinstance(error, NotFound | OutOfScope | Conflict), repr(error)


# -- what the token does open ----------------------------------------------------


async def test_the_token_opens_its_invitation_the_questions_and_the_name_of_the_person_rated(
    env: Env,
) -> None:
    a = env.world.a
    async with env.app.external_rater(a.access_token) as rater:
        opened = await rater.feedback.get_invitation_by_token(a.access_token)
        questions = await rater.feedback.list_questions_by_token(a.access_token)
    assert [f.name for f in fields(RaterInvitation)] == [
        "id", "cycle_id", "form_id", "form_title", "is_anonymous", "target_name", "relationship",
        "status", "token_expires_at",
    ]
    assert (opened.id, opened.cycle_id, opened.form_id, opened.form_title) == (
        a.external_invitation.id, a.active_cycle.id, a.form.id, a.form.title)
    assert opened.target_name == f"{a.member.first_name} {a.member.last_name}"
    assert (opened.relationship, opened.status) == ("external", "pending")
    assert [q.id for q in questions] == [a.rating_question.id, a.text_question.id]


async def test_a_token_opens_nothing_outside_its_own_scope(env: Env) -> None:
    a, b = env.world.a, env.world.b
    scopes = {
        "no scope": lambda: env.app.transaction(),
        "its organization's scope": lambda: env.app.organization(a.org.id, user_id=a.admin.id),
        "another token's scope": lambda: env.app.external_rater(b.access_token),
    }
    attempts = {
        "read": lambda r: r.feedback.get_invitation_by_token(a.access_token),
        "questions": lambda r: r.feedback.list_questions_by_token(a.access_token),
        "submit": lambda r: r.feedback.submit(a.external_invitation.id, [Answer(a.rating_question.id, 5)],
                                              token=a.access_token),
        "decline": lambda r: r.feedback.decline_invitation(a.external_invitation.id, token=a.access_token),
    }
    for where, scope in scopes.items():
        for name, attempt in attempts.items():
            before = await snapshot(env.owner)
            with pytest.raises(IkeneiError) as refused:
                async with scope() as r:
                    await attempt(r)
            # Its own organization knows the invitation exists, and is told it is not its to answer.
            expected = OutOfScope if (where, name) in {("its organization's scope", "submit"),
                                                       ("its organization's scope", "decline")} else NotFound
            assert isinstance(refused.value, expected), (where, name, refused.value)
            assert changed_tables(before, await snapshot(env.owner)) == [], (where, name)


# -- once used, declined or expired: nothing -------------------------------------------


async def _invite_external(db: Database, s: Setup, expires: datetime | None = None) -> tuple[Any, str]:
    created = await db.feedback.invite(s.cycle.id, target_user_id=s.target.id, relationship="external",
                                       rater_email="client@partner.example", token_expires_at=expires)
    assert created.access_token is not None
    return created.invitation, created.access_token


async def _everything_refused(db: Database, app: Database, s: Setup, invitation: Any, token: str,
                              state: str) -> None:
    attempts = {
        "read": lambda r: r.feedback.get_invitation_by_token(token),
        "questions": lambda r: r.feedback.list_questions_by_token(token),
        "submit": lambda r: r.feedback.submit(invitation.id, answers(s, (1, 1, 1)), token=token),
        "decline": lambda r: r.feedback.decline_invitation(invitation.id, token=token),
    }
    for name, attempt in attempts.items():
        before = await snapshot(db)
        with pytest.raises(Conflict) as refused:
            async with app.external_rater(token) as rater:
                await attempt(rater)
        assert refused.value.current == state, name
        assert changed_tables(before, await snapshot(db)) == [], name


async def test_a_token_submits_once_and_then_reaches_nothing(db: Database, app: Database) -> None:
    s = await make_setup(db, anonymous=True)
    invitation, token = await _invite_external(db, s)
    async with app.external_rater(token, actor="external rater") as rater:
        opened = await rater.feedback.get_invitation_by_token(token)
        questions = await rater.feedback.list_questions_by_token(token)
        await rater.feedback.submit(opened.id, [Answer(q.id, 4) for q in questions[:3]], token=token)
    assert (await db.feedback.get_invitation(invitation.id)).status == "completed"
    await _everything_refused(db, app, s, invitation, token, "completed")


async def test_a_declined_token_reaches_nothing(db: Database, app: Database) -> None:
    s = await make_setup(db)
    invitation, token = await _invite_external(db, s)
    async with app.external_rater(token) as rater:
        declined = await rater.feedback.decline_invitation(invitation.id, token=token)
    assert declined.status == "declined"
    await _everything_refused(db, app, s, invitation, token, "declined")


async def test_an_expired_token_reaches_nothing(db: Database, app: Database) -> None:
    s = await make_setup(db)
    invitation, token = await _invite_external(db, s, datetime.now(UTC) - timedelta(seconds=1))
    await _everything_refused(db, app, s, invitation, token, "expired")


async def test_an_unknown_token_is_not_found_and_the_old_opener_is_gone(db: Database, app: Database) -> None:
    with pytest.raises(NotFound):
        async with app.external_rater("no-such-token") as rater:
            await rater.feedback.get_invitation_by_token("no-such-token")
    async with app.external_rater("no-such-token") as rater:
        assert await raw(rater).value(TQ.organization_of_access_token_exists) is False
