"""Learning plan templates: an organization's reusable plans, instantiated for a person in one statement.

A template holds ordered objectives, each with a title, an optional
competency and target level, an optional resource, a priority and a due date
given as days after the plan's start (``due_offset_days``, never negative).
``create_plan`` copies them into a new plan for a person: each objective is
due on the start date plus its offset and carries the person's current level
beside the target. (A plan from a person's gaps is ``learning.create_plan_from_gaps``.)
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ikenei.db.pages import Page
from ikenei.db.queries import Q
from ikenei.db.records import builder
from ikenei.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class PlanTemplate:
    id: UUID
    organization_id: UUID
    title: str
    description: str | None
    is_active: bool
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class TemplateObjective:
    id: UUID
    template_id: UUID
    position: int
    title: str
    description: str | None
    competency_id: UUID | None
    target_level: int | None
    resource_id: UUID | None
    priority: int
    due_offset_days: int  # days after the plan's start


@dataclass(frozen=True, slots=True)
class PlannedObjective:
    """An objective of a plan made from a template, with its due date."""

    id: UUID
    position: int
    title: str
    competency_id: UUID | None
    current_level: int | None
    target_level: int | None
    priority: int
    due_date: date
    resource_id: UUID | None


@dataclass(frozen=True, slots=True)
class PlanFromTemplate:
    """A plan made from a template, with its objectives in order."""

    id: UUID
    organization_id: UUID
    user_id: UUID
    title: str
    status: str
    start_date: date
    target_completion_date: date | None
    template_id: UUID
    objectives: tuple[PlannedObjective, ...]


@dataclass(frozen=True, slots=True)
class _StoredPlan:
    id: UUID
    organization_id: UUID
    user_id: UUID
    title: str
    status: str
    start_date: date
    target_completion_date: date | None
    template_id: UUID
    objectives: list[tuple[Any, ...]]


_planned = builder(PlannedObjective)


class PlanTemplatesRepository(Repository):
    """Plan templates, their objectives, and plans made from them."""

    __slots__ = ()

    async def create(
        self, organization_id: UUID, *, title: str, description: str | None = None, created_by: UUID | None = None
    ) -> PlanTemplate:
        """A new template (titles are unique in an organization, ignoring case: ``AlreadyExists``)."""
        return await self._x.created(
            Q.create_learning_plan_template, PlanTemplate, organization_id=organization_id,
            title=title, description=description, created_by=created_by,
        )

    async def get(self, template_id: UUID) -> PlanTemplate:
        return await self._x.one_found(
            Q.get_learning_plan_template, PlanTemplate, template_id=template_id,
            missing=("plan template", template_id),
        )

    async def list(
        self, organization_id: UUID, *, is_active: bool | None = None, limit: int = 50, after: str | None = None
    ) -> Page[PlanTemplate]:
        """A page of the organization's templates by title."""
        return await self._pages.read(
            self._x, Q.list_learning_plan_templates, PlanTemplate,
            {"organization_id": organization_id, "is_active": is_active},
            key=("title", "id"), after=after, limit=limit,
        )

    async def set_active(self, template_id: UUID, is_active: bool) -> PlanTemplate:
        """Offers the template for new plans, or withdraws it (plans made from it stay)."""
        return await self._x.one_found(
            Q.set_learning_plan_template_active, PlanTemplate, template_id=template_id,
            is_active=is_active, missing=("plan template", template_id),
        )

    async def add_objective(
        self,
        template_id: UUID,
        *,
        title: str,
        due_offset_days: int,
        description: str | None = None,
        competency_id: UUID | None = None,
        target_level: int | None = None,
        resource_id: UUID | None = None,
        priority: int = 3,
        position: int | None = None,
    ) -> TemplateObjective:
        """Adds an objective after the last one (or at a free ``position``).

        ``InvalidData`` naming ``due_offset_days`` (negative or over ten
        years), ``priority``, ``target_level``, ``competency_id`` or
        ``resource_id`` (not the organization's); ``AlreadyExists``
        (``position``) for a taken position.
        """
        return await self._x.one_found(
            Q.add_learning_plan_template_objective, TemplateObjective, template_id=template_id,
            position=position, title=title, description=description, competency_id=competency_id,
            target_level=target_level, resource_id=resource_id, priority=priority,
            due_offset_days=due_offset_days, missing=("plan template", template_id),
        )

    async def list_objectives(self, template_id: UUID) -> builtins.list[TemplateObjective]:
        return await self._x.all(
            Q.list_learning_plan_template_objectives, TemplateObjective, template_id=template_id,
        )

    async def create_plan(
        self,
        template_id: UUID,
        user_id: UUID,
        *,
        start_date: date,
        title: str | None = None,
        status: str = "draft",
        created_by: UUID | None = None,
    ) -> PlanFromTemplate:
        """A plan for a member from an active template, objectives included, in one statement.

        ``NotFound`` when the template is absent, deleted or withdrawn;
        ``InvalidData`` (``user_id``) for someone who is not a member.
        """
        stored = await self._x.one_found(
            Q.create_learning_plan_from_template, _StoredPlan, template_id=template_id,
            user_id=user_id, title=title, start_date=start_date, status=status,
            created_by=created_by, missing=("plan template", template_id),
        )
        return PlanFromTemplate(
            stored.id, stored.organization_id, stored.user_id, stored.title, stored.status, stored.start_date,
            stored.target_completion_date, stored.template_id, tuple(_planned(o) for o in stored.objectives),
        )
