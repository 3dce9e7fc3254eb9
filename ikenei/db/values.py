"""Values PostgreSQL would refuse without naming them, or take wrongly: found before they are sent.

Every query argument passes through ``value_problem`` (``ikenei.db.queries``),
so that the ``InvalidData`` it causes names the query's parameter:

- text holding a NUL character (PostgreSQL text cannot hold one) or a lone
  surrogate (not Unicode, so not encodable as UTF-8);
- a float or Decimal that is NaN or infinite (numeric columns would store
  NaN, and every comparison with it is false);
- a datetime without a time zone (``timestamptz`` would take it silently as
  UTC, whatever the caller meant).

An array argument (a list) is checked element by element, and a JSON one (a
dict, with its lists) key by key and value by value: PostgreSQL's jsonb
refuses a NUL as it refuses it in text, and JSON has no NaN. Either problem
names the parameter too.

Text that is encrypted before it is sent is checked the same way by the
repositories (``ikenei.security.free_text``), before encryption.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Any

__all__ = ["text_problem", "value_problem"]


def text_problem(text: str) -> str | None:
    """Why PostgreSQL could not store ``text`` as it is, or None."""
    if "\x00" in text:
        return "contains a NUL character, which cannot be stored"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "is not valid Unicode text (it holds a lone surrogate)"
    return None


def value_problem(value: Any) -> str | None:
    """Why ``value`` may not be sent as a query argument, or None (see the module doc)."""
    kind = type(value)
    if kind is str:
        return text_problem(value)
    if kind is float:
        return None if math.isfinite(value) else f"must be a finite number, not {value}"
    if kind is datetime:
        return None if value.utcoffset() is not None else "needs a time zone: a naive datetime is ambiguous"
    if kind is Decimal:
        return None if value.is_finite() else f"must be a finite number, not {value}"
    if kind is list:
        for item in value:
            problem = value_problem(item)
            if problem is not None:
                return problem
    if kind is dict:
        for key, item in value.items():
            problem = value_problem(key) or value_problem(item)
            if problem is not None:
                return problem
    return None
