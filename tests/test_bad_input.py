"""Bad input is refused with ``InvalidData`` naming the field, and nothing is written.

Each test sends one kind of bad value the way a caller of the public API
would, and compares a fingerprint of every table before and after
(``test_gdpr.fingerprints``). Free-text bounds are enforced by the database
(a CHECK per column, migration ``20261204_110300``; ``test_every_free_text_column_is_bounded``
finds a column without one), and for encrypted text by the repository
before encryption.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from feedback_fixtures import (
    FAST_COST,
    answers,
    executor,
    invite_member,
    make_member,
    make_org,
    make_setup,
)
from test_gdpr import fingerprints

from ikenei import Database
from ikenei.db.queries import load
from ikenei.errors import InvalidData
from ikenei.repositories.analytics import Event
from ikenei.repositories.feedback import Answer
from ikenei.repositories.users import UsersRepository
from ikenei.security.free_text import MAX_ENCRYPTED_TEXT

TQ = load(Path(__file__).parent / "sql" / "bounds.sql")

LONE_SURROGATE = "pass\ud800word"
INVISIBLE = ["\u00a0\u00a0", "\u200b", "\u200b\u00a0\u2060\ufeff", "\u3000 \t"]
TEN_MEGABYTES = "x" * 10_000_000


@dataclass(frozen=True, slots=True)
class _Column:
    column_name: str


async def refused(db: Database, field: str, attempt) -> InvalidData:  # type: ignore[no-untyped-def]
    """Runs ``attempt()``; asserts InvalidData naming ``field`` and no table changed."""
    before = await fingerprints(db)
    with pytest.raises(InvalidData) as caught:
        await attempt()
    assert caught.value.field == field, caught.value
    assert await fingerprints(db) == before
    return caught.value


def users(db: Database) -> UsersRepository:
    return UsersRepository(executor(db), bcrypt_cost=FAST_COST)


async def test_a_lone_surrogate_in_a_password_or_a_comment(db):
    async def sign_up():
        await users(db).create(email="s@example.com", password=LONE_SURROGATE, first_name="S", last_name="T")

    await refused(db, "password", sign_up)
    setup = await make_setup(db)
    invitation = await invite_member(db, setup, "peer")
    await refused(db, "comment", lambda: db.feedback.submit(invitation, answers(setup, (3, 3, 3), "bad \udc00 text")))
    org = await make_org(db)
    person = await make_member(db, org.id)
    plan = await db.learning.create_plan(org.id, person.id, title="Plan")
    await refused(db, "notes", lambda: db.learning.record_progress(plan.id, progress_percent=1, notes="\ud83d"))
    await refused(db, "title", lambda: db.learning.create_plan(org.id, person.id, title="Plan \udfff"))


async def test_nul_bytes_in_comments_and_other_text(db):
    setup = await make_setup(db)
    invitation = await invite_member(db, setup, "peer")
    await refused(db, "comment", lambda: db.feedback.submit(invitation, answers(setup, (3, 3, 3), "a\x00b")))
    org = await make_org(db)
    person = await make_member(db, org.id)
    await refused(db, "description", lambda: db.learning.create_plan(
        org.id, person.id, title="Plan", description="one\x00two"))
    await refused(db, "password", lambda: users(db).create(
        email="n@example.com", password="a\x00b", first_name="N", last_name="U"))


async def test_unbounded_free_text_is_bounded(db):
    setup = await make_setup(db)
    invitation = await invite_member(db, setup, "peer")
    too_long = "y" * (MAX_ENCRYPTED_TEXT + 1)
    await refused(db, "comment", lambda: db.feedback.submit(invitation, answers(setup, (3, 3, 3), too_long)))
    await refused(db, "comment", lambda: db.feedback.submit(invitation, answers(setup, (3, 3, 3), TEN_MEGABYTES)))
    org = await make_org(db)
    person = await make_member(db, org.id)
    await refused(db, "description", lambda: db.learning.create_plan(
        org.id, person.id, title="Plan", description=TEN_MEGABYTES))
    await refused(db, "description", lambda: db.competencies.create(org.id, name="C", description=TEN_MEGABYTES))
    plan = await db.learning.create_plan(org.id, person.id, title="Plan")
    await refused(db, "notes", lambda: db.learning.record_progress(plan.id, progress_percent=1, notes=too_long))
    # The longest allowed comment is taken, encrypted and read back whole.
    longest = "z" * MAX_ENCRYPTED_TEXT
    await db.feedback.submit(invitation, answers(setup, (3, 3, 3), longest))


async def test_a_long_actor_is_refused_and_breaks_nothing(db):
    setup = await make_setup(db)

    async def as_long_actor():
        async with db.transaction(actor=TEN_MEGABYTES) as tx:
            await tx.feedback.results_by_group(setup.target.id, setup.cycle.id)

    await refused(db, "actor", as_long_actor)

    async def in_scope():
        async with db.organization(setup.org.id, actor="a" * 201) as tx:
            await tx.feedback.results_by_group(setup.target.id, setup.cycle.id)

    await refused(db, "actor", in_scope)
    # Reads go on as before.
    async with db.transaction(actor="a" * 200) as tx:
        await tx.feedback.results_by_group(setup.target.id, setup.cycle.id)


async def test_naive_datetimes_are_refused(db):
    org = await make_org(db)
    person = await make_member(db, org.id)
    plan = await db.learning.create_plan(org.id, person.id, title="Plan")
    await refused(db, "completed_at", lambda: db.learning.record_progress(
        plan.id, progress_percent=100, completed_at=datetime(2026, 12, 4, 12, 0)))


async def test_a_bad_value_anywhere_in_a_batch_of_events_names_its_field(db):
    """The batch travels as one array per column: a value inside one is checked like a single argument."""
    org = await make_org(db)
    good = Event(org.id, "page.view", session_id="s", occurred_at=datetime(2026, 12, 4, 12, 0, tzinfo=UTC))
    for field, bad in (("occurred_at", replace(good, occurred_at=datetime(2026, 12, 4, 12, 0))),
                       ("session_id", replace(good, session_id="s\x00")),
                       ("event_type", replace(good, event_type=LONE_SURROGATE))):
        await refused(db, field, lambda b=bad: db.analytics.record_events([good, good, b]))


async def test_a_nul_or_a_nan_inside_json_names_its_field(db):
    """JSON travels as text: the check looks inside it, single event and batch alike, and any JSON argument."""
    org = await make_org(db)
    good = Event(org.id, "page.view", properties={"n": 1})
    for bad in ({"path": "a\x00b"}, {"a\x00": 1}, {"score": float("nan")}, {"list": [1, float("inf")]},
                {"deep": {"text": LONE_SURROGATE}}):
        await refused(db, "properties", lambda b=bad: db.analytics.record_event(org.id, "page.view", properties=b))
        await refused(db, "properties", lambda b=bad: db.analytics.record_events([good, replace(good, properties=b)]))
    await refused(db, "properties", lambda: db.analytics.record_events([replace(good, properties={"at": {1, 2}})]))
    # Text that only looks like an escape is text: stored as given.
    await db.analytics.record_events([replace(good, properties={"raw": "\\u0000 \\ud800"})])
    assert [e.properties for e in await db.analytics.list_events(org.id)] == [{"raw": "\\u0000 \\ud800"}]
    person = await make_member(db, org.id)
    await refused(db, "configuration", lambda: db.analytics.add_widget(
        org.id, person.id, "learning_progress", configuration={"label": "a\x00b"}))


async def test_a_competency_weight_that_is_not_a_number(db):
    org = await make_org(db)
    for weight in (float("nan"), float("inf"), Decimal("NaN")):
        await refused(db, "weight", lambda w=weight: db.competencies.create(org.id, name="Listening", weight=w))


async def test_names_of_invisible_characters_only(db):
    org = await make_org(db)
    person = await make_member(db, org.id)
    for blank in INVISIBLE:
        await refused(db, "first_name", lambda b=blank: users(db).create(
            email="i@example.com", password="a long enough secret", first_name=b, last_name="Doe"))
        await refused(db, "last_name", lambda b=blank: users(db).create(
            email="i@example.com", password="a long enough secret", first_name="Jo", last_name=b))
        await refused(db, "name", lambda b=blank: db.competencies.create(org.id, name=b))
        await refused(db, "title", lambda b=blank: db.learning.create_plan(org.id, person.id, title=b))
    # A name with a visible character among them is a name.
    user = await users(db).create(
        email="v@example.com", password="a long enough secret", first_name="\u00a0Zoë\u200b", last_name="Doe"
    )
    assert user.first_name == "\u00a0Zoë\u200b"


async def test_a_rating_must_be_a_number(db):
    setup = await make_setup(db)
    invitation = await invite_member(db, setup, "peer")
    q = setup.questions
    for rating in ("5", 4.5, True):
        await refused(db, "rating", lambda r=rating: db.feedback.submit(
            invitation, [Answer(q[0].id, r), Answer(q[1].id, 3), Answer(q[2].id, 3)]))


async def test_every_free_text_column_is_bounded(db):
    """Each text or JSON column of unbounded type has a length CHECK (the README lists them)."""
    assert await executor(db).all(TQ.list_unbounded_text_columns, _Column) == []
