"""Plan review: the owner submits a learning plan, their manager approves it or sends it back.

Each submission opens a review round (``learning_plan_reviews``); at most one
is pending per plan. Only the manager of the plan's owner decides it, once:
approved, or ``changes_requested`` with a comment saying why; the owner may
then submit again. ``overdue_objectives`` lists the open objectives of
active plans past their due date, for plan-due reminders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from ikenei.db.pages import Page
from ikenei.db.queries import Q
from ikenei.errors import Conflict, InvalidData, NotFound
from ikenei.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class PlanReview:
    id: UUID
    organization_id: UUID
    plan_id: UUID
    submitted_by: UUID | None
    submitted_at: datetime
    status: str  # pending, approved or changes_requested
    reviewer_id: UUID | None
    comment: str | None
    decided_at: datetime | None


@dataclass(frozen=True, slots=True)
class OverdueObjective:
    objective_id: UUID
    objective_title: str
    due_date: date
    days_overdue: int
    status: str
    plan_id: UUID
    plan_title: str
    user_id: UUID
    user_name: str


@dataclass(frozen=True, slots=True)
class _PlanState:
    status: str
    review_status: str
    user_id: UUID


class PlanReviewsRepository(Repository):
    """Review rounds of learning plans, and overdue objectives."""

    __slots__ = ()

    async def submit(self, plan_id: UUID, *, submitted_by: UUID) -> PlanReview:
        """Opens a review round, by the plan's owner.

        ``InvalidData`` naming ``submitted_by`` (not the owner); ``Conflict``
        naming the review status (``submitted``: one is open) or the plan's
        status (completed, cancelled).
        """
        review = await self._x.one(
            Q.submit_learning_plan_for_review, PlanReview, plan_id=plan_id,
            submitted_by=submitted_by,
        )
        if review is not None:
            return review
        state = await self._x.one(Q.get_learning_plan_review_state, _PlanState, plan_id=plan_id)
        if state is None:
            raise NotFound("learning plan", plan_id)
        if state.status not in ("draft", "active", "paused"):
            raise Conflict(f"learning plan {plan_id} is {state.status}: it cannot be reviewed", state.status)
        if state.review_status == "submitted":
            raise Conflict(f"learning plan {plan_id} is already submitted for review", state.review_status)
        raise InvalidData("submitted_by", "only the plan's owner submits it for review")

    async def approve(self, plan_id: UUID, *, reviewer_id: UUID, comment: str | None = None) -> PlanReview:
        """Approves the pending review: ``InvalidData`` (``reviewer_id``) unless the owner's manager,
        ``Conflict`` naming the review status when none is pending."""
        return await self._decide(plan_id, True, reviewer_id, comment)

    async def send_back(self, plan_id: UUID, *, reviewer_id: UUID, comment: str) -> PlanReview:
        """Sends the plan back for changes, with a comment (``InvalidData`` naming ``comment`` without one)."""
        return await self._decide(plan_id, False, reviewer_id, comment)

    async def _decide(self, plan_id: UUID, approve: bool, reviewer_id: UUID, comment: str | None) -> PlanReview:
        review = await self._x.one(
            Q.decide_learning_plan_review, PlanReview, plan_id=plan_id, approve=approve,
            reviewer_id=reviewer_id, comment=comment,
        )
        assert review is not None
        return review

    async def list(self, plan_id: UUID) -> list[PlanReview]:
        """Every review round of the plan, newest first."""
        return await self._x.all(Q.list_learning_plan_reviews, PlanReview, plan_id=plan_id)

    async def overdue_objectives(
        self, organization_id: UUID, *, as_of: date, limit: int = 100, after: str | None = None
    ) -> Page[OverdueObjective]:
        """Open objectives of active plans due before ``as_of``, most overdue first."""
        return await self._pages.read(
            self._x, Q.list_overdue_learning_objectives, OverdueObjective,
            {"organization_id": organization_id, "as_of": as_of},
            key=("due_date", "plan_id", "objective_id"), after=after, limit=limit,
        )
