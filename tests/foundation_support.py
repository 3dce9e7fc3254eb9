"""Helpers shared by the tests of users, organizations, roles and the database core.

Data is built through the repositories; the few things they deliberately cannot
do (count every row, read a stored hash, insert a system role) are test-only
queries in ``tests/sql/foundation.sql``, run on the same executor.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ikenei import Database
from ikenei.db.database import Repositories
from ikenei.db.queries import Executor, Query, load
from ikenei.errors import Conflict, InvalidData, NotFound
from ikenei.repositories.organizations import Organization
from ikenei.repositories.roles import Role
from ikenei.repositories.users import User, UsersRepository

TQ = load(Path(__file__).parent / "sql" / "foundation.sql")

# bcrypt's cheapest cost: the production cost (12) takes a quarter second per
# hash, which the tests that are not about hashing do not need to pay.
FAST_COST = 4

#: Every permission the database enforces (see the README's permission table).
EVERY_PERMISSION = [
    "organization.manage", "users.manage", "roles.manage", "competencies.manage",
    "feedback.forms.manage", "feedback.cycles.manage", "feedback.results.view_all",
    "feedback.invitations.manage_team", "feedback.invitations.manage_own",
    "learning.plans.manage_all", "learning.resources.manage", "reports.manage", "reports.view",
    "analytics.view", "dashboard.manage_own",
]

_numbers = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Counts:
    users: int
    organizations: int
    memberships: int
    roles: int
    user_roles: int


def executor(db: Database) -> Executor:
    return Executor(db._pool)


async def counts(db: Database) -> Counts:
    """Rows in every table of the foundation, soft-deleted ones included."""
    found = await executor(db).one(TQ.count_foundation_rows, Counts)
    assert found is not None
    return found


async def stored_hash(db: Database, user_id: Any) -> str | None:
    return await executor(db).value(TQ.get_stored_password_hash, user_id=user_id)


async def insert_system_role(db: Database, name: str, permissions: list[str] | None = None) -> Role:
    role = await executor(db).one(
        TQ.insert_system_role, Role, name=name, permissions=permissions or [],
    )
    assert role is not None
    return role


def users(db: Database, cost: int = FAST_COST) -> UsersRepository:
    """The users repository on the pool, hashing at ``cost``."""
    return UsersRepository(executor(db), bcrypt_cost=cost)


def unique_email(prefix: str = "person") -> str:
    return f"{prefix}{next(_numbers)}@example.com"


async def make_user(db: Database, **fields: Any) -> User:
    values: dict[str, Any] = {
        "email": unique_email(),
        "password": "correct horse battery staple",
        "first_name": "Ada",
        "last_name": f"Person{next(_numbers):04d}",
    }
    values.update(fields)
    return await users(db).create(**values)


async def make_org(db: Database, **fields: Any) -> Organization:
    values: dict[str, Any] = {"name": f"Org {next(_numbers):04d}"}
    values.update(fields)
    return await db.organizations.create(**values)


async def make_member(
    db: Database, organization_id: Any, first_name: str = "Ada", last_name: str | None = None,
    *, permissions: list[str] | None = None,
) -> User:
    """A new person who is an active member of the organization; with
    ``permissions``, holding a role of the organization with them."""
    fields = {"first_name": first_name} | ({"last_name": last_name} if last_name else {})
    user = await make_user(db, **fields)
    await db.organizations.add_member(organization_id, user.id)
    if permissions is not None:
        role = await db.roles.create(organization_id, name=f"role_{next(_numbers)}", permissions=permissions)
        await db.roles.assign(organization_id, user.id, role.id)
    return user


async def conflict_after_waiting(
    db: Database, move: Callable[[Database | Repositories], Awaitable[Any]], count_lock_waiters: Query
) -> Conflict:
    """Makes ``move`` in a transaction and, before it commits, again on another
    connection; checks that the second waited for the first's row lock (and did
    not finish while waiting), and returns the Conflict it ended with.

    ``count_lock_waiters`` is the module's test-only query counting the
    sessions of the database waiting for a lock.
    """
    async with db.transaction() as first:
        await move(first)  # holds the row until commit
        second = asyncio.create_task(move(db))
        for _ in range(500):
            if await executor(db).value(count_lock_waiters) == 1:
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail("the second move never waited for the first's row lock")
        assert not second.done()
    with pytest.raises(Conflict) as refused:
        await second
    return refused.value


async def assert_update_stored(repository: Any, record: Any, changed: Any) -> None:
    """``repository.update(changed)`` stores every field of ``changed`` (``record``
    edited) and moves ``updated_at`` forward, not ``created_at``; a read finds it so."""
    updated = await repository.update(changed)
    assert updated == dataclasses.replace(changed, updated_at=updated.updated_at)
    assert updated.created_at == record.created_at
    assert updated.updated_at > record.updated_at
    assert await repository.get(record.id) == updated


async def assert_refused_updates(
    repository: Any, record: Any, changes: list[tuple[dict[str, Any], str]]
) -> list[InvalidData]:
    """Each change of ``record`` (a dict of fields, the field the refusal must name)
    is refused by ``repository.update`` as InvalidData naming that field, and the
    stored record is still ``record`` after them all; the refusals, to check more."""
    refusals = []
    for change, field in changes:
        with pytest.raises(InvalidData) as caught:
            await repository.update(dataclasses.replace(record, **change))
        assert caught.value.field == field, change
        refusals.append(caught.value)
    assert await repository.get(record.id) == record
    return refusals


async def assert_absent_or_deleted_not_found(repository: Any, record: Any, **change: Any) -> None:
    """``repository.update`` finds no record of an unknown id, nor ``record`` once
    soft-deleted (with ``change`` made to it)."""
    with pytest.raises(NotFound):
        await repository.update(dataclasses.replace(record, id=uuid.uuid4()))
    await repository.soft_delete(record.id)
    with pytest.raises(NotFound):
        await repository.update(dataclasses.replace(record, **change))
