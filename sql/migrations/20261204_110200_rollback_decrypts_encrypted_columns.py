"""Rolling back field encryption decrypts the values back into their text columns.

Up Migration: nothing to do (the encrypted columns already exist).
Down Migration: before the migrations that added ``comment_ciphertext`` and
``notes_ciphertext`` are rolled back (they come earlier, so their rollback
runs after this one), every encrypted comment and progress note is decrypted
with the configured keys (``PII_ENCRYPTION_KEY`` and
``PII_ENCRYPTION_OLD_KEYS``) into the text column it came from, so that
rolling back loses nothing. Without a key it refuses, naming what it would
lose; a value that does not decrypt stops it too. Either way the run's one
transaction changes nothing. The SQL is in ``sql/tooling/encryption_rollback.sql``;
``ikenei keys rotate`` encrypts the text again after a new ``make migrate``.
"""

from ikenei.schema.encryption_rollback import decrypt_into_text

steps = [step(None, decrypt_into_text)]  # type: ignore[name-defined]  # noqa: F821
