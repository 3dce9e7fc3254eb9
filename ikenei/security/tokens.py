"""Access tokens of external raters: random, shown once, stored only as a digest."""

from __future__ import annotations

import hashlib
import secrets

__all__ = ["TOKEN_BYTES", "new_token", "token_digest"]

#: Random bytes in a token (43 URL-safe characters).
TOKEN_BYTES = 32


def new_token() -> str:
    """A new access token, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> bytes:
    """The SHA-256 digest of an access token, as stored."""
    return hashlib.sha256(token.encode()).digest()
