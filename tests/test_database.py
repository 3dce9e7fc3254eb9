"""The core: Database.connect, transactions, the query loader and the Executor."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from dataclasses import dataclass

import aiosql
import pytest
from foundation_support import counts, make_org, make_user
from pii_support import TEST_PII_KEY

from ikenei import Database, Repositories, load_settings
from ikenei.config.settings import Settings
from ikenei.db.queries import Executor, load
from ikenei.errors import (
    AlreadyExists,
    ConnectionFailed,
    DatabaseError,
    InvalidData,
    NotFound,
    NotMigrated,
)
from ikenei.schema.migrations import dsn_for_database

POOL_VARIABLES = ("DB_POOL_MIN", "DB_POOL_MAX", "DB_POOL_IDLE_TIMEOUT")


@pytest.fixture(autouse=True)
def no_database_environment(monkeypatch):
    """Only what a test passes configures the connection."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


async def connect(dsn: str, **settings) -> Database:
    """A Database on ``dsn`` working as the owner unless ``db_app_role`` is given."""
    settings.setdefault("pii_encryption_key", TEST_PII_KEY)
    settings.setdefault("db_app_role", None)
    return await Database.connect(load_settings(database_url=dsn, **settings))


# -- connect ------------------------------------------------------------------------


async def test_pool_is_sized_by_the_settings(fresh_dsn):
    db = await connect(fresh_dsn, db_pool_min=3, db_pool_max=7, db_pool_idle_timeout=45000)
    try:
        assert db._pool.get_min_size() == 3
        assert db._pool.get_max_size() == 7
        # DB_POOL_IDLE_TIMEOUT is in milliseconds, asyncpg counts seconds.
        assert db._pool._max_inactive_connection_lifetime == 45.0
        # The minimum is opened up front.
        assert db._pool.get_size() == 3
    finally:
        await db.close()


async def test_by_default_the_pool_works_as_the_application_role_under_row_level_security(fresh_dsn):
    async with await connect(fresh_dsn, db_pool_min=1, db_pool_max=1) as owner:
        org = await make_org(owner)
        user = await make_user(owner)
        await owner.organizations.add_member(org.id, user.id)
    settings = load_settings(database_url=fresh_dsn, pii_encryption_key=TEST_PII_KEY)
    assert settings.db_app_role == "ikenei_app"
    async with await Database.connect(settings) as app:
        # Outside a scope no organization's data is visible.
        with pytest.raises(NotFound):
            await app.users.get(user.id)
        assert await app.organizations.list() == []
        async with app.organization(org.id) as tx:
            assert (await tx.users.get(user.id)).email == user.email


async def test_the_readme_example_works_as_the_application_role(fresh_dsn):
    settings = load_settings(database_url=fresh_dsn, pii_encryption_key=TEST_PII_KEY, bcrypt_cost=12)
    db = await Database.connect(settings)
    # -- as in README.md, "Using the API" --
    async with db.person(email="ada@acme.example") as tx:       # signing up
        ada = await tx.users.create(email="ada@acme.example", password="correct horse",
                                    first_name="Ada", last_name="Lovelace")
    new_org = uuid.uuid4()
    async with db.organization(new_org, user_id=ada.id, actor=f"user:{ada.id}") as tx:
        org = await tx.organizations.create(name="Acme", domain="acme.example")
        await tx.organizations.add_member(org.id, ada.id)      # Ada founds it
    async with db.organization(org.id) as tx:
        member = await tx.users.get(ada.id)                    # a frozen dataclass, or NotFound
        members = await tx.organizations.list_members(org.id)
    await db.close()
    # --
    assert org.id == new_org
    assert member == ada
    assert [m.user_id for m in members] == [ada.id]


async def test_an_application_role_that_does_not_exist_says_how_to_make_it(fresh_dsn):
    with pytest.raises(NotMigrated, match="ikenei_no_such_role.*DB_APP_ROLE.*make migrate"):
        await connect(fresh_dsn, db_app_role="ikenei_no_such_role")


async def test_pool_is_sized_by_the_environment(fresh_dsn, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", fresh_dsn)
    monkeypatch.setenv("DB_POOL_MIN", "1")
    monkeypatch.setenv("DB_POOL_MAX", "4")
    monkeypatch.setenv("DB_POOL_IDLE_TIMEOUT", "1500")
    monkeypatch.setenv("PII_ENCRYPTION_KEY", TEST_PII_KEY)
    monkeypatch.setenv("DB_APP_ROLE", "none")
    db = await Database.connect()
    try:
        assert (db._pool.get_min_size(), db._pool.get_max_size()) == (1, 4)
        assert db._pool._max_inactive_connection_lifetime == 1.5
        assert await db.users.list() == []
    finally:
        await db.close()


async def test_idle_connections_are_closed_after_the_idle_timeout(fresh_dsn):
    db = await connect(fresh_dsn, db_pool_min=0, db_pool_max=2, db_pool_idle_timeout=100)
    try:
        await db.users.list()
        assert db._pool.get_size() == 1
        # 100 ms: were the milliseconds taken for seconds, it would stay open.
        for _ in range(50):
            if db._pool.get_size() == 0:
                break
            await asyncio.sleep(0.05)
        assert db._pool.get_size() == 0
    finally:
        await db.close()


async def test_database_is_an_async_context_manager(fresh_dsn):
    async with await connect(fresh_dsn, db_pool_min=1, db_pool_max=1) as db:
        assert await db.organizations.list() == []
        pool = db._pool
    assert pool._closed


async def test_unreachable_server_is_connection_failed_naming_host_and_port():
    settings = load_settings(
        db_host="127.0.0.1", db_port=1, database_url=None, db_password="never-shown-pw",
        pii_encryption_key=TEST_PII_KEY,
    )
    with pytest.raises(ConnectionFailed) as caught:
        await Database.connect(settings)
    message = str(caught.value)
    assert "127.0.0.1:1" in message
    assert "never-shown-pw" not in message


async def test_unreachable_server_with_an_empty_pool_is_connection_failed():
    settings = load_settings(
        db_host="127.0.0.1", db_port=1, database_url=None, db_pool_min=0,
        pii_encryption_key=TEST_PII_KEY,
    )
    with pytest.raises(ConnectionFailed):
        db = await Database.connect(settings)
        try:
            await db.users.list()
        finally:
            await db.close()


async def test_missing_database_is_not_migrated(admin_dsn):
    name = f"ikenei_test_absent_{secrets.token_hex(4)}"
    with pytest.raises(NotMigrated) as caught:
        await connect(dsn_for_database(admin_dsn, name))
    assert "make migrate" in str(caught.value)
    assert name in str(caught.value)


async def test_database_without_schema_is_not_migrated_on_first_use(empty_dsn):
    db = await connect(empty_dsn, db_pool_min=1, db_pool_max=1)
    try:
        with pytest.raises(NotMigrated) as caught:
            await db.users.get(uuid.uuid4())
        assert "make migrate" in str(caught.value)
    finally:
        await db.close()


# -- transactions --------------------------------------------------------------------


async def test_transaction_gives_every_repository_on_one_connection(db):
    user = await make_user(db)
    async with db.transaction() as tx:
        assert isinstance(tx, Repositories)
        for name in Repositories.__slots__:
            assert getattr(tx, name) is not None
        org = await tx.organizations.create(name="In a transaction")
        # The row is visible on the transaction's connection ...
        membership = await tx.organizations.add_member(org.id, user.id)
        role = await tx.roles.create(org.id, name="coach")
        await tx.roles.assign(org.id, user.id, role.id)
        assert await tx.organizations.get(org.id) == org
        # ... and nowhere else until it commits.
        with pytest.raises(NotFound):
            await db.organizations.get(org.id)
    assert await db.organizations.get(org.id) == org
    assert await db.organizations.get_membership(org.id, user.id) == membership
    assert await db.roles.list_for_user(org.id, user.id) == [role]


async def test_an_exception_in_the_block_rolls_everything_back(db):
    user = await make_user(db)
    before = await counts(db)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with db.transaction() as tx:
            org = await tx.organizations.create(name="Doomed", domain="doomed.example.com")
            await tx.organizations.add_member(org.id, user.id)
            role = await tx.roles.create(org.id, name="doomed")
            await tx.roles.assign(org.id, user.id, role.id)
            await tx.users.update(await tx.users.get(user.id))
            raise Boom
    assert await counts(db) == before
    with pytest.raises(NotFound):
        await db.organizations.get(org.id)
    assert await db.users.get(user.id) == user  # updated_at did not move either


async def test_a_refused_step_leaves_no_partial_write(db):
    await make_org(db, domain="taken.example.com")
    user = await make_user(db)
    before = await counts(db)
    with pytest.raises(AlreadyExists) as caught:
        async with db.transaction() as tx:
            first = await tx.organizations.create(name="First", domain="first.example.com")
            await tx.organizations.add_member(first.id, user.id)
            await tx.organizations.create(name="Second", domain="taken.example.com")
    assert caught.value.field == "domain"
    assert await counts(db) == before
    with pytest.raises(NotFound):
        await db.organizations.get_by_domain("first.example.com")


async def test_a_swallowed_error_does_not_let_the_transaction_commit_half(db):
    await make_org(db, domain="taken.example.com")
    before = await counts(db)
    with pytest.raises(DatabaseError):
        async with db.transaction() as tx:
            await tx.organizations.create(name="Kept?")
            with pytest.raises(AlreadyExists):
                await tx.organizations.create(name="Clash", domain="taken.example.com")
            # PostgreSQL refuses every statement after an error in a transaction.
            await tx.organizations.create(name="After")
    assert await counts(db) == before


async def test_refusals_do_not_poison_the_pool(fresh_dsn):
    # One connection: whatever a refusal leaves behind, the next call meets it.
    db = await connect(fresh_dsn, db_pool_min=1, db_pool_max=1)
    try:
        org = await make_org(db, domain="one.example.com")
        with pytest.raises(AlreadyExists):
            await make_org(db, domain="one.example.com")
        with pytest.raises(InvalidData):
            await make_org(db, size_category="enormous")
        assert await db.organizations.get(org.id) == org

        with pytest.raises(RuntimeError):
            async with db.transaction() as tx:
                await tx.organizations.create(name="Rolled back")
                raise RuntimeError
        with pytest.raises(AlreadyExists):
            async with db.transaction() as tx:
                await tx.organizations.create(name="Clash", domain="one.example.com")

        # Back in the pool, idle, not inside a transaction: a write commits.
        assert db._pool.get_idle_size() == 1
        second = await make_org(db, name="Second")
        assert await db.organizations.list() == [org, second]
    finally:
        await db.close()
    fresh = await connect(fresh_dsn, db_pool_min=1, db_pool_max=1)
    try:
        assert [o.id for o in await fresh.organizations.list()] == [org.id, second.id]
    finally:
        await fresh.close()


async def test_concurrent_transactions_use_their_own_connections(db):
    async def create(name: str) -> None:
        async with db.transaction() as tx:
            await tx.organizations.create(name=name)
            await asyncio.sleep(0.05)

    await asyncio.gather(*(create(f"Concurrent {i}") for i in range(5)))
    assert len(await db.organizations.list()) == 5


# -- the query loader --------------------------------------------------------------


# aiosql 15 checks the declared parameters itself (SQLParseException); load()
# checks them again (DatabaseError). Either way, the error names query and parameter.
LOAD_ERRORS = (DatabaseError, aiosql.SQLParseException)


def write_queries(directory, text: str):
    (directory / "queries.sql").write_text(text)
    return directory


def test_a_parameter_used_but_not_declared_is_refused(tmp_path):
    write_queries(
        tmp_path,
        "-- name: greet_person(name)^\n-- A greeting.\nSELECT :name::text || :suffix::text AS greeting;\n",
    )
    with pytest.raises(LOAD_ERRORS) as caught:
        load(tmp_path)
    assert "greet_person" in str(caught.value)
    assert "suffix" in str(caught.value)


def test_a_parameter_declared_but_not_used_is_refused(tmp_path):
    write_queries(
        tmp_path, "-- name: greet_twice(name, unused)^\n-- A greeting.\nSELECT :name::text AS greeting;\n"
    )
    with pytest.raises(LOAD_ERRORS) as caught:
        load(tmp_path)
    assert "greet_twice" in str(caught.value)
    assert "unused" in str(caught.value)


def test_a_query_without_a_parameter_list_is_refused(tmp_path):
    write_queries(tmp_path, "-- name: no_list^\n-- A greeting.\nSELECT :name::text AS greeting;\n")
    with pytest.raises(aiosql.SQLParseException) as caught:
        load(tmp_path)
    assert "no_list" in str(caught.value)


def test_a_query_name_defined_twice_is_refused(tmp_path):
    (tmp_path / "a.sql").write_text("-- name: same_name()^\n-- One.\nSELECT 1 AS one;\n")
    (tmp_path / "b.sql").write_text("-- name: same_name()^\n-- Two.\nSELECT 2 AS two;\n")
    with pytest.raises(DatabaseError):
        load(tmp_path)


def test_every_shipped_query_loads_with_matching_parameters():
    queries = vars(load())
    for name in ("create_user", "add_member", "assign_role", "list_role_members"):
        assert name in queries
    for query in queries.values():
        assert query.params == tuple(dict.fromkeys(query.params))  # no parameter twice


# -- the executor -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pair:
    a: int
    b: int


@dataclass(frozen=True, slots=True)
class Scratch:
    id: int
    label: str


SCRATCH_QUERIES = """
-- name: exec_test_swapped()^
-- Two columns, in the other order than Pair's fields.
SELECT 2 AS b, 1 AS a;

-- name: exec_test_extra()
-- One column more than Pair has.
SELECT 1 AS a, 2 AS b, 3 AS c;

-- name: exec_test_ordered(first, second)^
-- Uses the parameters in another order than declared.
SELECT :second::int AS a, :first::int AS b;

-- name: exec_test_none()^
-- No row at all.
SELECT 1 AS a, 2 AS b WHERE false;

-- name: exec_test_make_scratch()
-- A table for this transaction only.
CREATE TEMP TABLE exec_scratch (id int PRIMARY KEY, label text NOT NULL) ON COMMIT DROP;

-- name: exec_test_insert_scratch(id, label)!
-- One row.
INSERT INTO exec_scratch (id, label) VALUES (:id, :label);

-- name: exec_test_add_scratch(id, label)^
-- One row, as written.
INSERT INTO exec_scratch (id, label) VALUES (:id, :label) RETURNING id, label;

-- name: exec_test_relabel_one_scratch(id, label)^
-- One row gets the label; the row as stored.
UPDATE exec_scratch SET label = :label WHERE id = :id RETURNING id, label;

-- name: exec_test_relabel_scratch(label)!
-- Every row gets the label.
UPDATE exec_scratch SET label = :label;

-- name: exec_test_count_scratch()$
-- How many rows.
SELECT count(*) FROM exec_scratch;

-- name: exec_test_list_scratch()
-- Every row by id.
SELECT id, label FROM exec_scratch ORDER BY id;
"""


@pytest.fixture
def scratch(tmp_path):
    return load(write_queries(tmp_path, SCRATCH_QUERIES))


async def test_columns_not_matching_the_record_are_refused(db, scratch):
    x = Executor(db._pool)
    with pytest.raises(DatabaseError) as caught:
        await x.one(scratch.exec_test_swapped, Pair)
    assert "exec_test_swapped" in str(caught.value)
    assert "Pair" in str(caught.value)
    with pytest.raises(DatabaseError) as caught:
        await x.all(scratch.exec_test_extra, Pair)
    assert "exec_test_extra" in str(caught.value)


async def test_arguments_are_passed_by_name_whatever_the_order_of_use(db, scratch):
    x = Executor(db._pool)
    # $n order, worked out at load: the SQL uses :second first.
    assert scratch.exec_test_ordered.params == ("second", "first")
    assert await x.one(scratch.exec_test_ordered, Pair, first=10, second=20) == Pair(a=20, b=10)
    assert await x.one(scratch.exec_test_ordered, Pair, second=20, first=10) == Pair(a=20, b=10)
    assert await x.one(scratch.exec_test_none, Pair) is None


@pytest.mark.parametrize(
    ("call", "names"),
    [
        ({"first": 10}, ["missing argument second"]),
        ({"first": 10, "second": 20, "third": 30}, ["unknown argument third"]),
        ({"first": 10, "sceond": 20}, ["missing argument second", "unknown argument sceond"]),
        ({}, ["missing argument second, first"]),
    ],
    ids=["missing", "unknown", "misspelt", "none"],
)
async def test_a_missing_or_unknown_argument_name_is_a_type_error_naming_query_and_name(
    db, scratch, call, names
):
    x = Executor(db._pool)
    for method in (x.one, x.all):
        with pytest.raises(TypeError) as caught:
            await method(scratch.exec_test_ordered, Pair, **call)
        message = str(caught.value)
        assert message.startswith("query exec_test_ordered: ")
        for name in names:
            assert name in message
        assert "(it takes second, first)" in message
    no_arguments = r"query exec_test_count_scratch: unknown argument id \(it takes no arguments\)"
    with pytest.raises(TypeError, match=no_arguments):
        await x.value(scratch.exec_test_count_scratch, id=1)
    with pytest.raises(TypeError, match="query exec_test_insert_scratch: missing argument label"):
        await x.execute_many(scratch.exec_test_insert_scratch, [{"id": 1}])


async def test_arguments_cannot_be_passed_by_position(db, scratch):
    x = Executor(db._pool)
    with pytest.raises(TypeError):
        await x.one(scratch.exec_test_ordered, Pair, 10, 20)  # type: ignore[call-arg]


async def test_one_found_returns_the_row_or_raises_not_found_naming_what(db, scratch):
    x = Executor(db._pool)
    found = await x.one_found(
        scratch.exec_test_ordered, Pair, first=10, second=20, missing=("pair", 7),
    )
    assert found == Pair(a=20, b=10)
    with pytest.raises(NotFound) as caught:
        await x.one_found(scratch.exec_test_none, Pair, missing=("pair", 7))
    assert (caught.value.entity, caught.value.key) == ("pair", 7)
    assert str(caught.value) == "pair 7 not found"


async def test_created_returns_the_written_row_and_refuses_a_query_that_wrote_none(db, scratch):
    async with Executor(db._pool).transaction() as x:
        await x.execute(scratch.exec_test_make_scratch)
        assert await x.created(scratch.exec_test_add_scratch, Scratch, id=1, label="one") == Scratch(1, "one")
        with pytest.raises(DatabaseError, match="query exec_test_none wrote no row"):
            await x.created(scratch.exec_test_none, Pair)


@dataclass(frozen=True, slots=True)
class Unlabelled:
    id: int


async def test_stored_takes_the_arguments_it_is_not_given_from_the_record(db, scratch):
    async with Executor(db._pool).transaction() as x:
        await x.execute(scratch.exec_test_make_scratch)
        await x.execute(scratch.exec_test_insert_scratch, id=1, label="one")
        # Every parameter from the record:
        stored = await x.stored(scratch.exec_test_relabel_one_scratch, Scratch(1, "uno"), missing=("row", 1))
        assert stored == Scratch(1, "uno")
        # A given argument wins over the record's field of that name:
        stored = await x.stored(
            scratch.exec_test_relabel_one_scratch, Scratch(2, "eins"), id=1, missing=("row", 1),
        )
        assert stored == Scratch(1, "eins")
        with pytest.raises(NotFound) as caught:
            await x.stored(scratch.exec_test_relabel_one_scratch, Scratch(9, "nine"), missing=("row", 9))
        assert (caught.value.entity, caught.value.key) == ("row", 9)
        with pytest.raises(TypeError, match="query exec_test_relabel_one_scratch: Unlabelled has no field label"):
            await x.stored(scratch.exec_test_relabel_one_scratch, Unlabelled(1), missing=("row", 1))
        assert await x.all(scratch.exec_test_list_scratch, Scratch) == [Scratch(1, "eins")]


async def test_executor_methods_on_one_connection(db, scratch):
    async with Executor(db._pool).transaction() as x:
        await x.execute(scratch.exec_test_make_scratch)
        assert await x.execute(scratch.exec_test_insert_scratch, id=1, label="one") == 1
        await x.execute_many(
            scratch.exec_test_insert_scratch,
            [{"id": 2, "label": "two"}, {"label": "three", "id": 3}],
        )
        await x.execute(scratch.exec_test_insert_scratch, id=4, label="four")
        await x.execute(scratch.exec_test_insert_scratch, id=5, label="five")
        assert await x.value(scratch.exec_test_count_scratch) == 5
        with pytest.raises(AlreadyExists):
            async with x.transaction() as inner:  # a savepoint
                await inner.execute(scratch.exec_test_insert_scratch, id=6, label="six")
                await inner.execute(scratch.exec_test_insert_scratch, id=1, label="again")
        # The savepoint undid only its own rows; the transaction goes on.
        assert await x.value(scratch.exec_test_count_scratch) == 5
        assert await x.execute(scratch.exec_test_relabel_scratch, label="same") == 5
        rows = await x.all(scratch.exec_test_list_scratch, Scratch)
        assert rows == [Scratch(i, "same") for i in range(1, 6)]
        with pytest.raises(InvalidData) as caught:
            async with x.transaction() as inner:
                await inner.execute(scratch.exec_test_insert_scratch, id=7, label=None)
        assert caught.value.field == "label"
        assert await x.value(scratch.exec_test_count_scratch) == 5
