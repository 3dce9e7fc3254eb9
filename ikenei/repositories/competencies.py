"""The competency framework: categories, competencies, their proficiency levels, people's levels.

A person's level for a competency is one row, changed by ``set_level``; every
change is copied into the history by a database trigger, so ``history`` cannot
miss one. A change may carry ``Evidence`` (a note, encrypted here before it
leaves the application like other private text, a URL, the cycle or plan it
came from, who recorded it), which ``history`` shows beside it. ``gaps``
lists what a learning plan is built from.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from ikenei.db.pages import Page
from ikenei.db.queries import Q
from ikenei.errors import NotFound
from ikenei.repositories.base import EncryptingRepository


@dataclass(frozen=True, slots=True)
class CompetencyCategory:
    id: UUID
    organization_id: UUID | None  # None: a shared standard category
    name: str
    description: str | None
    sort_order: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Competency:
    id: UUID
    organization_id: UUID
    name: str
    description: str | None
    category_id: UUID | None
    weight: Decimal
    is_active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ProficiencyLevel:
    """One step of a competency's ordered scale (level 1 is the lowest)."""

    id: UUID
    organization_id: UUID
    competency_id: UUID
    level: int
    name: str
    description: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class UserCompetency:
    """A person's current and target level for one competency, and who set it last."""

    id: UUID
    organization_id: UUID
    user_id: UUID
    competency_id: UUID
    current_level: int | None
    target_level: int | None
    source: str
    set_by: UUID | None
    cycle_id: UUID | None
    assessed_at: datetime
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class UserCompetencyLevel:
    """A person's level for one competency as a profile shows it, with names."""

    competency_id: UUID
    competency_name: str
    category_id: UUID | None
    category_name: str | None
    current_level: int | None
    current_level_name: str | None
    target_level: int | None
    target_level_name: str | None
    source: str
    set_by: UUID | None
    cycle_id: UUID | None
    assessed_at: datetime


@dataclass(frozen=True, slots=True)
class CompetencyHistoryEntry:
    """One change of a person's level: the levels after it, who or what made it, when."""

    id: UUID
    current_level: int | None
    target_level: int | None
    source: str
    set_by: UUID | None
    cycle_id: UUID | None
    recorded_at: datetime
    evidence: Evidence | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """What supports a level change: any of a note (private, stored encrypted), a URL, a cycle, a plan.

    Given to ``set_level``; ``history`` returns it with its ``id`` and
    ``recorded_by`` (the change's ``set_by``) filled in.
    """

    note: str | None = None
    url: str | None = None
    cycle_id: UUID | None = None
    plan_id: UUID | None = None
    recorded_by: UUID | None = None
    id: UUID | None = None


@dataclass(frozen=True, slots=True)
class _StoredHistoryEntry:
    id: UUID
    current_level: int | None
    target_level: int | None
    source: str
    set_by: UUID | None
    cycle_id: UUID | None
    recorded_at: datetime
    evidence_id: UUID | None
    note_ciphertext: bytes | None
    note_key_id: str | None
    url: str | None
    evidence_cycle_id: UUID | None
    evidence_plan_id: UUID | None
    recorded_by: UUID | None


_EVIDENCE_NOTES = ("competency_evidence", "note")


@dataclass(frozen=True, slots=True)
class CompetencyGap:
    """A competency where a person is below target; current_level 0 means not assessed."""

    competency_id: UUID
    competency_name: str
    category_id: UUID | None
    category_name: str | None
    current_level: int
    target_level: int
    gap: int


@dataclass(frozen=True, slots=True)
class LevelSpec:
    """Name and description of one proficiency level, for ``set_proficiency_levels``."""

    name: str
    description: str | None = None


class CompetenciesRepository(EncryptingRepository):
    """Categories, competencies, proficiency levels, and people's levels with their history."""

    __slots__ = ()
    encrypted_text = "evidence notes"

    # Categories

    async def create_category(
        self,
        organization_id: UUID | None,
        *,
        name: str,
        description: str | None = None,
        sort_order: int = 0,
    ) -> CompetencyCategory:
        """An organization's own category, or a shared standard one when organization_id is None."""
        return await self._x.created(
            Q.create_competency_category,
            CompetencyCategory,
            organization_id=organization_id,
            name=name,
            description=description,
            sort_order=sort_order,
        )

    async def get_category(self, category_id: UUID) -> CompetencyCategory:
        return await self._x.one_found(
            Q.get_competency_category, CompetencyCategory, category_id=category_id,
            missing=("competency category", category_id),
        )

    async def list_categories(self, organization_id: UUID) -> list[CompetencyCategory]:
        """The shared standard categories and the organization's own, by sort order and name."""
        return await self._x.all(
            Q.list_competency_categories, CompetencyCategory, organization_id=organization_id,
        )

    async def update_category(self, category: CompetencyCategory) -> CompetencyCategory:
        """Stores name, description and sort order; the owner (organization_id) stays."""
        return await self._x.stored(
            Q.update_competency_category, category, category_id=category.id,
            missing=("competency category", category.id),
        )

    async def delete_category(self, organization_id: UUID | None, category_id: UUID) -> None:
        """Deletes a category of this owner (None: shared); its competencies lose it."""
        if await self._x.value(
            Q.delete_competency_category, organization_id=organization_id, category_id=category_id,
        ) is None:
            raise NotFound("competency category", category_id)

    # Competencies

    async def create(
        self,
        organization_id: UUID,
        *,
        name: str,
        description: str | None = None,
        category_id: UUID | None = None,
        weight: Decimal = Decimal("1.0"),
        is_active: bool = True,
    ) -> Competency:
        return await self._x.created(
            Q.create_competency,
            Competency,
            organization_id=organization_id,
            name=name,
            description=description,
            category_id=category_id,
            weight=weight,
            is_active=is_active,
        )

    async def get(self, competency_id: UUID) -> Competency:
        return await self._x.one_found(
            Q.get_competency, Competency, competency_id=competency_id,
            missing=("competency", competency_id),
        )

    async def list(
        self,
        organization_id: UUID,
        *,
        category_id: UUID | None = None,
        is_active: bool | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> Page[Competency]:
        """A page of the organization's competencies by name."""
        return await self._pages.read(
            self._x, Q.list_competencies, Competency,
            {"organization_id": organization_id, "category_id": category_id, "is_active": is_active},
            key=("name", "id"), after=after, limit=limit,
        )

    async def update(self, competency: Competency) -> Competency:
        """Stores the editable fields of ``competency`` (make it with ``dataclasses.replace``)."""
        return await self._x.stored(
            Q.update_competency, competency, competency_id=competency.id,
            missing=("competency", competency.id),
        )

    async def soft_delete(self, competency_id: UUID) -> None:
        if await self._x.value(Q.soft_delete_competency, competency_id=competency_id) is None:
            raise NotFound("competency", competency_id)

    # Proficiency levels

    async def set_proficiency_levels(
        self, organization_id: UUID, competency_id: UUID, levels: Sequence[LevelSpec]
    ) -> builtins.list[ProficiencyLevel]:
        """Makes the competency's scale exactly ``levels``, numbered 1..n from the lowest.

        Existing levels keep their id; levels above n are deleted, which is
        refused (``InvalidData``, nothing changed) while a person's level refers to one.
        """
        names = [level.name for level in levels]
        descriptions = [level.description for level in levels]
        return await self._x.all(
            Q.set_competency_levels,
            ProficiencyLevel,
            organization_id=organization_id,
            competency_id=competency_id,
            names=names,
            descriptions=descriptions,
        )

    async def list_proficiency_levels(self, competency_id: UUID) -> builtins.list[ProficiencyLevel]:
        """The competency's levels, lowest first."""
        return await self._x.all(
            Q.list_competency_levels, ProficiencyLevel, competency_id=competency_id,
        )

    async def update_proficiency_level(self, level: ProficiencyLevel) -> ProficiencyLevel:
        """Stores a level's name and description; its number is its identity and stays."""
        return await self._x.stored(
            Q.update_competency_level, level, level_id=level.id,
            missing=("competency level", level.id),
        )

    async def delete_proficiency_level(self, level_id: UUID) -> None:
        """Deletes a level; refused (``InvalidData``) while a person's level refers to it."""
        if await self._x.value(Q.delete_competency_level, level_id=level_id) is None:
            raise NotFound("competency level", level_id)

    # People's levels

    async def set_level(
        self,
        organization_id: UUID,
        user_id: UUID,
        competency_id: UUID,
        *,
        current_level: int | None = None,
        target_level: int | None = None,
        source: str,
        set_by: UUID | None = None,
        cycle_id: UUID | None = None,
        evidence: Evidence | None = None,
    ) -> UserCompetency:
        """Records a person's level; a level left None keeps the one stored.

        ``source`` is one of self, manager, feedback_cycle, assessment, import.
        A level the competency's scale lacks is refused (``InvalidData`` naming
        current_level or target_level). The change is added to the history,
        with ``evidence`` if given (recorded by ``set_by``), in one
        transaction: ``InvalidData`` naming ``url``, ``cycle_id``, ``plan_id``
        or ``content`` (evidence holding nothing) changes nothing.
        """
        if evidence is None:
            return await self._x.created(
                Q.set_user_competency, UserCompetency, organization_id=organization_id,
                user_id=user_id, competency_id=competency_id, current_level=current_level,
                target_level=target_level, source=source, set_by=set_by, cycle_id=cycle_id,
            )
        evidence_id = uuid.uuid4()
        ciphertext = key_id = None
        if evidence.note is not None and evidence.note.strip():
            table, column = _EVIDENCE_NOTES
            sealed = self._needs_cipher().encrypt(evidence.note.strip(), table=table, column=column, row_id=evidence_id)
            ciphertext, key_id = sealed.ciphertext, sealed.key_id
        async with self._x.transaction() as x:
            row = await x.created(
                Q.set_user_competency, UserCompetency, organization_id=organization_id,
                user_id=user_id, competency_id=competency_id, current_level=current_level,
                target_level=target_level, source=source, set_by=set_by, cycle_id=cycle_id,
            )
            added = await x.value(
                Q.add_competency_evidence, evidence_id=evidence_id, organization_id=organization_id,
                user_id=user_id, competency_id=competency_id, note_ciphertext=ciphertext,
                note_key_id=key_id, url=evidence.url, cycle_id=evidence.cycle_id,
                plan_id=evidence.plan_id, recorded_by=set_by,
            )
            assert added == evidence_id
        return row

    async def get_level(
        self, organization_id: UUID, user_id: UUID, competency_id: UUID
    ) -> UserCompetency:
        return await self._x.one_found(
            Q.get_user_competency, UserCompetency, organization_id=organization_id, user_id=user_id,
            competency_id=competency_id,
            missing=("user competency", (organization_id, user_id, competency_id)),
        )

    async def list_user_levels(
        self, organization_id: UUID, user_id: UUID
    ) -> builtins.list[UserCompetencyLevel]:
        """A person's levels with competency, category and level names, by competency name."""
        return await self._x.all(
            Q.list_user_competencies, UserCompetencyLevel, organization_id=organization_id,
            user_id=user_id,
        )

    async def history(
        self,
        organization_id: UUID,
        user_id: UUID,
        competency_id: UUID,
        *,
        limit: int = 50,
        after: str | None = None,
    ) -> Page[CompetencyHistoryEntry]:
        """A page of the changes to a person's level for one competency, newest first, with their evidence.

        An evidence note that does not decrypt raises ``DecryptionFailed``.
        """
        stored = await self._pages.read(
            self._x, Q.list_user_competency_history, _StoredHistoryEntry,
            {"organization_id": organization_id, "user_id": user_id, "competency_id": competency_id},
            key=("recorded_at", "id"), after=after, limit=limit,
        )
        return Page(
            (
                CompetencyHistoryEntry(
                    h.id, h.current_level, h.target_level, h.source, h.set_by, h.cycle_id, h.recorded_at,
                    self._evidence(h),
                )
                for h in stored
            ),
            None,
            lambda: stored.cursor,
        )

    def _evidence(self, h: _StoredHistoryEntry) -> Evidence | None:
        if h.evidence_id is None:
            return None
        note = None
        if h.note_ciphertext is not None and h.note_key_id is not None:
            table, column = _EVIDENCE_NOTES
            note = self._needs_cipher().decrypt(
                h.note_ciphertext, h.note_key_id, table=table, column=column, row_id=h.evidence_id
            )
        return Evidence(note, h.url, h.evidence_cycle_id, h.evidence_plan_id, h.recorded_by, h.evidence_id)

    async def gaps(self, organization_id: UUID, user_id: UUID) -> builtins.list[CompetencyGap]:
        """A person's active competencies below target, largest gap first, then by name."""
        return await self._x.all(
            Q.list_competency_gaps, CompetencyGap, organization_id=organization_id, user_id=user_id,
        )
