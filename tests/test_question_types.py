"""Question types: single and multiple choice with options as rows, a 0-10 NPS scale, per-question weights.

The database checks each answer's shape for its question's type, and the
results aggregate each type under the anonymity threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from feedback_fixtures import Setup, invite_member, make_setup
from process_support import digest
from security_support import app_database
from statement_counter import count_statements

from ikenei import Database
from ikenei.errors import AlreadyExists, Conflict, InvalidData
from ikenei.repositories.feedback import Answer, Question, QuestionOption


@dataclass(frozen=True, slots=True)
class Typed:
    s: Setup
    single: Question
    multiple: Question
    nps: Question
    single_options: list[QuestionOption]
    multiple_options: list[QuestionOption]


async def _typed(db: Database, **setup) -> Typed:
    s = await make_setup(db, activate=False, **setup)
    fb = db.feedback
    single = await fb.add_question(s.form.id, question_text="Best at?", question_type="single_choice")
    multiple = await fb.add_question(s.form.id, question_text="Strengths?", question_type="multiple_choice")
    nps = await fb.add_question(s.form.id, question_text="Recommend as a lead?", question_type="nps")
    single_options = await fb.set_options(single.id, ["Planning", "Coaching", "Delivery"])
    multiple_options = await fb.set_options(multiple.id, ["Calm", "Curious", "Clear"])
    cycle = await fb.activate_cycle(s.cycle.id)
    return Typed(replace(s, cycle=cycle), single, multiple, nps, single_options, multiple_options)


def _answers(t: Typed, single: int, multiple: tuple[int, ...], nps: int, rating: int = 4) -> list[Answer]:
    q = t.s.questions
    return [
        Answer(q[0].id, rating), Answer(q[1].id, rating), Answer(q[2].id, rating),
        Answer(t.single.id, option_ids=(t.single_options[single].id,)),
        Answer(t.multiple.id, option_ids=tuple(t.multiple_options[i].id for i in multiple)),
        Answer(t.nps.id, nps),
    ]


async def _give(db: Database, t: Typed, relationship: str, *answer) -> None:
    invitation = await invite_member(db, t.s, relationship)
    await db.feedback.submit(invitation, _answers(t, *answer))


async def test_questions_of_every_type_and_their_options(db: Database) -> None:
    t = await _typed(db)
    assert (t.nps.scale_min, t.nps.scale_max, t.nps.competency_id, t.nps.weight) == (0, 10, None, Decimal(1))
    assert [o.label for o in t.single_options] == ["Planning", "Coaching", "Delivery"]
    assert [o.position for o in t.multiple_options] == [1, 2, 3]
    options = await db.feedback.list_options(t.s.form.id)
    assert [o.id for o in options] == [o.id for o in t.single_options + t.multiple_options]


async def test_schema_refusals_name_the_field_and_change_nothing(db: Database) -> None:
    s = await make_setup(db, activate=False)
    fb = db.feedback
    single = await fb.add_question(s.form.id, question_text="Pick one", question_type="single_choice")
    await fb.set_options(single.id, ["Yes", "No"])
    before = await digest(db)
    with pytest.raises(InvalidData) as refused:
        await fb.add_question(s.form.id, question_text="NPS", question_type="nps", competency_id=s.communication)
    assert refused.value.field == "scale"
    with pytest.raises(InvalidData) as refused:
        await fb.add_question(s.form.id, question_text="Heavy", competency_id=s.delivery, weight=Decimal(0))
    assert refused.value.field == "weight"
    with pytest.raises(InvalidData) as refused:
        await fb.set_options(s.questions[0].id, ["A", "B"])
    assert refused.value.field == "question_id"
    with pytest.raises(AlreadyExists) as taken:
        await fb.set_options(single.id, ["Yes", "yes"])
    assert taken.value.field == "label"
    with pytest.raises(InvalidData) as refused:
        await fb.set_options(single.id, ["Yes", " "])
    assert refused.value.field == "label"
    with pytest.raises(InvalidData) as refused:
        await fb.update_question(replace(single, question_type="text"))
    assert refused.value.field == "question_type"
    assert [o.label for o in await fb.list_options(s.form.id)] == ["Yes", "No"]
    await fb.activate_cycle(s.cycle.id)
    with pytest.raises(Conflict) as refused:
        await fb.set_options(single.id, ["Maybe"])
    assert refused.value.current == "active"
    assert await digest(db) == before


async def test_an_answer_of_the_wrong_shape_is_refused_whole(db: Database) -> None:
    t = await _typed(db)
    other = await _typed(db)
    invitation = await invite_member(db, t.s, "peer")
    good = _answers(t, 0, (0, 1), 9)

    def swap(question: Question, answer: Answer) -> list[Answer]:
        return [answer if a.question_id == question.id else a for a in good]

    wrong = [
        (swap(t.single, Answer(t.single.id, option_ids=(t.single_options[0].id, t.single_options[1].id))),
         "option_ids"),
        (swap(t.single, Answer(t.single.id, 2)), "rating"),
        (swap(t.single, Answer(t.single.id, option_ids=(other.single_options[0].id,))), "option_ids"),
        (swap(t.single, Answer(t.single.id, option_ids=(t.multiple_options[0].id,))), "option_ids"),
        (swap(t.multiple, Answer(t.multiple.id, option_ids=(t.multiple_options[0].id,) * 2)), "option_ids"),
        (swap(t.nps, Answer(t.nps.id, 11)), "rating"),
        (swap(t.nps, Answer(t.nps.id, 5, option_ids=(t.single_options[0].id,))), "option_ids"),
        (swap(t.single, Answer(t.single.id)), "answers"),  # a required question left unanswered
        (swap(t.s.questions[0], Answer(t.s.questions[0].id, 3, option_ids=(t.single_options[0].id,))),
         "option_ids"),
    ]
    before = await digest(db)
    for answers, field in wrong:
        with pytest.raises(InvalidData) as refused:
            await db.feedback.submit(invitation, answers)
        assert refused.value.field == field, answers
    assert await digest(db) == before
    await db.feedback.submit(invitation, good)
    assert await digest(db) != before


async def test_results_aggregate_each_type_under_the_threshold(db: Database) -> None:
    t = await _typed(db, threshold=3)
    fb = db.feedback
    await _give(db, t, "self", 2, (2,), 10)
    # Two peers: below the threshold of 3, nothing shows.
    await _give(db, t, "peer", 0, (0, 1), 9)
    await _give(db, t, "peer", 0, (1,), 10)
    for result in await fb.question_results(t.s.target.id, t.s.cycle.id):
        assert (result.answer_count, result.average_rating, result.nps_score) == (0, None, None), result
        assert {c.count for c in result.distribution} <= {0}, result
    await _give(db, t, "peer", 1, (1, 2), 3)
    results = {r.question_id: r for r in await fb.question_results(t.s.target.id, t.s.cycle.id)}
    assert set(results) == {q.id for q in t.s.questions[:3]} | {t.single.id, t.multiple.id, t.nps.id}
    single, multiple, nps = results[t.single.id], results[t.multiple.id], results[t.nps.id]
    assert single.answer_count == 3
    assert [(c.label, c.count) for c in single.distribution] == [("Planning", 2), ("Coaching", 1), ("Delivery", 0)]
    assert [(c.label, c.count) for c in multiple.distribution] == [("Calm", 1), ("Curious", 3), ("Clear", 1)]
    assert [(c.label, c.count) for c in nps.distribution] == [("detractors", 1), ("passives", 0), ("promoters", 2)]
    assert nps.average_rating == Decimal("7.33")
    assert nps.nps_score == Decimal("33.3")  # (2 - 1) / 3

    # A manager alone is a group of one: folded into "others", which stays too
    # small, so the two reads before and after their answer are the same.
    before = await fb.question_results(t.s.target.id, t.s.cycle.id)
    await _give(db, t, "manager", 2, (2,), 0)
    assert await fb.question_results(t.s.target.id, t.s.cycle.id) == before
    # A second outsider (threshold - 1 in "others") still changes nothing.
    await _give(db, t, "direct_report", 2, (2,), 0)
    assert await fb.question_results(t.s.target.id, t.s.cycle.id) == before
    # The third makes "others" big enough: now it shows, as a group of three.
    await _give(db, t, "manager", 2, (2,), 0)
    after = {r.question_id: r for r in await fb.question_results(t.s.target.id, t.s.cycle.id)}
    assert after[t.single.id].answer_count == 6
    assert [c.count for c in after[t.single.id].distribution] == [2, 1, 3]


async def test_question_results_are_one_statement(db: Database) -> None:
    t = await _typed(db, threshold=1)
    await _give(db, t, "peer", 0, (0,), 7)
    async with count_statements(db) as (tx, sent):
        results = await tx.feedback.question_results(t.s.target.id, t.s.cycle.id)
    assert sent.count == 1, sent.statements
    assert len(results) == 6
    # NPS answers are not competency scores: the seed's analysis is unchanged by them.
    assert {a.competency_id for a in await db.feedback.analyze(t.s.target.id, t.s.cycle.id)} == {
        t.s.communication, t.s.delivery}
    assert await db.feedback.question_results(t.s.target.id, uuid4()) == []
    assert all(isinstance(r.question_id, UUID) for r in results)


async def test_results_of_an_anonymous_form_wait_for_the_close(db: Database) -> None:
    t = await _typed(db, anonymous=True, threshold=3)
    for _ in range(3):
        await _give(db, t, "peer", 0, (0,), 9)
    for read in (db.feedback.question_results, db.results.weighted_score):
        with pytest.raises(Conflict) as refused:
            await read(t.s.target.id, t.s.cycle.id)
        assert refused.value.current == "active"
    await db.feedback.close_cycle(t.s.cycle.id)
    results = {r.question_id: r for r in await db.feedback.question_results(t.s.target.id, t.s.cycle.id)}
    assert results[t.nps.id].nps_score == Decimal("100.0")
    assert (await db.results.weighted_score(t.s.target.id, t.s.cycle.id)).overall_score is not None


async def test_an_external_rater_reads_the_options_through_their_token_and_answers(fresh_dsn: str, db: Database) -> None:
    t = await _typed(db)
    created = await db.feedback.invite(t.s.cycle.id, target_user_id=t.s.target.id, relationship="external",
                                       rater_email="client@partner.example")
    token = created.access_token
    assert token is not None
    app = await app_database(fresh_dsn)
    try:
        async with app.external_rater(token) as rater:
            options = await rater.feedback.list_options_by_token(token)
            assert [o.id for o in options] == [o.id for o in t.single_options + t.multiple_options]
            chosen = {o.question_id: o.id for o in options}
            questions = await rater.feedback.list_questions_by_token(token)
            given = [Answer(q.id, 4) for q in questions if q.question_type == "rating"]
            given += [Answer(t.single.id, option_ids=(chosen[t.single.id],)),
                      Answer(t.multiple.id, option_ids=(chosen[t.multiple.id],)), Answer(t.nps.id, 8)]
            await rater.feedback.submit(created.invitation.id, given, token=token)
        async with app.external_rater(token) as rater:
            with pytest.raises(Conflict) as refused:
                await rater.feedback.list_options_by_token(token)
            assert refused.value.current == "completed"
    finally:
        await app.close()
    assert (await db.feedback.get_invitation(created.invitation.id)).status == "completed"
