"""Rater nomination with approval: who may rate whom in a cycle, decided before anyone is invited.

The cycle says, per relationship, how few and how many raters a person may
have (``set_rule``); a relationship without a rule takes no nominations. The
person rated (or their manager, when the form's settings say
``"nominations_by": "manager"``) proposes raters; the person's manager or a
holder of ``feedback.cycles.manage`` approves or rejects each one. An approval
creates the invitation in the same statement; for an external rater it returns
the access token, once, as ``feedback.invite`` does.

The checks are the database's (``nominate_feedback_rater()`` and
``decide_feedback_nomination()``), taken under a lock, so two racing callers
cannot both pass a count or both decide. Refusals name the field
(``InvalidData``: ``relationship``, ``rater_user_id``, ``nominated_by``,
``decided_by`` ...), the taken value (``AlreadyExists``) or the current state
(``Conflict``), and change nothing.
"""

from __future__ import annotations

import builtins
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ikenei.db.pages import Page
from ikenei.db.queries import Q
from ikenei.errors import Conflict, NotFound
from ikenei.repositories.base import Repository
from ikenei.security.tokens import token_digest


@dataclass(frozen=True, slots=True)
class NominationRule:
    """How few and how many raters of one relationship a person may have in a cycle."""

    cycle_id: UUID
    relationship: str  # manager, peer, direct_report or external
    min_raters: int
    max_raters: int


@dataclass(frozen=True, slots=True)
class Nomination:
    id: UUID
    organization_id: UUID
    cycle_id: UUID
    target_user_id: UUID
    relationship: str
    rater_user_id: UUID | None  # None for an external rater
    rater_email: str | None  # only for an external rater
    rater_name: str | None
    status: str  # proposed, approved, rejected or withdrawn
    nominated_by: UUID | None
    decided_by: UUID | None
    decision_reason: str | None
    decided_at: datetime | None
    invitation_id: UUID | None  # the invitation an approval made
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ApprovedNomination:
    """An approved nomination and, for an external rater, the access token: shown once, never stored."""

    nomination: Nomination
    access_token: str | None


@dataclass(frozen=True, slots=True)
class NominationCount:
    """Where a person's nominations of one relationship stand against the cycle's rule."""

    relationship: str
    min_raters: int
    max_raters: int
    proposed: int
    approved: int
    rejected: int
    missing: int  # approvals still needed to reach min_raters


class NominationsRepository(Repository):
    """Nomination rules of cycles, nominations and their approval."""

    __slots__ = ()

    async def set_rule(
        self, cycle_id: UUID, relationship: str, *, min_raters: int = 0, max_raters: int
    ) -> NominationRule:
        """Sets (or replaces) the counts of one relationship in a draft or active cycle.

        ``InvalidData`` (``relationship``, ``min_raters``, ``max_raters``) for a
        bad value; ``Conflict`` naming the state of a cycle that is over.
        """
        rule = await self._x.one(
            Q.set_feedback_nomination_rule, NominationRule, cycle_id=cycle_id,
            relationship=relationship, min_raters=min_raters, max_raters=max_raters,
        )
        if rule is None:
            await self._refuse_cycle(cycle_id)
        assert rule is not None
        return rule

    async def list_rules(self, cycle_id: UUID) -> list[NominationRule]:
        return await self._x.all(
            Q.list_feedback_nomination_rules, NominationRule, cycle_id=cycle_id,
        )

    async def nominate(
        self,
        cycle_id: UUID,
        *,
        target_user_id: UUID,
        relationship: str,
        nominated_by: UUID,
        rater_user_id: UUID | None = None,
        rater_email: str | None = None,
        rater_name: str | None = None,
    ) -> Nomination:
        """Proposes a rater (a member, or an external one by email) for a person.

        Refused: ``InvalidData`` for ``nominated_by`` (not the one the form
        lets nominate), ``target_user_id`` / ``rater_user_id`` (not an active
        member, or the person rated themselves), ``relationship`` (no rule, or
        its maximum reached); ``AlreadyExists`` for a rater already nominated
        or invited; ``Conflict`` naming the state of a cycle that is over.
        """
        return await self._x.created(
            Q.nominate_feedback_rater, Nomination, cycle_id=cycle_id, target_user_id=target_user_id,
            relationship=relationship, rater_user_id=rater_user_id, rater_email=rater_email,
            rater_name=rater_name, nominated_by=nominated_by,
        )

    async def approve(
        self,
        nomination_id: UUID,
        *,
        decided_by: UUID,
        reason: str | None = None,
        token_expires_at: datetime | None = None,
    ) -> ApprovedNomination:
        """Approves a proposed nomination and invites its rater in the same statement.

        ``Conflict`` naming the status of a nomination already decided (or
        withdrawn), or of a cycle that is over; ``InvalidData`` naming
        ``decided_by`` when that person is neither the manager of the person
        rated nor a holder of ``feedback.cycles.manage``.
        """
        # A token is made for every approval, before the database says whether the
        # rater is external: one statement instead of a read first. It is used,
        # stored (as its digest) and returned only for an external rater.
        token: str | None = secrets.token_urlsafe(32)
        decided = await self._decide(nomination_id, True, decided_by, reason, token, token_expires_at)
        if decided.relationship != "external":
            token = None
        return ApprovedNomination(decided, token)

    async def reject(self, nomination_id: UUID, *, decided_by: UUID, reason: str | None = None) -> Nomination:
        """Rejects a proposed nomination; the same refusals as ``approve``."""
        return await self._decide(nomination_id, False, decided_by, reason, None, None)

    async def _decide(
        self, nomination_id: UUID, approve: bool, decided_by: UUID, reason: str | None,
        token: str | None, token_expires_at: datetime | None,
    ) -> Nomination:
        digest = token_digest(token) if token is not None else None
        decided = await self._x.one(
            Q.decide_feedback_nomination, Nomination, nomination_id=nomination_id, approve=approve,
            decided_by=decided_by, reason=reason, access_token_hash=digest,
            token_expires_at=token_expires_at,
        )
        assert decided is not None
        return decided

    async def withdraw(self, nomination_id: UUID) -> Nomination:
        """proposed → withdrawn; otherwise ``Conflict`` naming the current status."""
        return await self._x.moved(
            Q.withdraw_feedback_nomination, Nomination, nomination_id=nomination_id,
            status=Q.get_feedback_nomination_status, entity="feedback nomination", verb="withdrawn",
        )

    async def get(self, nomination_id: UUID) -> Nomination:
        return await self._x.one_found(
            Q.get_feedback_nomination, Nomination, nomination_id=nomination_id,
            missing=("feedback nomination", nomination_id),
        )

    async def list(
        self,
        cycle_id: UUID,
        *,
        target_user_id: UUID | None = None,
        status: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> Page[Nomination]:
        """A page of the cycle's nominations, by person, relationship and age."""
        return await self._pages.read(
            self._x, Q.list_feedback_nominations, Nomination,
            {"cycle_id": cycle_id, "target_user_id": target_user_id, "status": status},
            key=("target_user_id", "relationship", "created_at", "id"), after=after, limit=limit,
        )

    async def summary(self, cycle_id: UUID, target_user_id: UUID) -> builtins.list[NominationCount]:
        """Per relationship with a rule: the person's nominations against the counts."""
        return await self._x.all(
            Q.get_feedback_nomination_summary, NominationCount, cycle_id=cycle_id,
            target_user_id=target_user_id,
        )

    async def _refuse_cycle(self, cycle_id: UUID) -> None:
        status = await self._x.value(Q.get_feedback_cycle_status, cycle_id=cycle_id)
        if status is None:
            raise NotFound("feedback cycle", cycle_id)
        raise Conflict(f"feedback cycle {cycle_id} is {status}: its nomination rules cannot change", status)
