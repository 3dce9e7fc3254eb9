"""Users: global identities (membership in organizations is in organizations.py)."""

from __future__ import annotations

import asyncio
import builtins
import functools
import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ikenei.db.pages import Page, Pages
from ikenei.db.queries import Executor, Q
from ikenei.errors import NotFound
from ikenei.repositories.base import Repository
from ikenei.security import passwords


@dataclass(frozen=True, slots=True)
class User:
    id: UUID
    email: str
    first_name: str
    last_name: str
    job_title: str | None
    department: str | None
    manager_id: UUID | None
    profile_image_url: str | None
    is_active: bool
    email_verified: bool
    last_login_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class _PasswordHash:
    id: UUID
    password_hash: str


@functools.cache
def _unmatchable_hash(cost: int) -> str:
    # A random password nobody knows, hashed once per cost.
    return passwords.hash_password(secrets.token_urlsafe(32), cost)


def _verify(password: str, password_hash: str | None, cost: int) -> bool:
    """Whether ``password`` matches ``password_hash``; False when there is no hash.

    Without a hash (no such account) one of the same cost is checked anyway, so
    that the time taken does not tell which emails have an account.
    """
    if password_hash is None:
        passwords.verify_password(password, _unmatchable_hash(cost))
        return False
    return passwords.verify_password(password, password_hash)


class UsersRepository(Repository):
    """Create, read, update and soft-delete users; set and verify passwords."""

    __slots__ = ("bcrypt_cost",)

    def __init__(self, executor: Executor, bcrypt_cost: int = passwords.DEFAULT_COST, *, pages: Pages | None = None) -> None:
        super().__init__(executor, pages=pages)
        self.bcrypt_cost = bcrypt_cost

    async def create(
        self,
        *,
        email: str,
        password: str,
        first_name: str,
        last_name: str,
        job_title: str | None = None,
        department: str | None = None,
        manager_id: UUID | None = None,
        profile_image_url: str | None = None,
    ) -> User:
        # bcrypt takes a quarter second at cost 12: off the event loop.
        password_hash = await asyncio.to_thread(passwords.hash_password, password, self.bcrypt_cost)
        return await self._x.created(
            Q.create_user, User, email=email, password_hash=password_hash, first_name=first_name,
            last_name=last_name, job_title=job_title, department=department, manager_id=manager_id,
            profile_image_url=profile_image_url,
        )

    async def get(self, user_id: UUID) -> User:
        return await self._x.one_found(Q.get_user, User, user_id=user_id, missing=("user", user_id))

    async def get_by_email(self, email: str) -> User:
        return await self._x.one_found(
            Q.get_user_by_email, User, email=email, missing=("user", email),
        )

    async def list(self, *, is_active: bool | None = None, limit: int = 50, after: str | None = None) -> Page[User]:
        """A page of users in creation order."""
        return await self._pages.read(
            self._x, Q.list_users, User,
            {"is_active": is_active},
            key=("created_at", "id"), after=after, limit=limit,
        )

    async def list_direct_reports(self, manager_id: UUID) -> builtins.list[User]:
        return await self._x.all(Q.list_direct_reports, User, manager_id=manager_id)

    async def update(self, user: User) -> User:
        """Stores the editable fields of ``user`` (make it with ``dataclasses.replace``)."""
        return await self._x.stored(
            Q.update_user, user, user_id=user.id, missing=("user", user.id),
        )

    async def soft_delete(self, user_id: UUID) -> None:
        if await self._x.value(Q.soft_delete_user, user_id=user_id) is None:
            raise NotFound("user", user_id)

    async def set_password(self, user_id: UUID, password: str) -> None:
        password_hash = await asyncio.to_thread(passwords.hash_password, password, self.bcrypt_cost)
        changed = await self._x.execute(
            Q.set_password_hash, user_id=user_id, password_hash=password_hash,
        )
        if changed == 0:
            raise NotFound("user", user_id)

    async def authenticate(self, email: str, password: str) -> User | None:
        """The active user with this email and password, or None.

        In ``db.person(email=...)`` the rest of the transaction then works for
        that person (before the password matched, the email scope reaches
        nothing but this check and ``create``). A hash made with another cost
        than the current one is replaced on success.
        """
        found = await self._x.one(Q.get_password_hash, _PasswordHash, email=email)
        password_hash = found.password_hash if found else None
        matches = await asyncio.to_thread(_verify, password, password_hash, self.bcrypt_cost)
        if found is None or not matches:
            return None
        await self._x.value(Q.enter_signed_in_person, user_id=found.id)
        if passwords.needs_rehash(found.password_hash, self.bcrypt_cost):
            await self.set_password(found.id, password)
        await self._x.execute(Q.record_login, user_id=found.id)
        return await self.get(found.id)

