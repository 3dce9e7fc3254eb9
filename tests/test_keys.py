"""Encryption keys against a real server: the start-up check, rotation and its resumption.

Values are written through the repositories under one key, then the keys are
reconfigured the way an operator would (a new current key, the old one kept
readable) and ``ikenei.privacy.keys.rotate`` moves everything to the new key.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID

import pytest
from feedback_fixtures import give_feedback, make_member, make_org, make_setup
from pii_support import TQ, StoredComment, StoredNote, cipher, make_key, tables_holding

from ikenei import Database
from ikenei.config.settings import Settings, load_settings
from ikenei.db.queries import Executor
from ikenei.errors import ConfigError, Conflict, WrongKey
from ikenei.privacy import keys
from ikenei.schema import seeds

K1 = make_key("k1")
K2 = make_key("k2")

MAYA = UUID("00000000-0000-4000-8000-000000002002")
MID_YEAR_CHECK_IN = UUID("00000000-0000-4000-8000-000000006102")
SEEDED_COMMENT = "The release process is much calmer since Maya took it over."
SEEDED_NOTE = "Workshop done; the team strategy page is on the wiki."


@dataclass(frozen=True, slots=True)
class KeyColumn:
    column_name: str


@dataclass(frozen=True, slots=True)
class InUse:
    column_name: str
    key_id: str | None
    value_count: int


def quiet(_line: str) -> None:
    pass


@asynccontextmanager
async def connected(dsn: str, key: str, *old: str) -> AsyncIterator[Database]:
    settings = load_settings(
        database_url=dsn,
        pii_encryption_key=key,
        pii_encryption_old_keys=",".join(old) or None,
        db_pool_min=1,
        db_pool_max=2,
    )
    db = await Database.connect(settings)
    try:
        yield db
    finally:
        await db.close()


async def in_use(db: Database) -> list[tuple[str, str | None, int]]:
    rows = await Executor(db._pool).all(TQ.list_key_ids_in_use, InUse)
    return [(r.column_name, r.key_id, r.value_count) for r in rows]


@dataclass(frozen=True, slots=True)
class Written:
    """What ``write_under`` stored: where to read it back, and the texts."""

    target: UUID
    cycle: UUID
    plan: UUID
    comments: list[str]
    notes: list[str]


async def write_under(db: Database, comments: int = 5, notes: int = 3) -> Written:
    s = await make_setup(db, threshold=1)
    texts = [f"comment number {i}" for i in range(comments)]
    for text in texts:
        await give_feedback(db, s, "peer", (3, 4, 5), text)
    org = await make_org(db)
    person = await make_member(db, org.id)
    plan = await db.learning.create_plan(org.id, person.id, title="Grow")
    note_texts = [f"note number {i}" for i in range(notes)]
    for i, text in enumerate(note_texts):
        await db.learning.record_progress(plan.id, progress_percent=10 * i, notes=text)
    return Written(s.target.id, s.cycle.id, plan.id, texts, note_texts)


async def read_back(db: Database, written: Written) -> tuple[list[str], list[str | None]]:
    comments = sorted(c.comment for c in await db.feedback.comments(written.target, written.cycle))
    notes = [p.notes for p in await db.learning.list_progress(written.plan)]
    return comments, notes


# --------------------------------------------------------------------------- start-up


async def test_a_wrong_current_key_is_refused_at_start_up(fresh_dsn: str) -> None:
    async with connected(fresh_dsn, K1) as db:
        await write_under(db, comments=1, notes=0)
        registered = await Executor(db._pool).value(TQ.count_encryption_keys)
    impostor = "k1:" + K2.partition(":")[2]  # the id of k1, other bytes
    with pytest.raises(WrongKey) as caught:
        await Database.connect(load_settings(database_url=fresh_dsn, pii_encryption_key=impostor))
    assert str(caught.value).startswith("PII_ENCRYPTION_KEY: key 'k1' is not the key registered")
    assert K2.partition(":")[2] not in str(caught.value)
    async with connected(fresh_dsn, K1) as db:
        assert await Executor(db._pool).value(TQ.count_encryption_keys) == registered == 1


async def test_a_wrong_old_key_is_refused_at_start_up(fresh_dsn: str) -> None:
    async with connected(fresh_dsn, K1) as db:
        await write_under(db, comments=1, notes=0)
    with pytest.raises(WrongKey, match=r"^PII_ENCRYPTION_OLD_KEYS: key 'k1' is not the key"):
        await Database.connect(
            load_settings(
                database_url=fresh_dsn,
                pii_encryption_key=K2,
                pii_encryption_old_keys=make_key("k1"),
            )
        )
    # Refused: k2 was not registered either.
    async with connected(fresh_dsn, K1) as db:
        assert await Executor(db._pool).value(TQ.count_encryption_keys) == 1


async def test_a_key_still_in_use_must_be_configured(fresh_dsn: str) -> None:
    async with connected(fresh_dsn, K1) as db:
        await write_under(db, comments=1, notes=1)
    with pytest.raises(ConfigError) as caught:
        await Database.connect(load_settings(database_url=fresh_dsn, pii_encryption_key=K2))
    assert "key 'k1', which is not configured: add it to PII_ENCRYPTION_OLD_KEYS" in str(
        caught.value
    )
    async with connected(fresh_dsn, K2, K1) as db:
        assert await Executor(db._pool).value(TQ.count_encryption_keys) == 2


# --------------------------------------------------------------------------- rotation


async def test_rotation_moves_every_value_to_the_current_key(fresh_dsn: str) -> None:
    async with connected(fresh_dsn, K1) as db:
        written = await write_under(db)
        legacy = await Executor(db._pool).value(
            TQ.insert_legacy_note, plan_id=written.plan, notes="note from before"
        )

    async with connected(fresh_dsn, K2, K1) as db:
        # Before any rotation the old values read fine and new ones use k2.
        comments, notes = await read_back(db, written)
        assert comments == written.comments and notes == [*written.notes, "note from before"]
        await db.learning.record_progress(
            written.plan, progress_percent=90, notes="under k2 already"
        )
        assert await in_use(db) == [
            ("feedback_responses.comment", "k1", 5),
            ("learning_progress.notes", None, 1),
            ("learning_progress.notes", "k1", 3),
            ("learning_progress.notes", "k2", 1),
        ]

    lines: list[str] = []
    rotation = await keys.rotate(fresh_dsn, cipher(K2, K1), batch_size=2, out=lines.append)
    assert rotation.finished and rotation.failed == {}
    assert rotation.encrypted == {"feedback_responses.comment": 5, "learning_progress.notes": 4,
                                  "competency_evidence.note": 0}
    assert rotation.retired == ["k1"]
    assert lines == [
        "feedback_responses.comment: 2/5",
        "feedback_responses.comment: 4/5",
        "feedback_responses.comment: 5/5",
        "learning_progress.notes: 2/4",
        "learning_progress.notes: 4/4",
        "competency_evidence.note: 0/0",
        "encrypted 9 value(s) under key 'k2'; every stored value now uses it",
        "no stored value uses key(s) k1 any more: they can be removed from PII_ENCRYPTION_OLD_KEYS",
    ]

    # k1 is retired: the application starts without it and reads everything.
    async with connected(fresh_dsn, K2) as db:
        assert await in_use(db) == [
            ("feedback_responses.comment", "k2", 5),
            ("learning_progress.notes", "k2", 5),
        ]
        comments, notes = await read_back(db, written)
        assert comments == written.comments
        assert notes == [*written.notes, "note from before", "under k2 already"]
        stored = await Executor(db._pool).one(TQ.get_stored_note, StoredNote, progress_id=legacy)
        assert stored is not None and stored.notes is None
        assert await tables_holding(db, "note from before") == []

    again: list[str] = []
    second = await keys.rotate(fresh_dsn, cipher(K2), out=again.append)
    assert (second.total, second.finished, second.retired) == (0, True, [])
    assert again == [
        "feedback_responses.comment: 0/0",
        "learning_progress.notes: 0/0",
        "competency_evidence.note: 0/0",
        "encrypted 0 value(s) under key 'k2'; every stored value now uses it",
    ]


async def test_an_interrupted_rotation_leaves_everything_readable_and_resumes(
    fresh_dsn: str,
) -> None:
    async with connected(fresh_dsn, K1) as db:
        written = await write_under(db, comments=5, notes=3)

    first = await keys.rotate(fresh_dsn, cipher(K2, K1), batch_size=2, max_batches=2, out=quiet)
    assert (first.finished, first.encrypted, first.retired) == (
        False,
        {"feedback_responses.comment": 4},
        [],
    )

    async with connected(fresh_dsn, K2, K1) as db:
        assert await in_use(db) == [
            ("feedback_responses.comment", "k1", 1),
            ("feedback_responses.comment", "k2", 4),
            ("learning_progress.notes", "k1", 3),
        ]
        assert await read_back(db, written) == (written.comments, written.notes)
    # k1 still holds data: it cannot be dropped yet.
    with pytest.raises(ConfigError, match="'k1', which is not configured"):
        await Database.connect(load_settings(database_url=fresh_dsn, pii_encryption_key=K2))

    lines: list[str] = []
    rest = await keys.rotate(fresh_dsn, cipher(K2, K1), batch_size=2, out=lines.append)
    assert rest.finished and rest.encrypted == {
        "feedback_responses.comment": 1,
        "learning_progress.notes": 3,
        "competency_evidence.note": 0,
    }
    assert lines[:3] == [
        "feedback_responses.comment: 1/1",
        "learning_progress.notes: 2/3",
        "learning_progress.notes: 3/3",
    ]
    assert rest.retired == ["k1"]
    async with connected(fresh_dsn, K2) as db:
        assert await read_back(db, written) == (written.comments, written.notes)


async def test_a_value_that_does_not_decrypt_is_reported_and_left_alone(fresh_dsn: str) -> None:
    async with connected(fresh_dsn, K1) as db:
        written = await write_under(db, comments=3, notes=0)
        stored = await Executor(db._pool).all(
            TQ.list_stored_comments, StoredComment, cycle_id=written.cycle,
        )
        damaged = stored[1]
        await Executor(db._pool).execute(TQ.flip_comment_bit, response_id=damaged.id, position=20)
        damaged = await Executor(db._pool).one(
            TQ.get_stored_comment, StoredComment, response_id=damaged.id,
        )

    lines: list[str] = []
    rotation = await keys.rotate(fresh_dsn, cipher(K2, K1), out=lines.append)
    assert rotation.failed == {"feedback_responses.comment": [damaged.id]}
    assert rotation.encrypted["feedback_responses.comment"] == 2
    assert rotation.retired == []  # the damaged value still names k1
    assert any(
        line.startswith("error: feedback_responses.comment: 1 value(s) did not decrypt")
        and str(damaged.id) in line
        for line in lines
    )
    async with connected(fresh_dsn, K2, K1) as db:
        assert (
            await Executor(db._pool).one(
                TQ.get_stored_comment, StoredComment, response_id=damaged.id,
            )
            == damaged
        )
        assert await in_use(db) == [
            ("feedback_responses.comment", "k1", 1),
            ("feedback_responses.comment", "k2", 2),
        ]
    again = await keys.rotate(fresh_dsn, cipher(K2, K1), out=quiet)
    assert (again.total, again.failed) == (0, {"feedback_responses.comment": [damaged.id]})


async def test_two_rotations_at_once_encrypt_each_value_once(fresh_dsn: str) -> None:
    async with connected(fresh_dsn, K1) as db:
        written = await write_under(db, comments=8, notes=4)
    runs = await asyncio.gather(
        *(keys.rotate(fresh_dsn, cipher(K2, K1), batch_size=1, out=quiet) for _ in range(2))
    )
    assert sum(r.total for r in runs) == 12
    async with connected(fresh_dsn, K2, K1) as db:
        assert await in_use(db) == [
            ("feedback_responses.comment", "k2", 8),
            ("learning_progress.notes", "k2", 4),
        ]
        assert await read_back(db, written) == (written.comments, written.notes)


async def test_status_counts_values_per_column_and_key(fresh_dsn: str) -> None:
    async with connected(fresh_dsn, K1) as db:
        written = await write_under(db, comments=2, notes=1)
        await Executor(db._pool).value(TQ.insert_legacy_note, plan_id=written.plan, notes="older")
    state = await keys.status(fresh_dsn, cipher(K2, K1))
    assert state.current_key_id == "k2"
    assert [(k.key_id, k.retired_at) for k in state.keys] == [("k1", None), ("k2", None)]
    assert [(u.table_name, u.column_name, u.key_id, u.value_count) for u in state.usage] == [
        ("feedback_responses", "comment", "k1", 2),
        ("learning_progress", "notes", None, 1),
        ("learning_progress", "notes", "k1", 1),
    ]


# --------------------------------------------------------------------------- the dev seed


async def test_the_dev_seeds_sample_text_is_encrypted_by_the_seed_command(fresh_dsn: str) -> None:
    # What `ikenei seed dev` does: the SQL seeds, then a rotation.
    seeds.run(fresh_dsn, "dev", out=quiet)
    first = await keys.rotate(fresh_dsn, cipher(K1), out=quiet)
    assert first.finished and first.failed == {}
    assert first.encrypted["feedback_responses.comment"] > 10
    assert first.encrypted["learning_progress.notes"] > 3
    async with connected(fresh_dsn, K1) as db:
        assert all(key_id == "k1" for _, key_id, _ in await in_use(db))
        assert await tables_holding(db, SEEDED_COMMENT) == []
        assert await tables_holding(db, SEEDED_NOTE) == []
        shown = [c.comment for c in await db.feedback.comments(MAYA, MID_YEAR_CHECK_IN)]
        assert SEEDED_COMMENT in shown

    # Seeding again adds no text, so nothing is left to encrypt.
    seeds.run(fresh_dsn, "dev", out=quiet)
    assert (await keys.rotate(fresh_dsn, cipher(K1), out=quiet)).total == 0


# --------------------------------------------------------------------------- the commands


def ikenei(*args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    names = {name.upper() for name in Settings.model_fields}
    environment = {k: v for k, v in os.environ.items() if k not in names}
    environment.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "ikenei.cli", *args],
        env=environment,
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_keys_commands(fresh_dsn: str) -> None:
    async with connected(fresh_dsn, K1) as db:
        await write_under(db, comments=3, notes=1)

    missing = ikenei("keys", "rotate", DATABASE_URL=fresh_dsn)
    assert missing.returncode == 2
    assert missing.stderr.startswith(
        "error: PII_ENCRYPTION_KEY is required when DB_HOST or DATABASE_URL is set"
    )

    rotate = ikenei(
        "keys",
        "rotate",
        "--batch-size",
        "2",
        DATABASE_URL=fresh_dsn,
        PII_ENCRYPTION_KEY=K2,
        PII_ENCRYPTION_OLD_KEYS=K1,
    )
    assert rotate.returncode == 0, rotate.stderr
    assert rotate.stdout.splitlines()[:3] == [
        "feedback_responses.comment: 2/3",
        "feedback_responses.comment: 3/3",
        "learning_progress.notes: 1/1",
    ]
    for secret in (K1.partition(":")[2], K2.partition(":")[2]):
        assert secret not in rotate.stdout + rotate.stderr

    status = ikenei("keys", "status", DATABASE_URL=fresh_dsn, PII_ENCRYPTION_KEY=K2)
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0] == "current key: k2"
    assert lines[1].startswith("key k1: not configured, retired ")
    assert lines[2].startswith("key k2: current, registered ")
    assert lines[3:] == [
        "feedback_responses.comment: 3 under key k2",
        "learning_progress.notes: 1 under key k2",
    ]


# --------------------------------------------------------------------------- retired keys


async def test_a_retired_key_writes_nothing(fresh_dsn: str) -> None:
    """An instance still running with k1 after a rotation retired it: the database refuses its writes."""
    async with connected(fresh_dsn, K1) as stale:
        written = await write_under(stale, comments=1, notes=1)
        setup = await make_setup(stale)
        rotation = await keys.rotate(fresh_dsn, cipher(K2, K1), out=quiet)
        assert rotation.retired == ["k1"]
        before = await in_use(stale)
        with pytest.raises(Conflict, match="key k1 was retired") as refused:
            await stale.learning.record_progress(written.plan, progress_percent=50, notes="under k1")
        assert refused.value.current == "retired"
        with pytest.raises(Conflict, match="key k1 was retired"):
            await give_feedback(stale, setup, "peer", (3, 4, 5), "a comment under k1")
        assert await in_use(stale) == before
    # The new key alone starts and reads everything.
    async with connected(fresh_dsn, K2) as db:
        assert await read_back(db, written) == (written.comments, written.notes)


async def test_start_up_refuses_keys_that_cannot_read_every_stored_value(fresh_dsn: str) -> None:
    async with connected(fresh_dsn, K1) as db:
        await write_under(db, comments=1, notes=1)
        # As a value written under k1 while a rotation retired it could leave it
        # before the database refused such writes: retired, yet still in use.
        await Executor(db._pool).execute(TQ.retire_encryption_key, key_id="k1")
        before = await in_use(db)
    with pytest.raises(ConfigError) as caught:
        await Database.connect(load_settings(database_url=fresh_dsn, pii_encryption_key=K2))
    assert "key 'k1'" in str(caught.value) and "PII_ENCRYPTION_OLD_KEYS" in str(caught.value)
    # A retired key is not a current key again.
    with pytest.raises(ConfigError, match="'k1' was retired"):
        await Database.connect(load_settings(database_url=fresh_dsn, pii_encryption_key=K1))
    async with connected(fresh_dsn, K2, K1) as db:
        assert await in_use(db) == before


async def test_every_column_of_a_key_id_is_guarded_against_retired_keys(fresh_dsn: str) -> None:
    async with connected(fresh_dsn, K1) as db:
        assert await Executor(db._pool).all(TQ.list_unguarded_key_columns, KeyColumn) == []
        assert len(await Executor(db._pool).all(TQ.list_key_columns, KeyColumn)) >= 2
