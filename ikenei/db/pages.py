"""Keyset pages: every list returns ``limit`` rows after a cursor, never an offset.

A list query orders its rows by a key that ends in a unique column and reads
``WHERE (key) > (the previous page's last key)`` through an index in that
order, so the thousandth page costs what the first does. Its SQL declares the
key as parameters ``after_<field>`` (NULL on the first page, which the query
turns into the smallest key with ``coalesce``) and ``limit``; the list's other
parameters (the organization, filters) are its *scope*.

The cursor handed back with a page is opaque: the last row's key values,
sealed with AES-GCM under the current PII key (``ikenei.security.encryption``)
and bound to the query and to the list's scope. A cursor that was altered,
that belongs to another list, another organization or other filters, or that
an older version of IkeNei made, is refused with ``InvalidData`` naming
``cursor``: it can never move a list into rows its scope does not give. Any
configured key opens a cursor, so a key rotation does not break a page in
flight; a repository without a cipher seals cursors under a key of its
process.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar
from uuid import UUID

from ikenei.config.key_format import KEY_BYTES
from ikenei.db.queries import Executor, Query
from ikenei.errors import InvalidData
from ikenei.security.encryption import Cipher, NotAuthentic

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T")
# A record a list query's rows become (see ikenei.db.queries).
R = TypeVar("R", bound="DataclassInstance")

#: Bumped whenever what a cursor holds changes: an older cursor is then refused.
CURSOR_VERSION = 1
#: The most rows one page may ask for.
MAX_LIMIT = 1000

_PROCESS_CIPHER = Cipher(("cursor", os.urandom(KEY_BYTES)))


class Page(list[T], Generic[T]):
    """One page of a list: its rows, and ``cursor`` for the next page (None after the last).

    The cursor is sealed when it is first read: a caller that reads one page
    only pays nothing for it.
    """

    __slots__ = ("_cursor", "_next")

    def __init__(self, rows: Iterable[T], cursor: str | None,
                 next_page: Callable[[], str | None] | None = None) -> None:
        super().__init__(rows)
        self._cursor = cursor
        self._next = next_page

    @property
    def cursor(self) -> str | None:
        if self._next is not None:
            self._cursor, self._next = self._next(), None
        return self._cursor

    def __repr__(self) -> str:
        return f"Page({list.__repr__(self)}, cursor={self.cursor!r})"


class Pages:
    """Reads pages of list queries and seals and opens their cursors."""

    __slots__ = ("_cipher",)

    def __init__(self, cipher: Cipher | None) -> None:
        self._cipher = cipher or _PROCESS_CIPHER

    async def read(
        self,
        x: Executor,
        query: Query,
        record: type[R],
        scope: Mapping[str, Any],
        *,
        key: tuple[str, ...],
        after: str | None,
        limit: int,
    ) -> Page[R]:
        """One page of ``query``: ``limit`` rows of ``record`` after the cursor ``after``.

        ``scope`` holds the query's other parameters by name; ``key`` names the
        record fields that make up the list's order, as the query's
        ``after_<field>`` parameters do.
        """
        if type(limit) is not int or not 1 <= limit <= MAX_LIMIT:
            raise InvalidData("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
        values = dict(scope)
        if after is None:
            values.update(dict.fromkeys(_after_names(key)))
        else:
            last = self._open(after, self._binding(query, scope), len(key))
            values.update(zip(_after_names(key), last, strict=True))
        values["limit"] = limit + 1  # one more than asked tells whether a next page exists
        rows = await x.all(query, record, **values)
        if len(rows) <= limit:
            return Page(rows, None)
        del rows[limit:]
        final = rows[-1]
        return Page(rows, None, lambda: self._seal(
            tuple(getattr(final, field) for field in key), self._binding(query, scope)))

    @staticmethod
    def _binding(query: Query, scope: Mapping[str, Any]) -> bytes:
        described = json.dumps([query.name, sorted((k, _tagged(v)) for k, v in scope.items())])
        return f"ikenei:cursor:v{CURSOR_VERSION}:{described}".encode()

    def _seal(self, last: tuple[Any, ...], bound: bytes) -> str:
        sealed = self._cipher.encrypt_bytes(json.dumps([_tagged(v) for v in last]).encode(), bound)
        text = f"{CURSOR_VERSION}.{sealed.key_id}.".encode() + sealed.ciphertext
        return base64.urlsafe_b64encode(text).decode().rstrip("=")

    def _open(self, cursor: str, bound: bytes, size: int) -> tuple[Any, ...]:
        refused = InvalidData(
            "cursor",
            "is not a cursor of this list: it was altered, or comes from another list, "
            "organization or filter, or from an older version; start again from the first page",
        )
        if not isinstance(cursor, str) or len(cursor) > 2000:
            raise refused
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            version, key_id, ciphertext = text.split(b".", 2)
            if int(version) != CURSOR_VERSION:
                raise refused
            plain = self._cipher.decrypt_bytes(ciphertext, key_id.decode(), bound)
            values = tuple(_untagged(item) for item in json.loads(plain))
        except (binascii.Error, ValueError, NotAuthentic, UnicodeDecodeError):
            raise refused from None
        if len(values) != size:
            raise refused
        return values


@functools.cache
def _after_names(key: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"after_{field}" for field in key)


def _tagged(value: Any) -> list[Any]:
    # JSON has no dates, ids or decimals: each value travels with its type.
    if value is None:
        return ["z", None]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, timedelta):
        return ["p", value.total_seconds()]
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["d", value.isoformat()]
    if isinstance(value, UUID):
        return ["u", str(value)]
    if isinstance(value, Decimal):
        return ["n", str(value)]
    if isinstance(value, str):
        return ["s", value]
    raise TypeError(f"a list key cannot hold {type(value).__name__}")


def _untagged(item: Any) -> Any:
    tag, value = item
    match tag:
        case "z":
            return None
        case "b" | "i" | "s":
            return value
        case "p":
            return timedelta(seconds=value)
        case "t":
            return datetime.fromisoformat(value)
        case "d":
            return date.fromisoformat(value)
        case "u":
            return UUID(value)
        case "n":
            return Decimal(value)
    raise ValueError(f"unknown tag {tag!r}")
