"""Interleaved rounds: every way of a read is timed in each round, in turn.

A shared machine drifts (other processes, CPU frequency, the server's caches),
so the ways are never measured one after the other for long: each round
times a block of calls of every way, and a way's ratio is the median over
rounds of its time divided by the first way's (raw asyncpg) time in the same
round. Drift moves both sides of each ratio.
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from statistics import median

from bench.variants import Read, as_rows


class BenchError(Exception):
    """The benchmark cannot give a meaningful result (the ways disagree, no data)."""


@dataclass(frozen=True)
class Timing:
    """One way's result: median microseconds per call, and its ratio to the first way."""

    name: str
    micros: float
    ratio: float


async def check_same_rows(read: Read) -> list[tuple[object, ...]]:
    """Call every way once; ``BenchError`` unless all return the first way's rows.

    Returns those rows. Timing ways that read different data would compare nothing.
    """
    first, *others = read.variants
    expected = as_rows(await first.call())
    if not expected:
        raise BenchError(f"{read.name}: {first.name} returned no row; is the data loaded?")
    for variant in others:
        got = as_rows(await variant.call())
        if got != expected:
            raise BenchError(
                f"{read.name}: {variant.name} returned {len(got)} row(s) that differ from "
                f"the {len(expected)} of {first.name}"
            )
    return expected


async def warm_up(read: Read, calls: int) -> None:
    """Prepare statements, fill caches, let allocations settle."""
    for variant in read.variants:
        for _ in range(calls):
            await variant.call()


async def measure(read: Read, rounds: int, calls: int) -> list[Timing]:
    """``rounds`` rounds of ``calls`` calls of each way; one ``Timing`` per way, in order.

    A round times a block of calls of each way in turn, in an order rotated
    from round to round. Blocks, not single calls in turn: a call's round trip
    depends on how long the server sat idle before it (a slow ORM call before a
    raw one would make the raw one slower), and within a block each way sets
    its own pace.
    """
    variants = list(read.variants)
    micros: dict[str, list[float]] = {v.name: [] for v in variants}
    clock = time.perf_counter_ns
    # What exists now (connections, loaded modules, caches) is no garbage:
    # frozen out of the collector's reach, the collections below stay cheap.
    gc.collect()
    gc.freeze()
    try:
        for number in range(rounds):
            shift = number % len(variants)
            for variant in variants[shift:] + variants[:shift]:
                call = variant.call
                # Garbage left by the previous block (the ORM's, mostly) is
                # collected here, not billed to whichever way runs next.
                gc.collect()
                start = clock()
                for _ in range(calls):
                    await call()
                micros[variant.name].append((clock() - start) / calls / 1000)
    finally:
        gc.unfreeze()
    base = micros[variants[0].name]
    return [
        Timing(
            v.name,
            median(micros[v.name]),
            median(t / b for t, b in zip(micros[v.name], base, strict=True)),
        )
        for v in variants
    ]
