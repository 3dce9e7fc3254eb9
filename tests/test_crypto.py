"""Field encryption of feedback comments and progress notes (ikenei.security.encryption).

The cipher alone (round trip, format, authentication bound to the place), the
key settings, the start-up refusals, and the encrypted fields end to end on a
real server: what the repositories return, what the database holds (never the
text), and what happens to a stored value that was altered or moved.
"""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from feedback_fixtures import (
    Setup,
    counts,
    executor,
    give_feedback,
    invite_member,
    make_member,
    make_org,
    make_setup,
)
from pii_support import (
    TEST_PII_KEY,
    TQ,
    StoredComment,
    StoredNote,
    cipher,
    make_key,
    tables_holding,
)

from ikenei import Database
from ikenei.config.settings import Settings, load_settings
from ikenei.db.queries import Executor, Q
from ikenei.errors import ConfigError, Conflict, DecryptionFailed, InvalidData
from ikenei.repositories.feedback import Answer
from ikenei.security.encryption import (
    DEV_KEY_FILE,
    OVERHEAD,
    Cipher,
    cipher_from_settings,
    parse_key,
)


async def stored_comments(db: Database, setup: Setup) -> list[StoredComment]:
    return await executor(db).all(TQ.list_stored_comments, StoredComment, cycle_id=setup.cycle.id)


# --------------------------------------------------------------------------- the cipher


def test_round_trip_and_stored_format() -> None:
    c = cipher()
    row = uuid4()
    sealed = c.encrypt(
        "Listens well — and says so.", table="feedback_responses", column="comment", row_id=row
    )
    assert sealed.key_id == "test"
    assert sealed.ciphertext[0] == 1  # version
    assert len(sealed.ciphertext) == OVERHEAD + len("Listens well — and says so.".encode())
    assert b"Listens" not in sealed.ciphertext
    assert (
        c.decrypt(
            sealed.ciphertext, "test", table="feedback_responses", column="comment", row_id=row
        )
        == "Listens well — and says so."
    )
    # A fresh nonce each time: the same text never gives the same bytes.
    again = c.encrypt(
        "Listens well — and says so.", table="feedback_responses", column="comment", row_id=row
    )
    assert again.ciphertext != sealed.ciphertext


def test_a_ciphertext_only_decrypts_in_its_own_place() -> None:
    c = cipher()
    row = uuid4()
    sealed = c.encrypt("secret", table="feedback_responses", column="comment", row_id=row)
    elsewhere = [
        ("feedback_responses", "comment", uuid4()),  # another row
        ("learning_progress", "notes", row),  # another table and column, same id
        ("feedback_responses", "other", row),  # another column
    ]
    for table, column, row_id in elsewhere:
        with pytest.raises(DecryptionFailed) as caught:
            c.decrypt(sealed.ciphertext, "test", table=table, column=column, row_id=row_id)
        assert (caught.value.table, caught.value.column, caught.value.row_id) == (
            table,
            column,
            row_id,
        )
        assert "authentication failed" in caught.value.reason
        assert "secret" not in str(caught.value)


def test_every_altered_byte_is_detected() -> None:
    c = cipher()
    row = uuid4()
    sealed = c.encrypt("a comment", table="t", column="c", row_id=row)
    for position in range(len(sealed.ciphertext)):
        altered = bytearray(sealed.ciphertext)
        altered[position] ^= 0x01
        with pytest.raises(DecryptionFailed):
            c.decrypt(bytes(altered), "test", table="t", column="c", row_id=row)
    for short in (b"", sealed.ciphertext[: OVERHEAD - 1]):
        with pytest.raises(DecryptionFailed, match="not a ciphertext of ours"):
            c.decrypt(short, "test", table="t", column="c", row_id=row)


def test_unknown_and_wrong_keys_are_named_not_guessed() -> None:
    k1 = make_key("k1")
    row = uuid4()
    sealed = cipher(k1).encrypt("text", table="t", column="c", row_id=row)
    with pytest.raises(DecryptionFailed) as unknown:
        cipher(make_key("k2")).decrypt(sealed.ciphertext, "k1", table="t", column="c", row_id=row)
    assert unknown.value.key_id == "k1"
    assert "'k1', which is not configured" in str(unknown.value)
    # Same id, other bytes: authentication fails.
    with pytest.raises(DecryptionFailed) as wrong:
        cipher(make_key("k1")).decrypt(sealed.ciphertext, "k1", table="t", column="c", row_id=row)
    assert wrong.value.key_id == "k1"
    # An old key still decrypts, new values use the current one.
    rotated = cipher(make_key("k2"), k1)
    assert rotated.decrypt(sealed.ciphertext, "k1", table="t", column="c", row_id=row) == "text"
    assert rotated.encrypt("x", table="t", column="c", row_id=row).key_id == "k2"
    assert rotated.key_ids == ("k2", "k1")


def test_check_values_recognise_their_key() -> None:
    k1 = make_key("k1")
    check = cipher(k1).check_value("k1")
    assert cipher(k1).matches("k1", check)
    assert not cipher(make_key("k1")).matches("k1", check)
    assert not cipher(k1).matches("k1", check[:-1] + bytes([check[-1] ^ 1]))


def test_repr_shows_key_ids_never_keys() -> None:
    key = make_key("k1")
    secret = key.partition(":")[2]
    c = cipher(key)
    assert repr(c) == "Cipher(current='k1', keys=['k1'])"
    settings = load_settings(pii_encryption_key=key, pii_encryption_old_keys=make_key("k0"))
    assert secret not in repr(settings) and secret not in str(settings)


# --------------------------------------------------------------------------- settings


@pytest.fixture
def no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No configuration from the caller's environment or a .env file; cwd is a scratch directory."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("variable", "value", "fragment"),
    [
        ("PII_ENCRYPTION_KEY", "k1", "must be <key_id>:<base64"),
        ("PII_ENCRYPTION_KEY", "K1:" + base64.b64encode(os.urandom(32)).decode(), "key id"),
        (
            "PII_ENCRYPTION_KEY",
            "k1:" + base64.b64encode(os.urandom(16)).decode(),
            "16 bytes, AES-256 needs 32",
        ),
        ("PII_ENCRYPTION_KEY", "k1:not base64!", "not valid base64"),
        # The key first, the id second: the message must not repeat the key.
        ("PII_ENCRYPTION_KEY", base64.b64encode(b"k" * 32).decode() + ":k1", "key id"),
        (
            "PII_ENCRYPTION_OLD_KEYS",
            "k0:"
            + base64.b64encode(b"0" * 32).decode()
            + ",k0:"
            + base64.b64encode(b"1" * 32).decode(),
            "'k0' is given twice",
        ),
    ],
)
def test_malformed_keys_are_a_config_error_naming_the_variable(
    no_environment: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert f"{variable}:" in message and fragment in message
    secrets = [part.partition(":")[2] for part in value.split(",")]
    secrets.append(base64.b64encode(b"k" * 32).decode())
    for secret in filter(None, secrets):
        assert secret not in message


def test_an_old_key_with_the_current_keys_id_is_refused(no_environment: Path) -> None:
    with pytest.raises(
        ConfigError, match="PII_ENCRYPTION_OLD_KEYS: key id 'k1' is the current key"
    ):
        load_settings(pii_encryption_key=make_key("k1"), pii_encryption_old_keys=make_key("k1"))


def test_keys_are_read_from_the_environment(
    no_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    current, old1, old2 = make_key("k3"), make_key("k2"), make_key("k1")
    monkeypatch.setenv("PII_ENCRYPTION_KEY", current)
    monkeypatch.setenv("PII_ENCRYPTION_OLD_KEYS", f" {old1} , {old2},")
    c = cipher_from_settings(load_settings(database_url="postgresql://db.internal/x"))
    assert c.key_ids == ("k3", "k2", "k1")
    assert c.current_key_id == "k3"


def test_an_external_server_without_a_key_is_a_config_error(no_environment: Path) -> None:
    for settings in (
        load_settings(database_url="postgresql://db.internal/x"),
        load_settings(db_host="db"),
    ):
        with pytest.raises(
            ConfigError,
            match=r"^PII_ENCRYPTION_KEY is required when DB_HOST or DATABASE_URL is set",
        ):
            cipher_from_settings(settings)
    assert not (no_environment / ".ikenei").exists()


def test_the_embedded_server_makes_a_private_development_key_once(no_environment: Path) -> None:
    settings = load_settings()
    assert settings.uses_embedded
    first = cipher_from_settings(settings)
    path = no_environment / ".ikenei" / DEV_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first.current_key_id == "dev"
    row = uuid4()
    sealed = first.encrypt("kept", table="t", column="c", row_id=row)
    # Every later start reads the same key.
    again = cipher_from_settings(load_settings())
    assert again.decrypt(sealed.ciphertext, "dev", table="t", column="c", row_id=row) == "kept"
    assert [p.name for p in path.parent.iterdir()] == [DEV_KEY_FILE]  # no temporary file left
    # A configured key wins over the file.
    assert cipher_from_settings(load_settings(pii_encryption_key=make_key("k1"))).key_ids == ("k1",)


def test_a_damaged_development_key_file_is_a_config_error(no_environment: Path) -> None:
    path = no_environment / ".ikenei" / DEV_KEY_FILE
    path.parent.mkdir()
    path.write_text("dev:short\n")
    with pytest.raises(
        ConfigError, match=r"development key file \.ikenei/pii\.key: key 'dev' is not valid base64"
    ):
        cipher_from_settings(load_settings())


async def test_database_connect_without_a_key_fails_before_connecting(
    no_environment: Path, fresh_dsn: str
) -> None:
    with pytest.raises(ConfigError, match="PII_ENCRYPTION_KEY is required"):
        await Database.connect(load_settings(database_url=fresh_dsn))
    async with await Database.connect(
        load_settings(database_url=fresh_dsn, pii_encryption_key=TEST_PII_KEY)
    ) as db:
        # Only the connection that had a key registered one.
        assert await executor(db).value(TQ.count_encryption_keys) == 1


# --------------------------------------------------------------------------- feedback comments


async def test_comments_are_stored_encrypted_and_read_back(db: Database) -> None:
    s = await make_setup(db, threshold=1)
    text = "Explains the why behind every priority change; ünïcödé too."
    await give_feedback(db, s, "peer", (4, 4, 4), f"  {text}\n")
    [stored] = await stored_comments(db, s)
    assert stored.comment is None
    assert stored.comment_key_id == "test"
    assert stored.comment_ciphertext is not None
    assert stored.comment_ciphertext[0] == 1
    # Whitespace around the comment is not kept.
    assert len(stored.comment_ciphertext) == OVERHEAD + len(text.encode())

    [comment] = await db.feedback.comments(s.target.id, s.cycle.id)
    assert (comment.rater_group, comment.comment, comment.question_id) == (
        "peer",
        text,
        s.questions[3].id,
    )

    # The database holds the text nowhere: not in the answer, not in a log.
    assert await tables_holding(db, "Explains the why") == []
    assert await tables_holding(db, "ünïcödé") == []
    # The search itself works.
    assert await tables_holding(db, "Anything else?") == ["feedback_questions"]


async def test_comments_are_ordered_by_their_text_within_a_group(db: Database) -> None:
    s = await make_setup(db, threshold=1)
    for text in ("charlie", "alpha", "bravo"):
        await give_feedback(db, s, "peer", (3, 3, 3), text)
    await give_feedback(db, s, "self", (3, 3, 3), "zulu")
    got = await db.feedback.comments(s.target.id, s.cycle.id)
    assert [(c.rater_group, c.comment) for c in got] == [
        ("self", "zulu"),
        ("peer", "alpha"),
        ("peer", "bravo"),
        ("peer", "charlie"),
    ]


async def test_a_blank_comment_is_no_comment(db: Database) -> None:
    s = await make_setup(db, threshold=1)
    before = await counts(db)
    await give_feedback(db, s, "peer", (3, 3, 3), " \t\n ")
    after = await counts(db)
    # Three rated answers, the blank text answer dropped.
    assert after.responses - before.responses == 3
    assert await stored_comments(db, s) == []
    assert await db.feedback.comments(s.target.id, s.cycle.id) == []


async def test_a_rating_question_can_carry_an_encrypted_comment(db: Database) -> None:
    s = await make_setup(db, threshold=1)
    q = s.questions
    invitation = await invite_member(db, s, "peer")
    await db.feedback.submit(
        invitation, [Answer(q[0].id, 4, "clear in writing"), Answer(q[1].id, 3), Answer(q[2].id, 5)]
    )
    [comment] = await db.feedback.comments(s.target.id, s.cycle.id)
    assert (comment.question_id, comment.competency_id, comment.comment) == (
        q[0].id,
        s.communication,
        "clear in writing",
    )


async def test_a_comment_sent_as_text_is_refused_and_nothing_written(db: Database) -> None:
    s = await make_setup(db)
    invitation = await invite_member(db, s, "peer")
    q = s.questions
    answers = [{"question_id": str(x.id), "rating": 3} for x in q[:3]]
    answers.append({"question_id": str(q[3].id), "comment": "sent as text"})
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await executor(db).value(
            Q.submit_feedback, invitation_id=invitation, access_token_hash=None, answers=answers,
        )
    assert caught.value.field == "comment"
    assert "encrypted by the application" in caught.value.reason
    assert await counts(db) == before
    assert (await db.feedback.get_invitation(invitation)).status == "pending"
    assert await tables_holding(db, "sent as text") == []


async def test_a_tampered_comment_is_refused_never_shown(db: Database) -> None:
    s = await make_setup(db, threshold=1)
    await give_feedback(db, s, "peer", (3, 3, 3), "the original words")
    [stored] = await stored_comments(db, s)
    # A byte in the middle of the text.
    assert await executor(db).execute(TQ.flip_comment_bit, response_id=stored.id, position=20) == 1
    with pytest.raises(DecryptionFailed) as caught:
        await db.feedback.comments(s.target.id, s.cycle.id)
    error = caught.value
    assert (error.table, error.column, error.row_id) == ("feedback_responses", "comment", stored.id)
    assert "original" not in str(error)
    # Nothing else of the row may change meanwhile.
    [now] = await stored_comments(db, s)
    assert (now.comment, now.comment_key_id) == (None, "test")


async def test_a_comment_moved_to_another_answer_is_refused(db: Database) -> None:
    s = await make_setup(db, threshold=1)
    await give_feedback(db, s, "peer", (3, 3, 3), "written by the first")
    await give_feedback(db, s, "peer", (3, 3, 3), "written by the second")
    first, second = await stored_comments(db, s)
    assert await executor(db).execute(TQ.copy_comment, from_id=first.id, to_id=second.id) == 1
    with pytest.raises(DecryptionFailed) as caught:
        await db.feedback.comments(s.target.id, s.cycle.id)
    assert caught.value.row_id == second.id


async def test_a_comment_under_a_key_that_is_not_configured_names_the_key(db: Database) -> None:
    s = await make_setup(db, threshold=1)
    await give_feedback(db, s, "peer", (3, 3, 3), "under the test key")
    other = Cipher(parse_key(make_key("other")))
    # Read by a repository whose only key is "other": the stored value names "test".
    from ikenei.repositories.feedback import FeedbackRepository

    with pytest.raises(DecryptionFailed) as caught:
        await FeedbackRepository(executor(db), other).comments(s.target.id, s.cycle.id)
    assert caught.value.key_id == "test"
    assert "key 'test', which is not configured" in str(caught.value)
    # A repository without any cipher cannot read or write comments at all.
    with pytest.raises(ConfigError):
        await FeedbackRepository(executor(db)).comments(s.target.id, s.cycle.id)


async def test_a_submitted_comment_cannot_appear_vanish_or_change_anything_else(
    db: Database,
) -> None:
    s = await make_setup(db, threshold=1)
    await give_feedback(db, s, "peer", (3, 3, 3), "stays")
    [stored] = await stored_comments(db, s)
    x = executor(db)
    # Removing it, or turning it back into text.
    for comment, ciphertext, key_id in ((None, None, None), ("plain", None, None)):
        with pytest.raises(Conflict) as caught:
            await x.execute(
                TQ.update_stored_comment, response_id=stored.id, comment=comment,
                ciphertext=ciphertext, key_id=key_id,
            )
        assert caught.value.current == "submitted"
    # Adding one to an answer that had none.
    rated_only = await x.value(TQ.get_uncommented_response, cycle_id=s.cycle.id)
    with pytest.raises(Conflict):
        await x.execute(TQ.copy_comment, from_id=stored.id, to_id=rated_only)
    assert await stored_comments(db, s) == [stored]


async def test_text_from_before_encryption_is_still_read(db: Database) -> None:
    """Comments stored as text (older data, the dev seed) are shown until `keys rotate` encrypts them."""
    s = await make_setup(db, threshold=1)
    invitation = await invite_member(db, s, "peer")
    q = s.questions
    answers = [{"question_id": str(x.id), "rating": 2} for x in q[:3]]
    answers.append({"question_id": str(q[3].id), "comment": "  older text  "})
    async with Executor(db._pool).transaction() as x:
        await x.value(TQ.allow_plaintext_sample_data)
        await x.value(
            Q.submit_feedback, invitation_id=invitation, access_token_hash=None, answers=answers,
        )
    [stored] = await stored_comments(db, s)
    assert (stored.comment, stored.comment_ciphertext, stored.comment_key_id) == (
        "older text",
        None,
        None,
    )
    assert [c.comment for c in await db.feedback.comments(s.target.id, s.cycle.id)] == [
        "older text"
    ]


# --------------------------------------------------------------------------- progress notes


async def plan_of(db: Database) -> UUID:
    org = await make_org(db)
    person = await make_member(db, org.id)
    plan = await db.learning.create_plan(org.id, person.id, title="Grow")
    return plan.id


async def test_notes_are_stored_encrypted_and_read_back(db: Database) -> None:
    plan_id = await plan_of(db)
    entry = await db.learning.record_progress(
        plan_id, progress_percent=40, notes="Struggled with chapter 3, privately."
    )
    blank = await db.learning.record_progress(plan_id, progress_percent=50)
    assert entry.notes == "Struggled with chapter 3, privately."
    assert blank.notes is None

    stored = await executor(db).one(TQ.get_stored_note, StoredNote, progress_id=entry.id)
    assert stored is not None
    assert (stored.notes, stored.notes_key_id) == (None, "test")
    assert stored.notes_ciphertext is not None and len(stored.notes_ciphertext) > OVERHEAD
    none = await executor(db).one(TQ.get_stored_note, StoredNote, progress_id=blank.id)
    assert none == StoredNote(blank.id, None, None, None)

    assert await db.learning.list_progress(plan_id) == [entry, blank]
    details = await db.learning.get_plan_with_details(plan_id)
    assert details.progress == [entry, blank]
    assert await tables_holding(db, "chapter 3, privately") == []


async def test_a_tampered_note_is_refused_never_shown(db: Database) -> None:
    plan_id = await plan_of(db)
    entry = await db.learning.record_progress(plan_id, progress_percent=40, notes="a private note")
    before = await executor(db).one(TQ.get_stored_note, StoredNote, progress_id=entry.id)
    # The version byte: what is not a ciphertext of ours is refused by the database itself.
    with pytest.raises(InvalidData) as refused:
        await executor(db).execute(TQ.flip_note_bit, progress_id=entry.id, position=0)
    assert refused.value.field == "notes_ciphertext"
    assert await executor(db).one(TQ.get_stored_note, StoredNote, progress_id=entry.id) == before
    # A byte of the encrypted text: stored, but detected on every read.
    assert await executor(db).execute(TQ.flip_note_bit, progress_id=entry.id, position=15) == 1
    for read in (db.learning.list_progress(plan_id), db.learning.get_plan_with_details(plan_id)):
        with pytest.raises(DecryptionFailed) as caught:
            await read
        assert (caught.value.table, caught.value.column, caught.value.row_id) == (
            "learning_progress",
            "notes",
            entry.id,
        )


async def test_a_note_from_before_encryption_is_still_read(db: Database) -> None:
    plan_id = await plan_of(db)
    progress_id = await executor(db).value(
        TQ.insert_legacy_note, plan_id=plan_id, notes="older note",
    )
    [entry] = await db.learning.list_progress(plan_id)
    assert (entry.id, entry.notes) == (progress_id, "older note")
