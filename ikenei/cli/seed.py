"""``ikenei seed prod|dev|scale``: reference data, sample data for development,
or generated data at scale for measurements."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

from ikenei.cli.common import EXIT_FAILED, EXIT_OK, Commands, Context, load_module
from ikenei.cli.connection import check_connection
from ikenei.errors import InvalidData

_SCALE_OPTIONS = ("organizations", "people", "cycles", "seed", "as_of", "add")


def configure_seed_parser(commands: Commands) -> None:
    seed_parser = commands.command("seed", seed, "load seed data")
    seed_parser.add_argument(
        "kind", choices=("prod", "dev", "scale"),
        help="prod: reference data; dev: sample data for development; "
             "scale: generated data at scale, for measurements (a tenth of the full size by default)",
    )
    scale = seed_parser.add_argument_group("scale", "options of `seed scale`")
    scale.add_argument("--organizations", type=int, metavar="N",
                       help="organizations (default 20; full size 200)")
    scale.add_argument("--people", type=int, metavar="M",
                       help="people, spread evenly over the organizations (default 2000; full 20000)")
    scale.add_argument("--cycles", type=int, metavar="K",
                       help="feedback cycles, spread evenly; the newest of each organization "
                            "stays active (default 40; full 400)")
    scale.add_argument("--seed", type=int, metavar="S",
                       help="the same seed loads the same data (default 1)")
    scale.add_argument("--as-of", type=date.fromisoformat, metavar="YYYY-MM-DD", dest="as_of",
                       help="the day the generated history ends on (default today, UTC)")
    scale.add_argument("--add", action="store_true", default=None,
                       help="add to a database that already holds people")


async def seed(args: argparse.Namespace, context: Context) -> int:
    if args.kind == "scale":
        return await _scale(args, context)
    given = [name for name in _SCALE_OPTIONS if getattr(args, name) is not None]
    if given:
        option = "--" + given[0].replace("_", "-")
        raise InvalidData(option.lstrip("-"), f"{option} is an option of `ikenei seed scale` only")
    settings = context.started(context.load_settings())
    cipher = None
    if args.kind == "dev":
        # Before anything is seeded: without a key the sample comments and
        # notes could not be encrypted afterwards.
        from ikenei.security.encryption import cipher_from_settings

        cipher = cipher_from_settings(settings)
    check_connection(settings)
    seeds = load_module("ikenei.schema.seeds", "seed")
    seeds.run(settings.dsn(), args.kind, out=print)
    if cipher is not None:
        # The SQL seeds write their sample comments and notes as text (SQL has
        # no key); encrypt them now, as `ikenei keys rotate` would.
        from ikenei.privacy import keys

        rotation = await keys.rotate(settings, cipher, out=print)
        if rotation.failed:
            return EXIT_FAILED
    return EXIT_OK


async def _scale(args: argparse.Namespace, context: Context) -> int:
    from ikenei.schema import seed_scale
    from ikenei.security.encryption import cipher_from_settings

    default = seed_scale.DEFAULT
    size = seed_scale.ScaleSize(
        organizations=default.organizations if args.organizations is None else args.organizations,
        people=default.people if args.people is None else args.people,
        cycles=default.cycles if args.cycles is None else args.cycles,
        seed=default.seed if args.seed is None else args.seed,
        as_of=args.as_of,
    )
    size.check()  # a bad value is refused before the server is even started
    settings = context.started(context.load_settings())
    cipher = cipher_from_settings(settings)
    check_connection(settings)
    progress = _terminal_progress() if sys.stdout.isatty() else seed_scale.plain_progress(print)
    result = await seed_scale.load_scale(
        settings.dsn(), size, cipher, add=bool(args.add), progress=progress, out=print
    )
    rows = ", ".join(f"{table} {count:,}" for table, count in result.rows.items())
    print(f"seeded scale (seed {size.seed}, organizations {result.first_organization}-"
          f"{result.first_organization + size.organizations - 1}) in {result.total_seconds:.0f} s: {rows}")
    return EXIT_OK


class _RichProgress:
    """A progress bar per step (rich), for a terminal."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description:<18}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TimeRemainingColumn(),
        )

    @contextmanager
    def step(self, name: str, total: int) -> Iterator[Callable[[int], None]]:
        with self._progress:
            task = self._progress.add_task(name, total=total)

            def advance(n: int) -> None:
                self._progress.advance(task, n)

            yield advance


def _terminal_progress() -> _RichProgress:
    return _RichProgress()
