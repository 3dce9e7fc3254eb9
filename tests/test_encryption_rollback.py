"""Rolling back field encryption after seeding loses nothing (migration ``20261204_110200``).

``make seed-dev`` leaves encrypted comments and notes; rolling back past the
migrations that added the encrypted columns used to refuse ("rolling back
would lose them") with no way forward. The rollback now decrypts every value
into the text column it came from with the configured key, and refuses,
changing nothing, only when the key is absent (or does not decrypt).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from pii_support import TEST_PII_KEY, TQ, StoredComment, StoredNote, cipher, make_key

from ikenei import Database
from ikenei.config.settings import load_settings
from ikenei.db.queries import Executor
from ikenei.errors import ConfigError, DecryptionFailed
from ikenei.privacy import keys
from ikenei.schema import migrations, seeds

#: The first migration that holds encrypted values; rolling it back needs them as text.
FIRST_ENCRYPTED = "20261125_100101_encrypted_feedback_comments"


def quiet(_line: str) -> None:
    pass


async def stored(dsn: str) -> tuple[list[StoredComment], list[StoredNote]]:
    db = await Database.connect(load_settings(
        database_url=dsn, pii_encryption_key=TEST_PII_KEY, db_app_role=None, db_pool_min=1
    ))
    try:
        x = Executor(db._pool)
        return (
            await x.all(TQ.list_every_stored_comment, StoredComment),
            await x.all(TQ.list_every_stored_note, StoredNote),
        )
    finally:
        await db.close()


def plain_texts(comments: list[StoredComment], notes: list[StoredNote]) -> dict[Any, str | None]:
    """Every value as its text: decrypted with the test key where it is encrypted."""
    c = cipher()
    texts: dict[Any, str | None] = {}
    for row in comments:
        texts[row.id] = row.comment if row.comment_ciphertext is None else c.decrypt(
            row.comment_ciphertext, row.comment_key_id, table="feedback_responses", column="comment", row_id=row.id
        )
    for note in notes:
        texts[note.id] = note.notes if note.notes_ciphertext is None else c.decrypt(
            note.notes_ciphertext, note.notes_key_id, table="learning_progress", column="notes", row_id=note.id
        )
    return texts


async def seeded(dsn: str) -> dict[Any, str | None]:
    """The dev seed, encrypted as `ikenei seed dev` leaves it; its texts."""
    await asyncio.to_thread(seeds.run, dsn, "dev", out=quiet)
    await without_later_question_types(dsn)
    await keys.rotate(dsn, cipher(), out=quiet)
    comments, notes = await stored(dsn)
    assert comments and notes and all(c.comment is None for c in comments)
    return plain_texts(comments, notes)


async def without_later_question_types(dsn: str) -> None:
    """Removes the dev seed's form of choice and NPS questions, and its cycle.

    Rolling back 20261204_151000 (question types) cannot keep such questions
    and stops on them; what is tested here is the rollback of the encrypted
    columns, which comes after it.
    """
    conn = await asyncpg.connect(dsn)
    try:
        x = Executor(conn)
        async with x.transaction() as tx:
            await tx.execute(TQ.delete_cycles_of_forms_with_later_question_types)
            await tx.execute(TQ.delete_forms_with_later_question_types)
    finally:
        await conn.close()


def steps_to_before_encryption(dsn: str) -> int:
    applied = [m for m, when in migrations.status(dsn, out=quiet) if when is not None]
    return sum(1 for m in applied if m >= FIRST_ENCRYPTED)


async def test_rolling_back_field_encryption_keeps_every_value_as_text(fresh_dsn):
    texts = await seeded(fresh_dsn)
    steps = steps_to_before_encryption(fresh_dsn)
    await asyncio.to_thread(migrations.rollback, fresh_dsn, steps=steps, out=quiet)
    assert migrations.pending(fresh_dsn)[0] == FIRST_ENCRYPTED
    # Before the encrypted columns existed, the texts were plain columns.
    assert await plain_columns(fresh_dsn) == texts

    # And forward again: migrated, then encrypted by the rotation, the same texts.
    await asyncio.to_thread(migrations.apply, fresh_dsn, out=quiet)
    await keys.rotate(fresh_dsn, cipher(), out=quiet)
    again = await stored(fresh_dsn)
    assert all(c.comment is None for c in again[0]) and plain_texts(*again) == texts
    # With everything rolled back, nothing refuses either.
    await asyncio.to_thread(migrations.rollback, fresh_dsn, all=True, out=quiet)
    assert migrations.pending(fresh_dsn) == [m for m, _ in migrations.status(fresh_dsn, out=quiet)]


@dataclass(frozen=True, slots=True)
class _Plain:
    id: UUID
    text: str


async def plain_columns(dsn: str) -> dict[Any, str | None]:
    """The texts of the plain comment and notes columns (read without Database: not fully migrated)."""
    conn = await asyncpg.connect(dsn)
    try:
        x = Executor(conn)
        rows = [*await x.all(TQ.list_plain_comments, _Plain), *await x.all(TQ.list_plain_notes, _Plain)]
    finally:
        await conn.close()
    return {row.id: row.text for row in rows}


async def test_without_the_key_the_rollback_refuses_and_changes_nothing(fresh_dsn, monkeypatch):
    await seeded(fresh_dsn)
    before = await stored(fresh_dsn)
    steps = steps_to_before_encryption(fresh_dsn)
    # A server other than the embedded one, no key configured.
    monkeypatch.setenv("DATABASE_URL", fresh_dsn)
    monkeypatch.delenv("PII_ENCRYPTION_KEY")
    with pytest.raises(ConfigError) as refused:
        await asyncio.to_thread(migrations.rollback, fresh_dsn, steps=steps, out=quiet)
    message = str(refused.value)
    assert "PII_ENCRYPTION_KEY" in message and "would be lost" in message
    assert migrations.pending(fresh_dsn) == []
    assert await stored(fresh_dsn) == before
    # A key that is not the one: refused as well, nothing changed.
    monkeypatch.setenv("PII_ENCRYPTION_KEY", make_key("test"))
    with pytest.raises(DecryptionFailed):
        await asyncio.to_thread(migrations.rollback, fresh_dsn, steps=steps, out=quiet)
    assert migrations.pending(fresh_dsn) == []
    assert await stored(fresh_dsn) == before
