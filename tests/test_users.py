"""Users: create, read, list, update, soft delete, passwords and authentication."""

from __future__ import annotations

import asyncio
import dataclasses
import time
import traceback
import uuid

import pytest
from foundation_support import (
    FAST_COST,
    assert_absent_or_deleted_not_found,
    assert_refused_updates,
    assert_update_stored,
    counts,
    make_user,
    stored_hash,
    unique_email,
    users,
)
from paging_support import every_page

from ikenei import Database
from ikenei.config.settings import load_settings
from ikenei.errors import AlreadyExists, InvalidData, NotFound
from ikenei.repositories.users import User
from ikenei.security import passwords

PASSWORD = "correct horse battery staple"


def assert_no_hash(exc: BaseException) -> None:
    """Neither the error nor its logged traceback (cause included) shows a bcrypt hash."""
    assert "$2b$" not in str(exc)
    assert "$2b$" not in repr(exc)
    assert "$2b$" not in "".join(traceback.format_exception(exc))


# -- create and read ------------------------------------------------------------


async def test_create_returns_the_stored_user(db):
    boss = await make_user(db)
    user = await users(db).create(
        email="Grace.Hopper@Example.com",
        password=PASSWORD,
        first_name="Grace",
        last_name="Hopper",
        job_title="Rear Admiral",
        department="Navy",
        manager_id=boss.id,
        profile_image_url="https://example.com/grace.png",
    )
    assert isinstance(user.id, uuid.UUID)
    assert (user.email, user.first_name, user.last_name) == (
        "Grace.Hopper@Example.com", "Grace", "Hopper",
    )
    assert (user.job_title, user.department, user.manager_id) == ("Rear Admiral", "Navy", boss.id)
    assert user.profile_image_url == "https://example.com/grace.png"
    assert user.is_active is True
    assert user.email_verified is False
    assert user.last_login_at is None
    assert user.created_at.tzinfo is not None
    assert user.updated_at == user.created_at
    assert await db.users.get(user.id) == user


async def test_the_password_is_stored_as_a_bcrypt_hash_never_in_a_record(db):
    user = await make_user(db, password=PASSWORD)
    stored = await stored_hash(db, user.id)
    assert stored.startswith(f"$2b${FAST_COST:02d}$")
    assert passwords.verify_password(PASSWORD, stored)
    assert "password_hash" not in {f.name for f in dataclasses.fields(User)}
    assert "$2b$" not in repr(user)
    assert "$2b$" not in repr(await db.users.get(user.id))
    assert all("$2b$" not in repr(u) for u in await db.users.list())


async def test_get_unknown_user_is_not_found(db):
    missing = uuid.uuid4()
    with pytest.raises(NotFound) as caught:
        await db.users.get(missing)
    assert caught.value.entity == "user"
    assert caught.value.key == missing


async def test_get_by_email_ignores_case(db):
    user = await make_user(db, email="Ann.Lee@Example.com")
    assert await db.users.get_by_email("ann.lee@example.com") == user
    assert await db.users.get_by_email("ANN.LEE@EXAMPLE.COM") == user
    with pytest.raises(NotFound):
        await db.users.get_by_email("ann.lee@example.org")


# -- refusals on create -----------------------------------------------------------


async def test_duplicate_email_in_any_case_is_refused(db):
    await make_user(db, email="dup@example.com")
    before = await counts(db)
    for email in ("dup@example.com", "DUP@Example.COM"):
        with pytest.raises(AlreadyExists) as caught:
            await make_user(db, email=email)
        assert caught.value.field == "email"
        assert caught.value.entity == "user"
        assert_no_hash(caught.value)
    assert await counts(db) == before


async def test_racing_creates_of_one_email_leave_one_user(db):
    results = await asyncio.gather(
        *(
            make_user(db, email=email)
            for email in ("race@example.com", "RACE@example.com", "Race@Example.com", "race@EXAMPLE.COM")
        ),
        return_exceptions=True,
    )
    made = [r for r in results if isinstance(r, User)]
    refused = [r for r in results if isinstance(r, AlreadyExists)]
    assert (len(made), len(refused)) == (1, 3), results
    assert await db.users.list() == made


@pytest.mark.parametrize(
    "email", ["", "no-at-sign", "two@@example.com", "a@b", "space in@example.com", "a@example .com"]
)
async def test_malformed_email_is_refused(db, email):
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await make_user(db, email=email)
    assert caught.value.field == "email"
    assert_no_hash(caught.value)
    assert await counts(db) == before


WHITESPACE_ONLY = "\t\n"


@pytest.mark.parametrize("field", ["first_name", "last_name"])
@pytest.mark.parametrize("blank", ["", "   ", WHITESPACE_ONLY])
async def test_blank_names_are_refused(db, field, blank):
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await make_user(db, **{field: blank})
    assert caught.value.field == field
    assert_no_hash(caught.value)
    assert await counts(db) == before


async def test_too_long_name_is_refused(db):
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await make_user(db, first_name="x" * 101)
    assert_no_hash(caught.value)
    assert await counts(db) == before


async def test_manager_pointing_at_nobody_is_refused(db):
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await make_user(db, manager_id=uuid.uuid4())
    assert caught.value.field == "manager_id"
    assert_no_hash(caught.value)
    assert await counts(db) == before


@pytest.mark.parametrize(
    "password",
    [
        "a" * 73,
        "é" * 37,  # 37 characters, 74 bytes in UTF-8
        "🙂" * 19,  # 19 characters, 76 bytes in UTF-8
    ],
)
async def test_password_longer_than_72_utf8_bytes_is_refused(db, password):
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await make_user(db, password=password)
    assert caught.value.field == "password"
    assert "72" in caught.value.reason
    assert password not in str(caught.value)
    assert await counts(db) == before


@pytest.mark.parametrize("password", ["a" * 72, "é" * 36, "🙂" * 18])
async def test_password_of_exactly_72_utf8_bytes_is_accepted(db, password):
    user = await make_user(db, password=password)
    assert await users(db).authenticate(user.email, password) is not None
    # bcrypt reads 72 bytes: one more character must not be accepted as the same password.
    assert await users(db).authenticate(user.email, password + "x") is None


async def test_empty_password_is_refused(db):
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await make_user(db, password="")
    assert caught.value.field == "password"
    assert await counts(db) == before


# -- list ---------------------------------------------------------------------------


async def test_list_pages_in_creation_order_without_gaps_or_repeats(db):
    made = [await make_user(db) for _ in range(7)]
    everyone = await db.users.list(limit=100)
    assert everyone == made
    pages = await every_page(lambda c: db.users.list(limit=3, after=c))
    assert [len(p) for p in pages] == [3, 3, 1]
    assert [u for page in pages for u in page] == made
    # The same cursor twice gives the same page.
    assert await db.users.list(limit=3, after=pages[0].cursor) == pages[1]


async def test_list_filters_on_is_active(db):
    alice, bob, carol = [await make_user(db) for _ in range(3)]
    bob = await db.users.update(dataclasses.replace(bob, is_active=False))
    assert await db.users.list(is_active=True) == [alice, carol]
    assert await db.users.list(is_active=False) == [bob]
    assert await db.users.list() == [alice, bob, carol]


async def test_list_skips_soft_deleted_users(db):
    alice, bob, carol = [await make_user(db) for _ in range(3)]
    await db.users.soft_delete(bob.id)
    assert await db.users.list() == [alice, carol]
    assert await db.users.list(is_active=False) == []


async def test_list_direct_reports(db):
    boss = await make_user(db)
    zed = await make_user(db, last_name="Zed", manager_id=boss.id)
    abe = await make_user(db, last_name="Abe", manager_id=boss.id)
    gone = await make_user(db, last_name="Gone", manager_id=boss.id)
    await make_user(db)  # reports to nobody
    await db.users.soft_delete(gone.id)
    assert await db.users.list_direct_reports(boss.id) == [abe, zed]
    assert await db.users.list_direct_reports(zed.id) == []


# -- update -------------------------------------------------------------------------


async def test_update_stores_the_editable_fields_and_moves_updated_at(db):
    user = await make_user(db)
    boss = await make_user(db)
    changed = dataclasses.replace(
        user,
        email="new.address@example.com",
        first_name="Augusta",
        last_name="King",
        job_title="Analyst",
        department="Engines",
        manager_id=boss.id,
        profile_image_url="https://example.com/ada.png",
        is_active=False,
        email_verified=True,
    )
    await assert_update_stored(db.users, user, changed)


async def test_update_ignores_timestamps_set_by_the_caller(db):
    user = await make_user(db)
    forged = dataclasses.replace(user, first_name="Eve", created_at=user.created_at.replace(year=2000))
    updated = await db.users.update(forged)
    assert updated.created_at == user.created_at
    assert updated.last_login_at is None


async def test_update_to_another_users_email_is_refused(db):
    taken = await make_user(db, email="taken@example.com")
    user = await make_user(db)
    with pytest.raises(AlreadyExists) as caught:
        await db.users.update(dataclasses.replace(user, email="TAKEN@example.com"))
    assert caught.value.field == "email"
    assert_no_hash(caught.value)
    assert await db.users.get(user.id) == user
    assert await db.users.get(taken.id) == taken


async def test_update_refusals_name_the_field_and_change_nothing(db):
    user = await make_user(db)
    refusals = await assert_refused_updates(db.users, user, [
        ({"email": "not an email"}, "email"),
        ({"first_name": " "}, "first_name"),
        ({"last_name": ""}, "last_name"),
        ({"manager_id": uuid.uuid4()}, "manager_id"),
        ({"manager_id": user.id}, "manager_id"),  # one's own manager
    ])
    for refusal in refusals:
        assert_no_hash(refusal)


async def test_update_of_absent_or_deleted_user_is_not_found(db):
    await assert_absent_or_deleted_not_found(db.users, await make_user(db), first_name="Back")


async def test_deleting_a_manager_keeps_the_reports(db):
    boss = await make_user(db)
    report = await make_user(db, manager_id=boss.id)
    await db.users.soft_delete(boss.id)
    # The row stays (soft delete), so the report still names it.
    assert (await db.users.get(report.id)).manager_id == boss.id


# -- soft delete ----------------------------------------------------------------------


async def test_soft_delete_hides_the_user_but_keeps_the_row(db):
    user = await make_user(db)
    before = await counts(db)
    await db.users.soft_delete(user.id)
    with pytest.raises(NotFound):
        await db.users.get(user.id)
    with pytest.raises(NotFound):
        await db.users.get_by_email(user.email)
    assert await counts(db) == before
    with pytest.raises(NotFound):
        await db.users.soft_delete(user.id)


async def test_soft_delete_of_unknown_user_is_not_found(db):
    with pytest.raises(NotFound):
        await db.users.soft_delete(uuid.uuid4())


async def test_email_is_reusable_after_soft_delete(db):
    first = await make_user(db, email="reuse@example.com")
    await db.users.soft_delete(first.id)
    second = await make_user(db, email="Reuse@Example.com")
    assert second.id != first.id
    assert await db.users.get_by_email("reuse@example.com") == second
    # Deleting the second one as well leaves two deleted rows with one email.
    await db.users.soft_delete(second.id)
    third = await make_user(db, email="reuse@example.com")
    assert await db.users.get_by_email("REUSE@example.com") == third


# -- passwords ----------------------------------------------------------------------------


async def test_authenticate_right_wrong_and_unknown(db):
    user = await make_user(db, email="Login@Example.com", password=PASSWORD)
    found = await users(db).authenticate("login@example.com", PASSWORD)
    assert found is not None
    assert found.id == user.id
    assert found.last_login_at is not None
    assert await db.users.get(user.id) == found
    assert await users(db).authenticate(user.email, PASSWORD.upper()) is None
    assert await users(db).authenticate(user.email, "") is None
    assert await users(db).authenticate(user.email, PASSWORD + "!" * 60) is None
    assert await users(db).authenticate("nobody@example.com", PASSWORD) is None


async def test_failed_authentication_records_no_login(db):
    user = await make_user(db)
    assert await users(db).authenticate(user.email, "wrong") is None
    assert await db.users.get(user.id) == user


async def test_inactive_and_deleted_users_cannot_authenticate(db):
    inactive = await make_user(db)
    await db.users.update(dataclasses.replace(inactive, is_active=False))
    deleted = await make_user(db)
    await db.users.soft_delete(deleted.id)
    assert await users(db).authenticate(inactive.email, PASSWORD) is None
    assert await users(db).authenticate(deleted.email, PASSWORD) is None
    assert (await db.users.get(inactive.id)).last_login_at is None


async def test_authenticate_rehashes_when_the_cost_changed(db):
    user = await make_user(db)
    old_hash = await stored_hash(db, user.id)
    assert old_hash.startswith("$2b$04$")

    # A wrong password never rewrites the hash.
    assert await users(db, cost=5).authenticate(user.email, "wrong") is None
    assert await stored_hash(db, user.id) == old_hash

    assert await users(db, cost=5).authenticate(user.email, PASSWORD) is not None
    new_hash = await stored_hash(db, user.id)
    assert new_hash.startswith("$2b$05$")
    assert passwords.verify_password(PASSWORD, new_hash)

    # At the same cost, a successful login leaves the hash alone.
    assert await users(db, cost=5).authenticate(user.email, PASSWORD) is not None
    assert await stored_hash(db, user.id) == new_hash


async def test_default_cost_is_the_production_cost(db):
    user = await db.users.create(
        email=unique_email(), password=PASSWORD, first_name="Slow", last_name="Hash"
    )
    assert (await stored_hash(db, user.id)).startswith(f"$2b${passwords.DEFAULT_COST}$")
    assert passwords.DEFAULT_COST >= 12


async def test_the_cost_comes_from_the_bcrypt_cost_setting_and_old_hashes_follow_it(fresh_dsn):
    settings = load_settings(database_url=fresh_dsn, bcrypt_cost=13)
    async with await Database.connect(settings) as db13:
        user = await make_user(db13)  # hashed at the fast test cost
        assert (await stored_hash(db13, user.id)).startswith("$2b$04$")
        async with db13.transaction() as tx:
            assert await tx.users.authenticate(user.email, PASSWORD) is not None
        new_hash = await stored_hash(db13, user.id)
        assert new_hash.startswith("$2b$13$")
        assert passwords.verify_password(PASSWORD, new_hash)


async def test_unknown_email_takes_as_long_as_a_wrong_password(db):
    # Otherwise the response time tells which emails have an account.
    repo = users(db, cost=10)
    user = await repo.create(email=unique_email(), password=PASSWORD, first_name="T", last_name="T")

    async def fastest(email: str) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            assert await repo.authenticate(email, "wrong password") is None
            best = min(best, time.perf_counter() - start)
        return best

    wrong_password = await fastest(user.email)
    unknown_email = await fastest("nobody@example.com")
    assert unknown_email > wrong_password / 2, (unknown_email, wrong_password)


async def test_set_password_replaces_the_old_one(db):
    user = await make_user(db)
    await users(db).set_password(user.id, "a new passphrase")
    assert await users(db).authenticate(user.email, PASSWORD) is None
    assert await users(db).authenticate(user.email, "a new passphrase") is not None


async def test_set_password_refusals_write_nothing(db):
    user = await make_user(db)
    old_hash = await stored_hash(db, user.id)
    for bad in ("x" * 73, "ü" * 37, ""):
        with pytest.raises(InvalidData) as caught:
            await users(db).set_password(user.id, bad)
        assert caught.value.field == "password"
    assert await stored_hash(db, user.id) == old_hash
    with pytest.raises(NotFound):
        await users(db).set_password(uuid.uuid4(), "whatever")
    await db.users.soft_delete(user.id)
    with pytest.raises(NotFound):
        await users(db).set_password(user.id, "whatever")
    assert await stored_hash(db, user.id) == old_hash


def test_needs_rehash_reads_the_cost_of_a_hash():
    cheap = passwords.hash_password(PASSWORD, 4)
    assert not passwords.needs_rehash(cheap, 4)
    assert passwords.needs_rehash(cheap, 5)
    assert passwords.verify_password(PASSWORD, cheap)
    assert not passwords.verify_password(PASSWORD + "x", cheap)
