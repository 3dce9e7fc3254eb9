"""Password hashing with bcrypt.

bcrypt reads at most 72 bytes of a password and older versions silently
ignored the rest. Here a longer password is refused with ``InvalidData``
instead, so two passwords that differ after byte 72 can never verify as one.
"""

from __future__ import annotations

import bcrypt

from ikenei.db.values import text_problem
from ikenei.errors import InvalidData

MAX_PASSWORD_BYTES = 72
DEFAULT_COST = 12


def _encode(password: str) -> bytes:
    if not isinstance(password, str) or not password:
        raise InvalidData("password", "must be a non-empty string")
    problem = text_problem(password)
    if problem is not None:
        raise InvalidData("password", problem)
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_PASSWORD_BYTES:
        raise InvalidData(
            "password", f"is {len(encoded)} bytes in UTF-8; bcrypt takes at most {MAX_PASSWORD_BYTES}"
        )
    return encoded


def hash_password(password: str, cost: int = DEFAULT_COST) -> str:
    """A bcrypt hash of ``password`` at the given cost."""
    return bcrypt.hashpw(_encode(password), bcrypt.gensalt(rounds=cost)).decode("ascii")


def verify_password(password: str, password_hash: str) -> bool:
    """Whether ``password`` matches ``password_hash``; a too-long password never does."""
    try:
        encoded = _encode(password)
    except InvalidData:
        return False
    return bcrypt.checkpw(encoded, password_hash.encode("ascii"))


def needs_rehash(password_hash: str, cost: int = DEFAULT_COST) -> bool:
    """Whether a hash was made with another cost than the current one."""
    return int(password_hash.split("$")[2]) != cost
