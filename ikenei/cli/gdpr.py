"""``ikenei gdpr export|erase``: a person's data, exported or erased."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ikenei.cli.common import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, Commands, Context, load_module
from ikenei.cli.connection import check_connection


def configure_gdpr_parser(commands: Commands) -> None:
    gdpr = commands.group("gdpr", "a person's data: export or erase it")
    export_parser = gdpr.command(
        "export", export,
        "write everything held about a person as one JSON document (standard output by default)",
    )
    export_parser.add_argument("--email", required=True, help="the person's email")
    export_parser.add_argument("--output", type=Path, default=None, metavar="FILE",
                               help="write to this new file (mode 0600) instead")
    erase_parser = gdpr.command(
        "erase", erase,
        "erase every piece of a person's personal data, in one transaction (cannot be undone)",
    )
    erase_parser.add_argument("--email", required=True, help="the person's email")
    erase_parser.add_argument("--yes", action="store_true",
                              help="do not ask for confirmation (required without a terminal)")


async def export(args: argparse.Namespace, context: Context) -> int:
    settings = context.load_settings()
    gdpr = load_module("ikenei.privacy.gdpr", "gdpr export")
    from ikenei.security.encryption import cipher_from_settings

    # Comments and notes appear decrypted: without the key there is no export.
    cipher = cipher_from_settings(settings)
    salt = gdpr.reference_salt(settings)
    check_connection(settings)
    await gdpr.export_async(
        settings.dsn(), args.email, cipher=cipher, salt=salt, output=args.output, out=print
    )
    return EXIT_OK


async def erase(args: argparse.Namespace, context: Context) -> int:
    settings = context.load_settings()
    gdpr = load_module("ikenei.privacy.gdpr", "gdpr erase")
    salt = gdpr.reference_salt(settings)
    if not args.yes:
        if not sys.stdin.isatty():
            print(
                "error: refusing to erase without confirmation: standard input is not a "
                "terminal; pass --yes to confirm",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        if not _confirmed(args.email):
            print("error: not erased: the confirmation did not match the email", file=sys.stderr)
            return EXIT_FAILED
    check_connection(settings)
    await gdpr.erase_async(settings.dsn(), args.email, salt=salt, out=print)
    return EXIT_OK


def _confirmed(email: str) -> bool:
    """The person at the terminal typed the email again."""
    try:
        answer = input(
            f"Erase every piece of personal data of {email.strip()}? This cannot be "
            "undone. Type the email again to confirm: "
        )
    except EOFError:
        answer = ""
    return answer.strip().lower() == email.strip().lower()
