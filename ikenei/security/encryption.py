"""Field encryption of sensitive free text, done in the application: AES-256-GCM.

The database stores, for each encrypted field, a ``bytea`` ciphertext and
beside it, in a ``text`` column, the id of the key that made it. It never
sees the text or a key.

Stored format (version 1)::

    0x01 | 12-byte random nonce | AES-GCM ciphertext and 16-byte tag

The additional authenticated data binds a ciphertext to its place,
``ikenei:<table>.<column>:<row id>``: a ciphertext copied to another row or
column fails authentication just like a tampered one, and neither is ever
returned as text (``DecryptionFailed``).

Keys come from the settings as ``<key_id>:<base64 of 32 bytes>``:
``PII_ENCRYPTION_KEY`` is the current key (every new value is encrypted under
it), ``PII_ENCRYPTION_OLD_KEYS`` a comma list of older keys still readable
(``ikenei keys rotate`` moves their values to the current key). Without
``PII_ENCRYPTION_KEY``, the embedded development server uses a key generated
once into ``.ikenei/pii.key`` (mode 0600); any other server refuses to start.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ikenei.config.key_format import (
    HOW_TO_MAKE_A_KEY,
    KEY_BYTES,
    KEY_FORMAT,
    KEY_ID,
    parse_key,
    parse_key_list,
)
from ikenei.errors import ConfigError, DecryptionFailed

if TYPE_CHECKING:
    from ikenei.config.settings import Settings

__all__ = [
    "DEV_KEY_FILE",
    "KEY_BYTES",
    "Cipher",
    "NotAuthentic",
    "Sealed",
    "cipher_from_settings",
    "parse_key",
    "parse_key_list",
]

VERSION = 1
NONCE_BYTES = 12
TAG_BYTES = 16
#: Bytes a ciphertext has beyond its text: version, nonce and tag.
OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES
#: The file under ``.ikenei/`` holding the development key of the embedded server.
DEV_KEY_FILE = "pii.key"
DEV_KEY_ID = "dev"
# Encrypted under each key into encryption_keys.check_value: decrypting it
# proves, at start-up, that a configured key is the one the data was written with.
_CHECK_TEXT = b"IkeNei PII encryption key check, version 1"


@dataclass(frozen=True, slots=True)
class Sealed:
    """An encrypted value as stored: the ciphertext and the id of its key."""

    ciphertext: bytes
    key_id: str


class NotAuthentic(ValueError):
    """Bytes that :meth:`Cipher.decrypt_bytes` refused; the message says why, never the bytes."""

    def __init__(self, reason: str, key_id: str | None = None) -> None:
        self.key_id = key_id
        super().__init__(reason)


def _aad(table: str, column: str, row_id: Any) -> bytes:
    return f"ikenei:{table}.{column}:{row_id}".encode()


class Cipher:
    """Encrypts under the current key; decrypts under any configured key.

    ``repr`` names the key ids only.
    """

    __slots__ = ("_current", "_keys")

    def __init__(self, current: tuple[str, bytes], old: Iterable[tuple[str, bytes]] = ()) -> None:
        keys: dict[str, AESGCM] = {}
        for key_id, key in (current, *old):
            if not KEY_ID.fullmatch(key_id):
                raise ValueError(f"invalid key id {key_id!r}")
            if len(key) != KEY_BYTES:
                raise ValueError(f"key {key_id!r} must be {KEY_BYTES} bytes")
            if key_id in keys:
                raise ValueError(f"key id {key_id!r} is given twice")
            keys[key_id] = AESGCM(key)
        self._current = current[0]
        self._keys = keys

    @property
    def current_key_id(self) -> str:
        """The id of the key new values are encrypted under."""
        return self._current

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every configured key id, the current one first."""
        return tuple(self._keys)

    def encrypt(self, text: str, *, table: str, column: str, row_id: Any) -> Sealed:
        """``text`` sealed under the current key for one place (table, column, row)."""
        nonce = os.urandom(NONCE_BYTES)
        body = self._keys[self._current].encrypt(nonce, text.encode(), _aad(table, column, row_id))
        return Sealed(bytes([VERSION]) + nonce + body, self._current)

    def decrypt(
        self, ciphertext: bytes, key_id: str, *, table: str, column: str, row_id: Any
    ) -> str:
        """The text of a stored value; ``DecryptionFailed`` if it is not authentic for this place."""
        aes = self._keys.get(key_id)
        if aes is None:
            raise DecryptionFailed(
                table,
                column,
                row_id,
                f"it is encrypted under key {key_id!r}, which is not configured "
                "(add it to PII_ENCRYPTION_OLD_KEYS)",
                key_id,
            )
        data = bytes(ciphertext)
        if len(data) < OVERHEAD or data[0] != VERSION:
            raise DecryptionFailed(
                table, column, row_id, "the stored value is not a ciphertext of ours"
            )
        try:
            plain = aes.decrypt(
                data[1 : 1 + NONCE_BYTES], data[1 + NONCE_BYTES :], _aad(table, column, row_id)
            )
        except InvalidTag:
            raise DecryptionFailed(
                table,
                column,
                row_id,
                "authentication failed: the value was altered, moved from another row, "
                f"or key {key_id!r} is not the key it was written with",
                key_id,
            ) from None
        try:
            return plain.decode()
        except UnicodeDecodeError:  # authentic bytes that are not text: never ours
            raise DecryptionFailed(
                table, column, row_id, "the decrypted value is not text"
            ) from None

    def encrypt_bytes(self, data: bytes, aad: bytes) -> Sealed:
        """``data`` sealed under the current key, bound to ``aad`` (the same format as a field)."""
        nonce = os.urandom(NONCE_BYTES)
        body = self._keys[self._current].encrypt(nonce, data, aad)
        return Sealed(bytes([VERSION]) + nonce + body, self._current)

    def decrypt_bytes(self, ciphertext: bytes, key_id: str, aad: bytes) -> bytes:
        """The bytes sealed by :meth:`encrypt_bytes`; ``NotAuthentic`` saying why they are not given."""
        aes = self._keys.get(key_id)
        if aes is None:
            raise NotAuthentic(f"encrypted under key {key_id!r}, which is not configured", key_id)
        data = bytes(ciphertext)
        if len(data) < OVERHEAD or data[0] != VERSION:
            raise NotAuthentic("not a ciphertext of ours", key_id)
        try:
            return aes.decrypt(data[1 : 1 + NONCE_BYTES], data[1 + NONCE_BYTES :], aad)
        except InvalidTag:
            raise NotAuthentic(
                f"authentication failed: altered, moved, or key {key_id!r} is not the key "
                "it was written with",
                key_id,
            ) from None

    def check_value(self, key_id: str) -> bytes:
        """A fresh encryption of a known text under ``key_id``, stored to recognise the key later."""
        nonce = os.urandom(NONCE_BYTES)
        body = self._keys[key_id].encrypt(
            nonce, _CHECK_TEXT, _aad("encryption_keys", "check_value", key_id)
        )
        return bytes([VERSION]) + nonce + body

    def matches(self, key_id: str, check_value: bytes) -> bool:
        """Whether the configured key ``key_id`` is the one that made ``check_value``."""
        data = bytes(check_value)
        if len(data) < OVERHEAD or data[0] != VERSION:
            return False
        try:
            plain = self._keys[key_id].decrypt(
                data[1 : 1 + NONCE_BYTES],
                data[1 + NONCE_BYTES :],
                _aad("encryption_keys", "check_value", key_id),
            )
        except InvalidTag:
            return False
        return plain == _CHECK_TEXT

    def __repr__(self) -> str:
        return f"Cipher(current={self._current!r}, keys={list(self._keys)!r})"


def cipher_from_settings(settings: Settings) -> Cipher:
    """The cipher of the configured keys; ``ConfigError`` when there is no usable key.

    Without ``PII_ENCRYPTION_KEY`` only the embedded server has a key: the
    development key of ``.ikenei/pii.key``, made on first use.
    """
    current = settings.pii_current_key()
    old = settings.pii_old_keys()
    if current is None:
        if not settings.uses_embedded:
            raise ConfigError(
                "PII_ENCRYPTION_KEY is required when DB_HOST or DATABASE_URL is set: "
                f"the key that encrypts feedback comments and private notes, as {KEY_FORMAT}; "
                f"{HOW_TO_MAKE_A_KEY}"
            )
        from ikenei import embedded

        current = dev_key(embedded.root() / DEV_KEY_FILE)
        if any(key_id == current[0] for key_id, _ in old):
            raise ConfigError(
                f"PII_ENCRYPTION_OLD_KEYS: key id {current[0]!r} is also the development key "
                f"of .ikenei/{DEV_KEY_FILE}"
            )
    return Cipher(current, old)


def dev_key(path: Path) -> tuple[str, bytes]:
    """The development key stored at ``path``, made (mode 0600) if the file does not exist."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        text = f"{DEV_KEY_ID}:{base64.b64encode(os.urandom(KEY_BYTES)).decode()}\n"
        # Written whole to a private temporary file, then linked into place:
        # two commands starting at once agree on one key, and nobody ever
        # reads a half-written file.
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as file:
                file.write(text)
                file.flush()
                os.fsync(file.fileno())
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            temporary.unlink(missing_ok=True)
    try:
        return parse_key(path.read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        reason = exc if isinstance(exc, ValueError) else "cannot be read"
        raise ConfigError(f"the development key file .ikenei/{path.name}: {reason}") from None
