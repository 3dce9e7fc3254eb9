"""Learning: resources, plans built from competency gaps, objectives, progress, recommendations.

Plan status moves along draft → active ⇄ paused, active → completed, and
draft/active/paused → cancelled; a recommendation goes from pending to accepted
or dismissed once. Each move is one guarded statement (``WHERE status = ...``),
so of two racing callers exactly one wins and the other gets ``Conflict``
naming the state it found; the database's transition triggers refuse any other move.

The notes of progress entries are private: encrypted here before they are
stored (see ``ikenei.security.encryption``), each bound to its entry's id, which this module
therefore chooses; a note that does not decrypt raises ``DecryptionFailed``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from ikenei.db.pages import Page
from ikenei.db.queries import Q, Query
from ikenei.errors import Conflict, NotFound
from ikenei.repositories.base import EncryptingRepository
from ikenei.security.free_text import checked_text

_NOTES = ("learning_progress", "notes")


@dataclass(frozen=True, slots=True)
class ResourceType:
    code: str
    name: str
    description: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class LearningResource:
    id: UUID
    organization_id: UUID
    title: str
    description: str | None
    resource_type: str
    url: str | None
    provider: str | None
    competency_id: UUID | None
    min_level: int | None
    max_level: int | None
    duration_minutes: int | None
    cost: Decimal | None
    is_active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LearningPlan:
    id: UUID
    organization_id: UUID
    user_id: UUID
    title: str
    description: str | None
    ai_analysis: dict[str, Any] | None
    status: str
    start_date: date | None
    target_completion_date: date | None
    actual_completion_date: date | None
    source_cycle_id: UUID | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LearningObjective:
    """One goal of a plan; priority 1 is the most urgent, 5 the least."""

    id: UUID
    organization_id: UUID
    plan_id: UUID
    competency_id: UUID | None
    title: str
    description: str | None
    current_level: int | None
    target_level: int | None
    status: str
    priority: int
    position: int
    due_date: date | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LearningProgress:
    id: UUID
    organization_id: UUID
    plan_id: UUID
    objective_id: UUID | None
    resource_id: UUID | None
    user_id: UUID
    progress_percent: int
    time_spent_minutes: int | None
    notes: str | None
    completed_at: datetime | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class _StoredProgress:
    """A progress entry as stored: its note encrypted (or text from before encryption)."""

    id: UUID
    organization_id: UUID
    plan_id: UUID
    objective_id: UUID | None
    resource_id: UUID | None
    user_id: UUID
    progress_percent: int
    time_spent_minutes: int | None
    notes: str | None
    notes_ciphertext: bytes | None
    notes_key_id: str | None
    completed_at: datetime | None
    recorded_at: datetime


@dataclass(frozen=True, slots=True)
class PlanDetails:
    """A plan with its objectives (in order) and its progress entries (oldest first)."""

    plan: LearningPlan
    objectives: list[LearningObjective]
    progress: list[LearningProgress]


@dataclass(frozen=True, slots=True)
class Recommendation:
    id: UUID
    organization_id: UUID
    user_id: UUID
    plan_id: UUID | None
    objective_id: UUID | None
    resource_id: UUID | None
    competency_id: UUID | None
    recommendation_type: str
    title: str
    reason: str | None
    score: Decimal
    model_name: str | None
    model_version: str | None
    model_metadata: dict[str, Any]
    status: str
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PlanProgressSummary:
    """One active plan in a progress summary; completion_percentage is None without objectives."""

    plan_id: UUID
    plan_title: str
    total_objectives: int
    completed_objectives: int
    completion_percentage: Decimal | None


# The rows of get_learning_plan_details and create_learning_plan_from_gaps: the
# plan's columns, then its objectives (and progress) as lists of row tuples.
@dataclass(frozen=True, slots=True)
class _PlanRow:
    id: UUID
    organization_id: UUID
    user_id: UUID
    title: str
    description: str | None
    ai_analysis: dict[str, Any] | None
    status: str
    start_date: date | None
    target_completion_date: date | None
    actual_completion_date: date | None
    source_cycle_id: UUID | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime
    objectives: list[tuple[Any, ...]]
    progress: list[tuple[Any, ...]]


@dataclass(frozen=True, slots=True)
class _NewPlanRow:
    id: UUID
    organization_id: UUID
    user_id: UUID
    title: str
    description: str | None
    ai_analysis: dict[str, Any] | None
    status: str
    start_date: date | None
    target_completion_date: date | None
    actual_completion_date: date | None
    source_cycle_id: UUID | None
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime
    objectives: list[tuple[Any, ...]]


def _plan_of(row: _PlanRow | _NewPlanRow) -> LearningPlan:
    return LearningPlan(
        row.id,
        row.organization_id,
        row.user_id,
        row.title,
        row.description,
        row.ai_analysis,
        row.status,
        row.start_date,
        row.target_completion_date,
        row.actual_completion_date,
        row.source_cycle_id,
        row.created_by,
        row.created_at,
        row.updated_at,
    )


class LearningRepository(EncryptingRepository):
    """Learning resources, plans and their objectives and progress, and recommendations."""

    __slots__ = ()
    encrypted_text = "progress notes"

    def _progress_of(self, stored: _StoredProgress) -> LearningProgress:
        notes = stored.notes
        if stored.notes_ciphertext is not None and stored.notes_key_id is not None:
            table, column = _NOTES
            notes = self._needs_cipher().decrypt(
                stored.notes_ciphertext, stored.notes_key_id, table=table, column=column, row_id=stored.id
            )
        s = stored
        return LearningProgress(
            s.id, s.organization_id, s.plan_id, s.objective_id, s.resource_id, s.user_id,
            s.progress_percent, s.time_spent_minutes, notes, s.completed_at, s.recorded_at,
        )

    # Resource types and resources

    async def upsert_resource_type(
        self, code: str, name: str, description: str | None = None
    ) -> ResourceType:
        """Adds a kind of learning material, or renames the one with this code."""
        return await self._x.created(
            Q.upsert_learning_resource_type, ResourceType, code=code, name=name,
            description=description,
        )

    async def list_resource_types(self) -> list[ResourceType]:
        return await self._x.all(Q.list_learning_resource_types, ResourceType)

    async def create_resource(
        self,
        organization_id: UUID,
        *,
        title: str,
        resource_type: str,
        description: str | None = None,
        url: str | None = None,
        provider: str | None = None,
        competency_id: UUID | None = None,
        min_level: int | None = None,
        max_level: int | None = None,
        duration_minutes: int | None = None,
        cost: Decimal | None = None,
        is_active: bool = True,
    ) -> LearningResource:
        return await self._x.created(
            Q.create_learning_resource,
            LearningResource,
            organization_id=organization_id,
            title=title,
            description=description,
            resource_type=resource_type,
            url=url,
            provider=provider,
            competency_id=competency_id,
            min_level=min_level,
            max_level=max_level,
            duration_minutes=duration_minutes,
            cost=cost,
            is_active=is_active,
        )

    async def get_resource(self, resource_id: UUID) -> LearningResource:
        return await self._x.one_found(
            Q.get_learning_resource, LearningResource, resource_id=resource_id,
            missing=("learning resource", resource_id),
        )

    async def list_resources(
        self,
        organization_id: UUID,
        *,
        competency_id: UUID | None = None,
        resource_type: str | None = None,
        level_from: int | None = None,
        level_to: int | None = None,
        is_active: bool | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> Page[LearningResource]:
        """A page of resources by title; with a level range, those whose own range overlaps it."""
        return await self._pages.read(
            self._x, Q.list_learning_resources, LearningResource,
            {"organization_id": organization_id, "competency_id": competency_id, "resource_type": resource_type, "level_from": level_from, "level_to": level_to, "is_active": is_active},
            key=("title", "id"), after=after, limit=limit,
        )

    async def update_resource(self, resource: LearningResource) -> LearningResource:
        """Stores the editable fields of ``resource`` (make it with ``dataclasses.replace``)."""
        return await self._x.stored(
            Q.update_learning_resource, resource, resource_id=resource.id,
            missing=("learning resource", resource.id),
        )

    async def soft_delete_resource(self, resource_id: UUID) -> None:
        if await self._x.value(Q.soft_delete_learning_resource, resource_id=resource_id) is None:
            raise NotFound("learning resource", resource_id)

    # Plans

    async def create_plan(
        self,
        organization_id: UUID,
        user_id: UUID,
        *,
        title: str,
        description: str | None = None,
        ai_analysis: dict[str, Any] | None = None,
        status: str = "active",
        start_date: date | None = None,
        target_completion_date: date | None = None,
        source_cycle_id: UUID | None = None,
        created_by: UUID | None = None,
    ) -> LearningPlan:
        """A plan for a member, active unless ``status="draft"``."""
        return await self._x.created(
            Q.create_learning_plan,
            LearningPlan,
            organization_id=organization_id,
            user_id=user_id,
            title=title,
            description=description,
            ai_analysis=ai_analysis,
            status=status,
            start_date=start_date,
            target_completion_date=target_completion_date,
            source_cycle_id=source_cycle_id,
            created_by=created_by,
        )

    async def create_plan_from_gaps(
        self,
        organization_id: UUID,
        user_id: UUID,
        *,
        title: str,
        ai_analysis: dict[str, Any],
        description: str | None = None,
        status: str = "active",
        start_date: date | None = None,
        target_completion_date: date | None = None,
        source_cycle_id: UUID | None = None,
        created_by: UUID | None = None,
    ) -> PlanDetails:
        """A plan holding ``ai_analysis``, one objective per competency below target; one statement.

        Objectives follow ``CompetenciesRepository.gaps``: largest gap first,
        current and target level copied (no current level: 0), priority 1 for
        a gap of 4 or more down to 4 for a gap of 1. A person with no gap gets
        ``Conflict`` and nothing is written: the request is well formed, the
        person's levels are what make it impossible (it may succeed once a
        target is set).
        """
        row = await self._x.one(
            Q.create_learning_plan_from_gaps,
            _NewPlanRow,
            organization_id=organization_id,
            user_id=user_id,
            title=title,
            description=description,
            ai_analysis=ai_analysis,
            status=status,
            start_date=start_date,
            target_completion_date=target_completion_date,
            source_cycle_id=source_cycle_id,
            created_by=created_by,
        )
        if row is None:
            raise Conflict(
                f"user {user_id} has no competency below target in organization {organization_id}",
                "no_gaps",
            )
        return PlanDetails(_plan_of(row), [LearningObjective(*o) for o in row.objectives], [])

    async def get_plan(self, plan_id: UUID) -> LearningPlan:
        return await self._x.one_found(
            Q.get_learning_plan, LearningPlan, plan_id=plan_id,
            missing=("learning plan", plan_id),
        )

    async def get_plan_with_details(self, plan_id: UUID) -> PlanDetails:
        """The plan with its objectives and progress entries, in one statement."""
        row = await self._x.one(Q.get_learning_plan_details, _PlanRow, plan_id=plan_id)
        if row is None:
            raise NotFound("learning plan", plan_id)
        return PlanDetails(
            _plan_of(row),
            [LearningObjective(*o) for o in row.objectives],
            [self._progress_of(_StoredProgress(*g)) for g in row.progress],
        )

    async def list_plans(
        self,
        organization_id: UUID,
        user_id: UUID,
        *,
        status: str | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> Page[LearningPlan]:
        """A page of a member's plans, newest first."""
        return await self._pages.read(
            self._x, Q.list_learning_plans, LearningPlan,
            {"organization_id": organization_id, "user_id": user_id, "status": status},
            key=("created_at", "id"), after=after, limit=limit,
        )

    async def update_plan(self, plan: LearningPlan) -> LearningPlan:
        """Stores title, description, ai_analysis and dates; status moves are the methods below."""
        return await self._x.stored(
            Q.update_learning_plan, plan, plan_id=plan.id, missing=("learning plan", plan.id),
        )

    async def soft_delete_plan(self, plan_id: UUID) -> None:
        if await self._x.value(Q.soft_delete_learning_plan, plan_id=plan_id) is None:
            raise NotFound("learning plan", plan_id)

    async def _move_plan(self, query: Query, plan_id: UUID, verb: str) -> LearningPlan:
        return await self._x.moved(
            query, LearningPlan, plan_id=plan_id,
            status=Q.get_learning_plan_status, entity="learning plan", verb=verb,
        )

    async def activate_plan(self, plan_id: UUID) -> LearningPlan:
        """draft → active."""
        return await self._move_plan(Q.activate_learning_plan, plan_id, "activated")

    async def pause_plan(self, plan_id: UUID) -> LearningPlan:
        """active → paused."""
        return await self._move_plan(Q.pause_learning_plan, plan_id, "paused")

    async def resume_plan(self, plan_id: UUID) -> LearningPlan:
        """paused → active."""
        return await self._move_plan(Q.resume_learning_plan, plan_id, "resumed")

    async def complete_plan(self, plan_id: UUID) -> LearningPlan:
        """active → completed; actual_completion_date becomes today."""
        return await self._move_plan(Q.complete_learning_plan, plan_id, "completed")

    async def cancel_plan(self, plan_id: UUID) -> LearningPlan:
        """draft, active or paused → cancelled."""
        return await self._move_plan(Q.cancel_learning_plan, plan_id, "cancelled")

    # Objectives

    async def add_objective(
        self,
        organization_id: UUID,
        plan_id: UUID,
        *,
        title: str,
        competency_id: UUID | None = None,
        description: str | None = None,
        current_level: int | None = None,
        target_level: int | None = None,
        priority: int = 3,
        position: int | None = None,
        due_date: date | None = None,
    ) -> LearningObjective:
        """An objective of the plan; without ``position`` it goes after the last one."""
        return await self._x.created(
            Q.add_learning_objective,
            LearningObjective,
            organization_id=organization_id,
            plan_id=plan_id,
            competency_id=competency_id,
            title=title,
            description=description,
            current_level=current_level,
            target_level=target_level,
            priority=priority,
            position=position,
            due_date=due_date,
        )

    async def get_objective(self, objective_id: UUID) -> LearningObjective:
        return await self._x.one_found(
            Q.get_learning_objective, LearningObjective, objective_id=objective_id,
            missing=("learning objective", objective_id),
        )

    async def list_objectives(self, plan_id: UUID) -> list[LearningObjective]:
        """A plan's objectives in order."""
        return await self._x.all(Q.list_learning_objectives, LearningObjective, plan_id=plan_id)

    async def update_objective(self, objective: LearningObjective) -> LearningObjective:
        """Stores the editable fields of ``objective``; status: ``set_objective_status``."""
        return await self._x.stored(
            Q.update_learning_objective, objective, objective_id=objective.id,
            missing=("learning objective", objective.id),
        )

    async def set_objective_status(self, objective_id: UUID, status: str) -> LearningObjective:
        """not_started, in_progress, completed (stamps completed_at) or cancelled (clears it)."""
        return await self._x.one_found(
            Q.set_learning_objective_status, LearningObjective, objective_id=objective_id,
            status=status, missing=("learning objective", objective_id),
        )

    async def delete_objective(self, objective_id: UUID) -> None:
        """Deletes an objective and its progress entries."""
        if await self._x.value(Q.delete_learning_objective, objective_id=objective_id) is None:
            raise NotFound("learning objective", objective_id)

    # Progress

    async def record_progress(
        self,
        plan_id: UUID,
        *,
        progress_percent: int,
        objective_id: UUID | None = None,
        resource_id: UUID | None = None,
        time_spent_minutes: int | None = None,
        notes: str | None = None,
        completed_at: datetime | None = None,
    ) -> LearningProgress:
        """A progress entry of the plan's owner; ``completed_at`` defaults to now at 100 percent.

        ``notes`` are encrypted before they are stored (at most 10,000
        characters, no NUL character or lone surrogate: else ``InvalidData``).
        """
        progress_id = uuid.uuid4()
        ciphertext = key_id = None
        if notes is not None:
            table, column = _NOTES
            notes = checked_text("notes", notes)
            sealed = self._needs_cipher().encrypt(notes, table=table, column=column, row_id=progress_id)
            ciphertext, key_id = sealed.ciphertext, sealed.key_id
        entry = await self._x.one(
            Q.record_learning_progress,
            _StoredProgress,
            progress_id=progress_id,
            plan_id=plan_id,
            objective_id=objective_id,
            resource_id=resource_id,
            progress_percent=progress_percent,
            time_spent_minutes=time_spent_minutes,
            notes_ciphertext=ciphertext,
            notes_key_id=key_id,
            completed_at=completed_at,
        )
        if entry is None:
            raise NotFound("learning plan", plan_id)
        return self._progress_of(entry)

    async def list_progress(
        self, plan_id: UUID, *, objective_id: UUID | None = None
    ) -> list[LearningProgress]:
        """A plan's progress entries (or one objective's), oldest first, notes decrypted."""
        stored = await self._x.all(
            Q.list_learning_progress, _StoredProgress, plan_id=plan_id, objective_id=objective_id,
        )
        return [self._progress_of(s) for s in stored]

    async def progress_summary(
        self, user_id: UUID, *, organization_id: UUID | None = None
    ) -> list[PlanProgressSummary]:
        """Per active plan of the person: objectives, completed ones, completion percentage."""
        return await self._x.all(
            Q.learning_progress_summary, PlanProgressSummary, organization_id=organization_id,
            user_id=user_id,
        )

    # Recommendations

    async def create_recommendation(
        self,
        organization_id: UUID,
        user_id: UUID,
        *,
        title: str,
        score: Decimal | float,
        resource_id: UUID | None = None,
        plan_id: UUID | None = None,
        objective_id: UUID | None = None,
        competency_id: UUID | None = None,
        recommendation_type: str = "resource",
        reason: str | None = None,
        model_name: str | None = None,
        model_version: str | None = None,
        model_metadata: dict[str, Any] | None = None,
    ) -> Recommendation:
        """A pending recommendation; ``score`` is between 0 and 1."""
        return await self._x.created(
            Q.create_recommendation,
            Recommendation,
            organization_id=organization_id,
            user_id=user_id,
            plan_id=plan_id,
            objective_id=objective_id,
            resource_id=resource_id,
            competency_id=competency_id,
            recommendation_type=recommendation_type,
            title=title,
            reason=reason,
            score=score,
            model_name=model_name,
            model_version=model_version,
            model_metadata=model_metadata,
        )

    async def get_recommendation(self, recommendation_id: UUID) -> Recommendation:
        return await self._x.one_found(
            Q.get_recommendation, Recommendation, recommendation_id=recommendation_id,
            missing=("recommendation", recommendation_id),
        )

    async def list_recommendations(
        self,
        organization_id: UUID,
        user_id: UUID,
        *,
        status: str | None = "pending",
        limit: int = 50,
        after: str | None = None,
    ) -> Page[Recommendation]:
        """A page of a member's recommendations (pending ones unless told), best score first."""
        return await self._pages.read(
            self._x, Q.list_recommendations, Recommendation,
            {"organization_id": organization_id, "user_id": user_id, "status": status},
            key=("score", "created_at", "id"), after=after, limit=limit,
        )

    async def _decide(self, query: Query, recommendation_id: UUID, verb: str) -> Recommendation:
        return await self._x.moved(
            query, Recommendation, recommendation_id=recommendation_id,
            status=Q.get_recommendation_status, entity="recommendation", verb=verb,
        )

    async def accept_recommendation(self, recommendation_id: UUID) -> Recommendation:
        """pending → accepted."""
        return await self._decide(Q.accept_recommendation, recommendation_id, "accepted")

    async def dismiss_recommendation(self, recommendation_id: UUID) -> Recommendation:
        """pending → dismissed."""
        return await self._decide(Q.dismiss_recommendation, recommendation_id, "dismissed")
