"""The ``ikenei`` command: database server, migrations, seeds and checks.

Every ``make`` target calls one of these commands. Errors print one line
(``error: ...``) and exit non-zero: 2 for a configuration error, 1 otherwise.
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from ikenei.errors import ConfigError, ConnectionFailed, DatabaseError, IkeneiError

if TYPE_CHECKING:
    import psycopg

    from ikenei.config.settings import Settings

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
_CONNECT_TIMEOUT = 10  # seconds, for our own checks


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    words = list(sys.argv[1:] if argv is None else argv)
    words, psql_args = _split_psql(words)
    parser = _parser()
    args = parser.parse_args(words)
    args.psql_args = psql_args
    debug = bool(getattr(args, "debug", False))
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
    context: dict[str, Any] = {}
    try:
        return int(args.handler(args, context) or EXIT_OK)
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
    except Exception as exc:
        # A driver error that escaped a module: still one line when it is a
        # failure to reach the server.
        failure = _as_connection_failure(exc, context.get("settings"))
        if failure is None or debug:
            raise
        _print_error(failure)
        return EXIT_FAILED


# -- commands -------------------------------------------------------------------


def _db_start(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
    from ikenei import embedded

    if not settings.uses_embedded:
        print(
            f"configured for {settings.server} (DB_HOST or DATABASE_URL is set); "
            "the embedded server is not used, nothing to start"
        )
        return EXIT_OK
    url, launched = embedded.ensure_started()
    state = "started" if launched else "already running"
    print(f"embedded PostgreSQL {state} (pid {embedded.pid()}): {url}")
    return EXIT_OK


def _db_stop(args: argparse.Namespace, context: dict[str, Any]) -> int:
    from ikenei import embedded

    if embedded.stop():
        print("embedded PostgreSQL stopped")
    else:
        print("embedded PostgreSQL was not running")
    return EXIT_OK


def _db_status(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
    from ikenei import embedded

    if settings.uses_embedded:
        url = embedded.status()
        if url is None:
            print("embedded PostgreSQL: not running (`make db-start` starts it)")
        else:
            print(f"embedded PostgreSQL: running (pid {embedded.pid()}): {url}")
        return EXIT_OK
    with _connect(settings, settings.dsn()) as conn:
        version = conn.execute("SHOW server_version").fetchone()
    print(f"{settings.target}: reachable, PostgreSQL {version[0] if version else '?'}")
    return EXIT_OK


def _db_url(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
    print(settings.dsn(include_password=False))
    return EXIT_OK


def _psql(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
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


def _migrate(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
    ensure_database(settings, out=print)
    migrations = _module("ikenei.schema.migrations", "migrate")
    migrations.apply(settings.dsn(), out=print)
    return EXIT_OK


def _rollback(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
    check_connection(settings)
    migrations = _module("ikenei.schema.migrations", "rollback")
    migrations.rollback(settings.dsn(), steps=args.steps, all=args.all, out=print)
    return EXIT_OK


def _migrations_status(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
    check_connection(settings)
    migrations = _module("ikenei.schema.migrations", "migrations status")
    migrations.status(settings.dsn(), out=print)
    return EXIT_OK


def _migrations_unlock(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
    check_connection(settings)
    migrations = _module("ikenei.schema.migrations", "migrations unlock")
    migrations.unlock(settings.dsn(), out=print)
    return EXIT_OK


def _seed(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
    cipher = None
    if args.kind == "dev":
        # Before anything is seeded: without a key the sample comments and
        # notes could not be encrypted afterwards.
        from ikenei.security.encryption import cipher_from_settings

        cipher = cipher_from_settings(settings)
    check_connection(settings)
    seeds = _module("ikenei.schema.seeds", "seed")
    seeds.run(settings.dsn(), args.kind, out=print)
    if cipher is not None:
        # The SQL seeds write their sample comments and notes as text (SQL has
        # no key); encrypt them now, as `ikenei keys rotate` would.
        from ikenei.privacy import keys

        rotation = asyncio.run(keys.rotate(settings, cipher, out=print))
        if rotation.failed:
            return EXIT_FAILED
    return EXIT_OK


def _keys_rotate(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
    from ikenei.privacy import keys
    from ikenei.security.encryption import cipher_from_settings

    cipher = cipher_from_settings(settings)
    rotation = asyncio.run(keys.rotate(settings, cipher, batch_size=args.batch_size, out=print))
    return EXIT_FAILED if rotation.failed else EXIT_OK


def _keys_status(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
    from ikenei.privacy import keys
    from ikenei.security.encryption import cipher_from_settings

    cipher = cipher_from_settings(settings)
    state = asyncio.run(keys.status(settings, cipher))
    print(f"current key: {state.current_key_id}")
    for key in state.keys:
        if key.key_id == state.current_key_id:
            role = "current"
        elif key.key_id in cipher.key_ids:
            role = "old, configured"
        else:
            role = "not configured"
        retired = f", retired {key.retired_at:%Y-%m-%d %H:%M}" if key.retired_at else ""
        print(f"key {key.key_id}: {role}{retired}, registered {key.created_at:%Y-%m-%d %H:%M}")
    if not state.usage:
        print("no encrypted values stored")
    for usage in state.usage:
        under = f"key {usage.key_id}" if usage.key_id else "text awaiting encryption"
        print(f"{usage.table_name}.{usage.column_name}: {usage.value_count} under {under}")
    return EXIT_OK


def _retention_run(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
    check_connection(settings)
    retention = _module("ikenei.privacy.retention", "retention run")
    retention.run(settings.dsn(), out=print, overrides=settings.retention_overrides)
    return EXIT_OK


def _gdpr_export(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
    gdpr = _module("ikenei.privacy.gdpr", "gdpr export")
    from ikenei.security.encryption import cipher_from_settings

    # Comments and notes appear decrypted: without the key there is no export.
    cipher = cipher_from_settings(settings)
    salt = gdpr.reference_salt(settings)
    check_connection(settings)
    gdpr.export(settings.dsn(), args.email, cipher=cipher, salt=salt, output=args.output, out=print)
    return EXIT_OK


def _gdpr_erase(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
    gdpr = _module("ikenei.privacy.gdpr", "gdpr erase")
    salt = gdpr.reference_salt(settings)
    if not args.yes:
        if not sys.stdin.isatty():
            print(
                "error: refusing to erase without confirmation: standard input is not a "
                "terminal; pass --yes to confirm",
                file=sys.stderr,
            )
            return EXIT_CONFIG
        try:
            answer = input(
                f"Erase every piece of personal data of {args.email.strip()}? This cannot be "
                "undone. Type the email again to confirm: "
            )
        except EOFError:
            answer = ""
        if answer.strip().lower() != args.email.strip().lower():
            print("error: not erased: the confirmation did not match the email", file=sys.stderr)
            return EXIT_FAILED
    check_connection(settings)
    gdpr.erase(settings.dsn(), args.email, salt=salt, out=print)
    return EXIT_OK


def _verify(args: argparse.Namespace, context: dict[str, Any]) -> int:
    settings = _settings(context)
    check_connection(settings)
    verify = _module("ikenei.schema.verify", "verify")
    return EXIT_OK if verify.run(settings.dsn(), out=print) else EXIT_FAILED


# -- database helpers ---------------------------------------------------------------


def ensure_database(settings: Settings, out: Callable[[str], Any] = print) -> bool:
    """Create the configured database if it is missing; True if it was created."""
    import psycopg

    from ikenei.schema import migrations

    name = settings.database
    try:
        with psycopg.connect(settings.dsn(), connect_timeout=_CONNECT_TIMEOUT):
            return False
    except psycopg.OperationalError as exc:
        if not _is_missing_database(exc):
            raise _connection_failed(settings, exc) from exc
    admin_dsn = settings.dsn("postgres")
    check_connection(settings, admin_dsn)  # an unreachable server: one line naming it
    try:
        migrations.create_database(admin_dsn, name)
    except psycopg.errors.DuplicateDatabase:
        return False  # created by a concurrent command meanwhile
    except psycopg.Error as exc:
        raise DatabaseError(f"cannot create database {name}: {_first_line(exc)}") from exc
    out(f"created database {name}")
    return True


def check_connection(settings: Settings, dsn: str | None = None) -> None:
    """Connect once to the configured database (or ``dsn``); ConnectionFailed names the cause."""
    with _connect(settings, dsn or settings.dsn()):
        pass


class _connect:
    """psycopg connection whose connect failure becomes ConnectionFailed."""

    def __init__(self, settings: Settings, dsn: str, autocommit: bool = False) -> None:
        self.settings = settings
        self.dsn = dsn
        self.autocommit = autocommit
        self.conn: psycopg.Connection[Any] | None = None

    def __enter__(self) -> psycopg.Connection[Any]:
        import psycopg

        try:
            self.conn = psycopg.connect(
                self.dsn, autocommit=self.autocommit, connect_timeout=_CONNECT_TIMEOUT
            )
        except psycopg.OperationalError as exc:
            raise _connection_failed(self.settings, exc) from exc
        return self.conn

    def __exit__(self, *exc_info: object) -> None:
        if self.conn is not None:
            self.conn.close()


def _connection_failed(settings: Settings | None, exc: BaseException) -> ConnectionFailed:
    where = settings.server if settings is not None else "the database server"
    database = f" (database {settings.database})" if settings is not None else ""
    message = f"cannot connect to {where}{database}: {connection_cause(exc)}"
    if _is_missing_database(exc):
        message += " (`make migrate` creates it)"
    return ConnectionFailed(message)


def connection_cause(exc: BaseException) -> str:
    """The reason in a driver's connection error, on one line."""
    text = str(exc) or type(exc).__name__
    causes: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("Is the server running", "HINT:", "Multiple connection")):
            continue
        if "failed: " in line:
            line = line.rsplit("failed: ", 1)[1]
        line = re.sub(r"^(FATAL|ERROR):\s+", "", line)
        line = re.sub(r"^(connection failed|connection is bad):\s*", "", line)
        line = " ".join(line.split())
        if line and line not in causes:
            causes.append(line)
    return "; ".join(causes) or type(exc).__name__


def _is_missing_database(exc: BaseException) -> bool:
    return bool(re.search(r'database ".*" does not exist', str(exc)))


def _as_connection_failure(exc: BaseException, settings: Settings | None) -> IkeneiError | None:
    """ConnectionFailed for a driver's connect error, else None."""
    try:
        import psycopg

        if isinstance(exc, psycopg.OperationalError):
            return _connection_failed(settings, exc)
    except ImportError:  # pragma: no cover
        pass
    try:
        import asyncpg

        connect_errors: tuple[type[BaseException], ...] = (
            asyncpg.InvalidAuthorizationSpecificationError,
            asyncpg.InvalidCatalogNameError,
            asyncpg.ConnectionDoesNotExistError,
            asyncpg.CannotConnectNowError,
        )
        if isinstance(exc, connect_errors):
            return _connection_failed(settings, exc)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(exc, OSError):  # refused, unreachable, name resolution, timeout
        return _connection_failed(settings, exc)
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- plumbing -----------------------------------------------------------------------


def _settings(context: dict[str, Any]) -> Settings:
    from ikenei.config.settings import load_settings

    settings = load_settings()
    context["settings"] = settings
    return settings


def _module(name: str, command: str) -> ModuleType:
    """Import lazily, so one missing part never breaks the other commands."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise IkeneiError(f"`{command}` is not available: module {name} is missing") from exc


def _print_error(exc: BaseException) -> None:
    message = str(exc).strip() or type(exc).__name__
    print(f"error: {message}", file=sys.stderr)


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {number}")
    return number


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks and library logs",
    )
    parser = argparse.ArgumentParser(
        prog="ikenei",
        description="IkeNei database: server, migrations, seeds and checks.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(
        group: argparse._SubParsersAction[argparse.ArgumentParser],
        name: str,
        handler: Callable[[argparse.Namespace, dict[str, Any]], int],
        help_text: str,
    ) -> argparse.ArgumentParser:
        sub = group.add_parser(name, help=help_text, description=help_text, parents=[common])
        sub.set_defaults(handler=handler)
        return sub

    db = commands.add_parser("db", help="the database server", parents=[common])
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    add(db_commands, "start", _db_start, "start the embedded server (reuses a running one)")
    add(db_commands, "stop", _db_stop, "stop the embedded server")
    add(db_commands, "status", _db_status, "is the configured server up?")
    add(db_commands, "url", _db_url, "print the configured database's URL (no password)")

    add(commands, "migrate", _migrate, "create the database if missing and apply migrations")
    rollback = add(commands, "rollback", _rollback, "roll back applied migrations")
    how_far = rollback.add_mutually_exclusive_group()
    how_far.add_argument("--steps", type=_positive, default=None, metavar="N",
                         help="roll back the last N migrations")
    how_far.add_argument("--all", action="store_true", help="roll back every migration")

    migrations = commands.add_parser("migrations", help="migration bookkeeping", parents=[common])
    migration_commands = migrations.add_subparsers(
        dest="migrations_command", metavar="ACTION", required=True
    )
    add(migration_commands, "status", _migrations_status, "list applied and pending migrations")
    add(migration_commands, "unlock", _migrations_unlock, "release a stale migration lock")

    seed = add(commands, "seed", _seed, "load seed data")
    seed.add_argument("kind", choices=("prod", "dev"),
                      help="prod: reference data; dev: sample data for development")
    add(commands, "verify", _verify, "check that the database matches the expected schema")

    from ikenei.cli import monitor

    monitor.register(commands, add, common)

    key_group = commands.add_parser("keys", help="the keys that encrypt sensitive text", parents=[common])
    key_commands = key_group.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    rotate = add(
        key_commands, "rotate", _keys_rotate,
        "re-encrypt every stored value under the current key (PII_ENCRYPTION_KEY); resumable",
    )
    rotate.add_argument("--batch-size", type=_positive, default=500, metavar="N",
                        help="rows per transaction (default 500)")
    add(key_commands, "status", _keys_status, "the registered keys and how many values each encrypts")

    retention = commands.add_parser("retention", help="retention policies", parents=[common])
    retention_commands = retention.add_subparsers(dest="retention_command", metavar="ACTION", required=True)
    add(retention_commands, "run", _retention_run,
        "delete what the retention policies no longer let us keep; reports counts per policy")

    gdpr = commands.add_parser("gdpr", help="a person's data: export or erase it", parents=[common])
    gdpr_commands = gdpr.add_subparsers(dest="gdpr_command", metavar="ACTION", required=True)
    gdpr_export = add(
        gdpr_commands, "export", _gdpr_export,
        "write everything held about a person as one JSON document (standard output by default)",
    )
    gdpr_export.add_argument("--email", required=True, help="the person's email")
    gdpr_export.add_argument("--output", type=Path, default=None, metavar="FILE",
                             help="write to this new file (mode 0600) instead")
    gdpr_erase = add(
        gdpr_commands, "erase", _gdpr_erase,
        "erase every piece of a person's personal data, in one transaction (cannot be undone)",
    )
    gdpr_erase.add_argument("--email", required=True, help="the person's email")
    gdpr_erase.add_argument("--yes", action="store_true",
                            help="do not ask for confirmation (required without a terminal)")
    add(
        commands,
        "psql",
        _psql,
        "open psql on the configured database; arguments after `psql` go to psql",
    )
    return parser


def _split_psql(words: list[str]) -> tuple[list[str], list[str]]:
    """Everything after the ``psql`` command belongs to psql, options included."""
    for index, word in enumerate(words):
        if not word.startswith("-"):
            if word == "psql":
                return words[: index + 1], words[index + 1 :]
            break
    return words, []

