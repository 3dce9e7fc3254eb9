"""What every repository holds, so each one states only its own queries.

A repository runs named queries through an ``Executor`` (the pool, or the one
connection of a ``db.organization()`` or ``db.transaction()`` block) and seals
the cursors of its pages with ``Pages``. The ones whose rows hold encrypted
text also hold the ``Cipher``; made without one, they refuse to touch that
text (``ConfigError``) rather than store it in the clear.
"""

from __future__ import annotations

from typing import ClassVar

from ikenei.db.pages import Pages
from ikenei.db.queries import Executor
from ikenei.errors import ConfigError
from ikenei.security.encryption import Cipher


class Repository:
    __slots__ = ("_pages", "_x")

    def __init__(self, executor: Executor, *, pages: Pages | None = None) -> None:
        self._x = executor
        self._pages = pages or Pages(None)


class EncryptingRepository(Repository):
    __slots__ = ("_cipher",)

    # What this repository encrypts, for the error when it was made without a cipher.
    encrypted_text: ClassVar[str]

    def __init__(self, executor: Executor, cipher: Cipher | None = None, *, pages: Pages | None = None) -> None:
        super().__init__(executor, pages=pages)
        self._cipher = cipher

    def _needs_cipher(self) -> Cipher:
        if self._cipher is None:
            raise ConfigError(f"{self.encrypted_text} are encrypted: this repository was made without a cipher")
        return self._cipher
