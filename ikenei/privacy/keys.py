"""The encryption keys on the database side: the start-up check, ``keys rotate`` and ``keys status``.

``encryption_keys`` registers every key id stored data may use, each with a
check value (a known text encrypted under that key). ``check_keys`` runs when
the application starts: it registers the current key on its first use, and
refuses to start (``WrongKey``) when a configured key is not the key its id
was registered with, or (``ConfigError``) when stored data may use a key that
is not configured: a key not retired in the registry, or any key a stored
value is found under (``encryption_keys_in_use()``, which follows every
foreign key to the registry), retired or not. A current key that a rotation
retired is refused too: the database refuses every value written under a
retired key (``refuse_retired_key``, migration ``20261204_110000``), so an
instance still running with it fails loudly instead of writing values the
keys in use could not read.

``rotate`` re-encrypts, under the current key, every encrypted value stored
under another key, and encrypts the text left from before encryption (see the
migrations ``*_encrypted_*``). It goes through each column in batches by row
id, each batch its own transaction with its rows locked: a run that is
stopped leaves every value readable under a configured key, and the next run
simply continues. A second run finds nothing to do. A value that does not
decrypt is reported and left as it is, never rewritten. A finished run
retires the keys no value is under any more, after locking their registry
rows, so that a value written under one meanwhile keeps it in use.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from ikenei.config.settings import Settings
from ikenei.db.connections import owner_connection
from ikenei.db.queries import Executor, Q, Query
from ikenei.errors import ConfigError, DecryptionFailed, WrongKey
from ikenei.security.encryption import Cipher

__all__ = [
    "ENCRYPTED_COLUMNS",
    "EncryptedColumn",
    "KeyStatus",
    "KeyUsage",
    "RegisteredKey",
    "Rotation",
    "check_keys",
    "rotate",
    "status",
]

Out = Callable[[str], Any]
_FIRST_ID = UUID(int=0)


@dataclass(frozen=True, slots=True)
class EncryptedColumn:
    """An encrypted column and the queries that re-encrypt it."""

    table: str
    column: str
    count: Query
    lock_batch: Query
    store_batch: Query
    # Every encrypted value, in batches by row id, locked (the erasure's redaction).
    sealed_batch: Query

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"


#: Every column whose values are encrypted, in the order a rotation takes them.
ENCRYPTED_COLUMNS = (
    EncryptedColumn(
        "feedback_responses",
        "comment",
        Q.count_feedback_comments_to_encrypt,
        Q.lock_feedback_comments_to_encrypt,
        Q.store_feedback_comments,
        Q.lock_sealed_feedback_comments,
    ),
    EncryptedColumn(
        "learning_progress",
        "notes",
        Q.count_learning_notes_to_encrypt,
        Q.lock_learning_notes_to_encrypt,
        Q.store_learning_notes,
        Q.lock_sealed_learning_notes,
    ),
    EncryptedColumn(
        "competency_evidence",
        "note",
        Q.count_evidence_notes_to_encrypt,
        Q.lock_evidence_notes_to_encrypt,
        Q.store_evidence_notes,
        Q.lock_sealed_competency_evidence_notes,
    ),
)


@dataclass(frozen=True, slots=True)
class RegisteredKey:
    key_id: str
    check_value: bytes
    created_at: datetime
    retired_at: datetime | None


@dataclass(frozen=True, slots=True)
class KeyUsage:
    """How many values of one column are under one key (key_id None: text not yet encrypted)."""

    table_name: str
    column_name: str
    key_id: str | None
    value_count: int


@dataclass(frozen=True, slots=True)
class KeyStatus:
    current_key_id: str
    keys: list[RegisteredKey]
    usage: list[KeyUsage]


@dataclass(slots=True)
class Rotation:
    """What a rotation did.

    ``encrypted``: per column (``table.column``), the values written under the
    current key; ``failed``: per column, the ids of rows whose value did not
    decrypt (left untouched); ``retired``: keys no stored value uses any more;
    ``finished``: False when ``max_batches`` stopped the run early.
    """

    key_id: str
    encrypted: dict[str, int] = field(default_factory=dict)
    failed: dict[str, list[UUID]] = field(default_factory=dict)
    retired: list[str] = field(default_factory=list)
    finished: bool = True

    @property
    def total(self) -> int:
        return sum(self.encrypted.values())


@dataclass(frozen=True, slots=True)
class _KeyId:
    key_id: str


@dataclass(frozen=True, slots=True)
class _Stored:
    row_id: UUID
    plaintext: str | None
    ciphertext: bytes | None
    key_id: str | None


async def check_keys(executor: Executor, cipher: Cipher) -> None:
    """The start-up check of the configured keys against the registry (see the module doc).

    Registers the current key if it is new. Refuses a current key that a
    rotation retired (``ConfigError``: the database would refuse every value
    written under it), and keys that cannot read every stored value, whatever
    the registry says (``ConfigError`` naming the missing key ids).
    """
    current = cipher.current_key_id
    # One transaction: a refused start registers nothing.
    async with executor.transaction() as x:
        await x.execute(
            Q.register_encryption_key, key_id=current, check_value=cipher.check_value(current),
        )
        for key in await x.all(Q.list_encryption_keys, RegisteredKey):
            if key.key_id in cipher.key_ids:
                if not cipher.matches(key.key_id, key.check_value):
                    variable = (
                        "PII_ENCRYPTION_KEY" if key.key_id == current else "PII_ENCRYPTION_OLD_KEYS"
                    )
                    raise WrongKey(
                        f"{variable}: key {key.key_id!r} is not the key registered under that id "
                        "in this database (its check value does not decrypt): data encrypted "
                        "under it would be unreadable"
                    )
                if key.key_id == current and key.retired_at is not None:
                    raise ConfigError(
                        f"PII_ENCRYPTION_KEY: key {current!r} was retired on "
                        f"{key.retired_at:%Y-%m-%d %H:%M %Z} by `ikenei keys rotate`: nothing new "
                        "may be encrypted under it. Configure the key the data was moved to "
                        "(`ikenei keys status` names it) or a new one"
                    )
            elif key.retired_at is None:
                raise ConfigError(
                    f"stored data may be encrypted under key {key.key_id!r}, which is not "
                    "configured: add it to PII_ENCRYPTION_OLD_KEYS (`ikenei keys rotate` then "
                    "moves its data to the current key, after which it can be removed)"
                )
        # The registry aside, every key a stored value is under must be configured.
        used = await x.all(Q.list_encryption_keys_in_use, _KeyId)
        missing = sorted({k.key_id for k in used} - set(cipher.key_ids))
        if missing:
            named = ", ".join(repr(k) for k in missing)
            raise ConfigError(
                f"stored values are encrypted under key {named}, which is not configured: they "
                "could not be read. Add it to PII_ENCRYPTION_OLD_KEYS (`ikenei keys rotate` then "
                "moves them to the current key)"
            )


async def rotate(
    target: Settings | str,
    cipher: Cipher,
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
    out: Out = print,
) -> Rotation:
    """Re-encrypts every value not under the current key, and encrypts leftover text.

    ``target`` is the settings or a DSN. Shows ``table.column: done/total``
    after each batch and a summary. ``max_batches`` stops after that many
    batches (``finished`` is then False): the rest is done by the next run.
    Keys that no value uses any more are marked retired and named.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    rotation = Rotation(cipher.current_key_id)
    batches = 0
    async with _connected(target) as x:
        await check_keys(x, cipher)
        for column in ENCRYPTED_COLUMNS:
            total = await x.value(column.count, current_key_id=cipher.current_key_id)
            done = 0
            failed: list[UUID] = []
            after = _FIRST_ID
            if not total:
                out(f"{column.name}: 0/0")
            while total:
                if max_batches is not None and batches >= max_batches:
                    rotation.finished = False
                    break
                async with x.transaction() as tx:
                    rows = await tx.all(
                        column.lock_batch, _Stored,
                        current_key_id=cipher.current_key_id, after_id=after, batch_size=batch_size,
                    )
                    if not rows:
                        break
                    ids, ciphertexts = _reencrypt(column, cipher, rows, failed)
                    if ids:
                        await tx.execute(
                            column.store_batch,
                            row_ids=ids, ciphertexts=ciphertexts, key_id=cipher.current_key_id,
                        )
                after = rows[-1].row_id
                batches += 1
                done += len(ids)
                out(f"{column.name}: {done}/{total}")
            rotation.encrypted[column.name] = done
            if failed:
                rotation.failed[column.name] = failed
            if not rotation.finished:
                break
        if rotation.finished:
            async with x.transaction() as tx:
                # Locked first, then looked at with a fresh snapshot: a value
                # being written under a key either is seen here, or is refused
                # by the database once the key is retired.
                await tx.execute(
                    Q.lock_encryption_keys_to_retire, current_key_id=cipher.current_key_id,
                )
                retired = await tx.all(
                    Q.retire_unused_encryption_keys, _KeyId, current_key_id=cipher.current_key_id,
                )
            rotation.retired = sorted(k.key_id for k in retired)
    _summarize(rotation, out)
    return rotation


def _reencrypt(
    column: EncryptedColumn, cipher: Cipher, rows: list[_Stored], failed: list[UUID]
) -> tuple[list[UUID], list[bytes]]:
    ids: list[UUID] = []
    ciphertexts: list[bytes] = []
    for row in rows:
        if row.ciphertext is not None and row.key_id is not None:
            try:
                text = cipher.decrypt(
                    row.ciphertext,
                    row.key_id,
                    table=column.table,
                    column=column.column,
                    row_id=row.row_id,
                )
            except DecryptionFailed:
                failed.append(row.row_id)
                continue
        else:
            text = row.plaintext or ""
        sealed = cipher.encrypt(text, table=column.table, column=column.column, row_id=row.row_id)
        ids.append(row.row_id)
        ciphertexts.append(sealed.ciphertext)
    return ids, ciphertexts


def _summarize(rotation: Rotation, out: Out) -> None:
    summary = f"encrypted {rotation.total} value(s) under key {rotation.key_id!r}"
    if not rotation.finished:
        summary += "; stopped early: run `ikenei keys rotate` again to continue"
    elif not rotation.failed:
        summary += "; every stored value now uses it"
    out(summary)
    for name, rows in rotation.failed.items():
        shown = ", ".join(str(r) for r in rows[:10]) + (", ..." if len(rows) > 10 else "")
        out(
            f"error: {name}: {len(rows)} value(s) did not decrypt (tampered with, moved from "
            f"another row, or under another key) and were left as they are: rows {shown}"
        )
    if rotation.retired:
        out(
            f"no stored value uses key(s) {', '.join(rotation.retired)} any more: "
            "they can be removed from PII_ENCRYPTION_OLD_KEYS"
        )


async def status(target: Settings | str, cipher: Cipher) -> KeyStatus:
    """The registered keys and, per encrypted column and key, how many values there are."""
    async with _connected(target) as x:
        await check_keys(x, cipher)
        keys = await x.all(Q.list_encryption_keys, RegisteredKey)
        usage = await x.all(Q.count_encrypted_values, KeyUsage)
    return KeyStatus(cipher.current_key_id, keys, usage)


@asynccontextmanager
async def _connected(target: Settings | str) -> AsyncIterator[Executor]:
    """An executor on one owner connection to the target database (settings or DSN)."""
    if isinstance(target, Settings):
        dsn, where = target.dsn(), target.target
    else:
        dsn, where = target, "the database"
    async with owner_connection(dsn, where) as x:
        yield x
