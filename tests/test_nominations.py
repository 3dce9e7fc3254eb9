"""Rater nomination with approval: counts per relationship, guarded decisions, refusals that change nothing."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from uuid import uuid4

import pytest
from feedback_fixtures import make_member, make_org, make_setup
from process_support import digest

from ikenei import Database
from ikenei.errors import AlreadyExists, Conflict, InvalidData, NotFound


async def _nominating(db: Database, *, nominations_by: str | None = None, activate: bool = False):
    s = await make_setup(db, activate=activate)
    if nominations_by is not None:
        form = replace(s.form, settings={"nominations_by": nominations_by})
        await db.feedback.update_form(form)
    manager = await make_member(db, s.org.id, "Mia", "Manager")
    await db.users.update(replace(s.target, manager_id=manager.id))
    await db.nominations.set_rule(s.cycle.id, "peer", min_raters=2, max_raters=3)
    await db.nominations.set_rule(s.cycle.id, "external", min_raters=0, max_raters=1)
    return s, manager


async def test_nominated_raters_become_invitations_only_when_approved(db: Database) -> None:
    s, manager = await _nominating(db)
    n = db.nominations
    peers = [await make_member(db, s.org.id, "Pat", f"Peer{i}") for i in range(4)]
    proposed = [
        await n.nominate(s.cycle.id, target_user_id=s.target.id, relationship="peer",
                         rater_user_id=p.id, nominated_by=s.target.id)
        for p in peers[:3]
    ]
    assert {p.status for p in proposed} == {"proposed"}
    assert await db.feedback.list_cycle_invitations(s.cycle.id) == []

    approved = await n.approve(proposed[0].id, decided_by=manager.id, reason="works with Tess daily")
    assert approved.access_token is None
    assert (approved.nomination.status, approved.nomination.decided_by) == ("approved", manager.id)
    assert approved.nomination.decision_reason == "works with Tess daily"
    invitation = await db.feedback.get_invitation(approved.nomination.invitation_id)
    assert (invitation.rater_user_id, invitation.relationship, invitation.status) == (
        peers[0].id, "peer", "pending")

    rejected = await n.reject(proposed[1].id, decided_by=manager.id, reason="not on the project")
    assert (rejected.status, rejected.invitation_id) == ("rejected", None)

    [peer_count, external_count] = await n.summary(s.cycle.id, s.target.id)
    assert (peer_count.relationship, peer_count.proposed, peer_count.approved, peer_count.rejected,
            peer_count.missing) == ("peer", 1, 1, 1, 1)
    assert (external_count.relationship, external_count.missing) == ("external", 0)

    # A rejection frees its place: the fourth peer fits now.
    fourth = await n.nominate(s.cycle.id, target_user_id=s.target.id, relationship="peer",
                              rater_user_id=peers[3].id, nominated_by=s.target.id)
    assert fourth.status == "proposed"
    assert [i.rater_user_id for i in await db.feedback.list_cycle_invitations(s.cycle.id)] == [peers[0].id]


async def test_an_approved_external_rater_gets_a_token_once(db: Database) -> None:
    s, manager = await _nominating(db, activate=True)
    proposed = await db.nominations.nominate(
        s.cycle.id, target_user_id=s.target.id, relationship="external", rater_email="ext@partner.example",
        rater_name="Ext Ernal", nominated_by=s.target.id)
    approved = await db.nominations.approve(proposed.id, decided_by=manager.id)
    assert approved.access_token
    invitation = await db.feedback.get_invitation_by_token(approved.access_token)
    assert (invitation.id, invitation.relationship) == (approved.nomination.invitation_id, "external")


async def test_refused_nominations_name_the_field_and_change_nothing(db: Database) -> None:
    s, _manager = await _nominating(db)
    n = db.nominations
    peers = [await make_member(db, s.org.id, "Pat", f"Peer{i}") for i in range(4)]
    for p in peers[:3]:
        await n.nominate(s.cycle.id, target_user_id=s.target.id, relationship="peer", rater_user_id=p.id,
                         nominated_by=s.target.id)
    other_org = await make_org(db)
    stranger = await make_member(db, other_org.id, "Sam", "Stranger")
    before = await digest(db)

    async def nominate(**given):
        fields = {"target_user_id": s.target.id, "relationship": "peer", "rater_user_id": peers[3].id,
                  "nominated_by": s.target.id} | given
        return await n.nominate(s.cycle.id, **fields)

    refusals = [
        ({}, InvalidData, "relationship"),  # a fourth peer: the maximum is 3
        ({"relationship": "manager"}, InvalidData, "relationship"),  # no rule for managers
        ({"relationship": "direct_report", "rater_user_id": s.target.id}, InvalidData, "rater_user_id"),
        ({"relationship": "external", "rater_user_id": stranger.id}, InvalidData, "rater_user_id"),
        ({"nominated_by": peers[3].id, "relationship": "external", "rater_user_id": None,
              "rater_email": "x@partner.example"}, InvalidData, "nominated_by"),
    ]
    await n.set_rule(s.cycle.id, "direct_report", max_raters=2)
    before = await digest(db)
    for given, error, field in refusals:
        with pytest.raises(error) as refused:
            await nominate(**given)
        assert refused.value.field == field, given
    # The person rated as their own peer, a rater from outside the organization, a duplicate.
    await n.set_rule(s.cycle.id, "peer", max_raters=5)
    before = await digest(db)
    with pytest.raises(InvalidData) as refused:
        await nominate(rater_user_id=s.target.id)
    assert refused.value.field == "rater_user_id"
    with pytest.raises(InvalidData) as refused:
        await nominate(rater_user_id=stranger.id)
    assert refused.value.field == "rater_user_id"
    with pytest.raises(AlreadyExists) as taken:
        await nominate(rater_user_id=peers[0].id)
    assert taken.value.field == "rater_user_id"
    with pytest.raises(NotFound):
        await n.nominate(uuid4(), target_user_id=s.target.id, relationship="peer", rater_user_id=peers[3].id,
                         nominated_by=s.target.id)
    assert await digest(db) == before

    # Invited directly already: a duplicate too.
    await db.feedback.invite(s.cycle.id, target_user_id=s.target.id, relationship="peer",
                             rater_user_id=peers[3].id)
    before = await digest(db)
    with pytest.raises(AlreadyExists) as taken:
        await nominate()
    assert taken.value.field == "rater_user_id"
    assert await digest(db) == before

    with pytest.raises(InvalidData) as refused:
        await n.set_rule(s.cycle.id, "peer", min_raters=4, max_raters=2)
    assert refused.value.field == "max_raters"
    with pytest.raises(InvalidData) as refused:
        await n.set_rule(s.cycle.id, "self", max_raters=1)
    assert refused.value.field == "relationship"
    assert await digest(db) == before


async def test_only_the_manager_or_an_hr_permission_decides_once(db: Database) -> None:
    s, manager = await _nominating(db)
    n = db.nominations
    peer, colleague, hr = (await make_member(db, s.org.id, "Pat", "Peer"), await make_member(db, s.org.id),
                           await make_member(db, s.org.id, "Hana", "Hr"))
    role = await db.roles.create(s.org.id, name="hr_people", permissions=["feedback.cycles.manage"])
    await db.roles.assign(s.org.id, hr.id, role.id)
    proposed = await n.nominate(s.cycle.id, target_user_id=s.target.id, relationship="peer",
                                rater_user_id=peer.id, nominated_by=s.target.id)
    before = await digest(db)
    for who in (colleague.id, s.target.id, peer.id, uuid4()):
        with pytest.raises(InvalidData) as refused:
            await n.approve(proposed.id, decided_by=who)
        assert refused.value.field == "decided_by"
        with pytest.raises(InvalidData):
            await n.reject(proposed.id, decided_by=who)
    assert await digest(db) == before

    approved = await n.approve(proposed.id, decided_by=hr.id)
    assert approved.nomination.decided_by == hr.id
    before = await digest(db)
    for decide in (n.approve, n.reject):
        with pytest.raises(Conflict) as refused:
            await decide(proposed.id, decided_by=manager.id)
        assert refused.value.current == "approved"
    with pytest.raises(Conflict) as refused:
        await n.withdraw(proposed.id)
    assert refused.value.current == "approved"
    with pytest.raises(NotFound):
        await n.approve(uuid4(), decided_by=manager.id)
    assert await digest(db) == before


async def test_a_manager_nominates_when_the_form_says_so(db: Database) -> None:
    s, manager = await _nominating(db, nominations_by="manager")
    peer = await make_member(db, s.org.id, "Pat", "Peer")
    with pytest.raises(InvalidData) as refused:
        await db.nominations.nominate(s.cycle.id, target_user_id=s.target.id, relationship="peer",
                                      rater_user_id=peer.id, nominated_by=s.target.id)
    assert refused.value.field == "nominated_by"
    made = await db.nominations.nominate(s.cycle.id, target_user_id=s.target.id, relationship="peer",
                                         rater_user_id=peer.id, nominated_by=manager.id)
    assert made.nominated_by == manager.id
    with pytest.raises(InvalidData) as refused:
        await db.feedback.update_form(replace(s.form, settings={"nominations_by": "anyone"}))
    assert refused.value.field == "settings_nominations_by"


async def test_withdrawn_and_closed(db: Database) -> None:
    s, manager = await _nominating(db, activate=True)
    n = db.nominations
    peer = await make_member(db, s.org.id, "Pat", "Peer")
    proposed = await n.nominate(s.cycle.id, target_user_id=s.target.id, relationship="peer",
                                rater_user_id=peer.id, nominated_by=s.target.id)
    withdrawn = await n.withdraw(proposed.id)
    assert withdrawn.status == "withdrawn"
    again = await n.nominate(s.cycle.id, target_user_id=s.target.id, relationship="peer",
                             rater_user_id=peer.id, nominated_by=s.target.id)
    await db.feedback.close_cycle(s.cycle.id)
    before = await digest(db)
    with pytest.raises(Conflict) as refused:
        await n.approve(again.id, decided_by=manager.id)
    assert refused.value.current == "closed"
    with pytest.raises(Conflict) as refused:
        await n.nominate(s.cycle.id, target_user_id=s.target.id, relationship="peer",
                         rater_user_id=(await make_member(db, s.org.id)).id, nominated_by=s.target.id)
    assert refused.value.current == "closed"
    before = await digest(db)
    with pytest.raises(Conflict) as refused:
        await n.set_rule(s.cycle.id, "peer", max_raters=9)
    assert refused.value.current == "closed"
    assert await digest(db) == before
    assert [x.id for x in await n.list(s.cycle.id, status="withdrawn")] == [proposed.id]
    assert [x.id for x in await n.list(s.cycle.id, target_user_id=s.target.id)] == [proposed.id, again.id]


async def test_racing_nominations_and_decisions_cannot_both_pass(db: Database) -> None:
    s, manager = await _nominating(db)
    n = db.nominations
    await n.set_rule(s.cycle.id, "peer", max_raters=1)
    a, b = await make_member(db, s.org.id), await make_member(db, s.org.id)

    async def nominate(rater):
        return await n.nominate(s.cycle.id, target_user_id=s.target.id, relationship="peer",
                                rater_user_id=rater.id, nominated_by=s.target.id)

    results = await asyncio.gather(nominate(a), nominate(b), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["InvalidData", "Nomination"]
    winner = next(r for r in results if not isinstance(r, Exception))

    decisions = await asyncio.gather(n.approve(winner.id, decided_by=manager.id),
                                     n.reject(winner.id, decided_by=manager.id), return_exceptions=True)
    assert sorted(type(d).__name__ for d in decisions) == ["ApprovedNomination", "Conflict"] or sorted(
        type(d).__name__ for d in decisions) == ["Conflict", "Nomination"]
    invitations = await db.feedback.list_cycle_invitations(s.cycle.id)
    assert len(invitations) == (1 if (await n.get(winner.id)).status == "approved" else 0)
