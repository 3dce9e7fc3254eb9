"""Evidence on competency level changes: a note encrypted like other private text, a URL, a cycle or plan."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from feedback_fixtures import executor, make_member, make_setup
from process_support import TQ, digest

from ikenei import Database
from ikenei.errors import InvalidData
from ikenei.repositories.competencies import Evidence, LevelSpec


@dataclass(frozen=True, slots=True)
class _Stored:
    note_ciphertext: bytes | None
    url: str | None


async def _levels(db: Database):
    s = await make_setup(db)
    comp = db.competencies
    await comp.set_proficiency_levels(s.org.id, s.communication, [LevelSpec("Novice"), LevelSpec("Able"),
                                                                  LevelSpec("Expert")])
    manager = await make_member(db, s.org.id, "Mia", "Manager")
    plan = await db.learning.create_plan(s.org.id, s.target.id, title="Grow")
    return s, manager, plan


async def test_a_level_change_carries_its_evidence_into_the_history(db: Database) -> None:
    s, manager, plan = await _levels(db)
    comp = db.competencies
    await comp.set_level(s.org.id, s.target.id, s.communication, current_level=1, target_level=3, source="self",
                         set_by=s.target.id)
    await comp.set_level(
        s.org.id, s.target.id, s.communication, current_level=2, source="manager", set_by=manager.id,
        evidence=Evidence(note="Ran the incident review calmly", url="https://wiki.example/review-42",
                          cycle_id=s.cycle.id, plan_id=plan.id),
    )
    newest, oldest = await comp.history(s.org.id, s.target.id, s.communication)
    assert oldest.evidence is None
    e = newest.evidence
    assert e is not None and e.id is not None
    assert (e.note, e.url, e.cycle_id, e.plan_id, e.recorded_by) == (
        "Ran the incident review calmly", "https://wiki.example/review-42", s.cycle.id, plan.id, manager.id)
    # The note is stored encrypted: neither the table nor any other holds its text.
    stored = await executor(db).one(TQ.get_stored_evidence, _Stored, evidence_id=e.id)
    assert stored is not None and stored.note_ciphertext is not None
    assert b"incident" not in stored.note_ciphertext
    assert await executor(db).value(TQ.count_rows_mentioning, text="incident review") == 0


async def test_bad_evidence_is_refused_with_the_level_change(db: Database) -> None:
    s, manager, _plan = await _levels(db)
    comp = db.competencies
    await comp.set_level(s.org.id, s.target.id, s.communication, current_level=1, source="self")
    before = await digest(db), await comp.history(s.org.id, s.target.id, s.communication)
    for evidence, field in ((Evidence(url="javascript:alert(1)"), "url"),
                            (Evidence(url="https://x.example/" + "a" * 2000), "url"),
                            (Evidence(), "content"),
                            (Evidence(note="   "), "content")):
        with pytest.raises(InvalidData) as refused:
            await comp.set_level(s.org.id, s.target.id, s.communication, current_level=2, source="manager",
                                 set_by=manager.id, evidence=evidence)
        assert refused.value.field == field, evidence
    other = await make_setup(db)
    with pytest.raises(InvalidData) as refused:
        await comp.set_level(s.org.id, s.target.id, s.communication, current_level=2, source="manager",
                             evidence=Evidence(cycle_id=other.cycle.id))
    assert refused.value.field == "cycle_id"
    assert (await digest(db), await comp.history(s.org.id, s.target.id, s.communication)) == before
    assert (await comp.get_level(s.org.id, s.target.id, s.communication)).current_level == 1
