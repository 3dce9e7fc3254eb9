"""How a row becomes a record (a repository's frozen, slotted dataclass), fast.

The executor hands over rows whose columns are the record's fields in order
(checked once per query and record), so records are built positionally.
``record(*row)`` would do, but a frozen dataclass's ``__init__`` stores each
field through ``object.__setattr__``: about 1.2 µs for 13 fields, which on a
50-row page costs more than the driver's own decoding of the rows.

``builder(record)`` makes the same objects in about a fifth of that time: the
row goes to an unfrozen twin class with the same slots, whose ``__init__``
stores the fields directly, and the object then becomes a ``record`` by
``__class__`` assignment, which Python allows between classes of the same slot
layout. Nothing tells the result from ``record(*row)``: its type is ``record``,
it is frozen, compares, hashes and prints alike. A class the twin cannot stand
in for (not a frozen dataclass, a base class, ``__post_init__``, an ``InitVar``
or a field outside ``__init__``, other slots) is called as it is.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_builders: dict[type, Callable[[Any], Any]] = {}


def builder(record: type[T]) -> Callable[[Any], T]:
    """A function making a ``record`` from a row of its fields' values, in order."""
    build = _builders.get(record)
    if build is None:
        build = _builders[record] = _make(record)
    return build


def _make(record: type[T]) -> Callable[[Any], T]:
    twin = _twin(record)
    if twin is None:

        def call(row: Any) -> T:
            return record(*row)

        return call

    def build(row: Any) -> T:
        made = twin(*row)
        made.__class__ = record
        return made  # type: ignore[no-any-return]

    return build


def _twin(record: type) -> type | None:
    """An unfrozen dataclass with ``record``'s slots, or None when it cannot stand in."""
    if not dataclasses.is_dataclass(record) or record.__bases__ != (object,):
        return None
    params = getattr(record, "__dataclass_params__", None)
    fields = dataclasses.fields(record)
    names = tuple(f.name for f in fields)
    if (
        params is None
        or not params.frozen
        or hasattr(record, "__post_init__")
        or not all(f.init for f in fields)
        or record.__dict__.get("__slots__") != names
        or tuple(inspect.signature(record).parameters) != names
    ):
        return None
    twin = dataclasses.make_dataclass(
        f"{record.__name__}Row", names, slots=True, eq=False, repr=False, match_args=False
    )
    probe = twin(*(None for _ in names))
    try:
        probe.__class__ = record
    except TypeError:  # another layout after all
        return None
    return twin
