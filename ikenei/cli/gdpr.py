"""``ikenei gdpr export|erase``: one person's data, exported or erased."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from uuid import UUID

from ikenei.cli.common import EXIT_CONFIG, EXIT_FAILED, EXIT_OK, Commands, Context, load_module
from ikenei.cli.connection import check_connection


def configure_gdpr_parser(commands: Commands) -> None:
    gdpr = commands.group("gdpr", "a person's data: export or erase it")
    export_parser = gdpr.command(
        "export", export,
        "write everything held about a person as one JSON document (standard output by default)",
    )
    _add_person(export_parser)
    export_parser.add_argument("--output", type=Path, default=None, metavar="FILE",
                               help="write to this new file (mode 0600) instead")
    erase_parser = gdpr.command(
        "erase", erase,
        "erase every piece of a person's personal data, in one transaction (cannot be undone)",
    )
    _add_person(erase_parser)
    erase_parser.add_argument("--yes", action="store_true",
                              help="do not ask for confirmation (required without a terminal)")


def _add_person(command: argparse.ArgumentParser) -> None:
    person = command.add_mutually_exclusive_group(required=True)
    person.add_argument("--email", help="the person: the account that holds this email now")
    person.add_argument(
        "--user-id", type=_user_id, default=None, metavar="ID",
        help="the person: this account, also a former holder of a reused email",
    )


def _user_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a user id (a UUID)") from None


async def export(args: argparse.Namespace, context: Context) -> int:
    settings = context.started(context.load_settings())
    gdpr = load_module("ikenei.privacy.gdpr", "gdpr export")
    from ikenei.security.encryption import cipher_from_settings

    # Comments and notes appear decrypted: without the key there is no export.
    cipher = cipher_from_settings(settings)
    salt = gdpr.reference_salt(settings)
    check_connection(settings)
    await gdpr.export_async(
        settings.dsn(), args.email, user_id=args.user_id, cipher=cipher, salt=salt,
        output=args.output, out=print, notice=_to_stderr,
    )
    return EXIT_OK


async def erase(args: argparse.Namespace, context: Context) -> int:
    settings = context.started(context.load_settings())
    gdpr = load_module("ikenei.privacy.gdpr", "gdpr erase")
    from ikenei.security.encryption import cipher_from_settings

    # Encrypted comments and notes that name the person are redacted too.
    cipher = cipher_from_settings(settings)
    salt = gdpr.reference_salt(settings)
    who = args.email.strip() if args.email is not None else str(args.user_id)
    kind = "email" if args.email is not None else "id"
    if not args.yes:
        if not sys.stdin.isatty():
            print(
                "error: refusing to erase without confirmation: standard input is not a "
                "terminal; pass --yes to confirm",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        if not _confirmed(who, kind):
            print(f"error: not erased: the confirmation did not match the {kind}", file=sys.stderr)
            return EXIT_FAILED
    check_connection(settings)
    await gdpr.erase_async(
        settings.dsn(), args.email, user_id=args.user_id, cipher=cipher, salt=salt, out=print
    )
    return EXIT_OK


def _confirmed(who: str, kind: str) -> bool:
    """The person at the terminal typed the email (or id) again."""
    try:
        answer = input(
            f"Erase every piece of personal data of {who}? This cannot be "
            f"undone. Type the {kind} again to confirm: "
        )
    except EOFError:
        answer = ""
    return answer.strip().lower() == who.lower()


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr)
