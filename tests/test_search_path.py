"""No temporary table can stand in for one of ours: every function has a fixed search_path.

PostgreSQL looks a name without a schema up on the caller's search_path, and
searches the session's temporary schema first unless the path names it. The
review created a temporary ``feedback_cycles`` as ``ikenei_app`` and so lowered
the anonymity threshold of a form an active cycle used. Here the catalog is
checked (every function of the schema has a search_path ending in pg_temp, or
a body bound at creation), and then every table is shadowed in pg_temp, empty
or filled with what an attacker wants a rule to read, and each rule is tried
and found enforced, with nothing changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from feedback_fixtures import (
    EVERY_PERMISSION,
    Setup,
    answers,
    executor,
    invite_member,
    make_member,
    make_setup,
)
from isolation_support import changed_tables, snapshot
from security_support import TQ, raw

from ikenei import Database
from ikenei.db.database import Repositories
from ikenei.errors import Conflict, IkeneiError, InvalidData
from ikenei.repositories.feedback import Answer


@dataclass(frozen=True, slots=True)
class Name:
    name: str


async def test_every_function_has_a_fixed_search_path_or_a_bound_body(db: Database) -> None:
    assert await executor(db).all(TQ.functions_without_a_fixed_search_path, Name) == []


@dataclass(frozen=True, slots=True)
class World:
    s: Setup  # anonymous form (threshold 4), active cycle with the rater's open invitation
    rater: UUID
    invitation: UUID
    closed_cycle: UUID  # another cycle on the form, closed with the rater's invitation still open
    closed_invitation: UUID


@pytest.fixture
async def world(db: Database) -> World:
    s = await make_setup(db, anonymous=True, threshold=4)
    # The rater holds every permission: only the rule itself, never a missing
    # permission, is what may refuse the attempts below.
    rater = await make_member(db, s.org.id, permissions=EVERY_PERMISSION)
    invitation = await invite_member(db, s, "peer", rater)
    closed = await db.feedback.create_cycle(s.form.id, name="Closed review")
    closed_invitation = await db.feedback.invite(closed.id, target_user_id=s.target.id,
                                                 relationship="peer", rater_user_id=rater.id)
    await db.feedback.activate_cycle(closed.id)
    await db.feedback.close_cycle(closed.id)
    return World(s, rater.id, invitation, closed.id, closed_invitation.invitation.id)


Attempt = Callable[[Repositories, World], Awaitable[Any]]

#: Each rule, tried as the application would break it; what it must raise.
RULES: dict[str, tuple[Attempt, type[IkeneiError]]] = {
    "an active cycle's form keeps its threshold (freeze_privacy_of_used_forms)":
        (lambda r, w: raw(r).execute(
            TQ.set_form_threshold, form_id=w.s.form.id, threshold=3,
        ), Conflict),
    "an active cycle's questions are frozen (freeze_questions_of_used_forms)":
        (lambda r, w: raw(r).execute(
            TQ.rename_question, question_id=w.s.questions[0].id, question_text="Changed",
        ), Conflict),
    "a closed cycle stays closed (guard_status_transition)":
        (lambda r, w: raw(r).execute(
            TQ.set_cycle_status, cycle_id=w.closed_cycle, status="active",
        ), Conflict),
    "a closed cycle takes no answer (submit_feedback)":
        (lambda r, w: r.feedback.submit(w.closed_invitation, answers(w.s, (3, 3, 3))), Conflict),
    "a rating stays on its scale (check_feedback_responses)":
        (lambda r, w: r.feedback.submit(w.invitation, [Answer(q.id, 9) for q in w.s.questions[:3]]),
         InvalidData),
    "an anonymous form's results wait for the close (open_feedback_results)":
        (lambda r, w: r.feedback.results_by_group(w.s.target.id, w.s.cycle.id), Conflict),
}

SHADOWS = {"no shadow": None, "empty shadows": False, "permissive shadows": True}


@pytest.mark.parametrize("shadows", list(SHADOWS), ids=list(SHADOWS))
@pytest.mark.parametrize("rule", list(RULES), ids=list(RULES))
async def test_every_rule_holds_with_every_table_shadowed(
    db: Database, app: Database, world: World, rule: str, shadows: str
) -> None:
    attempt, refusal = RULES[rule]
    before = await snapshot(db)
    with pytest.raises(refusal):
        async with app.organization(world.s.org.id, user_id=world.rater) as org:
            if SHADOWS[shadows] is not None:
                await raw(org).execute(TQ.create_shadow_function)
                made = await raw(org).value(TQ.shadow_every_table, fill=SHADOWS[shadows])
                assert made == await raw(org).value(TQ.shadowed_tables) > 20
            await attempt(org, world)
    assert changed_tables(before, await snapshot(db)) == []


@pytest.mark.parametrize("fill", [False, True], ids=["empty shadows", "permissive shadows"])
async def test_the_audit_trail_is_written_past_a_shadow_audit_log(
    db: Database, app: Database, world: World, fill: bool
) -> None:
    async with app.organization(world.s.org.id, user_id=world.rater) as org:
        await raw(org).execute(TQ.create_shadow_function)
        await raw(org).value(TQ.shadow_every_table, fill=fill)
        shadowed = await raw(org).value(TQ.count_shadow_audit_entries)
        logged = await raw(org).value(TQ.count_audit_entries)
        await raw(org).execute(TQ.count_reminder, invitation_id=world.invitation)
        assert await raw(org).value(TQ.count_audit_entries) == logged + 1
        assert await raw(org).value(TQ.count_shadow_audit_entries) == shadowed
