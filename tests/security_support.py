"""Helpers of the security tests: the application's pool beside the owner's,
and raw statements of an attacker working as ``ikenei_app``.

The attacks run through the same code paths an application would use: a
``Database`` connected as ``ikenei_app`` (``app_database``), whose scopes set
the transaction's organization, person or token; raw statements, where the
attack is SQL (``xmin`` joins, temporary tables), are test-only queries of
``tests/sql/security.sql`` run on the scoped transaction's own connection.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from pii_support import TEST_PII_KEY

from ikenei import Database
from ikenei.config.settings import load_settings
from ikenei.db.database import Repositories
from ikenei.db.queries import Executor, load

APP_ROLE = "ikenei_app"

TQ = load(Path(__file__).parent / "sql" / "security.sql")


async def app_database(dsn: str) -> Database:
    """A pool on ``dsn`` whose every connection works as ``ikenei_app``."""
    return await Database.connect(
        load_settings(database_url=dsn, pii_encryption_key=TEST_PII_KEY), role=APP_ROLE
    )


async def owner_database(dsn: str) -> Database:
    """A pool on ``dsn`` working as the tables' owner (no row-level security)."""
    return await Database.connect(
        load_settings(database_url=dsn, pii_encryption_key=TEST_PII_KEY), role=None
    )


@asynccontextmanager
async def owner_and_app(dsn: str) -> AsyncIterator[tuple[Database, Database]]:
    """Both pools on ``dsn``, the owner's and the application's, closed after."""
    async with await owner_database(dsn) as owner, await app_database(dsn) as app:
        yield owner, app


def raw(repositories: Repositories) -> Executor:
    """The executor of a scope's transaction: its raw statements run in that scope."""
    return repositories.feedback._x
