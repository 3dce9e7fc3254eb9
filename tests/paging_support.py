"""Following the cursors of a list, page by page, as a caller does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from ikenei.db.pages import Page

T = TypeVar("T")


async def every_page(read: Callable[[str | None], Awaitable[Page[T]]], *, most: int = 1000) -> list[Page[T]]:
    """Every page of a list: ``read(cursor)`` reads one, from the first (None) to the last.

    More than ``most`` pages fails the test: a cursor that leads back to rows
    already read would otherwise never end.
    """
    pages = [await read(None)]
    while pages[-1].cursor is not None:
        assert len(pages) < most, f"more than {most} pages: the cursors go round"
        pages.append(await read(pages[-1].cursor))
    return pages


async def page_after(read: Callable[[str | None], Awaitable[Page[T]]], pages: int) -> Page[T]:
    """The page after the first ``pages`` pages."""
    cursor = None
    for _ in range(pages):
        cursor = (await read(cursor)).cursor
        assert cursor is not None, "the list ended before that page"
    return await read(cursor)
