"""``ikenei psql [ARGS…]``: psql on the configured database."""

from __future__ import annotations

import argparse
import os
import sys
from urllib.parse import unquote, urlsplit

from ikenei.cli.common import EXIT_FAILED, Commands, Context


def configure_psql_parser(commands: Commands) -> None:
    commands.command(
        "psql", run_psql, "open psql on the configured database; arguments after `psql` go to psql"
    )


def split_arguments(words: list[str]) -> tuple[list[str], list[str]]:
    """Everything after the ``psql`` command belongs to psql, options included."""
    for index, word in enumerate(words):
        if not word.startswith("-"):
            if word == "psql":
                return words[: index + 1], words[index + 1 :]
            break
    return words, []


async def run_psql(args: argparse.Namespace, context: Context) -> int:
    settings = context.started(context.load_settings())
    from ikenei import embedded

    psql = str(embedded.psql_path())
    extra = list(args.psql_args)
    env = dict(os.environ)
    password = urlsplit(settings.dsn()).password
    if password is not None:
        # In the environment, not on the command line where `ps` shows it.
        env["PGPASSWORD"] = unquote(password)
    dsn = settings.dsn(include_password=False)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(psql, [psql, dsn, *extra], env)
    return EXIT_FAILED  # pragma: no cover - execve does not return
