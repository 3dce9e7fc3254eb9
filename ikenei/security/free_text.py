"""Bounds and checks of the free text the database only ever sees encrypted.

Feedback comments and progress notes are encrypted before they leave the
application (``ikenei.security.encryption``), so what PostgreSQL checks for
every other text column (a length bound, no NUL character, valid Unicode)
is checked here, before encryption, with the same ``InvalidData`` naming the
field. The bound is in characters; the ciphertext columns allow the bytes
that many characters can take (see migration ``20261204_110300``).
"""

from __future__ import annotations

from typing import Any

from ikenei.db.values import text_problem
from ikenei.errors import InvalidData

__all__ = ["MAX_ENCRYPTED_TEXT", "checked_text"]

#: Characters a feedback comment or a progress note may hold.
MAX_ENCRYPTED_TEXT = 10_000


def checked_text(field: str, text: Any, limit: int = MAX_ENCRYPTED_TEXT) -> str:
    """``text`` if it can be stored as free text of at most ``limit`` characters; else ``InvalidData``."""
    if not isinstance(text, str):
        raise InvalidData(field, f"must be text, not {type(text).__name__}")
    problem = text_problem(text)
    if problem is not None:
        raise InvalidData(field, problem)
    if len(text) > limit:
        raise InvalidData(field, f"is {len(text)} characters long; at most {limit} are allowed")
    return text
