"""The written form of an encryption key in the settings: ``<key_id>:<base64 of 32 bytes>``.

Here, beside the settings that read it, so that validating the configuration
needs nothing of the encryption itself (``ikenei.security.encryption``, which
uses the keys, imports these names from here).
"""

from __future__ import annotations

import base64
import binascii
import re

__all__ = ["HOW_TO_MAKE_A_KEY", "KEY_BYTES", "KEY_FORMAT", "KEY_ID", "parse_key", "parse_key_list"]

#: AES-256: bytes in a key.
KEY_BYTES = 32
KEY_ID = re.compile(r"[a-z0-9_-]{1,32}")
KEY_FORMAT = "<key_id>:<base64 of 32 random bytes> (key_id: 1-32 of a-z 0-9 _ -)"
HOW_TO_MAKE_A_KEY = 'make one with: echo "k1:$(openssl rand -base64 32)"'


def parse_key(text: str) -> tuple[str, bytes]:
    """``(key_id, key)`` from ``<key_id>:<base64>``; ValueError saying what is wrong, never the key."""
    key_id, sep, encoded = text.strip().partition(":")
    if not sep:
        raise ValueError(f"must be {KEY_FORMAT}")
    if not KEY_ID.fullmatch(key_id):
        # Not echoed: a key written the wrong way round would put the key here.
        raise ValueError(
            f"the key id (before ':') must be 1-32 characters of a-z, 0-9, _ and -; {KEY_FORMAT}"
        )
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"key {key_id!r} is not valid base64; {HOW_TO_MAKE_A_KEY}") from None
    if len(key) != KEY_BYTES:
        raise ValueError(
            f"key {key_id!r} is {len(key)} bytes, AES-256 needs {KEY_BYTES}; {HOW_TO_MAKE_A_KEY}"
        )
    return key_id, key


def parse_key_list(text: str) -> list[tuple[str, bytes]]:
    """The keys of a comma list of ``<key_id>:<base64>``; empty items are skipped."""
    keys = [parse_key(item) for item in text.split(",") if item.strip()]
    seen: set[str] = set()
    for key_id, _ in keys:
        if key_id in seen:
            raise ValueError(f"key id {key_id!r} is given twice")
        seen.add(key_id)
    return keys
