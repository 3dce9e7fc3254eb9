"""GDPR export and erasure (ikenei.privacy.gdpr, ``ikenei gdpr export|erase``) against a real database.

One person, built through the repositories, holds a bit of everything: two
memberships, a role, competency levels with history, a plan with an objective,
progress with a private note and recommendations, consents, an analytics
event, a widget; feedback received on an anonymous and on a named form; and
feedback given on an anonymous form, on a named form (comments on a rated and
on a text answer) and a pending invitation as an external rater by email.
What the repositories cannot do (search every column of every table for a
text, fingerprint every table, make a deletion fail) is in ``tests/sql/gdpr.sql``.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from feedback_fixtures import (
    FAST_COST,
    Setup,
    add_questions,
    answers,
    executor,
    give_feedback,
    invite_member,
    make_competency,
    make_member,
    make_org,
)
from pii_support import TQ as CRYPTO
from pii_support import StoredComment, cipher

from ikenei import Database
from ikenei.cli import main
from ikenei.db.queries import Executor, Q, load
from ikenei.errors import Conflict, DatabaseError, InvalidData, NotFound
from ikenei.privacy import gdpr
from ikenei.repositories.competencies import LevelSpec
from ikenei.repositories.feedback import Answer
from ikenei.repositories.organizations import Organization
from ikenei.repositories.privacy import subject_reference
from ikenei.repositories.users import User, UsersRepository

TQ = load(Path(__file__).parent / "sql" / "gdpr.sql")

SALT_TEXT = "test-subject-reference-salt-0001"
SALT = SALT_TEXT.encode()
EMAIL = "Zelphine.Quarrington@Example.com"
FIRST, LAST = "Zelphine", "Quarrington"
#: Texts only the person wrote: a comment on a rated answer, a text answer, a private note.
RATED_COMMENT = "zqx-rated-remark-5521"
TEXT_COMMENT = "zqx-text-remark-4412"
NOTE = "zqx-private-note-7731"
#: What the person wrote on an anonymous form: not findable as theirs, it stays.
ANONYMOUS_COMMENT = "Otto explains his plans very clearly"


@dataclass(frozen=True, slots=True)
class World:
    org: Organization
    second_org: Organization
    person: User
    otto: User
    rhea: User
    uma: User
    anon: Setup  # anonymous form, the person rated (by three peers and themselves)
    named: Setup  # named form, the person rated by Rhea as manager
    anon_given: Setup  # anonymous form, Otto rated by the person and two peers
    named_given: Setup  # named form, Otto rated by the person and one peer
    anonymous_raters: list[UUID]
    given_named_responses: list[UUID]
    external_invitation: UUID
    role_id: UUID
    communication: UUID
    plan_id: UUID
    objective_id: UUID
    progress_id: UUID
    plan_recommendation: UUID
    loose_recommendation: UUID
    widget_id: UUID


@dataclass(frozen=True, slots=True)
class _Column:
    column_name: str


@dataclass(frozen=True, slots=True)
class _CommentedAnswer:
    id: UUID
    rating: int | None


@dataclass(frozen=True, slots=True)
class _Fingerprint:
    table_name: str
    row_count: int
    digest: str


async def form_setup(
    db: Database, org: Organization, target: User, communication: UUID, delivery: UUID, *, anonymous: bool
) -> Setup:
    """A form like feedback_fixtures.make_setup's (three ratings, one text question), active, on ``target``."""
    fb = db.feedback
    form = await fb.create_form(
        org.id, title="Named review" if not anonymous else "Anonymous 360", form_type="360",
        is_anonymous=anonymous, anonymity_threshold=3 if anonymous else 2,
    )
    questions = await add_questions(db, form.id, communication, delivery)
    cycle = await fb.activate_cycle((await fb.create_cycle(form.id, name=f"{form.title} cycle")).id)
    return Setup(org, target, communication, delivery, form, questions, cycle)


async def build_world(db: Database) -> World:
    org = await make_org(db)
    second_org = await make_org(db)
    person = await UsersRepository(executor(db), bcrypt_cost=FAST_COST).create(
        email=EMAIL, password="correct horse battery staple", first_name=FIRST, last_name=LAST,
        job_title="Negotiator",
    )
    await db.organizations.add_member(org.id, person.id)
    await db.organizations.add_member(second_org.id, person.id)
    otto = await make_member(db, org.id, "Otto", "Other")
    rhea = await make_member(db, org.id, "Rhea", "Rater")
    uma = await make_member(db, org.id, "Uma", "Else")
    communication = await make_competency(db, org.id, "Communication")
    delivery = await make_competency(db, org.id, "Delivery")

    # Feedback on the person.
    anon = await form_setup(db, org, person, communication, delivery, anonymous=True)
    before = {u.id for u in await db.users.list(limit=1000)}
    for n, ratings in enumerate(((4, 5, 3), (3, 4, 4), (5, 5, 2))):
        await give_feedback(db, anon, "peer", ratings, f"anonymous peer remark {n}")
    anonymous_raters = sorted({u.id for u in await db.users.list(limit=1000)} - before)
    assert len(anonymous_raters) == 3
    await give_feedback(db, anon, "self", (3, 3, 3), "my own view of myself")
    await db.feedback.close_cycle(anon.cycle.id)  # an anonymous form's results wait for the close
    named = await form_setup(db, org, person, communication, delivery, anonymous=False)
    invitation = await invite_member(db, named, "manager", rhea)
    await db.feedback.submit(invitation, answers(named, (4, 4, 5), "Rhea says: well done"))

    # Feedback the person gave.
    anon_given = await form_setup(db, org, otto, communication, delivery, anonymous=True)
    invitation = await invite_member(db, anon_given, "peer", person)
    await db.feedback.submit(invitation, answers(anon_given, (5, 4, 4), ANONYMOUS_COMMENT))
    for ratings in ((2, 3, 4), (3, 3, 3)):
        await give_feedback(db, anon_given, "peer", ratings, "another peer's remark")
    await db.feedback.close_cycle(anon_given.cycle.id)
    named_given = await form_setup(db, org, otto, communication, delivery, anonymous=False)
    invitation = await invite_member(db, named_given, "peer", person)
    q = named_given.questions
    await db.feedback.submit(invitation, [
        Answer(q[0].id, 2, RATED_COMMENT), Answer(q[1].id, 3), Answer(q[2].id, 4),
        Answer(q[3].id, comment=TEXT_COMMENT),
    ])
    given_named_responses = list(await executor(db).value(
        TQ.list_invitation_response_ids, invitation_id=invitation,
    ))
    await give_feedback(db, named_given, "peer", (4, 4, 4), "a named colleague's remark")
    external = await db.feedback.invite(
        named_given.cycle.id, target_user_id=uma.id, relationship="external",
        rater_email=EMAIL.lower(), rater_name=f"{FIRST} {LAST}",
    )

    # The rest of what is theirs.
    role = await db.roles.create(org.id, name="negotiator", permissions=["feedback.respond"])
    await db.roles.assign(org.id, person.id, role.id, granted_by=otto.id)
    await db.competencies.set_proficiency_levels(
        org.id, communication, [LevelSpec(f"Level {n}") for n in range(1, 6)]
    )
    await db.competencies.set_level(
        org.id, person.id, communication, current_level=2, target_level=4, source="self"
    )
    await db.competencies.set_level(
        org.id, person.id, communication, current_level=3, source="manager", set_by=otto.id
    )
    async with db.transaction(actor=str(person.id)) as tx:
        plan = await tx.learning.create_plan(org.id, person.id, title="Grow communication")
        objective = await tx.learning.add_objective(
            org.id, plan.id, title="Listen first", competency_id=communication
        )
        progress = await tx.learning.record_progress(
            plan.id, progress_percent=40, objective_id=objective.id, notes=NOTE
        )
    plan_recommendation = await db.learning.create_recommendation(
        org.id, person.id, title="Practise summarising", score=0.7, plan_id=plan.id
    )
    loose_recommendation = await db.learning.create_recommendation(
        org.id, person.id, title="Join the speaking club", score=0.4
    )
    await db.privacy.grant_consent(person.id, "analytics", "v1")
    await db.privacy.withdraw_consent(person.id, "analytics")
    await db.privacy.grant_consent(person.id, "feedback_processing", "v2")
    await db.analytics.record_event(
        org.id, "plan.viewed", user_id=person.id, session_id="session-zq", properties={"plan": str(plan.id)}
    )
    widget = await db.analytics.add_widget(org.id, person.id, "learning_progress", title="My progress")
    return World(
        org, second_org, person, otto, rhea, uma, anon, named, anon_given, named_given,
        anonymous_raters, given_named_responses, external.invitation.id, role.id, communication,
        plan.id, objective.id, progress.id, plan_recommendation.id, loose_recommendation.id, widget.id,
    )


@pytest.fixture
async def world(db: Database) -> World:
    return await build_world(db)


async def run_export(dsn: str, email: str | None = EMAIL, **options: Any) -> tuple[dict[str, Any], list[str]]:
    lines: list[str] = []
    document = await gdpr.export_async(dsn, email, cipher=cipher(), salt=SALT, out=lines.append, **options)
    return document, lines


async def run_erase(dsn: str, email: str | None = EMAIL, **options: Any) -> tuple[gdpr.Erasure, list[str]]:
    lines: list[str] = []
    erasure = await gdpr.erase_async(dsn, email, cipher=cipher(), salt=SALT, out=lines.append, **options)
    return erasure, lines


async def columns_holding(db: Database, text: str) -> list[str]:
    async with Executor(db._pool).transaction() as x:
        await x.execute(TQ.create_columns_holding_function)
        return [c.column_name for c in await x.all(TQ.columns_holding, _Column, needle=text)]


async def fingerprints(db: Database) -> dict[str, tuple[int, str]]:
    async with Executor(db._pool).transaction() as x:
        await x.execute(TQ.create_table_fingerprints_function)
        return {f.table_name: (f.row_count, f.digest) for f in await x.all(TQ.table_fingerprints, _Fingerprint)}


def plain(value: Any) -> Any:
    """Records as the export writes them: JSON types only."""
    return json.loads(json.dumps(value, default=str))


def as_written(records: list[Any]) -> list[Any]:
    def number(value: Any) -> Any:
        return float(value) if type(value).__name__ == "Decimal" else value

    return plain([{k: number(v) for k, v in dataclasses.asdict(r).items()} for r in records])


# -- export ---------------------------------------------------------------------------


async def test_export_holds_every_section(db, fresh_dsn, world):
    doc, lines = await run_export(fresh_dsn, f"  {EMAIL.upper()} ")
    assert json.loads(lines[0]) == doc  # the document went to ``out`` as JSON text
    assert doc["format"] == gdpr.FORMAT
    p = world.person

    [account] = doc["accounts"]
    assert (account["id"], account["email"], account["first_name"], account["last_name"]) == (
        str(p.id), EMAIL, FIRST, LAST
    )
    assert account["job_title"] == "Negotiator"
    assert "password_hash" not in account and all("$2" not in str(v) for v in account.values())

    assert {m["organization_id"] for m in doc["memberships"]} == {str(world.org.id), str(world.second_org.id)}
    assert [(r["role_id"], r["role"], r["granted_by"]) for r in doc["roles"]] == [
        (str(world.role_id), "negotiator", str(world.otto.id))
    ]

    [level] = doc["competencies"]
    assert (level["competency_id"], level["competency_name"], level["current_level"], level["target_level"]) == (
        str(world.communication), "Communication", 3, 4
    )
    assert [(h["current_level"], h["source"]) for h in level["history"]] == [(2, "self"), (3, "manager")]

    [plan] = doc["learning_plans"]
    assert plan["id"] == str(world.plan_id)
    assert [o["id"] for o in plan["objectives"]] == [str(world.objective_id)]
    assert [(e["id"], e["notes"], e["progress_percent"]) for e in plan["progress"]] == [
        (str(world.progress_id), NOTE, 40)
    ]
    assert "notes_ciphertext" not in plan["progress"][0]
    assert [r["id"] for r in plan["recommendations"]] == [str(world.plan_recommendation)]
    assert [r["id"] for r in doc["recommendations_without_plan"]] == [str(world.loose_recommendation)]

    consents = await db.privacy.list_consents(p.id)
    assert sorted((c["purpose"], c["consent_version"], c["withdrawn_at"] is None) for c in doc["consents"]) == sorted(
        (c.purpose, c.consent_version, c.withdrawn_at is None) for c in consents
    )
    assert [(e["event_type"], e["session_id"], e["properties"]) for e in doc["analytics_events"]] == [
        ("plan.viewed", "session-zq", {"plan": str(world.plan_id)})
    ]
    assert [w["id"] for w in doc["dashboard_widgets"]] == [str(world.widget_id)]


async def test_export_of_feedback_received_shows_named_answers_and_anonymous_results(db, fresh_dsn, world):
    doc, _ = await run_export(fresh_dsn)
    received = {c["cycle_id"]: c for c in doc["feedback_received"]}
    assert set(received) == {str(world.anon.cycle.id), str(world.named.cycle.id)}

    named = received[str(world.named.cycle.id)]
    assert named["anonymous"] is False
    assert {(a["rater_name"], a["relationship"], a["question_text"], a["rating"], a["comment"])
            for a in named["answers"]} == {
        ("Rhea Rater", "manager", "Explains clearly", 4, None),
        ("Rhea Rater", "manager", "Listens well", 4, None),
        ("Rhea Rater", "manager", "Ships on time", 5, None),
        ("Rhea Rater", "manager", "Anything else?", None, "Rhea says: well done"),
    }
    assert [(i["rater_user_id"], i["status"]) for i in named["invitations"]] == [(str(world.rhea.id), "completed")]

    anon = received[str(world.anon.cycle.id)]
    assert anon["anonymous"] is True
    assert anon["answers"] is None and anon["invitations"] is None
    person, cycle = world.person.id, world.anon.cycle.id
    assert anon["results"] == as_written(await db.feedback.results_by_group(person, cycle))
    assert anon["comments"] == as_written(await db.feedback.comments(person, cycle))
    assert {c["comment"] for c in anon["comments"]} == {
        "anonymous peer remark 0", "anonymous peer remark 1", "anonymous peer remark 2",
        "my own view of myself",
    }
    assert named["results"] == as_written(await db.feedback.results_by_group(person, world.named.cycle.id))
    assert "comments" not in named  # its answers carry them, with their rater


async def test_export_names_no_rater_of_an_anonymous_form(db, fresh_dsn, world):
    doc, _ = await run_export(fresh_dsn)
    text = json.dumps(doc)
    for rater_id in world.anonymous_raters:
        rater = await db.users.get(rater_id)
        for trace in (str(rater.id), rater.email, rater.last_name):
            assert trace not in text
    for invitation in await db.feedback.list_cycle_invitations(world.anon.cycle.id):
        if invitation.relationship != "self":
            assert str(invitation.id) not in text
    # Nor does it claim the person's own anonymous answers as theirs.
    assert ANONYMOUS_COMMENT not in text


async def test_export_of_feedback_given(db, fresh_dsn, world):
    doc, _ = await run_export(fresh_dsn)
    given = {(g["cycle_id"], g["target_user_id"]): g for g in doc["feedback_given"]}
    assert set(given) == {
        (str(world.anon_given.cycle.id), str(world.otto.id)),
        (str(world.named_given.cycle.id), str(world.otto.id)),
        (str(world.named_given.cycle.id), str(world.uma.id)),
    }
    anonymous = given[(str(world.anon_given.cycle.id), str(world.otto.id))]
    assert (anonymous["anonymous"], anonymous["status"], anonymous["answers"]) == (True, "completed", None)
    named = given[(str(world.named_given.cycle.id), str(world.otto.id))]
    assert named["target_name"] == "Otto Other"
    assert [(a["question_text"], a["rating"], a["comment"]) for a in named["answers"]] == [
        ("Explains clearly", 2, RATED_COMMENT), ("Listens well", 3, None), ("Ships on time", 4, None),
        ("Anything else?", None, TEXT_COMMENT),
    ]
    external = given[(str(world.named_given.cycle.id), str(world.uma.id))]
    assert (external["invitation_id"], external["relationship"], external["status"], external["rater_email"]) == (
        str(world.external_invitation), "external", "pending", EMAIL.lower()
    )


async def test_export_is_logged_without_the_email(db, fresh_dsn, world):
    before = await db.privacy.list_processing(operation="export")
    doc, _ = await run_export(fresh_dsn)
    [entry] = await db.privacy.list_processing(operation="export")
    assert before == []
    assert (entry.subject_user_id, entry.subject_reference, entry.actor) == (
        world.person.id, subject_reference(EMAIL, SALT), gdpr.ACTOR
    )
    assert entry.details["rows"]["feedback_received"] == len(doc["feedback_received"]) == 2
    reads = await db.privacy.list_access(subject_user_id=world.person.id, actor=gdpr.ACTOR)
    assert "gdpr.export" in {r.what for r in reads}
    for text in (EMAIL, FIRST, LAST):
        assert not [c for c in await columns_holding(db, text) if c.split(".")[0].endswith("_log")]
    # A second export lists the first.
    again, _ = await run_export(fresh_dsn)
    assert [(e["operation"], e["subject_user_id"]) for e in again["processing"]] == [("export", str(world.person.id))]


async def test_export_of_an_unknown_email_is_not_found_and_changes_nothing(db, fresh_dsn, world):
    before = await fingerprints(db)
    with pytest.raises(NotFound, match="nobody@example.com"):
        await run_export(fresh_dsn, "nobody@example.com")
    with pytest.raises(InvalidData) as refused:
        await run_export(fresh_dsn, "   ")
    assert refused.value.field == "email"
    assert await fingerprints(db) == before


async def test_export_to_a_file_never_overwrites(db, fresh_dsn, world, tmp_path):
    target = tmp_path / "export.json"
    doc, lines = await run_export(fresh_dsn, output=target)
    assert json.loads(target.read_text(encoding="utf-8")) == doc
    assert target.stat().st_mode & 0o777 == 0o600
    assert len(lines) == 1 and str(target) in lines[0] and not lines[0].startswith("{")
    written = target.read_bytes()
    exports = len(await db.privacy.list_processing(operation="export"))
    with pytest.raises(InvalidData, match="already exists") as refused:
        await run_export(fresh_dsn, output=target)
    assert refused.value.field == "output"
    assert target.read_bytes() == written
    # Refused before reading anything: no second export is recorded.
    assert len(await db.privacy.list_processing(operation="export")) == exports
    # An export that fails leaves no file behind.
    missing = tmp_path / "nobody.json"
    with pytest.raises(NotFound):
        await run_export(fresh_dsn, "nobody@example.com", output=missing)
    assert not missing.exists()


# -- the command ----------------------------------------------------------------------


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fresh_dsn: str) -> Path:
    """The environment `ikenei` reads: the test database, the salt; no .env from elsewhere."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", fresh_dsn)
    monkeypatch.setenv("SUBJECT_REFERENCE_SALT", SALT_TEXT)
    for name in ("DB_HOST", "DB_APP_ROLE"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


async def ikenei(*words: str) -> int:
    # main() runs its own event loop: off this one.
    return await asyncio.to_thread(main, list(words))


async def test_cli_export_to_stdout_and_to_a_file(db, world, configured, capsys):
    assert await ikenei("gdpr", "export", "--email", EMAIL) == 0
    shown = capsys.readouterr()
    doc = json.loads(shown.out)
    assert doc["accounts"][0]["email"] == EMAIL and shown.err == ""

    target = configured / "zq.json"
    assert await ikenei("gdpr", "export", "--email", EMAIL, "--output", str(target)) == 0
    shown = capsys.readouterr()
    written = json.loads(target.read_text(encoding="utf-8"))
    assert {k: v for k, v in written.items() if k not in ("exported_at", "processing", "data_access")} == {
        k: v for k, v in doc.items() if k not in ("exported_at", "processing", "data_access")
    }
    assert shown.out.count("\n") == 1 and str(target) in shown.out

    assert await ikenei("gdpr", "export", "--email", EMAIL, "--output", str(target)) == 1
    shown = capsys.readouterr()
    assert shown.err.startswith("error: invalid output:") and shown.err.count("\n") == 1


async def test_cli_export_of_an_unknown_email_is_one_line(db, world, configured, capsys):
    assert await ikenei("gdpr", "export", "--email", "nobody@example.com") == 1
    shown = capsys.readouterr()
    assert shown.out == ""
    assert shown.err == "error: person with email nobody@example.com not found\n"


async def test_cli_erase_needs_a_confirmation(db, world, configured, capsys, monkeypatch):
    before = await fingerprints(db)
    # Without a terminal and without --yes: refused, nothing touched.
    monkeypatch.setattr(sys, "stdin", io.StringIO(EMAIL + "\n"))
    assert await ikenei("gdpr", "erase", "--email", EMAIL) == 2
    assert "--yes" in capsys.readouterr().err
    # On a terminal, a confirmation that does not match erases nothing.
    monkeypatch.setattr(sys, "stdin", _Terminal("someone.else@example.com\n"))
    assert await ikenei("gdpr", "erase", "--email", EMAIL) == 1
    assert "did not match" in capsys.readouterr().err
    assert await fingerprints(db) == before
    # Retyping the email confirms.
    monkeypatch.setattr(sys, "stdin", _Terminal(EMAIL.lower() + "\n"))
    assert await ikenei("gdpr", "erase", "--email", EMAIL) == 0
    assert "erased the data of" in capsys.readouterr().out
    with pytest.raises(NotFound):
        await db.users.get(world.person.id)


async def test_cli_erase_with_yes_then_again(db, world, configured, capsys):
    assert await ikenei("gdpr", "erase", "--email", EMAIL, "--yes") == 0
    assert "accounts: 1" in capsys.readouterr().out
    assert await ikenei("gdpr", "erase", "--email", EMAIL, "--yes") == 0
    assert "nothing to erase" in capsys.readouterr().out
    assert await ikenei("gdpr", "erase", "--email", "nobody@example.com", "--yes") == 1
    assert capsys.readouterr().err == "error: person with email nobody@example.com not found\n"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


# -- erasure --------------------------------------------------------------------------


async def test_erasure_leaves_no_trace_of_the_person(db, fresh_dsn, world):
    # Their name, email and words are gone (their id too: see test_erasure.py).
    assert await columns_holding(db, NOTE) == []  # encrypted: never readable as stored
    assert "users.email" in await columns_holding(db, EMAIL)
    erasure, lines = await run_erase(fresh_dsn, f" {EMAIL.upper()}  ")
    assert erasure.accounts == 1 and erasure.already_erased_at is None
    assert erasure.rows["comments_removed"] == 2  # the rated answer's comment and the text answer
    assert erasure.rows["external_invitations"] == 1
    assert lines[-1].startswith("erased the data of")
    for text in (EMAIL, FIRST, LAST, RATED_COMMENT, TEXT_COMMENT, NOTE, "session-zq"):
        assert await columns_holding(db, text) == [], text
    # Decrypted, the comments on Otto no longer hold theirs.
    remaining = {c.comment for c in await db.feedback.comments(world.otto.id, world.named_given.cycle.id)}
    assert remaining == {"a named colleague's remark"}
    with pytest.raises(NotFound):
        await db.users.get(world.person.id)
    with pytest.raises(NotFound):  # with it the progress entry and its note
        await db.learning.get_plan(world.plan_id)
    # Colleagues stay.
    assert (await db.users.get(world.otto.id)).last_name == "Other"


async def test_erasure_removes_comments_but_keeps_ratings_given_on_named_forms(db, fresh_dsn, world):
    otto, cycle = world.otto.id, world.named_given.cycle.id
    results = await db.feedback.results_by_group(otto, cycle)
    await run_erase(fresh_dsn)
    assert await db.feedback.results_by_group(otto, cycle) == results
    counts = await executor(db).value(
        TQ.count_comments_of_response_rows, response_ids=world.given_named_responses,
    )
    # The text-only answer is gone, the three rated answers stay without a comment.
    assert counts == {"answers": 3, "with_comment": 0}


async def test_erasing_a_rater_keeps_anonymous_aggregates(db, fresh_dsn, world):
    otto, cycle = world.otto.id, world.anon_given.cycle.id
    results = await db.feedback.results_by_group(otto, cycle)
    analysis = await db.feedback.analyze(otto, cycle)
    comments = await db.feedback.comments(otto, cycle)
    assert any(r.rater_group == "peer" and r.submission_count == 3 for r in results)
    await run_erase(fresh_dsn)
    assert await db.feedback.results_by_group(otto, cycle) == results
    assert await db.feedback.analyze(otto, cycle) == analysis
    # Their anonymous comment was never linked to them: it stays, as anonymous feedback to Otto.
    assert await db.feedback.comments(otto, cycle) == comments
    assert ANONYMOUS_COMMENT in {c.comment for c in comments}


async def test_erasure_is_logged_with_a_reference_not_the_email(db, fresh_dsn, world):
    erasure, _ = await run_erase(fresh_dsn)
    [entry] = await db.privacy.list_processing(operation="erasure")
    # The id is gone with everything else: the salted reference is the proof.
    assert (entry.subject_user_id, entry.subject_reference, entry.actor) == (
        None, subject_reference(EMAIL, SALT), gdpr.ACTOR
    )
    assert entry.details["rows"] == erasure.rows and erasure.rows["accounts"] == 1
    assert erasure.rows["answers_received"] > 0 and erasure.rows["learning_progress"] == 1
    for text in (EMAIL, FIRST, LAST):
        assert await columns_holding(db, text) == []


async def test_erasing_twice_is_harmless(db, fresh_dsn, world):
    untouched = await fingerprints(db)
    await run_erase(fresh_dsn)
    [first] = await db.privacy.list_processing(operation="erasure")
    before = await fingerprints(db)
    again, lines = await run_erase(fresh_dsn, EMAIL.lower())
    assert again.already_erased_at == first.occurred_at
    assert (again.accounts, again.rows) == (0, {})
    assert lines == [lines[0]] and lines[0].startswith("nothing to erase")
    assert await fingerprints(db) == before != untouched  # (the fingerprints do see a change)


async def test_erasing_an_unknown_email_changes_nothing(db, fresh_dsn, world):
    before = await fingerprints(db)
    with pytest.raises(NotFound) as refused:
        await run_erase(fresh_dsn, "nobody@example.com")
    assert str(refused.value) == "person with email nobody@example.com not found"
    with pytest.raises(InvalidData):
        await run_erase(fresh_dsn, "not an email")
    assert await fingerprints(db) == before


async def test_an_erasure_that_fails_half_way_changes_nothing(db, fresh_dsn, world):
    await executor(db).execute(TQ.make_user_deletion_fail)
    before = await fingerprints(db)
    with pytest.raises(DatabaseError, match="deleting users row"):
        await run_erase(fresh_dsn)
    assert await fingerprints(db) == before
    assert (await db.users.get(world.person.id)).email == EMAIL


async def test_an_external_rater_without_an_account_can_be_erased(db, fresh_dsn, world):
    org = world.org
    outsider = "Outside.Person@partner.example"
    created = await db.feedback.invite(
        world.named_given.cycle.id, target_user_id=world.rhea.id, relationship="external",
        rater_email=outsider, rater_name="Outside Person",
    )
    await db.feedback.submit(
        created.invitation.id, answers(world.named_given, (3, 3, 3), "an outsider's words"),
        token=created.access_token,
    )
    doc, _ = await run_export(fresh_dsn, outsider)
    assert doc["accounts"] == [] and len(doc["feedback_given"]) == 1
    assert doc["feedback_given"][0]["answers"][-1]["comment"] == "an outsider's words"
    erasure, _ = await run_erase(fresh_dsn, outsider.lower())
    assert (erasure.accounts, erasure.rows["external_invitations"], erasure.rows["comments_removed"]) == (0, 1, 1)
    for text in (outsider, "Outside Person", "an outsider's words"):
        assert await columns_holding(db, text) == []
    remaining = {c.comment for c in await db.feedback.comments(world.rhea.id, world.named_given.cycle.id)}
    assert "an outsider's words" not in remaining
    [entry] = await db.privacy.list_processing(operation="erasure")
    assert (entry.subject_user_id, entry.subject_reference) == (None, subject_reference(outsider, SALT))
    assert org.id  # the organization and the person rated stay
    assert (await db.users.get(world.rhea.id)).first_name == "Rhea"


def test_the_salt_is_required_beside_the_embedded_server():
    from ikenei.config.settings import load_settings
    from ikenei.errors import ConfigError

    settings = load_settings(database_url="postgresql://postgres@db.example/x", subject_reference_salt=None)
    with pytest.raises(ConfigError, match="SUBJECT_REFERENCE_SALT"):
        gdpr.reference_salt(settings)
    given = load_settings(database_url="postgresql://postgres@db.example/x", subject_reference_salt=SALT_TEXT)
    assert gdpr.reference_salt(given) == SALT


async def test_only_an_erasure_may_remove_a_submitted_comment(db, world):
    """The migration's switch: with ikenei.erasure on, a comment may be removed, nothing else."""
    rated, text_only = await executor(db).all(
        TQ.list_commented_answers, _CommentedAnswer, response_ids=world.given_named_responses
    )
    assert rated.rating is not None and text_only.rating is None
    response_id = rated.id
    with pytest.raises(Conflict):
        await executor(db).execute(
            CRYPTO.update_stored_comment, response_id=response_id, comment=None, ciphertext=None,
            key_id=None,
        )
    async with Executor(db._pool).transaction() as x:
        await x.value(Q.enable_gdpr_erasure)
        with pytest.raises(Conflict):  # writing another comment stays refused
            async with x.transaction() as attempt:
                await attempt.execute(
                    CRYPTO.update_stored_comment, response_id=response_id, comment="new words",
                    ciphertext=None, key_id=None,
                )
        await x.execute(
            CRYPTO.update_stored_comment, response_id=response_id, comment=None, ciphertext=None,
            key_id=None,
        )
    cleared = await executor(db).one(
        CRYPTO.get_stored_comment, StoredComment, response_id=response_id,
    )
    assert cleared == StoredComment(response_id, None, None, None)
    # The switch ended with its transaction.
    async with Executor(db._pool).transaction() as x:
        assert await x.value(Q.enable_gdpr_erasure) == "on"
    with pytest.raises(Conflict):
        await executor(db).execute(
            CRYPTO.update_stored_comment, response_id=text_only.id, comment=None, ciphertext=None,
            key_id=None,
        )
