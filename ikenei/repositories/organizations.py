"""Organizations and memberships (which users belong to which organization)."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from ikenei.db.pages import Page
from ikenei.db.queries import Q
from ikenei.errors import NotFound
from ikenei.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class Organization:
    id: UUID
    name: str
    domain: str | None
    industry: str | None
    size_category: str | None
    logo_url: str | None
    settings: dict[str, Any]
    is_active: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Membership:
    id: UUID
    organization_id: UUID
    user_id: UUID
    status: str
    joined_at: datetime
    left_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Member:
    """A person of an organization as a member list shows them."""

    user_id: UUID
    email: str
    first_name: str
    last_name: str
    job_title: str | None
    department: str | None
    manager_id: UUID | None
    status: str
    joined_at: datetime


class OrganizationsRepository(Repository):
    """Create, read, update and soft-delete organizations; manage their members."""

    __slots__ = ()

    async def create(
        self,
        *,
        name: str,
        domain: str | None = None,
        industry: str | None = None,
        size_category: str | None = None,
        logo_url: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> Organization:
        return await self._x.created(
            Q.create_organization, Organization, name=name, domain=domain, industry=industry,
            size_category=size_category, logo_url=logo_url, settings=settings,
        )

    async def get(self, organization_id: UUID) -> Organization:
        return await self._x.one_found(
            Q.get_organization, Organization, organization_id=organization_id,
            missing=("organization", organization_id),
        )

    async def get_by_domain(self, domain: str) -> Organization:
        return await self._x.one_found(
            Q.get_organization_by_domain, Organization, domain=domain,
            missing=("organization", domain),
        )

    async def list(
        self, *, is_active: bool | None = None, limit: int = 50, after: str | None = None
    ) -> Page[Organization]:
        """A page of organizations by name."""
        return await self._pages.read(
            self._x, Q.list_organizations, Organization,
            {"is_active": is_active},
            key=("name", "id"), after=after, limit=limit,
        )

    async def update(self, organization: Organization) -> Organization:
        """Stores the editable fields of ``organization`` (make it with ``dataclasses.replace``)."""
        return await self._x.stored(
            Q.update_organization, organization, organization_id=organization.id,
            missing=("organization", organization.id),
        )

    async def soft_delete(self, organization_id: UUID) -> None:
        if await self._x.value(Q.soft_delete_organization, organization_id=organization_id) is None:
            raise NotFound("organization", organization_id)

    async def add_member(self, organization_id: UUID, user_id: UUID, *, status: str = "active") -> Membership:
        return await self._x.created(
            Q.add_member, Membership, organization_id=organization_id, user_id=user_id,
            status=status,
        )

    async def get_membership(self, organization_id: UUID, user_id: UUID) -> Membership:
        return await self._x.one_found(
            Q.get_membership, Membership, organization_id=organization_id, user_id=user_id,
            missing=("membership", (organization_id, user_id)),
        )

    async def set_member_status(self, organization_id: UUID, user_id: UUID, status: str) -> Membership:
        """Changes a membership's status: invited, active, suspended or left."""
        return await self._x.one_found(
            Q.set_member_status, Membership, organization_id=organization_id, user_id=user_id,
            status=status, missing=("membership", (organization_id, user_id)),
        )

    async def remove_member(self, organization_id: UUID, user_id: UUID) -> Membership:
        """Ends a membership; the row stays (status ``left``) because history refers to it."""
        return await self.set_member_status(organization_id, user_id, "left")

    async def list_members(
        self, organization_id: UUID, *, status: str | None = None, limit: int = 50, after: str | None = None
    ) -> Page[Member]:
        """A page of the organization's people, by name."""
        return await self._pages.read(
            self._x, Q.list_members, Member,
            {"organization_id": organization_id, "status": status},
            key=("joined_at", "user_id"), after=after, limit=limit,
        )

    async def list_for_user(self, user_id: UUID) -> builtins.list[Organization]:
        """The organizations a user currently belongs to."""
        return await self._x.all(Q.list_user_organizations, Organization, user_id=user_id)
