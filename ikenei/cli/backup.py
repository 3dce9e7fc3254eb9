"""``ikenei backup run|list|verify|restore|expire|schedule|receive-wal|status``: backup and recovery.

The work is ``ikenei.backup``'s (see its modules); this module reads the
options, prints, and turns results into exit codes.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from ikenei.cli.common import EXIT_FAILED, EXIT_OK, Commands, Context, load_module
from ikenei.errors import BackupError


def configure_backup_parser(commands: Commands) -> None:
    backup = commands.group("backup", "backups, restores, drills and retention")
    run = backup.command(
        "run", run_backup, "take a backup (incremental on the last one where the server supports it)"
    )
    kind = run.add_mutually_exclusive_group()
    kind.add_argument("--full", action="store_true", help="a full backup, whatever came before")
    kind.add_argument("--incremental", action="store_true", help="an incremental backup (PostgreSQL 17+)")
    kind.add_argument(
        "--logical", action="store_true",
        help="pg_dump of the configured database: any server, no point-in-time recovery",
    )
    listing = backup.command("list", list_backups, "every backup, its window and where its copies are")
    listing.add_argument("--json", action="store_true", help="machine-readable")
    check = backup.command(
        "verify", verify_backups, "check checksums, manifests, chains and WAL; --drill restores and checks data"
    )
    check.add_argument("id", nargs="?", help="one backup (default: all)")
    check.add_argument("--drill", action="store_true", help="restore into a scratch directory and check the data")
    restore = backup.command("restore", restore_backup, "a data directory recovered to a point")
    point = restore.add_mutually_exclusive_group(required=True)
    point.add_argument("--latest", action="store_true", help="to the end of the archived WAL")
    point.add_argument("--to-time", type=_moment, metavar="TIME", help="to a time, e.g. 2026-12-04T10:15:00+00:00")
    point.add_argument("--to-name", metavar="NAME", help="to a named restore point (e.g. before-<migration>)")
    point.add_argument("--id", metavar="ID", help="to the end of one backup")
    where = restore.add_mutually_exclusive_group(required=True)
    where.add_argument("--target", type=Path, metavar="DIR", help="a new or empty directory")
    where.add_argument(
        "--in-place", action="store_true",
        help="replace the embedded server's data (asks first; the old directory is kept aside)",
    )
    where.add_argument("--database", metavar="NAME", help="a new database, for a logical backup (--id)")
    restore.add_argument("--start", action="store_true", help="leave the restored server running on a private socket")
    restore.add_argument("--yes", action="store_true", help="with --in-place: do not ask")
    expire = backup.command("expire", expire_backups, "apply BACKUP_RETENTION_DAYS")
    expire.add_argument("--dry-run", action="store_true", help="say what would go, change nothing")
    backup.command("schedule", schedule_backups, "take backups on BACKUP_SCHEDULE, in the foreground")
    receive = backup.command(
        "receive-wal", receive_wal,
        "an existing server's WAL into the repository (pg_receivewal, a replication slot), in the foreground",
    )
    receive.add_argument(
        "--drop-slot", action="store_true",
        help="drop the replication slot instead (the server then stops keeping WAL for it)",
    )
    backup.command("status", backup_status, "archiver or receiver health, last backup, repository space")


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.strip().replace(" UTC", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a time: {text!r}; write e.g. 2026-12-04T10:15:00+00:00"
        ) from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; add one, e.g. +00:00")
    return moment


async def run_backup(args: argparse.Namespace, context: Context) -> int:
    settings = context.load_settings()
    run = load_module("ikenei.backup.run", "backup run")
    kind = "full" if args.full else "incremental" if args.incremental else "auto"
    run.run(settings, kind=kind, logical=args.logical, out=print)
    return EXIT_OK


async def list_backups(args: argparse.Namespace, context: Context) -> int:
    settings = context.load_settings()
    listing = load_module("ikenei.backup.listing", "backup list")
    document = listing.describe(settings)
    if args.json:
        json.dump(document, sys.stdout, indent=2, default=str)
        print()
        return EXIT_OK
    for line in listing.lines(document):
        print(line)
    return EXIT_OK


async def verify_backups(args: argparse.Namespace, context: Context) -> int:
    settings = context.load_settings()
    verify = load_module("ikenei.backup.verify", "backup verify")
    try:
        report = verify.verify(settings, args.id, drill=args.drill, out=print)
    except BackupError as exc:
        if args.drill and "drill of" in str(exc):
            print(f"problem: {exc}")
            return EXIT_FAILED
        raise
    return EXIT_OK if report.ok else EXIT_FAILED


async def restore_backup(args: argparse.Namespace, context: Context) -> int:
    settings = context.load_settings()
    restore = load_module("ikenei.backup.restore", "backup restore")
    point = {"backup_id": args.id, "to_time": args.to_time, "to_name": args.to_name, "latest": args.latest}
    if args.database is not None:
        if args.id is None:
            raise BackupError("--database restores a logical backup: give its --id")
        restore.restore_logical(settings, args.id, args.database, out=print)
        return EXIT_OK
    if args.in_place:
        if not _confirmed(args.yes):
            print("not restored: the embedded server's data stays as it is")
            return EXIT_FAILED
        restore.restore_in_place(settings, out=print, **point)
        return EXIT_OK
    restore.restore(settings, args.target, start=args.start, out=print, **point)
    return EXIT_OK


def _confirmed(yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        raise BackupError("--in-place replaces the embedded server's data: add --yes to confirm")
    answer = input("replace the embedded server's data with the restored one? type yes: ")
    return answer.strip().lower() == "yes"


async def expire_backups(args: argparse.Namespace, context: Context) -> int:
    settings = context.load_settings()
    expire = load_module("ikenei.backup.expire", "backup expire")
    expire.expire(settings, dry_run=args.dry_run, out=print)
    return EXIT_OK


async def schedule_backups(args: argparse.Namespace, context: Context) -> int:
    settings = context.load_settings()
    schedule = load_module("ikenei.backup.schedule", "backup schedule")
    code: int = schedule.serve(settings, out=lambda line: print(line, flush=True))
    return code


async def receive_wal(args: argparse.Namespace, context: Context) -> int:
    settings = context.load_settings()
    receiver = load_module("ikenei.backup.receiver", "backup receive-wal")
    if args.drop_slot:
        receiver.drop_slot(settings, out=print)
        return EXIT_OK
    return int(receiver.receive(settings, out=lambda line: print(line, flush=True)))


async def backup_status(args: argparse.Namespace, context: Context) -> int:
    settings = context.load_settings()
    status = load_module("ikenei.backup.status", "backup status")
    state = status.status(settings)
    for line in state.lines:
        print(line)
    for problem in state.problems:
        print(f"problem: {problem}")
    print("ok" if state.healthy else f"UNHEALTHY: {len(state.problems)} problem(s)")
    return EXIT_OK if state.healthy else EXIT_FAILED
