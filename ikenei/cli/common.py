"""What every command group shares: exit codes, the command context, registration.

A group module registers its commands through :class:`Commands` and writes
each command as ``async def handler(args, context) -> int``; ``ikenei.cli.main``
runs it (the one ``asyncio.run`` of the CLI) and turns errors into one line.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from ikenei.errors import IkeneiError

if TYPE_CHECKING:
    from ikenei.config.settings import Settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
#: A command whose reader went away: 128 + SIGPIPE, the status a shell reports
#: for a tool that a closed pipe ended.
EXIT_BROKEN_PIPE = 141


@dataclass
class Context:
    """What a running command has loaded; ``main`` reads it to word an escaped error."""

    settings: Settings | None = None

    def load_settings(self) -> Settings:
        """The configuration (a bad value is a ``ConfigError``: exit 2)."""
        from ikenei.config.settings import load_settings

        self.settings = load_settings()
        return self.settings

    def started(self, settings: Settings) -> Settings:
        """``settings`` able to reach their server: the embedded server, when it is
        the one configured, is started here (reading settings never starts it)."""
        from ikenei import embedded

        self.settings = embedded.started(settings)
        return self.settings


Handler = Callable[[argparse.Namespace, Context], Awaitable[int]]


class Commands:
    """One level of ``ikenei`` subcommands: where a group adds its commands."""

    def __init__(
        self,
        subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
        common: argparse.ArgumentParser,
    ) -> None:
        self._subparsers = subparsers
        self._common = common

    def command(self, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        """``ikenei … NAME``, run by ``handler``; add its options to the parser returned."""
        parser = self._subparsers.add_parser(
            name, help=help_text, description=help_text, parents=[self._common]
        )
        parser.set_defaults(handler=handler)
        return parser

    def group(self, name: str, help_text: str) -> Commands:
        """``ikenei NAME ACTION``: a command whose actions are added to the result."""
        parser = self._subparsers.add_parser(name, help=help_text, parents=[self._common])
        actions = parser.add_subparsers(dest=f"{name}_command", metavar="ACTION", required=True)
        return Commands(actions, self._common)


def load_module(name: str, command: str) -> ModuleType:
    """Import lazily, so one missing part never breaks the other commands."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise IkeneiError(f"`{command}` is not available: module {name} is missing") from exc


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {number}")
    return number
