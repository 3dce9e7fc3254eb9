"""Roles (shared system roles and an organization's own) and their assignment to members."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ikenei.db.pages import Page
from ikenei.db.queries import Q
from ikenei.errors import Conflict, NotFound
from ikenei.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class Role:
    id: UUID
    organization_id: UUID | None
    name: str
    description: str | None
    permissions: list[str]
    is_system: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RoleAssignment:
    id: UUID
    organization_id: UUID
    user_id: UUID
    role_id: UUID
    granted_by: UUID | None
    granted_at: datetime


class RolesRepository(Repository):
    """Create, read, update and delete an organization's roles; grant and revoke them."""

    __slots__ = ()

    async def create(
        self, organization_id: UUID, *, name: str, description: str | None = None,
        permissions: list[str] | None = None,
    ) -> Role:
        return await self._x.created(
            Q.create_role, Role, organization_id=organization_id, name=name,
            description=description, permissions=permissions,
        )

    async def get(self, role_id: UUID) -> Role:
        return await self._x.one_found(Q.get_role, Role, role_id=role_id, missing=("role", role_id))

    async def get_by_name(self, organization_id: UUID, name: str) -> Role:
        """The organization's role of this name, else the system role of this name."""
        return await self._x.one_found(
            Q.get_role_by_name, Role, organization_id=organization_id, name=name,
            missing=("role", name),
        )

    async def list(self, organization_id: UUID) -> list[Role]:
        """System roles first, then the organization's own, by name."""
        return await self._x.all(Q.list_roles, Role, organization_id=organization_id)

    async def update(self, role: Role) -> Role:
        """Stores name, description and permissions of an organization's own role.

        A system role is refused with ``Conflict`` (current state ``"system"``).
        """
        updated = await self._x.one(
            Q.update_role, Role, role_id=role.id, name=role.name, description=role.description,
            permissions=role.permissions,
        )
        if updated is None:
            raise await self._why_unchanged(role.id)
        return updated

    async def delete(self, role_id: UUID) -> None:
        """Deletes an organization's own role and its assignments.

        A system role is refused with ``Conflict`` (current state ``"system"``).
        """
        if await self._x.value(Q.delete_role, role_id=role_id) is None:
            raise await self._why_unchanged(role_id)

    async def _why_unchanged(self, role_id: UUID) -> NotFound | Conflict:
        """Why an update or delete changed no role: it is absent, or a system role."""
        role = await self._x.one(Q.get_role, Role, role_id=role_id)
        if role is None:
            return NotFound("role", role_id)
        return Conflict(f"role {role.name} is a system role and cannot be changed", "system")

    async def assign(
        self, organization_id: UUID, user_id: UUID, role_id: UUID, *, granted_by: UUID | None = None
    ) -> RoleAssignment:
        """Grants a system role or one of the organization's own; ``NotFound``
        for any other role id, another organization's too."""
        return await self._x.one_found(
            Q.assign_role, RoleAssignment, organization_id=organization_id, user_id=user_id,
            role_id=role_id, granted_by=granted_by, missing=("role", role_id),
        )

    async def revoke(self, organization_id: UUID, user_id: UUID, role_id: UUID) -> None:
        if await self._x.value(
            Q.revoke_role, organization_id=organization_id, user_id=user_id, role_id=role_id,
        ) is None:
            raise NotFound("role assignment", (organization_id, user_id, role_id))

    async def list_for_user(self, organization_id: UUID, user_id: UUID) -> builtins.list[Role]:
        return await self._x.all(
            Q.list_user_roles, Role, organization_id=organization_id, user_id=user_id,
        )

    async def list_assignments(
        self, organization_id: UUID, role_id: UUID, *, limit: int = 50, after: str | None = None
    ) -> Page[RoleAssignment]:
        """A page of the role's assignments to current members (not left, not deleted), oldest first."""
        return await self._pages.read(
            self._x, Q.list_role_members, RoleAssignment,
            {"organization_id": organization_id, "role_id": role_id},
            key=("granted_at", "id"), after=after, limit=limit,
        )
