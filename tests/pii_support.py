"""The encryption keys of the tests, and what the encryption tests share.

Every test runs with ``TEST_PII_KEY`` as ``PII_ENCRYPTION_KEY`` (set for the
session by ``conftest.py``), fixed so that a failure reproduces. ``make_key``
makes others, for tests of rotation and wrong keys. What the repositories
deliberately cannot do (read a value as stored, alter it, search every table
for a text) are test-only queries in ``tests/sql/crypto.sql``.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import UUID

from ikenei.db.queries import Executor, load
from ikenei.security.encryption import Cipher, parse_key

if TYPE_CHECKING:
    from ikenei import Database

TQ = load(Path(__file__).parent / "sql" / "crypto.sql")

#: PII_ENCRYPTION_KEY of the tests: key id "test", 32 fixed bytes.
TEST_PII_KEY = "test:" + base64.b64encode(bytes(range(32))).decode()


def make_key(key_id: str) -> str:
    """A new random key as the settings take it: ``<key_id>:<base64 of 32 bytes>``."""
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


def cipher(key: str = TEST_PII_KEY, *old: str) -> Cipher:
    """The cipher of these keys (settings format), the first one current."""
    return Cipher(parse_key(key), [parse_key(k) for k in old])


@dataclass(frozen=True, slots=True)
class StoredComment:
    id: UUID
    comment: str | None
    comment_ciphertext: bytes | None
    comment_key_id: str | None


@dataclass(frozen=True, slots=True)
class StoredNote:
    id: UUID
    notes: str | None
    notes_ciphertext: bytes | None
    notes_key_id: str | None


@dataclass(frozen=True, slots=True)
class _TableName:
    table_name: str


async def tables_holding(db: Database, text: str) -> list[str]:
    """The tables of the database with a row holding ``text`` (as text, or its bytes in a bytea)."""
    async with Executor(db._pool).transaction() as x:
        await x.execute(TQ.create_tables_holding_function)
        return [t.table_name for t in await x.all(TQ.tables_holding, _TableName, needle=text)]
