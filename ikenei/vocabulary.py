"""The fixed words of the domain, once, as ``Literal`` types.

Each is stored in text columns (or a domain) whose CHECK constraint lists the
same words: :data:`STORED_IN` says where, and ``tests/test_vocabulary.py``
compares every one with the migrated database's constraint, so the two cannot
drift. Adding a word: a migration changes the CHECK constraint, and the type
here gets the word in the same change.
"""

from __future__ import annotations

from typing import Any, Literal, get_args

__all__ = [
    "RATER_GROUPS",
    "STORED_IN",
    "AuditAction",
    "ConsentPurpose",
    "CycleStatus",
    "FormType",
    "InvitationStatus",
    "LevelSource",
    "MembershipStatus",
    "NominatedRelationship",
    "NominationStatus",
    "NotificationChannel",
    "NotificationStatus",
    "NotificationTemplate",
    "ObjectiveStatus",
    "OrganizationSize",
    "PlanReviewStatus",
    "PlanStatus",
    "ProcessingOperation",
    "QuestionType",
    "RaterGroup",
    "RecommendationStatus",
    "RecommendationType",
    "Relationship",
    "ReportStatus",
    "ReportType",
    "ReviewDecision",
    "WidgetType",
    "words",
]

# -- feedback ------------------------------------------------------------------------------

#: How a rater stands to the person rated.
Relationship = Literal["self", "manager", "peer", "direct_report", "external"]
#: A group of results: a relationship, or ``others`` for small groups folded together.
RaterGroup = Literal["self", "manager", "peer", "direct_report", "external", "others"]
FormType = Literal["standard", "360", "self_assessment", "manager_review", "peer_review", "upward"]
QuestionType = Literal["rating", "text", "single_choice", "multiple_choice", "nps"]
#: ``draft -> active -> closed | cancelled``.
CycleStatus = Literal["draft", "active", "closed", "cancelled"]
InvitationStatus = Literal["pending", "started", "completed", "declined", "expired"]
#: Whom a person may propose as a rater: every relationship but ``self``.
NominatedRelationship = Literal["manager", "peer", "direct_report", "external"]
#: ``proposed -> approved | rejected``; the person may withdraw a proposal.
NominationStatus = Literal["proposed", "approved", "rejected", "withdrawn"]

# -- people, organizations, competencies ---------------------------------------------------

MembershipStatus = Literal["invited", "active", "suspended", "left"]
OrganizationSize = Literal["1-10", "11-50", "51-200", "201-1000", "1001-5000", "5000+"]
#: Where a competency level came from.
LevelSource = Literal["self", "manager", "feedback_cycle", "assessment", "import"]

# -- learning ------------------------------------------------------------------------------

PlanStatus = Literal["draft", "active", "paused", "completed", "cancelled"]
ObjectiveStatus = Literal["not_started", "in_progress", "completed", "cancelled"]
RecommendationType = Literal["resource", "objective", "practice", "mentor"]
RecommendationStatus = Literal["pending", "accepted", "dismissed"]
#: A plan's review by the owner's manager, as the plan shows it.
PlanReviewStatus = Literal["not_submitted", "submitted", "approved", "changes_requested"]
#: One review request and its decision.
ReviewDecision = Literal["pending", "approved", "changes_requested"]

# -- notifications -------------------------------------------------------------------------

NotificationChannel = Literal["email", "in_app"]
NotificationStatus = Literal["queued", "sent", "failed"]
#: What a notification says; each fixes the kind of its subject.
NotificationTemplate = Literal[
    "feedback.invitation",
    "feedback.reminder",
    "feedback.nomination_to_approve",
    "feedback.cycle_closing",
    "feedback.results_released",
    "learning.plan_due",
    "learning.plan_review",
]

# -- analytics -----------------------------------------------------------------------------

ReportType = Literal[
    "feedback_summary", "cycle_completion", "competency_gaps", "learning_progress", "engagement"
]
ReportStatus = Literal["queued", "running", "completed", "failed"]
WidgetType = Literal[
    "feedback_summary",
    "competency_radar",
    "learning_progress",
    "pending_feedback",
    "cycle_completion",
    "recommendations",
    "activity",
]

# -- privacy -------------------------------------------------------------------------------

ConsentPurpose = Literal["feedback_processing", "ai_recommendations", "analytics", "marketing_emails"]
ProcessingOperation = Literal["export", "erasure", "retention"]
AuditAction = Literal["INSERT", "UPDATE", "DELETE"]


def words(vocabulary: Any) -> tuple[str, ...]:
    """The words of a vocabulary, in the order written: ``words(CycleStatus) == ("draft", "active", "closed", "cancelled")``."""
    return tuple(get_args(vocabulary))


#: Result groups in the order they are reported.
RATER_GROUPS: tuple[str, ...] = words(RaterGroup)

#: Where each vocabulary is stored: ``table.column`` (or ``domain``) -> its type.
STORED_IN: dict[str, Any] = {
    "feedback_invitations.relationship": Relationship,
    "feedback_responses.relationship": Relationship,
    "feedback_ratings.relationship": Relationship,
    "feedback_forms.form_type": FormType,
    "feedback_questions.question_type": QuestionType,
    "feedback_cycles.status": CycleStatus,
    "feedback_invitations.status": InvitationStatus,
    "feedback_nominations.relationship": NominatedRelationship,
    "feedback_nomination_rules.relationship": NominatedRelationship,
    "feedback_nominations.status": NominationStatus,
    "user_organizations.status": MembershipStatus,
    "organizations.size_category": OrganizationSize,
    "user_competencies.source": LevelSource,
    "user_competency_history.source": LevelSource,
    "learning_plans.status": PlanStatus,
    "learning_objectives.status": ObjectiveStatus,
    "learning_plans.review_status": PlanReviewStatus,
    "learning_plan_reviews.status": ReviewDecision,
    "recommendations.recommendation_type": RecommendationType,
    "recommendations.status": RecommendationStatus,
    "reports.report_type": ReportType,
    "reports.status": ReportStatus,
    "dashboard_widgets.widget_type": WidgetType,
    "notifications.channel": NotificationChannel,
    "notifications.status": NotificationStatus,
    "notifications.template_key": NotificationTemplate,
    "consent_purpose": ConsentPurpose,
    "data_processing_log.operation": ProcessingOperation,
    "audit_log.action": AuditAction,
}
