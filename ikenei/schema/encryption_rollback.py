"""The Python step of the migration ``20261204_110200_rollback_decrypts_encrypted_columns``.

Rolling back field encryption must lose nothing: the database has no key,
so the migrations that added the encrypted columns cannot turn a ciphertext
back into text by themselves. This step, run by yoyo on the migration run's
own connection and transaction, decrypts every encrypted feedback comment and
progress note with the configured keys and writes it back into its text
column (``comment``, ``notes``), where the earlier migrations' rollbacks find
text only. The keys are read as every command reads them
(``PII_ENCRYPTION_KEY``, ``PII_ENCRYPTION_OLD_KEYS``, or the embedded
server's development key); they are only needed when something is encrypted.
Without them the run stops with ``ConfigError`` naming what would be lost; a
value that does not decrypt stops it with ``DecryptionFailed``. The run's
transaction then changes nothing.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from ikenei.config.paths import SQL_DIR
from ikenei.errors import ConfigError
from ikenei.schema.admin import psycopg_queries

__all__ = ["decrypt_into_text"]

_BATCH = 500
_FIRST_ID = UUID(int=0)
def _q() -> Any:
    return psycopg_queries(SQL_DIR / "tooling" / "encryption_rollback.sql")


def decrypt_into_text(conn: Any) -> None:
    """Decrypts every encrypted comment and note back into its text column (see the module doc)."""
    q = _q()
    comments, notes = q.count_encrypted_values_to_decrypt(conn)
    if not comments and not notes:
        return
    cipher = _configured_cipher(comments, notes)
    q.allow_decrypting_submitted_comments(conn)
    _decrypt(conn, cipher, q.list_encrypted_comments, q.store_decrypted_comment, "feedback_responses", "comment")
    q.guard_submitted_comments_again(conn)
    _decrypt(conn, cipher, q.list_encrypted_notes, q.store_decrypted_note, "learning_progress", "notes")


def _configured_cipher(comments: int, notes: int) -> Any:
    from ikenei.config.settings import load_settings
    from ikenei.security.encryption import cipher_from_settings

    try:
        return cipher_from_settings(load_settings())
    except ConfigError as exc:
        raise ConfigError(
            f"rolling back field encryption needs the key of the stored values: {comments} "
            f"feedback comment(s) and {notes} progress note(s) are encrypted and would be lost "
            f"without it; nothing was rolled back. {exc}"
        ) from None


def _decrypt(conn: Any, cipher: Any, list_batch: Any, store: Any, table: str, column: str) -> None:
    after = _FIRST_ID
    while True:
        rows = list(list_batch(conn, after_id=after, batch_size=_BATCH))
        if not rows:
            return
        for row_id, ciphertext, key_id in rows:
            text = cipher.decrypt(ciphertext, key_id, table=table, column=column, row_id=row_id)
            store(conn, row_id=row_id, **{column: text})
        after = rows[-1][0]
