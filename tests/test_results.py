"""Results across cycles and people under the anonymity rules: trend, heatmap, blind spots, weighted score.

Each is tried with rater groups of 1, 2 and threshold - 1, and by differencing
two reads: a rating a person's own results hide never changes any of them.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from uuid import uuid4

import pytest
from feedback_fixtures import Setup, answers, make_member, make_setup
from foundation_support import EVERY_PERMISSION
from statement_counter import count_statements

from ikenei import Database
from ikenei.errors import Conflict, InvalidData, NotFound
from ikenei.repositories.users import User


async def _rate(db: Database, s: Setup, cycle_id, relationship: str, ratings: tuple[int, int, int],
                rater: User | None = None, target: User | None = None) -> None:
    target = target or s.target
    if rater is None:
        rater = target if relationship == "self" else await make_member(db, s.org.id)
    created = await db.feedback.invite(cycle_id, target_user_id=target.id, relationship=relationship,
                                       rater_user_id=rater.id)
    await db.feedback.submit(created.invitation.id, answers(s, ratings))


async def _cycle(db: Database, s: Setup, name: str):
    return (await db.feedback.activate_cycle((await db.feedback.create_cycle(s.form.id, name=name)).id)).id


async def test_a_trend_over_closed_cycles_shows_only_what_each_cycle_shows(db: Database) -> None:
    s = await make_setup(db, anonymous=True, threshold=3)
    fb = db.feedback
    for r in (4, 4, 5):
        await _rate(db, s, s.cycle.id, "peer", (r, r, 3))
    await _rate(db, s, s.cycle.id, "self", (5, 5, 5))
    await fb.close_cycle(s.cycle.id)
    later = await _cycle(db, s, "Autumn")
    # A peer and a manager: groups of 1 and 1, "others" of 2 = threshold - 1: hidden.
    await _rate(db, s, later, "peer", (1, 1, 1))
    await _rate(db, s, later, "manager", (2, 2, 2))
    await fb.close_cycle(later)
    running = await _cycle(db, s, "Still open")
    for _ in range(3):
        await _rate(db, s, running, "peer", (3, 3, 3))

    trend = await db.results.trend(s.target.id)
    communication = [p for p in trend if p.competency_id == s.communication]
    assert [(p.cycle_id, p.others_average, p.others_count, p.self_rating) for p in communication] == [
        (s.cycle.id, Decimal("4.33"), 3, Decimal("5.00")),
        (later, None, 0, None),
    ]
    assert {p.cycle_id for p in trend} == {s.cycle.id, later}  # the open cycle is no part of it
    assert await db.results.trend(uuid4()) == []


async def test_a_trend_read_in_one_organization_shows_nothing_of_another(db: Database, app: Database) -> None:
    """A person rated in two organizations: an admin of one reads their trend
    and finds only that organization's cycles, and no read is logged in the
    other. The trend finds a person's cycles in every organization
    (20261205_128000); each must still be opened in the reader's."""
    a = await make_setup(db, threshold=1)
    b = await make_setup(db, threshold=1)
    person = await make_member(db, a.org.id)
    await db.organizations.add_member(b.org.id, person.id)
    await _rate(db, a, a.cycle.id, "peer", (4, 4, 4), target=person)
    await _rate(db, b, b.cycle.id, "peer", (1, 1, 1), target=person)
    for s in (a, b):
        await db.feedback.close_cycle(s.cycle.id)
    admin_of_a = await make_member(db, a.org.id, permissions=EVERY_PERMISSION)
    async with app.organization(a.org.id, user_id=admin_of_a.id) as tx:
        trend = await tx.results.trend(person.id)
    assert {p.cycle_id for p in trend} == {a.cycle.id}
    assert await db.privacy.list_access(organization_id=b.org.id) == []
    # The control: the tables' owner finds both.
    assert {p.cycle_id for p in await db.results.trend(person.id)} == {a.cycle.id, b.cycle.id}


async def test_blind_spots_and_hidden_strengths_by_the_forms_margin(db: Database) -> None:
    s = await make_setup(db, threshold=2, activate=False)
    await db.feedback.update_form(replace(s.form, settings={"blind_spot_margin": 1.5}))
    await db.feedback.activate_cycle(s.cycle.id)
    for _ in range(2):
        await _rate(db, s, s.cycle.id, "peer", (2, 2, 5))
    await _rate(db, s, s.cycle.id, "self", (4, 4, 3))  # communication 4 vs 2; delivery 3 vs 5
    with pytest.raises(Conflict) as refused:
        await db.results.blind_spots(s.target.id, s.cycle.id)
    assert refused.value.current == "active"
    await db.feedback.close_cycle(s.cycle.id)
    spots = {b.competency_id: b for b in await db.results.blind_spots(s.target.id, s.cycle.id)}
    assert (spots[s.communication].classification, spots[s.communication].gap) == ("blind_spot", Decimal("2.00"))
    assert (spots[s.delivery].classification, spots[s.delivery].gap) == ("hidden_strength", Decimal("-2.00"))
    assert spots[s.delivery].margin == Decimal("1.5")
    with pytest.raises(NotFound):
        await db.results.blind_spots(s.target.id, uuid4())
    with pytest.raises(InvalidData) as refused:
        await db.feedback.update_form(replace(s.form, settings={"blind_spot_margin": -1}))
    assert refused.value.field == "settings_blind_spot_margin"


async def test_blind_spots_of_a_hidden_group_stay_unknown(db: Database) -> None:
    s = await make_setup(db, anonymous=True, threshold=3)
    await _rate(db, s, s.cycle.id, "self", (5, 5, 5))
    await _rate(db, s, s.cycle.id, "peer", (1, 1, 1))
    await _rate(db, s, s.cycle.id, "manager", (1, 1, 1))  # groups of 1 and 1, "others" of threshold - 1
    await db.feedback.close_cycle(s.cycle.id)
    spots = await db.results.blind_spots(s.target.id, s.cycle.id)
    assert {(b.classification, b.others_average, b.others_count) for b in spots} == {("unknown", None, 0)}


async def test_the_weighted_score_weighs_competencies_and_questions(db: Database) -> None:
    s = await make_setup(db, threshold=1, activate=False)
    comp = db.competencies
    await comp.update(replace(await comp.get(s.communication), weight=Decimal("3.00")))
    q0 = s.questions[0]
    await db.feedback.update_question(replace(q0, weight=Decimal(3)))
    await db.feedback.activate_cycle(s.cycle.id)
    # Scale 1-5: a rating r is 25 * (r - 1) percent.
    await _rate(db, s, s.cycle.id, "peer", (5, 1, 3))  # communication: (3*100 + 1*0) / 4 = 75; delivery 50
    await _rate(db, s, s.cycle.id, "self", (1, 1, 1))  # self never counts
    score = await db.results.weighted_score(s.target.id, s.cycle.id)
    parts = {c.competency_id: c for c in score.competencies}
    assert (parts[s.communication].weighted_percent, parts[s.communication].weight) == (Decimal("75.00"),
                                                                                          Decimal("3.00"))
    assert parts[s.delivery].weighted_percent == Decimal("50.00")
    assert score.overall_score == Decimal("68.75")  # (3 * 75 + 1 * 50) / 4
    # The seed's analysis stays unweighted: communication is (5 + 1) / 2.
    analysis = {a.competency_id: a for a in await db.feedback.analyze(s.target.id, s.cycle.id)}
    assert analysis[s.communication].average_rating == Decimal("3.00")
    assert (await db.results.weighted_score(s.target.id, uuid4())).overall_score is None


async def test_a_hidden_rating_never_moves_the_weighted_score(db: Database) -> None:
    s = await make_setup(db, threshold=3)  # named: read while it runs (an anonymous form waits for the close)
    for _ in range(3):
        await _rate(db, s, s.cycle.id, "peer", (4, 4, 4))
    before = await db.results.weighted_score(s.target.id, s.cycle.id)
    for relationship in ("manager", "direct_report"):  # "others" of 1, then 2 = threshold - 1
        await _rate(db, s, s.cycle.id, relationship, (1, 1, 1))
        assert await db.results.weighted_score(s.target.id, s.cycle.id) == before
    await _rate(db, s, s.cycle.id, "manager", (1, 1, 1))  # "others" reaches 3: now it counts
    assert await db.results.weighted_score(s.target.id, s.cycle.id) != before


async def _team(db: Database, s: Setup, manager: User, size: int, department: str) -> list[User]:
    people = []
    for _ in range(size):
        person = await make_member(db, s.org.id)
        people.append(await db.users.update(replace(person, manager_id=manager.id, department=department)))
    return people


def _lines_with_one_hidden(cells) -> list[str]:
    rows: dict = {}
    columns: dict = {}
    for c in cells:
        rows.setdefault(c.competency_id, []).append(c.suppressed)
        columns.setdefault(c.group_key, []).append(c.suppressed)
    return [f"{key}" for lines in (rows, columns) for key, hidden in lines.items()
            if sum(hidden) == 1 and len(hidden) > 1]


async def test_the_heatmap_suppresses_small_cells_and_their_complements(db: Database) -> None:
    s = await make_setup(db, anonymous=True, threshold=3)
    raters = [await make_member(db, s.org.id, "Rae", f"Rater{i}") for i in range(3)]
    leads = [await make_member(db, s.org.id, "Lee", f"Lead{i}") for i in range(4)]
    # Teams of 3, 3, 2 (threshold - 1) and 1 person; each person rated by three peers.
    teams = [await _team(db, s, lead, size, f"Dept {i}") for i, (lead, size) in enumerate(zip(leads, (3, 3, 2, 1)))]
    for team_number, team in enumerate(teams):
        for person in team:
            for rater in raters:
                await _rate(db, s, s.cycle.id, "peer", (team_number + 1, team_number + 1, 2), rater, person)
    # One person of the first team is also rated by a lone manager: hidden in their results, so in the cell.
    await _rate(db, s, s.cycle.id, "manager", (5, 5, 5), leads[0], teams[0][0])
    with pytest.raises(Conflict) as refused:  # an anonymous form's results wait for the close
        await db.results.heatmap(s.cycle.id)
    assert refused.value.current == "active"
    await db.feedback.close_cycle(s.cycle.id)

    async with count_statements(db) as (tx, sent):
        cells = await tx.results.heatmap(s.cycle.id, by="team")
    assert sent.count == 1, sent.statements
    by_team = {(c.competency_id, c.group_key): c for c in cells}
    small = [str(leads[2].id), str(leads[3].id)]
    for competency in (s.communication, s.delivery):
        for key in small:
            cell = by_team[(competency, key)]
            assert (cell.suppressed, cell.average_rating, cell.people_count, cell.submission_count) == (
                True, None, None, None)
    assert _lines_with_one_hidden(cells) == []
    shown = [c for c in cells if not c.suppressed]
    assert shown, cells
    # The lone manager's 5 is in no cell: the first team's communication is its peers' 1s alone.
    first = by_team[(s.communication, str(leads[0].id))]
    assert (first.suppressed, first.average_rating, first.submission_count, first.people_count) == (
        False, Decimal("1.00"), 9, 3)

    # Two teams too small in one row hide each other; a third shown cell stays.
    by_department = await db.results.heatmap(s.cycle.id, by="department")
    assert {c.group_label for c in by_department} == {"Dept 0", "Dept 1", "Dept 2", "Dept 3"}
    assert _lines_with_one_hidden(by_department) == []
    assert {c.group_label for c in by_department if c.suppressed} >= {"Dept 2", "Dept 3"}

    with pytest.raises(InvalidData) as refused:
        await db.results.heatmap(s.cycle.id, by="person")
    assert refused.value.field == "by"
    with pytest.raises(NotFound):
        await db.results.heatmap(uuid4())


async def test_one_small_team_in_a_row_takes_a_complement_with_it(db: Database) -> None:
    s = await make_setup(db, threshold=2)
    raters = [await make_member(db, s.org.id, "Rae", f"Rater{i}") for i in range(2)]
    leads = [await make_member(db, s.org.id, "Lee", f"Lead{i}") for i in range(3)]
    teams = [await _team(db, s, lead, size, f"Unit {i}") for i, (lead, size) in enumerate(zip(leads, (2, 3, 1)))]
    for team in teams:
        for person in team:
            for rater in raters:
                await _rate(db, s, s.cycle.id, "peer", (3, 3, 3), rater, person)
    cells = await db.results.heatmap(s.cycle.id, by="team")
    hidden = {(c.competency_id, c.group_key) for c in cells if c.suppressed}
    # The team of one is hidden; so is the smaller of the two others (2 people), in both rows.
    for competency in (s.communication, s.delivery):
        assert (competency, str(leads[2].id)) in hidden
        assert (competency, str(leads[0].id)) in hidden
        assert (competency, str(leads[1].id)) not in hidden
    assert _lines_with_one_hidden(cells) == []
