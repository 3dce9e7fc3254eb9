"""ikenei.vocabulary against the database: every word list of a CHECK constraint
is a Literal type of the package, word for word, and the other way round."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from ikenei import vocabulary
from ikenei.db.queries import Executor, load

TQ = load(Path(__file__).parent / "sql" / "vocabulary.sql")


@dataclass(frozen=True, slots=True)
class WordCheck:
    place: str
    name: str
    definition: str


@dataclass(frozen=True, slots=True)
class FunctionName:
    name: str


async def word_checks(dsn: str) -> dict[str, set[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        checks = await Executor(conn).all(TQ.list_word_checks, WordCheck)
    finally:
        await conn.close()
    found: dict[str, set[str]] = {}
    for check in checks:
        assert check.place not in found, f"two word lists for {check.place}"
        found[check.place] = set(re.findall(r"'([^']*)'::", check.definition))
    return found


async def test_every_word_list_of_the_schema_is_a_vocabulary_of_the_package(fresh_dsn):
    in_database = await word_checks(fresh_dsn)
    in_package = {place: set(vocabulary.words(kind)) for place, kind in vocabulary.STORED_IN.items()}
    assert len(in_database) >= 20  # the catalog query does see them
    assert in_database == in_package


def test_words_keep_the_written_order():
    assert vocabulary.words(vocabulary.QuestionType) == ("rating", "text", "single_choice", "multiple_choice", "nps")
    assert vocabulary.RATER_GROUPS[-1] == "others"
    assert set(vocabulary.words(vocabulary.Relationship)) < set(vocabulary.RATER_GROUPS)


async def test_the_rater_groups_are_ordered_and_folded_by_one_definition(fresh_dsn):
    conn = await asyncpg.connect(fresh_dsn)
    try:
        run = Executor(conn)
        ranks = [await run.value(
            TQ.rater_group_rank, rater_group=group,
        ) for group in vocabulary.RATER_GROUPS]
        assert ranks == list(range(1, len(vocabulary.RATER_GROUPS) + 1))
        assert await run.value(TQ.rater_group_rank, rater_group="nobody") is None

        async def group(relationship: str, raters: int, self_apart: bool = False) -> str:
            return await run.value(
                TQ.rater_group, relationship=relationship, raters=raters, threshold=3,
                self_apart=self_apart,
            )

        assert await group("peer", 3) == "peer"
        assert await group("peer", 2) == "others"
        assert await group("self", 1) == "others"
        assert await group("self", 1, self_apart=True) == "self"
        assert await group("manager", 1, self_apart=True) == "others"
        # no results function writes either rule out again
        assert await run.all(TQ.list_functions_writing_the_rater_group_rule_out, FunctionName) == []
    finally:
        await conn.close()
