"""The notification log: every message the product sends about the feedback and learning process.

A notification is queued for one recipient (a member, or for a message about a
feedback invitation that invitation's rater, external ones included) about one
subject (an invitation, a nomination, a cycle, a plan or an objective); the
sender then marks it ``sent`` or ``failed`` (a failed one may be queued again).
The template key fixes the kind of subject, and the database refuses any other
pairing. Reminders are queued by ``feedback.record_reminder``, which checks the
organization's limits in the same statement.

No notification names a submission or an answer: on an anonymous form this
log cannot tell who answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ikenei.db.pages import Page
from ikenei.db.queries import Q
from ikenei.errors import InvalidData
from ikenei.repositories.base import Repository

#: The kind of subject each template is about.
SUBJECT_TYPES = {
    "feedback.invitation": "feedback_invitation",
    "feedback.reminder": "feedback_invitation",
    "feedback.nomination_to_approve": "feedback_nomination",
    "feedback.cycle_closing": "feedback_cycle",
    "feedback.results_released": "feedback_cycle",
    "learning.plan_due": "learning_objective",
    "learning.plan_review": "learning_plan",
}


@dataclass(frozen=True, slots=True)
class Notification:
    id: UUID
    organization_id: UUID
    recipient_user_id: UUID | None  # None: the external rater of the invitation it is about
    channel: str  # email or in_app
    template_key: str
    subject_type: str
    subject_id: UUID
    status: str  # queued, sent or failed
    attempts: int
    last_error: str | None
    queued_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None


class NotificationsRepository(Repository):
    """Queues notifications and records how their delivery went."""

    __slots__ = ()

    async def queue(
        self,
        organization_id: UUID,
        *,
        template_key: str,
        subject_id: UUID,
        recipient_user_id: UUID | None = None,
        channel: str = "email",
    ) -> Notification:
        """Queues one message about a subject of the organization (its kind follows from the template).

        ``InvalidData`` naming ``template_key``, ``channel`` or
        ``recipient_user_id`` (not a member; required unless the subject is an
        invitation); ``NotFound`` when the organization has no such subject.
        """
        subject_type = SUBJECT_TYPES.get(template_key)
        if subject_type is None:
            raise InvalidData("template_key", f"must be one of {', '.join(sorted(SUBJECT_TYPES))}")
        return await self._x.one_found(
            Q.queue_notification, Notification, organization_id=organization_id,
            recipient_user_id=recipient_user_id, channel=channel, template_key=template_key,
            subject_type=subject_type, subject_id=subject_id,
            missing=(subject_type.replace("_", " "), subject_id),
        )

    async def get(self, notification_id: UUID) -> Notification:
        return await self._x.one_found(
            Q.get_notification, Notification, notification_id=notification_id,
            missing=("notification", notification_id),
        )

    async def mark_sent(self, notification_id: UUID) -> Notification:
        """queued → sent; otherwise ``Conflict`` naming the current status."""
        return await self._x.moved(
            Q.mark_notification_sent, Notification, notification_id=notification_id,
            status=Q.get_notification_status, entity="notification", verb="sent",
        )

    async def mark_failed(self, notification_id: UUID, error: str) -> Notification:
        """queued → failed, keeping the delivery error (at most 500 characters)."""
        return await self._x.moved(
            Q.mark_notification_failed, Notification, notification_id=notification_id, error=error,
            status=Q.get_notification_status, entity="notification", verb="failed",
        )

    async def requeue(self, notification_id: UUID) -> Notification:
        """failed → queued, for another attempt."""
        return await self._x.moved(
            Q.requeue_notification, Notification, notification_id=notification_id,
            status=Q.get_notification_status, entity="notification", verb="queued again",
        )

    async def list(
        self,
        organization_id: UUID,
        *,
        status: str | None = None,
        recipient_user_id: UUID | None = None,
        subject_id: UUID | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> Page[Notification]:
        """A page of the organization's notifications, oldest queued first."""
        return await self._pages.read(
            self._x, Q.list_notifications, Notification,
            {"organization_id": organization_id, "status": status, "recipient_user_id": recipient_user_id, "subject_id": subject_id},
            key=("queued_at", "id"), after=after, limit=limit,
        )
