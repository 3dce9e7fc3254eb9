"""Roles (shared system roles and an organization's own) and their assignment to members."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from foundation_support import (
    assert_refused_updates,
    assert_update_stored,
    counts,
    insert_system_role,
    make_org,
    make_user,
)
from paging_support import every_page

from ikenei.errors import AlreadyExists, Conflict, InvalidData, NotFound


async def member_of(db, org, **fields):
    user = await make_user(db, **fields)
    await db.organizations.add_member(org.id, user.id)
    return user


# -- roles --------------------------------------------------------------------------


async def test_create_and_get(db):
    org = await make_org(db)
    role = await db.roles.create(
        org.id, name="team_lead", description="Leads a team", permissions=["feedback.request", "plans.view"]
    )
    assert isinstance(role.id, uuid.UUID)
    assert role.organization_id == org.id
    assert (role.name, role.description) == ("team_lead", "Leads a team")
    assert role.permissions == ["feedback.request", "plans.view"]
    assert role.is_system is False
    assert role.updated_at == role.created_at
    assert await db.roles.get(role.id) == role


async def test_create_defaults_to_no_permissions(db):
    org = await make_org(db)
    role = await db.roles.create(org.id, name="viewer")
    assert role.permissions == []
    assert role.description is None


async def test_get_unknown_is_not_found(db):
    missing = uuid.uuid4()
    with pytest.raises(NotFound) as caught:
        await db.roles.get(missing)
    assert (caught.value.entity, caught.value.key) == ("role", missing)


@pytest.mark.parametrize("name", ["Team Lead", "", "1st", "lead-er", "Lead", "_lead"])
async def test_malformed_role_name_is_refused(db, name):
    org = await make_org(db)
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.roles.create(org.id, name=name)
    assert caught.value.field == "name"
    assert await counts(db) == before


@pytest.mark.parametrize("permissions", [{"a": 1}, "all", 7])
async def test_permissions_must_be_a_list(db, permissions):
    org = await make_org(db)
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.roles.create(org.id, name="odd", permissions=permissions)
    assert caught.value.field == "permissions"
    assert await counts(db) == before


async def test_duplicate_name_in_one_organization_is_refused(db):
    org = await make_org(db)
    other = await make_org(db)
    await db.roles.create(org.id, name="coach")
    before = await counts(db)
    with pytest.raises(AlreadyExists) as caught:
        await db.roles.create(org.id, name="coach")
    assert (caught.value.entity, caught.value.field) == ("role", "name")
    assert await counts(db) == before
    # Another organization may use the name.
    assert (await db.roles.create(other.id, name="coach")).organization_id == other.id


async def test_role_for_unknown_organization_is_refused(db):
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.roles.create(uuid.uuid4(), name="ghost")
    assert caught.value.field == "organization_id"
    assert await counts(db) == before


async def test_list_shows_system_roles_first_then_the_organizations_own(db):
    org = await make_org(db)
    other = await make_org(db)
    viewer = await insert_system_role(db, "viewer")
    admin = await insert_system_role(db, "admin", ["*"])
    zebra = await db.roles.create(org.id, name="zebra")
    coach = await db.roles.create(org.id, name="coach")
    await db.roles.create(other.id, name="not_mine")
    assert await db.roles.list(org.id) == [admin, viewer, coach, zebra]
    assert [r.name for r in await db.roles.list(other.id)] == ["admin", "viewer", "not_mine"]
    assert admin.is_system is True
    assert admin.organization_id is None
    assert admin.permissions == ["*"]


async def test_get_by_name_prefers_the_organizations_own_role(db):
    org = await make_org(db)
    other = await make_org(db)
    system = await insert_system_role(db, "manager")
    own = await db.roles.create(org.id, name="manager", permissions=["custom"])
    only_other = await db.roles.create(other.id, name="secret")
    assert await db.roles.get_by_name(org.id, "manager") == own
    assert await db.roles.get_by_name(other.id, "manager") == system
    with pytest.raises(NotFound):
        await db.roles.get_by_name(org.id, "secret")
    assert await db.roles.get_by_name(other.id, "secret") == only_other
    with pytest.raises(NotFound):
        await db.roles.get_by_name(org.id, "nobody")


async def test_update_stores_name_description_permissions(db):
    org = await make_org(db)
    role = await db.roles.create(org.id, name="coach", permissions=["a"])
    changed = dataclasses.replace(role, name="head_coach", description="Coaches coaches", permissions=["a", "b"])
    await assert_update_stored(db.roles, role, changed)


async def test_update_cannot_move_a_role_or_make_it_a_system_role(db):
    org = await make_org(db)
    other = await make_org(db)
    role = await db.roles.create(org.id, name="coach")
    updated = await db.roles.update(
        dataclasses.replace(role, organization_id=other.id, is_system=True, description="x")
    )
    assert (updated.organization_id, updated.is_system, updated.description) == (org.id, False, "x")


async def test_update_refusals_change_nothing(db):
    org = await make_org(db)
    await db.roles.create(org.id, name="taken")
    role = await db.roles.create(org.id, name="coach")
    with pytest.raises(AlreadyExists) as caught:
        await db.roles.update(dataclasses.replace(role, name="taken"))
    assert caught.value.field == "name"
    await assert_refused_updates(db.roles, role, [
        ({"name": "Not Valid"}, "name"),
        ({"permissions": {"not": "a list"}}, "permissions"),
        ({"permissions": None}, "permissions"),
    ])


async def test_update_or_delete_of_unknown_role_is_not_found(db):
    org = await make_org(db)
    role = await db.roles.create(org.id, name="coach")
    with pytest.raises(NotFound):
        await db.roles.update(dataclasses.replace(role, id=uuid.uuid4()))
    with pytest.raises(NotFound):
        await db.roles.delete(uuid.uuid4())


async def test_system_roles_cannot_be_updated_or_deleted(db):
    org = await make_org(db)
    system = await insert_system_role(db, "admin", ["*"])
    before = await counts(db)
    with pytest.raises(Conflict) as caught:
        await db.roles.update(dataclasses.replace(system, permissions=[], description="hijacked"))
    assert caught.value.current == "system"
    assert "admin" in str(caught.value)
    with pytest.raises(Conflict) as caught:
        await db.roles.delete(system.id)
    assert caught.value.current == "system"
    assert await db.roles.get(system.id) == system
    assert await counts(db) == before
    assert system in await db.roles.list(org.id)


async def test_delete_removes_the_role_and_its_assignments(db):
    org = await make_org(db)
    alice = await member_of(db, org)
    coach = await db.roles.create(org.id, name="coach")
    viewer = await db.roles.create(org.id, name="viewer")
    await db.roles.assign(org.id, alice.id, coach.id)
    await db.roles.assign(org.id, alice.id, viewer.id)
    before = await counts(db)
    await db.roles.delete(coach.id)
    with pytest.raises(NotFound):
        await db.roles.get(coach.id)
    assert await db.roles.list_for_user(org.id, alice.id) == [viewer]
    after = await counts(db)
    assert (after.roles, after.user_roles) == (before.roles - 1, before.user_roles - 1)
    with pytest.raises(NotFound):
        await db.roles.delete(coach.id)


# -- assignments ------------------------------------------------------------------------


async def test_assign_list_and_revoke(db):
    org = await make_org(db)
    granter = await member_of(db, org)
    alice = await member_of(db, org)
    system = await insert_system_role(db, "employee")
    coach = await db.roles.create(org.id, name="coach")

    assignment = await db.roles.assign(org.id, alice.id, coach.id, granted_by=granter.id)
    assert (assignment.organization_id, assignment.user_id, assignment.role_id) == (
        org.id, alice.id, coach.id,
    )
    assert assignment.granted_by == granter.id
    assert assignment.granted_at is not None
    system_assignment = await db.roles.assign(org.id, alice.id, system.id)
    assert system_assignment.granted_by is None

    assert await db.roles.list_for_user(org.id, alice.id) == [coach, system]
    assert await db.roles.list_for_user(org.id, granter.id) == []
    assert await db.roles.list_assignments(org.id, coach.id) == [assignment]

    await db.roles.revoke(org.id, alice.id, coach.id)
    assert await db.roles.list_for_user(org.id, alice.id) == [system]
    assert await db.roles.list_assignments(org.id, coach.id) == []
    with pytest.raises(NotFound) as caught:
        await db.roles.revoke(org.id, alice.id, coach.id)
    assert caught.value.entity == "role assignment"


async def test_a_system_role_is_assigned_per_organization(db):
    acme = await make_org(db)
    globex = await make_org(db)
    alice = await member_of(db, acme)
    await db.organizations.add_member(globex.id, alice.id)
    admin = await insert_system_role(db, "admin")
    in_acme = await db.roles.assign(acme.id, alice.id, admin.id)
    assert await db.roles.list_for_user(globex.id, alice.id) == []
    assert await db.roles.list_assignments(globex.id, admin.id) == []
    assert await db.roles.list_assignments(acme.id, admin.id) == [in_acme]


async def test_list_assignments_pages_oldest_first(db):
    org = await make_org(db)
    role = await db.roles.create(org.id, name="rater")
    made = []
    for _ in range(5):
        user = await member_of(db, org)
        made.append(await db.roles.assign(org.id, user.id, role.id))
    assert await db.roles.list_assignments(org.id, role.id) == made
    pages = await every_page(lambda c: db.roles.list_assignments(org.id, role.id, limit=2, after=c))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [a for page in pages for a in page] == made


async def test_list_assignments_shows_current_members_only(db):
    org = await make_org(db)
    role = await db.roles.create(org.id, name="admin")
    stays, leaves, deleted = [await member_of(db, org) for _ in range(3)]
    kept = await db.roles.assign(org.id, stays.id, role.id)
    for user in (leaves, deleted):
        await db.roles.assign(org.id, user.id, role.id)
    await db.organizations.remove_member(org.id, leaves.id)
    await db.users.soft_delete(deleted.id)
    assert await db.roles.list_assignments(org.id, role.id) == [kept]


async def test_another_organizations_role_cannot_be_assigned(db):
    acme = await make_org(db)
    globex = await make_org(db)
    alice = await member_of(db, acme)
    foreign = await db.roles.create(globex.id, name="globex_only")
    before = await counts(db)
    # Not found, exactly as a role that exists nowhere: the refusal confirms no id.
    for role_id in (foreign.id, uuid.uuid4()):
        with pytest.raises(NotFound) as caught:
            await db.roles.assign(acme.id, alice.id, role_id)
        assert str(caught.value) == f"role {role_id} not found"
    assert await counts(db) == before


async def test_a_role_cannot_be_assigned_to_a_non_member(db):
    acme = await make_org(db)
    globex = await make_org(db)
    outsider = await member_of(db, globex)  # a member elsewhere only
    nobody = await make_user(db)
    role = await db.roles.create(acme.id, name="coach")
    before = await counts(db)
    for user in (outsider, nobody):
        with pytest.raises(InvalidData) as caught:
            await db.roles.assign(acme.id, user.id, role.id)
        assert caught.value.field == "user_id"
    assert await counts(db) == before


async def test_unknown_role_or_granter_is_refused(db):
    org = await make_org(db)
    alice = await member_of(db, org)
    role = await db.roles.create(org.id, name="coach")
    before = await counts(db)
    with pytest.raises(NotFound):
        await db.roles.assign(org.id, alice.id, uuid.uuid4())
    with pytest.raises(InvalidData) as caught:
        await db.roles.assign(org.id, alice.id, role.id, granted_by=uuid.uuid4())
    assert caught.value.field == "granted_by"
    assert await counts(db) == before


async def test_duplicate_assignment_is_refused(db):
    org = await make_org(db)
    alice = await member_of(db, org)
    role = await db.roles.create(org.id, name="coach")
    await db.roles.assign(org.id, alice.id, role.id)
    before = await counts(db)
    with pytest.raises(AlreadyExists) as caught:
        await db.roles.assign(org.id, alice.id, role.id)
    assert caught.value.field == "role_id"
    assert await counts(db) == before
