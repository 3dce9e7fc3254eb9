"""What ``make bench`` prints after measuring: the table, any warnings, the ratios line."""

from __future__ import annotations

from bench.timing import Timing
from bench.variants import REPOSITORY, Read

#: The most the repository may cost per read, as a multiple of raw asyncpg.
BOUNDS = {"get": 1.10, "list": 1.15}


def report(results: list[tuple[Read, list[Timing]]]) -> list[str]:
    """The table (Markdown, as the README shows it), a warning per ratio above
    its bound, and last, exactly ``bench: get X.XX list Y.YY``."""
    lines = [
        "",
        "| read | way | µs per call | × raw asyncpg |",
        "| --- | --- | ---: | ---: |",
    ]
    ratios: dict[str, float] = {}
    for read, timings in results:
        for timing in timings:
            lines.append(
                f"| {read.name} | {timing.name} | {timing.micros:.1f} | {timing.ratio:.2f} |"
            )
            if timing.name == REPOSITORY:
                ratios[read.name] = timing.ratio
    lines.append("")
    lines.extend(f"{read.name}: {read.description}" for read, _timings in results)
    for name, bound in BOUNDS.items():
        # Judged as printed: 1.104 shows as 1.10, within a bound of 1.10.
        if round(ratios[name], 2) > bound:
            lines.append(
                f"bench: warning: the repository's {name} costs {ratios[name]:.2f}x raw asyncpg, "
                f"above the bound of {bound:.2f}x"
            )
    lines.append(f"bench: get {ratios['get']:.2f} list {ratios['list']:.2f}")
    return lines
