"""A person another organization shares, and lookups across organizations.

Two organizations, alpha (A) and bravo (B), built by ``isolation_support``;
A's member also belongs to B (``shared``). Connected as ``ikenei_app``, these
tests try, as B and by plain SQL too, to take the shared person's account
over (email, password, activity, deletion) and find every attempt refused and
nothing changed, while the person changes their own account and B ends its
membership. Then they check that an email scope (signing up or in) reaches
nothing before the password matched, and that no refusal tells another
organization's ids from missing ones: ``current_person_id()``, sign-in hashes,
analytics events and role assignments.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from foundation_support import FAST_COST
from isolation_support import PASSWORD, Rollback, World, build_world, snapshot
from security_support import owner_and_app

from ikenei import Database
from ikenei.db.database import Repositories
from ikenei.db.queries import Executor, load
from ikenei.errors import DatabaseError, IkeneiError, InvalidData, NotFound, OutOfScope
from ikenei.repositories.analytics import Event
from ikenei.repositories.users import User
from ikenei.security.passwords import hash_password

AQ = load(Path(__file__).parent / "sql" / "accounts.sql")


@dataclass(frozen=True, slots=True)
class Env:
    owner: Database
    app: Database
    world: World
    shared: User  # A's member, a member of B too
    b_people_manager: User  # B's admin, holding users.manage in B


@pytest.fixture(scope="module")
async def env(module_dsn: str) -> AsyncIterator[Env]:
    async with owner_and_app(module_dsn) as (owner, app):
        world = await build_world(owner)
        await owner.organizations.add_member(world.b.org.id, world.a.member.id)
        people = await owner.roles.create(world.b.org.id, name="people_team", permissions=["users.manage"])
        await owner.roles.assign(world.b.org.id, world.b.admin.id, people.id)
        yield Env(owner, app, world, world.a.member, world.b.admin)


async def _in(scope: Any, call: Callable[[Repositories], Awaitable[Any]]) -> Any:
    """``call`` in ``scope``, rolled back; its result or the IkeneiError it raised."""
    try:
        async with scope as repos:
            raise Rollback(await call(repos))
    except Rollback as done:
        return done.value
    except IkeneiError as exc:
        return exc


def _x(repos: Repositories) -> Executor:
    return repos.users._x


# -- point 6: one organization cannot take over a person it shares ----------------

TAKEOVERS: dict[str, Callable[[Repositories, User], Awaitable[Any]]] = {
    "users.update email": lambda r, u: r.users.update(replace(u, email="taken.over@bravo.example")),
    "users.update is_active": lambda r, u: r.users.update(replace(u, is_active=False)),
    "users.update email_verified": lambda r, u: r.users.update(replace(u, email_verified=not u.email_verified)),
    "users.set_password": lambda r, u: r.users.set_password(u.id, "bravo knows this one"),
    "users.soft_delete": lambda r, u: r.users.soft_delete(u.id),
    "raw UPDATE email": lambda r, u: _x(r).execute(
        AQ.raw_set_email, user_id=u.id, email="taken.over@bravo.example",
    ),
    "raw UPDATE password_hash": lambda r, u: _x(r).execute(
        AQ.raw_set_password_hash, user_id=u.id,
        password_hash=hash_password("bravo knows this one", FAST_COST),
    ),
    "raw UPDATE is_active": lambda r, u: _x(r).execute(AQ.raw_deactivate, user_id=u.id),
    "raw UPDATE deleted_at": lambda r, u: _x(r).execute(AQ.raw_soft_delete, user_id=u.id),
    "raw UPDATE email_verified": lambda r, u: _x(r).execute(AQ.raw_verify_email, user_id=u.id),
}

#: B's scopes: its people manager acting, and B's maintenance scope.
B_SCOPES = ("B's people manager", "B's maintenance scope")


def _b_scope(env: Env, which: str) -> Any:
    acting = env.b_people_manager.id if which == "B's people manager" else None
    return env.app.organization(env.world.b.org.id, user_id=acting)


@pytest.mark.parametrize("scope", B_SCOPES)
@pytest.mark.parametrize("attempt", TAKEOVERS)
async def test_an_organization_cannot_change_the_account_of_a_person_it_shares(
    env: Env, attempt: str, scope: str
) -> None:
    before = await snapshot(env.owner)
    outcome = await _in(_b_scope(env, scope), lambda r: TAKEOVERS[attempt](r, env.shared))
    assert isinstance(outcome, OutOfScope), outcome
    assert "only in their own scope" in str(outcome)
    assert await snapshot(env.owner) == before


@pytest.mark.parametrize("attempt", [t for t in TAKEOVERS if not t.startswith("raw")])
async def test_the_person_changes_their_own_account(env: Env, attempt: str) -> None:
    outcome = await _in(env.app.person(env.shared.id), lambda r: TAKEOVERS[attempt](r, env.shared))
    assert not isinstance(outcome, IkeneiError), outcome


async def test_the_people_manager_keeps_the_profile_and_nobody_else(env: Env) -> None:
    changed = await _in(_b_scope(env, "B's people manager"),
                        lambda r: r.users.update(replace(env.shared, job_title="Bravo analyst")))
    assert isinstance(changed, User) and changed.job_title == "Bravo analyst"
    # B's member without users.manage finds nobody to change.
    before = await snapshot(env.owner)
    refused = await _in(env.app.organization(env.world.b.org.id, user_id=env.world.b.member.id),
                        lambda r: r.users.update(replace(env.shared, job_title="Bravo analyst")))
    assert isinstance(refused, NotFound), refused
    assert await snapshot(env.owner) == before


async def test_an_organization_ends_its_membership_not_the_account(env: Env) -> None:
    async def leave(r: Repositories) -> Any:
        await r.organizations.remove_member(env.world.b.org.id, env.shared.id)
        return (await r.organizations.get_membership(env.world.b.org.id, env.shared.id),
                await r.users.get(env.shared.id))

    # Rolled back: the membership has ended inside the scope, the account is as it was.
    membership, account = await _in(_b_scope(env, "B's people manager"), leave)
    assert membership.status == "left"
    assert account == env.shared


# -- point 12: an email scope signs up or in, nothing more ------------------------


async def test_before_the_password_an_email_scope_reaches_nothing_of_the_person(env: Env) -> None:
    a = env.world.a
    checks: dict[str, Callable[[Repositories], Awaitable[Any]]] = {
        "users.get": lambda r: r.users.get(a.member.id),
        "users.get_by_email": lambda r: r.users.get_by_email(a.member.email),
        "users.list": lambda r: r.users.list(),
        "organizations.list_for_user": lambda r: r.organizations.list_for_user(a.member.id),
        "organizations.list": lambda r: r.organizations.list(),
        "privacy.list_access": lambda r: r.privacy.list_access(subject_user_id=a.member.id),
        "privacy.list_consents": lambda r: r.privacy.list_consents(a.member.id),
        "privacy.list_processing": lambda r: r.privacy.list_processing(subject_user_id=a.member.id),
        "plain SELECT of users": lambda r: _x(r).value(AQ.visible_users),
        "current_person_id()": lambda r: _x(r).value(AQ.person_of_email, email=a.member.email),
        "users.set_password": lambda r: r.users.set_password(a.member.id, "a new secret"),
    }
    before = await snapshot(env.owner)
    for name, call in checks.items():
        outcome = await _in(env.app.person(email=a.member.email), call)
        assert isinstance(outcome, NotFound) or outcome in ([], 0, None), f"{name}: {outcome!r}"
    assert await snapshot(env.owner) == before


async def test_a_wrong_password_opens_nothing_and_the_right_one_opens_the_person(env: Env) -> None:
    a = env.world.a

    async def sign_in(password: str) -> tuple[Any, Any]:
        async def attempt(r: Repositories) -> tuple[Any, Any]:
            user = await r.users.authenticate(a.member.email, password)
            return user, await r.organizations.list_for_user(a.member.id)
        return await _in(env.app.person(email=a.member.email), attempt)

    assert await sign_in("not the password") == (None, [])
    user, organizations = await sign_in(PASSWORD)
    assert user.id == a.member.id
    assert a.org.id in {o.id for o in organizations}


async def test_signing_up_in_an_email_scope_returns_the_new_account_only(env: Env) -> None:
    async def sign_up(r: Repositories) -> tuple[User, int]:
        user = await r.users.create(email="newcomer@alpha.example", password=PASSWORD,
                                    first_name="New", last_name="Comer")
        return user, await _x(r).value(AQ.visible_users)

    user, visible = await _in(env.app.person(email="newcomer@alpha.example"), sign_up)
    assert user.email == "newcomer@alpha.example" and visible == 1


# -- point 12: nothing tells another organization's ids from missing ones ------------


async def test_current_person_id_is_no_email_lookup(env: Env) -> None:
    a, b = env.world.a, env.world.b
    # Naming B's member's email in any scope finds the scope's own person, or no one.
    for scope, own in ((env.app.organization(a.org.id, user_id=a.admin.id), a.admin.id),
                       (env.app.organization(a.org.id), None),
                       (env.app.person(email=a.member.email), None),
                       (env.app.transaction(), None)):
        assert await _in(scope, lambda r: _x(r).value(
            AQ.person_of_email, email=b.member.email,
        )) == own


async def test_a_sign_in_hash_is_answered_only_for_the_email_of_the_scope(env: Env) -> None:
    a, b = env.world.a, env.world.b
    scopes = (lambda: env.app.organization(a.org.id, user_id=a.admin.id),
              lambda: env.app.organization(a.org.id),
              lambda: env.app.person(email=a.member.email),
              lambda: env.app.person(a.member.id),
              env.app.transaction)
    for scope in scopes:
        assert await _in(scope(), lambda r: _x(r).value(
            AQ.sign_in_hash_of, email=b.member.email,
        )) is None
        assert await _in(scope(), lambda r: r.users.authenticate(b.member.email, PASSWORD)) is None
    own = await _in(env.app.person(email=b.member.email),
                    lambda r: _x(r).value(AQ.sign_in_hash_of, email=b.member.email))
    assert own == b.member.id


def _same_refusal(first: Any, second: Any, *ids: UUID) -> None:
    """Both are the same exception with the same message, once the ids named are masked."""
    def masked(e: Any) -> tuple[type, str]:
        text = str(e)
        for i in ids:
            text = text.replace(str(i), "<id>")
        return type(e), text
    assert isinstance(first, IkeneiError) and masked(first) == masked(second), (first, second)


async def test_an_event_about_another_organizations_user_is_refused_like_a_missing_one(env: Env) -> None:
    a, b = env.world.a, env.world.b
    before = await snapshot(env.owner)
    scope = lambda: env.app.organization(a.org.id, user_id=a.admin.id)
    foreign = await _in(scope(), lambda r: r.analytics.record_event(a.org.id, "page.viewed", b.member.id))
    missing = await _in(scope(), lambda r: r.analytics.record_event(a.org.id, "page.viewed", uuid4()))
    assert isinstance(foreign, InvalidData) and foreign.field == "user_id"
    _same_refusal(foreign, missing)
    batch = await _in(scope(), lambda r: r.analytics.record_events([Event(a.org.id, "page.viewed", b.member.id)]))
    _same_refusal(batch, missing)
    raw = await _in(scope(), lambda r: _x(r).execute(
        AQ.raw_record_event, organization_id=a.org.id, user_id=b.member.id,
    ))
    _same_refusal(raw, missing)
    # The owner's maintenance too: an event names a member of its organization.
    owner = await _in(env.owner.transaction(),
                      lambda r: r.analytics.record_event(a.org.id, "page.viewed", b.member.id))
    _same_refusal(owner, missing)
    assert await snapshot(env.owner) == before


async def test_another_organizations_role_is_not_found_like_a_missing_one(env: Env) -> None:
    a, b = env.world.a, env.world.b
    before = await snapshot(env.owner)
    nowhere = uuid4()
    for scope in (lambda: env.app.organization(a.org.id, user_id=a.admin.id), env.owner.transaction):
        foreign = await _in(scope(), lambda r: r.roles.assign(a.org.id, a.member.id, b.role.id))
        missing = await _in(scope(), lambda r: r.roles.assign(a.org.id, a.member.id, nowhere))
        assert isinstance(foreign, NotFound)
        _same_refusal(foreign, missing, b.role.id, nowhere)
        raw_foreign = await _in(scope(), lambda r: _x(r).execute(
            AQ.raw_assign_role, organization_id=a.org.id, user_id=a.member.id, role_id=b.role.id,
        ))
        raw_missing = await _in(scope(), lambda r: _x(r).execute(
            AQ.raw_assign_role, organization_id=a.org.id, user_id=a.member.id, role_id=nowhere,
        ))
        assert isinstance(raw_foreign, InvalidData) and raw_foreign.field == "role_id"
        _same_refusal(raw_foreign, raw_missing)
    assert await snapshot(env.owner) == before


# -- the view of user records is the table's rows, read-only -------------------------


async def test_user_records_shows_what_the_scope_sees_of_users_and_writes_nothing(env: Env) -> None:
    scopes = {
        "A's member": env.app.organization(env.world.a.org.id, user_id=env.shared.id),
        "B's people manager": _b_scope(env, "B's people manager"),
        "the person": env.app.person(env.shared.id),
    }
    for name, scope in scopes.items():
        async def counts(r: Repositories) -> tuple[int, int]:
            return (await _x(r).value(AQ.count_user_records), await _x(r).value(AQ.count_live_users))

        seen_in_view, seen_in_table = await _in(scope, counts)
        assert seen_in_view == seen_in_table > 0, name

    before = await snapshot(env.owner)
    for scope in (_b_scope(env, "B's people manager"), env.app.person(env.shared.id)):
        outcome = await _in(scope, lambda r: _x(r).execute(
            AQ.raw_set_email_through_user_records, user_id=env.shared.id,
            email="taken.over@bravo.example",
        ))
        assert isinstance(outcome, DatabaseError), outcome
        assert "permission denied" in str(outcome)
    assert await snapshot(env.owner) == before
