"""What an erasure leaves of a person in the data of others and in the logs, removed.

After ``ikenei.privacy.gdpr`` has deleted the person's own rows, their id,
email and name may still be written where others' data and the logs keep
them: a colleague's recommendation ("Ask <name> for coaching tips"), a
report's title and its parameters (``{"user_id": <id>}``), the audit actor
``user:<id>``, a comment about a colleague that names them. This removes
them, in the erasure's transaction:

- the audit entries of their account and the logged reads of their data are
  deleted (they describe only them);
- in every column of every table of every schema (``erase_person_mentions``,
  migration ``20261204_110100``): a uuid column equal to their id is
  cleared, and in text and JSON each of their id (with or without hyphens),
  email and full name is replaced by ``[erased person]``, except in other
  accounts' own email and names;
- encrypted text (every column of ``ENCRYPTED_COLUMNS``) is decrypted,
  redacted the same way by the same expression, and encrypted again under
  the current key: the database cannot read it, so the application does.

The regular expression is built by the database (``person_mentions_pattern``),
so both kinds of text are matched by one definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from ikenei.db.queries import Executor, Q
from ikenei.privacy.keys import ENCRYPTED_COLUMNS, EncryptedColumn
from ikenei.security.encryption import Cipher

__all__ = ["REDACTED", "remove_traces"]

#: What replaces the person wherever others' text or the logs named them.
REDACTED = "[erased person]"

_BATCH = 500
_FIRST_ID = UUID(int=0)


@dataclass(frozen=True, slots=True)
class _Changed:
    column_name: str
    rows_changed: int


@dataclass(frozen=True, slots=True)
class _Sealed:
    row_id: UUID
    ciphertext: bytes
    key_id: str


@dataclass(frozen=True, slots=True)
class _Redacted:
    ordinal: int
    body: str


async def remove_traces(
    x: Executor, cipher: Cipher, user_ids: list[UUID], emails: list[str], names: list[str]
) -> dict[str, int]:
    """Removes the person's traces (see the module doc); rows changed per column."""
    pattern = await x.value(Q.gdpr_mentions_pattern, user_ids=user_ids, emails=emails, names=names)
    await x.value(Q.enable_gdpr_log_rewrite)
    changed: dict[str, int] = {
        "audit_log.account_entries": await x.value(Q.delete_gdpr_account_audit, user_ids=user_ids),
        "data_access_log.reads_of_their_data": await x.value(
            Q.delete_gdpr_data_access, user_ids=user_ids,
        ),
    }
    for column in await x.all(Q.erase_gdpr_mentions, _Changed, user_ids=user_ids, pattern=pattern):
        changed[column.column_name] = column.rows_changed
    if pattern is not None:
        for encrypted in ENCRYPTED_COLUMNS:
            count = await _redact_encrypted(x, cipher, encrypted, pattern)
            if count:
                changed[f"{encrypted.name} (encrypted)"] = count
    return {name: count for name, count in changed.items() if count}


async def _redact_encrypted(
    x: Executor, cipher: Cipher, column: EncryptedColumn, pattern: str
) -> int:
    redacted = 0
    after = _FIRST_ID
    while True:
        batch = await x.all(column.sealed_batch, _Sealed, after_id=after, batch_size=_BATCH)
        if not batch:
            return redacted
        texts = [
            cipher.decrypt(
                row.ciphertext, row.key_id, table=column.table, column=column.column, row_id=row.row_id
            )
            for row in batch
        ]
        changed = await x.all(Q.redact_gdpr_mentions, _Redacted, texts=texts, pattern=pattern)
        if changed:
            ids = [batch[c.ordinal - 1].row_id for c in changed]
            sealed = [
                cipher.encrypt(c.body, table=column.table, column=column.column, row_id=row_id).ciphertext
                for c, row_id in zip(changed, ids, strict=True)
            ]
            await x.execute(
                column.store_batch, row_ids=ids, ciphertexts=sealed, key_id=cipher.current_key_id
            )
            redacted += len(changed)
        after = batch[-1].row_id
