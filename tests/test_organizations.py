"""Organizations and memberships."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from foundation_support import (
    assert_absent_or_deleted_not_found,
    assert_refused_updates,
    assert_update_stored,
    counts,
    make_org,
    make_user,
)
from paging_support import every_page

from ikenei.errors import AlreadyExists, InvalidData, NotFound

# -- organizations ----------------------------------------------------------------


async def test_create_and_get(db):
    org = await db.organizations.create(
        name="Acme Corporation",
        domain="acme.example.com",
        industry="Anvils",
        size_category="201-1000",
        logo_url="https://acme.example.com/logo.svg",
        settings={"anonymity_threshold": 3},
    )
    assert isinstance(org.id, uuid.UUID)
    assert (org.name, org.domain, org.industry, org.size_category) == (
        "Acme Corporation", "acme.example.com", "Anvils", "201-1000",
    )
    assert org.logo_url == "https://acme.example.com/logo.svg"
    assert org.settings == {"anonymity_threshold": 3}
    assert org.is_active is True
    assert org.updated_at == org.created_at
    assert await db.organizations.get(org.id) == org
    assert await db.organizations.get_by_domain("acme.example.com") == org


async def test_defaults(db):
    org = await db.organizations.create(name="Bare")
    assert (org.domain, org.industry, org.size_category, org.logo_url) == (None, None, None, None)
    assert org.settings == {}
    assert org.is_active is True


async def test_settings_round_trip_as_a_dict(db):
    settings = {
        "feedback": {"anonymous": True, "min_raters": 3, "scale": [1, 2, 3, 4, 5]},
        "locale": "fr-CA",
        "motto": "Qualité d'abord — 品質第一",
        "weight": 0.75,
        "sso": None,
    }
    org = await db.organizations.create(name="Settings", settings=settings)
    assert org.settings == settings
    assert (await db.organizations.get(org.id)).settings == settings
    changed = {**settings, "locale": "en-NZ", "feedback": {"anonymous": False}}
    updated = await db.organizations.update(dataclasses.replace(org, settings=changed))
    assert updated.settings == changed
    assert (await db.organizations.get(org.id)).settings == changed


@pytest.mark.parametrize("settings", [[1, 2], "text", 3])
async def test_settings_must_be_an_object(db, settings):
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.organizations.create(name="Bad settings", settings=settings)
    assert caught.value.field == "settings"
    assert await counts(db) == before


async def test_update_to_no_settings_is_refused(db):
    org = await make_org(db, settings={"a": 1})
    with pytest.raises(InvalidData) as caught:
        await db.organizations.update(dataclasses.replace(org, settings=None))
    assert caught.value.field == "settings"
    assert await db.organizations.get(org.id) == org


async def test_get_unknown_is_not_found(db):
    missing = uuid.uuid4()
    with pytest.raises(NotFound) as caught:
        await db.organizations.get(missing)
    assert (caught.value.entity, caught.value.key) == ("organization", missing)
    with pytest.raises(NotFound):
        await db.organizations.get_by_domain("nowhere.example.com")


async def test_get_by_domain_ignores_the_case_of_the_lookup(db):
    # Domains are stored in lower case (the schema refuses others); people type them any way.
    org = await make_org(db, domain="globex.example.com")
    assert await db.organizations.get_by_domain("Globex.Example.COM") == org


async def test_duplicate_domain_is_refused(db):
    await make_org(db, domain="initech.example.com")
    before = await counts(db)
    with pytest.raises(AlreadyExists) as caught:
        await make_org(db, domain="initech.example.com")
    assert (caught.value.entity, caught.value.field) == ("organization", "domain")
    assert await counts(db) == before


async def test_organizations_without_domain_do_not_collide(db):
    a = await make_org(db)
    b = await make_org(db)
    assert a.domain is None and b.domain is None


@pytest.mark.parametrize(
    "domain",
    ["not a domain", "Acme.COM", "localhost", "-acme.com", "acme-.com", "acme..com", "acme.com.", ""],
)
async def test_malformed_domain_is_refused(db, domain):
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await make_org(db, domain=domain)
    assert caught.value.field == "domain"
    assert await counts(db) == before


@pytest.mark.parametrize("size", ["1-10", "11-50", "51-200", "201-1000", "1001-5000", "5000+"])
async def test_every_size_category_is_accepted(db, size):
    assert (await make_org(db, size_category=size)).size_category == size


@pytest.mark.parametrize("size", ["small", "10-50", "", "5000"])
async def test_unknown_size_category_is_refused(db, size):
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await make_org(db, size_category=size)
    assert caught.value.field == "size_category"
    assert await counts(db) == before


@pytest.mark.parametrize("name", ["", "   "])
async def test_blank_name_is_refused(db, name):
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.organizations.create(name=name)
    assert caught.value.field == "name"
    assert await counts(db) == before


async def test_update_stores_the_editable_fields_and_moves_updated_at(db):
    org = await make_org(db)
    changed = dataclasses.replace(
        org,
        name="Renamed",
        domain="renamed.example.com",
        industry="Robots",
        size_category="11-50",
        logo_url="https://renamed.example.com/logo.png",
        settings={"x": 1},
        is_active=False,
    )
    await assert_update_stored(db.organizations, org, changed)


async def test_update_refusals_change_nothing(db):
    await make_org(db, domain="taken.example.com")
    org = await make_org(db, domain="mine.example.com")
    with pytest.raises(AlreadyExists) as caught:
        await db.organizations.update(dataclasses.replace(org, domain="taken.example.com"))
    assert caught.value.field == "domain"
    await assert_refused_updates(db.organizations, org, [
        ({"size_category": "huge"}, "size_category"),
        ({"domain": "Not Valid"}, "domain"),
        ({"name": " "}, "name"),
    ])


async def test_update_of_absent_or_deleted_is_not_found(db):
    await assert_absent_or_deleted_not_found(db.organizations, await make_org(db), name="Back")


async def test_list_by_name_paged_and_filtered(db):
    names = ["Delta", "alpha", "Charlie", "Bravo", "Echo"]
    made = {name: await make_org(db, name=name) for name in names}
    made["Echo"] = await db.organizations.update(dataclasses.replace(made["Echo"], is_active=False))
    everyone = await db.organizations.list(limit=100)
    assert {o.name for o in everyone} == set(names)
    pages = await every_page(lambda c: db.organizations.list(limit=2, after=c))
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [o for page in pages for o in page] == everyone
    assert await db.organizations.list(is_active=False) == [made["Echo"]]
    assert made["Echo"] not in await db.organizations.list(is_active=True)
    assert len(await db.organizations.list(is_active=True)) == 4


async def test_list_with_equal_names_is_stable(db):
    twins = [await make_org(db, name="Same") for _ in range(5)]
    pages = await every_page(lambda c: db.organizations.list(limit=2, after=c))
    assert sorted(o.id for page in pages for o in page) == sorted(o.id for o in twins)


async def test_soft_delete(db):
    org = await make_org(db, domain="gone.example.com")
    other = await make_org(db)
    before = await counts(db)
    await db.organizations.soft_delete(org.id)
    with pytest.raises(NotFound):
        await db.organizations.get(org.id)
    with pytest.raises(NotFound):
        await db.organizations.get_by_domain("gone.example.com")
    assert await db.organizations.list() == [other]
    assert await counts(db) == before
    with pytest.raises(NotFound):
        await db.organizations.soft_delete(org.id)
    with pytest.raises(NotFound):
        await db.organizations.soft_delete(uuid.uuid4())
    # The domain is free again.
    again = await make_org(db, domain="gone.example.com")
    assert await db.organizations.get_by_domain("gone.example.com") == again


# -- memberships ------------------------------------------------------------------


async def test_add_and_get_member(db):
    org = await make_org(db)
    user = await make_user(db)
    membership = await db.organizations.add_member(org.id, user.id)
    assert (membership.organization_id, membership.user_id) == (org.id, user.id)
    assert membership.status == "active"
    assert membership.left_at is None
    assert membership.joined_at is not None
    assert await db.organizations.get_membership(org.id, user.id) == membership
    invited = await db.organizations.add_member(org.id, (await make_user(db)).id, status="invited")
    assert invited.status == "invited"


async def test_get_membership_of_non_member_is_not_found(db):
    org = await make_org(db)
    user = await make_user(db)
    with pytest.raises(NotFound) as caught:
        await db.organizations.get_membership(org.id, user.id)
    assert caught.value.entity == "membership"


async def test_duplicate_membership_is_refused(db):
    org = await make_org(db)
    user = await make_user(db)
    await db.organizations.add_member(org.id, user.id)
    before = await counts(db)
    for status in ("active", "invited"):
        with pytest.raises(AlreadyExists) as caught:
            await db.organizations.add_member(org.id, user.id, status=status)
        assert caught.value.field == "user_id"
    assert await counts(db) == before


async def test_membership_for_unknown_user_or_organization_is_refused(db):
    org = await make_org(db)
    user = await make_user(db)
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.organizations.add_member(org.id, uuid.uuid4())
    assert caught.value.field == "user_id"
    with pytest.raises(InvalidData) as caught:
        await db.organizations.add_member(uuid.uuid4(), user.id)
    assert caught.value.field == "organization_id"
    assert await counts(db) == before


@pytest.mark.parametrize("status", ["member", "ACTIVE", ""])
async def test_unknown_membership_status_is_refused(db, status):
    org = await make_org(db)
    user = await make_user(db)
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.organizations.add_member(org.id, user.id, status=status)
    assert caught.value.field == "status"
    assert await counts(db) == before
    await db.organizations.add_member(org.id, user.id)
    with pytest.raises(InvalidData) as caught:
        await db.organizations.set_member_status(org.id, user.id, status)
    assert caught.value.field == "status"
    assert (await db.organizations.get_membership(org.id, user.id)).status == "active"


async def test_set_member_status(db):
    org = await make_org(db)
    user = await make_user(db)
    joined = await db.organizations.add_member(org.id, user.id, status="invited")

    active = await db.organizations.set_member_status(org.id, user.id, "active")
    assert active.status == "active"
    assert active.left_at is None
    assert active.joined_at == joined.joined_at
    assert active.updated_at > joined.updated_at

    suspended = await db.organizations.set_member_status(org.id, user.id, "suspended")
    assert suspended.status == "suspended"
    assert suspended.left_at is None

    left = await db.organizations.set_member_status(org.id, user.id, "left")
    assert left.status == "left"
    assert left.left_at is not None
    # Leaving twice keeps the first date.
    assert (await db.organizations.set_member_status(org.id, user.id, "left")).left_at == left.left_at

    back = await db.organizations.set_member_status(org.id, user.id, "active")
    assert (back.status, back.left_at) == ("active", None)
    assert await db.organizations.get_membership(org.id, user.id) == back


async def test_set_member_status_of_non_member_is_not_found(db):
    org = await make_org(db)
    user = await make_user(db)
    before = await counts(db)
    with pytest.raises(NotFound):
        await db.organizations.set_member_status(org.id, user.id, "suspended")
    with pytest.raises(NotFound):
        await db.organizations.remove_member(org.id, user.id)
    assert await counts(db) == before


async def test_remove_member_keeps_the_row_as_left(db):
    org = await make_org(db)
    user = await make_user(db)
    await db.organizations.add_member(org.id, user.id)
    before = await counts(db)
    removed = await db.organizations.remove_member(org.id, user.id)
    assert removed.status == "left"
    assert removed.left_at is not None
    assert await db.organizations.get_membership(org.id, user.id) == removed
    assert await counts(db) == before
    assert await db.organizations.list_for_user(user.id) == []


async def test_list_members_in_joining_order_paged_and_filtered(db):
    org = await make_org(db)
    other = await make_org(db)
    people = {}
    for last in ["Young", "Adams", "Miller", "Baker", "Ng"]:
        people[last] = await make_user(db, last_name=last, job_title="Engineer")
        await db.organizations.add_member(org.id, people[last].id)
    outsider = await make_user(db, last_name="Outsider")
    await db.organizations.add_member(other.id, outsider.id)
    await db.organizations.set_member_status(org.id, people["Miller"].id, "suspended")
    await db.organizations.remove_member(org.id, people["Ng"].id)
    deleted = await make_user(db, last_name="Deleted")
    await db.organizations.add_member(org.id, deleted.id)
    await db.users.soft_delete(deleted.id)

    everyone = await db.organizations.list_members(org.id, limit=100)
    assert [m.last_name for m in everyone] == ["Young", "Adams", "Miller", "Baker", "Ng"]
    adams = everyone[1]
    assert adams.user_id == people["Adams"].id
    assert (adams.email, adams.first_name, adams.job_title) == (
        people["Adams"].email, people["Adams"].first_name, "Engineer",
    )
    assert adams.status == "active"

    pages = await every_page(lambda c: db.organizations.list_members(org.id, limit=2, after=c))
    assert [m for page in pages for m in page] == everyone

    assert [m.last_name for m in await db.organizations.list_members(org.id, status="active")] == [
        "Young", "Adams", "Baker",
    ]
    suspended = await db.organizations.list_members(org.id, status="suspended")
    assert [m.last_name for m in suspended] == ["Miller"]
    assert [m.last_name for m in await db.organizations.list_members(org.id, status="left")] == ["Ng"]
    assert await db.organizations.list_members(org.id, status="invited") == []
    assert await db.organizations.list_members(uuid.uuid4()) == []


async def test_list_for_user(db):
    user = await make_user(db)
    zeta = await make_org(db, name="Zeta")
    alpha = await make_org(db, name="Alpha")
    left = await make_org(db, name="Left")
    deleted = await make_org(db, name="Deleted")
    await make_org(db, name="Unrelated")
    for org in (zeta, alpha, left, deleted):
        await db.organizations.add_member(org.id, user.id)
    await db.organizations.remove_member(left.id, user.id)
    await db.organizations.soft_delete(deleted.id)
    assert await db.organizations.list_for_user(user.id) == [alpha, zeta]
    assert await db.organizations.list_for_user(uuid.uuid4()) == []
