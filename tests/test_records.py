"""Rows become records: fast for plain frozen dataclasses, and exactly as ``record(*row)`` would."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import InitVar, dataclass
from pathlib import Path

import asyncpg
import pytest

from ikenei.db import records
from ikenei.db.queries import Executor, load
from ikenei.errors import DatabaseError

TQ = load(Path(__file__).parent / "sql" / "records.sql")


@dataclass(frozen=True, slots=True)
class Pair:
    number: int
    word: str


@dataclass(frozen=True, slots=True)
class Swapped:
    word: str
    number: int


@dataclass(frozen=True, slots=True)
class Checked:
    number: int
    word: str

    def __post_init__(self) -> None:
        if self.number < 0:
            raise ValueError("number must not be negative")


@dataclass(slots=True)
class Unfrozen:
    number: int
    word: str


@dataclass(frozen=True)
class Unslotted:
    number: int
    word: str


@dataclass(frozen=True, slots=True)
class Base:
    number: int


@dataclass(frozen=True, slots=True)
class Derived(Base):
    word: str


@dataclass(frozen=True, slots=True)
class WithInitVar:
    number: int
    word: str
    scale: InitVar[int] = 1


@pytest.fixture
async def conn(admin_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    # The queries read no table: the maintenance database will do.
    connection = await asyncpg.connect(admin_dsn)
    try:
        yield connection
    finally:
        await connection.close()


async def test_a_record_is_what_its_constructor_makes(conn: asyncpg.Connection) -> None:
    pair = await Executor(conn).one(TQ.pair, Pair, number=7, word="seven")
    assert type(pair) is Pair
    assert pair == Pair(7, "seven")
    assert hash(pair) == hash(Pair(7, "seven"))
    assert repr(pair) == repr(Pair(7, "seven"))
    assert dataclasses.replace(pair, word="sieben") == Pair(7, "sieben")
    with pytest.raises(dataclasses.FrozenInstanceError):
        pair.word = "changed"  # type: ignore[misc]
    # Whatever setting an unknown attribute does to a constructed record (which
    # error depends on the Python version), it does the same to this one.
    assert _refusal(pair) is _refusal(Pair(7, "seven")) is not None


def _refusal(record: object) -> type[BaseException] | None:
    try:
        record.extra = 1  # type: ignore[attr-defined]
    except Exception as exc:  # noqa: BLE001 - the type is what is compared
        return type(exc)
    return None


async def test_every_row_of_a_list_becomes_a_record(conn: asyncpg.Connection) -> None:
    rows = await Executor(conn).all(TQ.pairs, Pair, count=60)
    assert rows == [Pair(n, f"word {n}") for n in range(1, 61)]
    assert {type(row) for row in rows} == {Pair}
    assert await Executor(conn).all(TQ.pairs, Pair, count=0) == []


def test_a_plain_frozen_slotted_dataclass_gets_the_fast_builder() -> None:
    assert records._twin(Pair) is not None


@pytest.mark.parametrize("record", [Checked, Unfrozen, Unslotted, Derived, WithInitVar])
def test_other_classes_are_called_as_they_are(record: type) -> None:
    assert records._twin(record) is None
    built = records.builder(record)((7, "seven"))
    assert type(built) is record
    assert (built.number, built.word) == (7, "seven")


async def test_post_init_still_runs(conn: asyncpg.Connection) -> None:
    assert await Executor(conn).one(TQ.pair, Checked, number=3, word="three") == Checked(3, "three")
    with pytest.raises(ValueError, match="must not be negative"):
        await Executor(conn).one(TQ.pair, Checked, number=-1, word="minus one")


async def test_columns_that_are_not_the_fields_in_order_are_refused(
    conn: asyncpg.Connection,
) -> None:
    # Same query, another record class: checked on its own, not waved through.
    assert await Executor(conn).one(TQ.pair, Pair, number=1, word="one") == Pair(1, "one")
    with pytest.raises(DatabaseError, match=r"query pair returns columns \('number', 'word'\), "
                                            r"but Swapped has fields \('word', 'number'\)"):
        await Executor(conn).one(TQ.pair, Swapped, number=1, word="one")
    with pytest.raises(DatabaseError, match="but Swapped has fields"):
        await Executor(conn).all(TQ.pairs, Swapped, count=2)
