"""The ``ikenei`` command: database server, migrations, seeds and checks.

Every ``make`` target calls one of these commands. Errors print one line
(``error: ...``) and exit non-zero: 2 for a configuration error, 1 otherwise.
``--debug`` shows the traceback instead.

One module per command group, each registering its commands in a
``configure_<group>_parser(commands)`` function:

==================  ====================================================
``db``              ``ikenei db start|stop|status|url``
``migrations``      ``ikenei migrate``, ``rollback``, ``migrations status|unlock``
``seed``            ``ikenei seed prod|dev``
``verify``          ``ikenei verify``
``monitor``         ``ikenei monitor snapshot|prune|report|explain|plans|advise|baseline|check|serve``
``keys``            ``ikenei keys rotate|status``
``retention``       ``ikenei retention run``
``gdpr``            ``ikenei gdpr export|erase``
``backup``          ``ikenei backup run|list|verify|restore|expire|schedule|status``
``psql``            ``ikenei psql [ARGS…]``
==================  ====================================================

``common`` holds what they share (exit codes, :class:`~ikenei.cli.common.Context`,
:class:`~ikenei.cli.common.Commands`), ``connection`` the commands' own
connection checks.

Adding a command group (``ikenei backup`` is one, in ``ikenei/cli/backup.py``):

1. Create ``ikenei/cli/<group>.py`` with ``configure_<group>_parser(commands)``;
   ``commands.group("backup", help)`` gives the ``ACTION`` level, and
   ``.command("run", handler, help)`` adds one command and returns its
   argparse parser for its options.
2. Write each handler as ``async def handler(args, context) -> int`` (an exit
   code from ``ikenei.cli.common``); ``context.load_settings()`` reads the
   configuration. Import the feature's package inside the handler, so that a
   broken or heavy module never slows or breaks the other commands. Never call
   ``asyncio.run``: :func:`main` runs the handler, and is the only place that does.
3. Add ``<group>.configure_<group>_parser`` to ``GROUPS`` below (its place is
   its place in ``ikenei --help``), a ``make`` target if it is a routine task,
   and a row to the README's Commands table.

Raise ``ikenei.errors`` exceptions for failures: :func:`main` prints them as
one line, and a driver's connection error that escapes becomes one line too.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Sequence

from ikenei.cli import backup, db, gdpr, keys, migrations, monitor, psql, retention, seed, verify
from ikenei.cli.common import EXIT_BROKEN_PIPE, EXIT_CONFIG, EXIT_FAILED, Commands, Context
from ikenei.cli.common import load_module as _module  # noqa: F401 - kept for callers of _module
from ikenei.cli.connection import as_connection_failure, check_connection, ensure_database
from ikenei.db.translate import connection_cause
from ikenei.errors import ConfigError, IkeneiError

__all__ = [
    "EXIT_BROKEN_PIPE",
    "GROUPS",
    "check_connection",
    "connection_cause",
    "ensure_database",
    "main",
    "parser",
]

#: The command groups, in the order ``ikenei --help`` lists them.
GROUPS: tuple[Callable[[Commands], None], ...] = (
    db.configure_db_parser,
    migrations.configure_migrations_parser,
    seed.configure_seed_parser,
    verify.configure_verify_parser,
    monitor.configure_monitor_parser,
    keys.configure_keys_parser,
    retention.configure_retention_parser,
    gdpr.configure_gdpr_parser,
    backup.configure_backup_parser,
    psql.configure_psql_parser,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status.

    When the reader of the output goes away (``ikenei gdpr export ... | head``),
    the command ends quietly, as Unix tools do: no message, status 141.
    """
    try:
        status = _run(argv)
        sys.stdout.flush()
    except BrokenPipeError:
        _forget_stdout()
        return EXIT_BROKEN_PIPE
    return status


def _forget_stdout() -> None:
    """Points standard output at /dev/null: the interpreter flushes it once more at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real file behind it (captured output)
        pass


def _run(argv: Sequence[str] | None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    words, psql_args = psql.split_arguments(words)
    args = parser().parse_args(words)
    args.psql_args = psql_args
    debug = bool(getattr(args, "debug", False))
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    context = Context()
    try:
        return int(asyncio.run(args.handler(args, context)))
    except KeyboardInterrupt:
        if debug:
            raise
        print("error: interrupted", file=sys.stderr)
        return 130
    except IkeneiError as exc:
        if debug:
            raise
        _print_error(exc)
        return EXIT_CONFIG if isinstance(exc, ConfigError) else EXIT_FAILED
    except BrokenPipeError:
        raise  # not a failure to reach the server: the reader of our output left
    except Exception as exc:
        # A driver error that escaped a module: still one line when it is a
        # failure to reach the server.
        failure = as_connection_failure(exc, context.settings)
        if failure is None or debug:
            raise
        _print_error(failure)
        return EXIT_FAILED


def parser() -> argparse.ArgumentParser:
    """The ``ikenei`` argument parser, every group registered."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks and library logs",
    )
    root = argparse.ArgumentParser(
        prog="ikenei",
        description="IkeNei database: server, migrations, seeds and checks.",
        parents=[common],
    )
    commands = Commands(
        root.add_subparsers(dest="command", metavar="COMMAND", required=True), common
    )
    for configure in GROUPS:
        configure(commands)
    return root


def _print_error(exc: BaseException) -> None:
    message = str(exc).strip() or type(exc).__name__
    print(f"error: {message}", file=sys.stderr)
