"""The 360-degree feedback process: forms, questions, cycles, invitations, submissions, results.

The rules live in the database: status moves are guarded by the queries and by
triggers, a submission is written whole or not at all by ``submit_feedback()``,
and results hide every rater group smaller than the form's anonymity
threshold. When a guarded change touches no row, this module asks the database
why and raises ``NotFound`` or ``Conflict`` naming the current state.

External raters have no account: ``invite`` gives them a secret token, returned
once; only its SHA-256 digest is stored.

Comments are encrypted here, before they leave the application (see
``ikenei.security.encryption``): each answer gets its id from this module so that its
comment can be bound to its row, and a comment that does not decrypt raises
``DecryptionFailed`` instead of being shown.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, NoReturn
from uuid import UUID

from ikenei.db.pages import Page
from ikenei.db.queries import Q, Query
from ikenei.errors import Conflict, InvalidData, NotFound
from ikenei.repositories.base import EncryptingRepository
from ikenei.security.free_text import checked_text
from ikenei.security.tokens import new_token, token_digest
from ikenei.vocabulary import RATER_GROUPS

_COMMENTS = ("feedback_responses", "comment")
_GROUP_ORDER = {g: i for i, g in enumerate(RATER_GROUPS)}


@dataclass(frozen=True, slots=True)
class Form:
    id: UUID
    organization_id: UUID
    title: str
    description: str | None
    form_type: str
    is_anonymous: bool
    anonymity_threshold: int
    is_active: bool
    settings: dict[str, Any]
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Question:
    """A rating question rates one competency on scale_min..scale_max; a text question has neither."""

    id: UUID
    organization_id: UUID
    form_id: UUID
    position: int
    question_text: str
    question_type: str
    competency_id: UUID | None
    scale_min: int | None
    scale_max: int | None
    is_required: bool
    weight: Decimal  # of the question within its competency in the weighted score
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Cycle:
    id: UUID
    organization_id: UUID
    form_id: UUID
    name: str
    description: str | None
    status: str  # draft, active, closed or cancelled
    starts_at: datetime | None
    ends_at: datetime | None
    activated_at: datetime | None
    closed_at: datetime | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Invitation:
    id: UUID
    organization_id: UUID
    cycle_id: UUID
    target_user_id: UUID
    rater_user_id: UUID | None  # None for an external rater
    rater_email: str | None  # only for an external rater
    rater_name: str | None
    relationship: str  # self, manager, peer, direct_report or external
    status: str  # pending, started, completed, declined or expired
    token_expires_at: datetime | None
    reminder_count: int
    last_reminded_at: datetime | None
    sent_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    declined_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RaterInvitation:
    """What an external rater's token shows of its open invitation, and nothing more."""

    id: UUID
    cycle_id: UUID
    form_id: UUID
    form_title: str
    is_anonymous: bool
    target_name: str  # the person to give feedback on
    relationship: str
    status: str  # pending or started: a closed invitation shows nothing
    token_expires_at: datetime


@dataclass(frozen=True, slots=True)
class NewInvitation:
    """A created invitation and, for an external rater, the access token: shown once, never stored."""

    invitation: Invitation
    access_token: str | None


@dataclass(frozen=True, slots=True)
class InvitationListing:
    """An invitation as a cycle's overview shows it, with the people's names."""

    id: UUID
    cycle_id: UUID
    target_user_id: UUID
    target_name: str
    rater_user_id: UUID | None
    rater_name: str | None
    rater_email: str | None
    relationship: str
    status: str
    token_expires_at: datetime | None
    reminder_count: int
    last_reminded_at: datetime | None
    sent_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    declined_at: datetime | None


@dataclass(frozen=True, slots=True)
class PendingRater:
    """An invitation still waiting for its answers: whom to remind, about whom."""

    invitation_id: UUID
    target_user_id: UUID
    target_name: str
    rater_user_id: UUID | None
    rater_name: str | None
    rater_email: str
    relationship: str
    status: str
    reminder_count: int
    last_reminded_at: datetime | None
    sent_at: datetime | None
    token_expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer of a submission: a rating on the question's scale and/or a comment."""

    question_id: UUID
    rating: int | None = None
    comment: str | None = None
    option_ids: tuple[UUID, ...] = ()  # the options chosen, for a choice question


@dataclass(frozen=True, slots=True)
class CompetencyAnalysis:
    """The seed's feedback analysis for one competency.

    average/count/stddev are over the ratings of other people (only groups big
    enough to be shown; None when none is); self_rating is the person's own.
    """

    competency_id: UUID
    competency_name: str
    average_rating: Decimal | None
    response_count: int
    rating_stddev: Decimal | None
    self_rating: Decimal | None


@dataclass(frozen=True, slots=True)
class GroupResult:
    """The mean competency rating of one rater group (self, manager, peer, direct_report, external, others)."""

    competency_id: UUID
    competency_name: str
    rater_group: str
    submission_count: int
    average_rating: Decimal


@dataclass(frozen=True, slots=True)
class Comment:
    """A free-text answer, with the rater group it may be shown under and nothing about its rater."""

    question_id: UUID
    question_position: int
    question_text: str
    competency_id: UUID | None
    rater_group: str
    comment: str


@dataclass(frozen=True, slots=True)
class _StoredComment:
    question_id: UUID
    question_position: int
    question_text: str
    competency_id: UUID | None
    rater_group: str
    response_id: UUID
    comment_ciphertext: bytes | None
    comment_key_id: str | None
    comment: str | None  # text from before encryption, until `ikenei keys rotate` encrypts it


@dataclass(frozen=True, slots=True)
class RelationshipCompletion:
    relationship: str
    invited: int
    pending: int
    started: int
    completed: int
    declined: int
    expired: int


@dataclass(frozen=True, slots=True)
class QuestionOption:
    """One option of a single or multiple choice question."""

    id: UUID
    question_id: UUID
    position: int
    label: str


@dataclass(frozen=True, slots=True)
class OptionCount:
    """How many answers chose one option (or, for an NPS question, fell in one band)."""

    option_id: UUID | None  # None for the NPS bands
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class QuestionResult:
    """The aggregate of one question's answers by others, under the anonymity threshold.

    rating and nps: average_rating (and nps_score, % promoters 9-10 minus %
    detractors 0-6, for nps); choice questions: the count per option; nps:
    the count per band (detractors, passives, promoters). answer_count is the
    number of submissions counted; everything is None or 0 while too few
    answered to be shown.
    """

    question_id: UUID
    position: int
    question_text: str
    question_type: str
    answer_count: int
    average_rating: Decimal | None
    nps_score: Decimal | None
    distribution: tuple[OptionCount, ...]


@dataclass(frozen=True, slots=True)
class _StoredQuestionResult:
    question_id: UUID
    position: int
    question_text: str
    question_type: str
    answer_count: int
    average_rating: Decimal | None
    nps_score: Decimal | None
    distribution: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class Reminder:
    """A reminder recorded for an invitation, with the notification queued for it."""

    invitation_id: UUID
    reminder_count: int
    last_reminded_at: datetime
    notification_id: UUID
    recipient_user_id: UUID | None  # None: the invitation's external rater


@dataclass(frozen=True, slots=True)
class DueReminder:
    """An invitation owed a reminder: whom to write to, about whom, and how many reminders are left."""

    invitation_id: UUID
    target_user_id: UUID
    target_name: str
    rater_user_id: UUID | None
    rater_name: str | None
    rater_email: str
    relationship: str
    reminder_count: int
    reminders_left: int
    sent_at: datetime
    last_reminded_at: datetime | None


@dataclass(frozen=True, slots=True)
class _ReminderState:
    status: str
    cycle_status: str
    sent: bool
    reminder_count: int
    max_reminders: int
    reminder_interval_days: int
    next_due_at: datetime | None
    cycle_ended: bool
    token_expired: bool


@dataclass(frozen=True, slots=True)
class _InvitationState:
    status: str
    cycle_status: str
    token_expired: bool


class FeedbackRepository(EncryptingRepository):
    """Forms and questions, cycles, invitations, submissions and results of 360-degree feedback."""

    __slots__ = ()
    encrypted_text = "feedback comments"

    # Forms -------------------------------------------------------------------

    async def create_form(
        self,
        organization_id: UUID,
        *,
        title: str,
        description: str | None = None,
        form_type: str = "standard",
        is_anonymous: bool = False,
        anonymity_threshold: int = 3,
        is_active: bool = True,
        settings: dict[str, Any] | None = None,
        created_by: UUID | None = None,
    ) -> Form:
        return await self._x.created(
            Q.create_feedback_form, Form, organization_id=organization_id, title=title,
            description=description, form_type=form_type, is_anonymous=is_anonymous,
            anonymity_threshold=anonymity_threshold, is_active=is_active, settings=settings,
            created_by=created_by,
        )

    async def get_form(self, form_id: UUID) -> Form:
        return await self._x.one_found(
            Q.get_feedback_form, Form, form_id=form_id,
            missing=("feedback form", form_id),
        )

    async def list_forms(
        self, organization_id: UUID, *, is_active: bool | None = None, limit: int = 50, after: str | None = None
    ) -> Page[Form]:
        """A page of the organization's forms in creation order, deleted ones left out."""
        return await self._pages.read(
            self._x, Q.list_feedback_forms, Form,
            {"organization_id": organization_id, "is_active": is_active},
            key=("created_at", "id"), after=after, limit=limit,
        )

    async def update_form(self, form: Form) -> Form:
        """Stores the editable fields of ``form`` (make it with ``dataclasses.replace``).

        The anonymity settings of a form an active or closed cycle uses cannot
        be weakened: ``Conflict`` naming the cycle's state.
        """
        return await self._x.stored(
            Q.update_feedback_form, form, form_id=form.id, missing=("feedback form", form.id),
        )

    async def soft_delete_form(self, form_id: UUID) -> None:
        if await self._x.value(Q.soft_delete_feedback_form, form_id=form_id) is None:
            raise NotFound("feedback form", form_id)

    # Questions ---------------------------------------------------------------

    async def add_question(
        self,
        form_id: UUID,
        *,
        question_text: str,
        question_type: str = "rating",
        competency_id: UUID | None = None,
        scale_min: int | None = None,
        scale_max: int | None = None,
        is_required: bool = True,
        position: int | None = None,
        weight: Decimal | None = None,
    ) -> Question:
        """Adds a question after the last one (or at a free ``position``).

        Types: ``rating`` (needs a competency; scale defaults to 1-5),
        ``text``, ``single_choice`` and ``multiple_choice`` (give them options
        with ``set_options``) and ``nps`` (0-10, no competency). ``weight``
        (default 1) weighs the question within its competency in
        ``weighted_score``. The
        questions of a form used by an active or closed cycle are frozen:
        ``Conflict`` naming that cycle's state.
        """
        return await self._x.one_found(
            Q.add_feedback_question, Question, form_id=form_id, position=position,
            question_text=question_text, question_type=question_type, competency_id=competency_id,
            scale_min=scale_min, scale_max=scale_max, is_required=is_required, weight=weight,
            missing=("feedback form", form_id),
        )

    async def get_question(self, question_id: UUID) -> Question:
        return await self._x.one_found(
            Q.get_feedback_question, Question, question_id=question_id,
            missing=("feedback question", question_id),
        )

    async def list_questions(self, form_id: UUID) -> list[Question]:
        """The form's questions in their order."""
        return await self._x.all(Q.list_feedback_questions, Question, form_id=form_id)

    async def update_question(self, question: Question) -> Question:
        """Stores the editable fields of ``question`` (not its position: see ``reorder_questions``)."""
        return await self._x.stored(
            Q.update_feedback_question, question, question_id=question.id,
            missing=("feedback question", question.id),
        )

    async def delete_question(self, question_id: UUID) -> None:
        if await self._x.value(Q.delete_feedback_question, question_id=question_id) is None:
            raise NotFound("feedback question", question_id)

    async def reorder_questions(self, form_id: UUID, question_ids: list[UUID]) -> list[Question]:
        """Puts the form's questions in the order given (every one of them, once); returns them in it."""
        if not question_ids:
            raise InvalidData("question_ids", "must name every question of the form")
        moved = await self._x.all(
            Q.reorder_feedback_questions, Question, form_id=form_id, question_ids=question_ids,
        )
        if not moved:
            await self.get_form(form_id)
            raise InvalidData("question_ids", "must name every question of the form exactly once")
        return moved

    async def set_options(self, question_id: UUID, labels: list[str]) -> list[QuestionOption]:
        """Replaces the options of a choice question with ``labels``, in that order; returns them.

        ``InvalidData`` naming ``question_id`` (not a choice question),
        ``label`` (blank) or ``AlreadyExists`` (``label``, twice); ``Conflict``
        while a cycle uses the form (options are frozen with their question).
        """
        if not labels:
            raise InvalidData("labels", "a choice question needs at least one option")
        # Two statements in one transaction: a unique index (lower(label)) would
        # see the old options still there if the delete ran in the same statement.
        async with self._x.transaction() as x:
            await x.execute(Q.delete_feedback_question_options, question_id=question_id)
            options = await x.all(
                Q.add_feedback_question_options, QuestionOption, question_id=question_id,
                labels=labels,
            )
        if not options:
            raise NotFound("feedback question", question_id)
        return options

    async def list_options_by_token(self, token: str) -> list[QuestionOption]:
        """The options of the choice questions an external rater's open invitation asks, in order;
        refused like ``get_invitation_by_token``."""
        return await self._x.all(
            Q.list_feedback_question_options_by_token, QuestionOption,
            access_token_hash=token_digest(token),
        )

    async def list_options(self, form_id: UUID) -> list[QuestionOption]:
        """Every option of the form's choice questions, by question position then option position."""
        return await self._x.all(Q.list_feedback_question_options, QuestionOption, form_id=form_id)


    # Cycles ------------------------------------------------------------------

    async def create_cycle(
        self,
        form_id: UUID,
        *,
        name: str,
        description: str | None = None,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        created_by: UUID | None = None,
    ) -> Cycle:
        """A draft cycle on the form, in the form's organization."""
        return await self._x.one_found(
            Q.create_feedback_cycle, Cycle, form_id=form_id, name=name, description=description,
            starts_at=starts_at, ends_at=ends_at, created_by=created_by,
            missing=("feedback form", form_id),
        )

    async def get_cycle(self, cycle_id: UUID) -> Cycle:
        return await self._x.one_found(
            Q.get_feedback_cycle, Cycle, cycle_id=cycle_id,
            missing=("feedback cycle", cycle_id),
        )

    async def list_cycles(
        self,
        organization_id: UUID,
        *,
        status: str | None = None,
        form_id: UUID | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> Page[Cycle]:
        """A page of the organization's cycles, newest first."""
        return await self._pages.read(
            self._x, Q.list_feedback_cycles, Cycle,
            {"organization_id": organization_id, "status": status, "form_id": form_id},
            key=("created_at", "id"), after=after, limit=limit,
        )

    async def update_cycle(self, cycle: Cycle) -> Cycle:
        """Stores the name, description and dates of ``cycle``; only a draft cycle changes."""
        c = cycle
        updated = await self._x.one(
            Q.update_feedback_cycle, Cycle, cycle_id=c.id, name=c.name, description=c.description,
            starts_at=c.starts_at, ends_at=c.ends_at,
        )
        if updated is None:
            await self._refuse_cycle(c.id, "changed (only a draft cycle can be)")
        return updated

    async def activate_cycle(self, cycle_id: UUID) -> Cycle:
        """draft → active; otherwise ``Conflict`` naming the current state."""
        return await self._move_cycle(Q.activate_feedback_cycle, cycle_id, "activated")

    async def close_cycle(self, cycle_id: UUID) -> Cycle:
        """active → closed; otherwise ``Conflict`` naming the current state."""
        return await self._move_cycle(Q.close_feedback_cycle, cycle_id, "closed")

    async def cancel_cycle(self, cycle_id: UUID) -> Cycle:
        """draft or active → cancelled; otherwise ``Conflict`` naming the current state."""
        return await self._move_cycle(Q.cancel_feedback_cycle, cycle_id, "cancelled")

    async def _move_cycle(self, query: Query, cycle_id: UUID, done: str) -> Cycle:
        return await self._x.moved(
            query, Cycle, cycle_id=cycle_id,
            status=Q.get_feedback_cycle_status, entity="feedback cycle", verb=done,
        )

    async def _refuse_cycle(self, cycle_id: UUID, done: str) -> NoReturn:
        status = await self._x.value(Q.get_feedback_cycle_status, cycle_id=cycle_id)
        if status is None:
            raise NotFound("feedback cycle", cycle_id)
        raise Conflict(f"feedback cycle {cycle_id} is {status}: it cannot be {done}", status)

    # Invitations -------------------------------------------------------------

    async def invite(
        self,
        cycle_id: UUID,
        *,
        target_user_id: UUID,
        relationship: str,
        rater_user_id: UUID | None = None,
        rater_email: str | None = None,
        rater_name: str | None = None,
        token_expires_at: datetime | None = None,
    ) -> NewInvitation:
        """Invites one rater to give feedback on one person in a draft or active cycle.

        A member rates as self (rater = target), manager, peer or direct_report;
        an ``external`` rater is reached by ``rater_email`` and answers with the
        returned ``access_token`` until ``token_expires_at`` (default: the
        cycle's end, else 30 days). The token is not stored and cannot be
        shown again.
        """
        token = new_token() if relationship == "external" else None
        digest = token_digest(token) if token is not None else None
        invitation = await self._x.one(
            Q.create_feedback_invitation, Invitation, cycle_id=cycle_id,
            target_user_id=target_user_id, rater_user_id=rater_user_id, rater_email=rater_email,
            rater_name=rater_name, relationship=relationship, access_token_hash=digest,
            token_expires_at=token_expires_at,
        )
        if invitation is None:
            await self._refuse_cycle(cycle_id, "given invitations (it is over)")
        return NewInvitation(invitation, token)

    async def get_invitation(self, invitation_id: UUID) -> Invitation:
        return await self._x.one_found(
            Q.get_feedback_invitation, Invitation, invitation_id=invitation_id,
            missing=("feedback invitation", invitation_id),
        )

    async def get_invitation_by_token(self, token: str) -> RaterInvitation:
        """What an external rater's access token opens: its open invitation, the
        form's title and the name of the person rated.

        Works in ``db.external_rater(token)`` (and for the tables' owner).
        ``NotFound`` for an unknown token, or a token of another scope;
        ``Conflict`` naming ``completed``, ``declined`` or ``expired`` (or the
        cycle's state when it is not active): a closed invitation shows nothing.
        """
        return await self._x.one_found(
            Q.get_feedback_invitation_by_token, RaterInvitation,
            access_token_hash=token_digest(token),
            missing=("feedback invitation", "for this access token"),
        )

    async def list_questions_by_token(self, token: str) -> list[Question]:
        """The questions of the form an external rater's open invitation asks, in
        their order; refused like ``get_invitation_by_token``."""
        return await self._x.all(
            Q.list_feedback_questions_by_token, Question, access_token_hash=token_digest(token),
        )

    async def mark_invitation_sent(self, invitation_id: UUID) -> Invitation:
        """Notes when the invitation was first sent (an open invitation of an active cycle)."""
        return await self._change_invitation(Q.mark_feedback_invitation_sent, invitation_id, "sent")

    async def start_invitation(self, invitation_id: UUID) -> Invitation:
        """pending → started (again harmless) while the cycle is active and any token valid."""
        return await self._change_invitation(Q.start_feedback_invitation, invitation_id, "started")

    async def decline_invitation(self, invitation_id: UUID, token: str | None = None) -> Invitation:
        """pending or started → declined, by the invited rater only: a member in
        ``db.organization(org, user_id=rater)``, an external rater in
        ``db.external_rater(token)`` with the same ``token``.

        ``OutOfScope`` when the transaction acts for someone else, ``NotFound``
        for another organization's invitation, ``Conflict`` naming its status
        (or ``expired``), ``InvalidData`` (``access_token``) for a wrong token.
        """
        digest = token_digest(token) if token is not None else None
        invitation = await self._x.one(
            Q.decline_feedback_invitation, Invitation, invitation_id=invitation_id,
            access_token_hash=digest,
        )
        assert invitation is not None  # decline_feedback raises instead of returning nothing
        return invitation

    async def due_reminders(
        self, cycle_id: UUID, *, at: datetime | None = None, limit: int = 100, after: str | None = None
    ) -> Page[DueReminder]:
        """The invitations of an active cycle owed a reminder at ``at`` (default now), longest waiting first.

        Exactly those ``record_reminder`` accepts: sent, still open, token valid,
        before the cycle's end, fewer reminders than the organization's
        ``feedback.max_reminders`` and the last contact at least
        ``feedback.reminder_interval_days`` ago (organization settings, else
        the system settings, else 3 and 3).
        """
        return await self._pages.read(
            self._x, Q.list_feedback_due_reminders, DueReminder,
            {"cycle_id": cycle_id, "at": at},
            key=("last_reminded_at", "sent_at", "invitation_id"), after=after, limit=limit,
        )

    async def record_reminder(
        self, invitation_id: UUID, *, channel: str = "email", at: datetime | None = None
    ) -> Reminder:
        """Counts a reminder at ``at`` (default now) and queues its notification, in one statement.

        Only within the limits ``due_reminders`` applies; of racing callers
        only one records it. Otherwise ``Conflict`` naming what stands in the
        way: the invitation's or the cycle's status, ``expired``, ``ends_at``
        (the cycle ended), ``sent_at`` (never sent), ``max_reminders`` or
        ``reminder_interval_days`` (too soon).
        """
        reminder = await self._x.one(
            Q.record_feedback_reminder, Reminder, invitation_id=invitation_id, channel=channel,
            at=at,
        )
        if reminder is not None:
            return reminder
        state = await self._x.one(
            Q.get_feedback_reminder_state, _ReminderState, invitation_id=invitation_id, at=at,
        )
        if state is None:
            raise NotFound("feedback invitation", invitation_id)
        refusal = f"feedback invitation {invitation_id} takes no reminder now"
        if state.status not in ("pending", "started"):
            raise Conflict(f"{refusal}: it is {state.status}", state.status)
        if state.cycle_status != "active":
            raise Conflict(f"{refusal}: its cycle is {state.cycle_status}", state.cycle_status)
        if state.cycle_ended:
            raise Conflict(f"{refusal}: its cycle has ended", "ends_at")
        if state.token_expired:
            raise Conflict(f"{refusal}: its access token expired", "expired")
        if not state.sent:
            raise Conflict(f"{refusal}: it was never sent", "sent_at")
        if state.reminder_count >= state.max_reminders:
            raise Conflict(f"{refusal}: it had all {state.max_reminders} reminders", "max_reminders")
        raise Conflict(
            f"{refusal}: the next one is due at {state.next_due_at.isoformat() if state.next_due_at else '?'}",
            "reminder_interval_days",
        )

    async def _change_invitation(self, query: Query, invitation_id: UUID, done: str) -> Invitation:
        invitation = await self._x.one(query, Invitation, invitation_id=invitation_id)
        if invitation is not None:
            return invitation
        state = await self._x.one(
            Q.get_feedback_invitation_state, _InvitationState, invitation_id=invitation_id,
        )
        if state is None:
            raise NotFound("feedback invitation", invitation_id)
        if state.status not in ("pending", "started"):
            raise Conflict(
                f"feedback invitation {invitation_id} is {state.status}: it cannot be {done}", state.status
            )
        if state.cycle_status != "active":
            raise Conflict(
                f"feedback cycle of invitation {invitation_id} is {state.cycle_status}: "
                f"the invitation cannot be {done}",
                state.cycle_status,
            )
        if state.token_expired:
            raise Conflict(f"the access token of invitation {invitation_id} expired", "expired")
        raise Conflict(f"feedback invitation {invitation_id} is {state.status}: it cannot be {done}", state.status)

    async def expire_overdue_invitations(self, cycle_id: UUID) -> int:
        """Expires the cycle's open invitations whose token expired or whose cycle ended; how many."""
        return await self._x.execute(Q.expire_overdue_feedback_invitations, cycle_id=cycle_id)

    async def list_pending_raters(
        self,
        cycle_id: UUID,
        *,
        not_contacted_within: timedelta | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> Page[PendingRater]:
        """Who still has to answer in an active cycle, least recently contacted first.

        With ``not_contacted_within``, only raters neither sent nor reminded
        within that time: the ones a reminder run should write to.
        """
        return await self._pages.read(
            self._x, Q.list_feedback_pending_raters, PendingRater,
            {"cycle_id": cycle_id, "quiet_period": not_contacted_within},
            key=("last_reminded_at", "sent_at", "invitation_id"), after=after, limit=limit,
        )

    async def list_cycle_invitations(
        self,
        cycle_id: UUID,
        *,
        status: str | None = None,
        relationship: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> Page[InvitationListing]:
        """A page of the cycle's invitations with names, by target person then relationship."""
        return await self._pages.read(
            self._x, Q.list_feedback_cycle_invitations, InvitationListing,
            {"cycle_id": cycle_id, "status": status, "relationship": relationship},
            key=("target_user_id", "relationship", "id"), after=after, limit=limit,
        )

    # Submitting --------------------------------------------------------------

    async def submit(self, invitation_id: UUID, answers: list[Answer], token: str | None = None) -> UUID:
        """Stores a rater's answers whole, or nothing; the submission's id.

        Only the invited rater submits: a member in ``db.organization(org,
        user_id=rater)``, an external rater in ``db.external_rater(token)``
        with the same ``token``; anyone else gets ``OutOfScope`` (``NotFound``
        for another organization's invitation). An answer arriving after the
        cycle's close is refused, also when it raced the close.

        Refusals: ``NotFound`` (no such invitation); ``InvalidData`` naming
        ``access_token`` (wrong token), ``rating`` (off the question's scale,
        or given to a question of another type), ``option_ids`` (not exactly
        one option for a single choice, none for a multiple choice, an option
        of another question, or options for a question of another type),
        ``question_id`` (not a question of the cycle's form) or ``answers``
        (required ones missing); ``Conflict`` naming the current state of the
        cycle (draft, closed, cancelled), of the invitation (completed,
        declined, expired) or ``expired`` for an expired token.

        A comment is stripped of surrounding whitespace (a blank one is no
        comment) and encrypted for its answer's row before it is sent; before
        that, a comment over 10,000 characters, with a NUL character or a lone
        surrogate is ``InvalidData`` naming ``comment``, and a rating that is
        not an ``int`` (``"5"``, ``4.5``) ``InvalidData`` naming ``rating``.
        """
        digest = token_digest(token) if token is not None else None
        payload = [self._answer_payload(a) for a in answers]
        submission_id: UUID | None = await self._x.value(
            Q.submit_feedback, invitation_id=invitation_id, access_token_hash=digest,
            answers=payload,
        )
        assert submission_id is not None
        return submission_id

    def _answer_payload(self, answer: Answer) -> dict[str, Any]:
        answer_id = uuid.uuid4()
        # JSON would carry "5" or 4.5 to a rating the database casts silently.
        if answer.rating is not None and type(answer.rating) is not int:
            raise InvalidData("rating", f"must be a whole number, not {type(answer.rating).__name__}")
        payload: dict[str, Any] = {
            "id": str(answer_id), "question_id": str(answer.question_id), "rating": answer.rating,
        }
        if answer.option_ids:
            payload["option_ids"] = [str(o) for o in answer.option_ids]
        comment = checked_text("comment", answer.comment) if answer.comment is not None else None
        text = comment.strip() if comment is not None else ""
        if text:
            table, column = _COMMENTS
            sealed = self._needs_cipher().encrypt(text, table=table, column=column, row_id=answer_id)
            payload["comment_ciphertext"] = base64.b64encode(sealed.ciphertext).decode()
            payload["comment_key_id"] = sealed.key_id
        return payload

    # Results -----------------------------------------------------------------

    async def analyze(self, target_user_id: UUID, cycle_id: UUID) -> list[CompetencyAnalysis]:
        """The seed's feedback analysis of a person in a cycle, best average first.

        Self-assessment is reported beside the average, never in it; ratings of
        groups too small to be shown are left out. Like every results method:
        on an anonymous form only once the cycle is closed (``Conflict``
        naming its status before); nothing for a cycle the reader may not see.
        """
        return await self._x.all(
            Q.get_feedback_analysis, CompetencyAnalysis, target_user_id=target_user_id,
            cycle_id=cycle_id,
        )

    async def results_by_group(self, target_user_id: UUID, cycle_id: UUID) -> list[GroupResult]:
        """Per competency and rater group, the mean rating and how many submissions it has.

        A group with fewer submissions than the form's anonymity threshold is
        folded into ``others``; ``others`` below the threshold is not returned.
        ``self`` stands apart. An anonymous form's only once the cycle is closed.
        """
        return await self._x.all(
            Q.get_feedback_results_by_group, GroupResult, target_user_id=target_user_id,
            cycle_id=cycle_id,
        )

    async def comments(self, target_user_id: UUID, cycle_id: UUID) -> list[Comment]:
        """The free-text comments on a person in a cycle, under the same group and
        availability rules.

        Ordered by question, rater group and text. ``DecryptionFailed`` (naming
        the answer's row) when a stored comment is not authentic.
        """
        stored = await self._x.all(
            Q.list_feedback_comments, _StoredComment, target_user_id=target_user_id,
            cycle_id=cycle_id,
        )
        found = [
            Comment(s.question_id, s.question_position, s.question_text, s.competency_id,
                    s.rater_group, self._comment_text(s))
            for s in stored
        ]
        found.sort(key=lambda c: (c.question_position, c.question_id, _GROUP_ORDER[c.rater_group], c.comment))
        return found

    def _comment_text(self, stored: _StoredComment) -> str:
        if stored.comment_ciphertext is None or stored.comment_key_id is None:
            assert stored.comment is not None  # the query returns only rows with a comment
            return stored.comment
        table, column = _COMMENTS
        return self._needs_cipher().decrypt(
            stored.comment_ciphertext, stored.comment_key_id,
            table=table, column=column, row_id=stored.response_id,
        )

    async def question_results(self, target_user_id: UUID, cycle_id: UUID) -> list[QuestionResult]:
        """Per question of the form but text ones, the aggregate of others' answers (see ``QuestionResult``).

        Only answers of the rater groups ``results_by_group`` shows (on their
        own or within ``others``) are counted, so the two cannot be subtracted
        to uncover a hidden group; self-assessment is left out.
        """
        stored = await self._x.all(
            Q.get_feedback_question_results, _StoredQuestionResult, target_user_id=target_user_id,
            cycle_id=cycle_id,
        )
        return [
            QuestionResult(
                s.question_id, s.position, s.question_text, s.question_type, s.answer_count,
                s.average_rating, s.nps_score,
                tuple(OptionCount(UUID(d["option_id"]) if d["option_id"] else None, d["label"], d["count"])
                      for d in s.distribution),
            )
            for s in stored
        ]

    async def completion(self, cycle_id: UUID) -> list[RelationshipCompletion]:
        """Per relationship, how many invitations the cycle has and where they stand."""
        rows = await self._x.all(
            Q.get_feedback_cycle_completion, RelationshipCompletion, cycle_id=cycle_id,
        )
        if not rows:
            raise NotFound("feedback cycle", cycle_id)
        return rows
