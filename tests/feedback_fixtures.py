"""Builds the data the feedback tests need, through the repositories.

What the repositories deliberately cannot do (count raw rows, read a stored
token digest, make a competency without the competencies module) are test-only
queries in ``tests/sql/feedback.sql``, run on the same pool.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from foundation_support import EVERY_PERMISSION, FAST_COST, executor, make_member, make_org

from ikenei import Database
from ikenei.db.queries import load
from ikenei.repositories.feedback import Answer, Cycle, Form, Question
from ikenei.repositories.organizations import Organization
from ikenei.repositories.users import User

# The people and organizations come from foundation_support; the feedback
# tests take them from here with the rest.
__all__ = ["FAST_COST", "executor", "make_member", "make_org"]

TQ = load(Path(__file__).parent / "sql" / "feedback.sql")

_numbers = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Counts:
    responses: int
    ratings: int
    completed: int


@dataclass(frozen=True, slots=True)
class StoredLink:
    kind: str
    invitation_id: UUID | None
    created_at: Any


@dataclass(frozen=True, slots=True)
class StoredRating:
    competency_id: UUID
    relationship: str
    rating: Any
    answer_count: int


async def counts(db: Database) -> Counts:
    found = await executor(db).one(TQ.count_feedback_rows, Counts)
    assert found is not None
    return found


async def make_competency(db: Database, organization_id: UUID, name: str) -> UUID:
    return await executor(db).value(
        TQ.insert_test_competency, organization_id=organization_id, name=name,
    )


@dataclass(frozen=True, slots=True)
class Setup:
    """An organization, a person to give feedback on, a form and a cycle on it.

    The form asks three rating questions on a 1-5 scale (two on
    Communication, one on Delivery) and one optional free-text question.
    """

    org: Organization
    target: User
    communication: UUID
    delivery: UUID
    form: Form
    questions: list[Question]
    cycle: Cycle


async def make_setup(
    db: Database, *, anonymous: bool = False, threshold: int = 3, activate: bool = True
) -> Setup:
    org = await make_org(db)
    # The person rated also runs the organization here (these tests are about
    # the feedback process and anonymity; permissions are test_permissions'):
    # acting as them, the application may do and read everything.
    target = await make_member(db, org.id, "Tess", "Target", permissions=EVERY_PERMISSION)
    communication = await make_competency(db, org.id, "Communication")
    delivery = await make_competency(db, org.id, "Delivery")
    fb = db.feedback
    form = await fb.create_form(
        org.id, title="Annual 360", form_type="360", is_anonymous=anonymous, anonymity_threshold=threshold
    )
    questions = await add_questions(db, form.id, communication, delivery)
    cycle = await fb.create_cycle(form.id, name="Spring review")
    if activate:
        cycle = await fb.activate_cycle(cycle.id)
    return Setup(org, target, communication, delivery, form, questions, cycle)


async def add_questions(db: Database, form_id: UUID, communication: UUID, delivery: UUID) -> list[Question]:
    """The setup's questions on a form: three 1-5 ratings (two on ``communication``,
    one on ``delivery``) and one optional free-text question, in that order."""
    fb = db.feedback
    return [
        await fb.add_question(form_id, question_text="Explains clearly", competency_id=communication),
        await fb.add_question(form_id, question_text="Listens well", competency_id=communication),
        await fb.add_question(form_id, question_text="Ships on time", competency_id=delivery),
        await fb.add_question(
            form_id, question_text="Anything else?", question_type="text", is_required=False
        ),
    ]


def answers(setup: Setup, ratings: tuple[int, int, int], comment: str | None = None) -> list[Answer]:
    """Answers to the setup's form: three ratings, and the comment if any."""
    q = setup.questions
    given = [Answer(q[0].id, ratings[0]), Answer(q[1].id, ratings[1]), Answer(q[2].id, ratings[2])]
    if comment is not None:
        given.append(Answer(q[3].id, comment=comment))
    return given


async def invite_member(db: Database, setup: Setup, relationship: str, rater: User | None = None) -> UUID:
    """Invites a new member (the target for ``self``) to rate the target; the invitation id."""
    if rater is None:
        rater = setup.target if relationship == "self" else await make_member(db, setup.org.id)
    created = await db.feedback.invite(
        setup.cycle.id, target_user_id=setup.target.id, relationship=relationship, rater_user_id=rater.id
    )
    return created.invitation.id


async def give_feedback(
    db: Database, setup: Setup, relationship: str, ratings: tuple[int, int, int], comment: str | None = None
) -> UUID:
    """A new rater of this relationship answers the whole form; the submission id."""
    if relationship == "external":
        n = next(_numbers)
        created = await db.feedback.invite(
            setup.cycle.id, target_user_id=setup.target.id, relationship="external",
            rater_email=f"outside{n}@partner.example", rater_name=f"Outside {n}",
        )
        return await db.feedback.submit(
            created.invitation.id, answers(setup, ratings, comment), token=created.access_token
        )
    invitation_id = await invite_member(db, setup, relationship)
    return await db.feedback.submit(invitation_id, answers(setup, ratings, comment))
