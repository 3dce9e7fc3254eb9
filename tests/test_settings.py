"""Settings: defaults, validation, secrecy and the DSNs handed to the drivers."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from ikenei.config.settings import Settings, load_settings
from ikenei.errors import ConfigError

VARIABLES = [name.upper() for name in Settings.model_fields]
PASSWORD = "s3cr@t:p/ss%word?#"
LOCAL_HOST, LOCAL_PORT = "127.0.0.1", 5432


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No configuration from the caller's environment or a .env file."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def local_server_answers() -> bool:
    try:
        socket.create_connection((LOCAL_HOST, LOCAL_PORT), timeout=2).close()
    except OSError:
        return False
    return True


needs_local_server = pytest.mark.skipif(
    not local_server_answers(), reason=f"no PostgreSQL at {LOCAL_HOST}:{LOCAL_PORT}"
)


# -- defaults and reading ------------------------------------------------------------


def test_defaults_follow_the_specification() -> None:
    settings = load_settings()
    assert settings.db_host is None
    assert settings.db_port == 5432
    assert settings.db_name == "360planner_dev"
    assert settings.db_user == "postgres"
    assert settings.db_password is None
    assert settings.db_ssl == "disable"
    assert (settings.db_pool_min, settings.db_pool_max) == (2, 10)
    assert settings.db_pool_idle_timeout == 30000
    assert settings.backup_schedule == "0 2 * * *"
    assert settings.backup_retention_days == 30
    assert settings.database_url is None
    assert settings.uses_embedded
    assert settings.database == "360planner_dev"
    assert settings.target == "embedded server (.ikenei/) /360planner_dev"
    assert settings.bcrypt_cost == 12
    # The application works as the role row-level security binds, unless told otherwise.
    assert settings.db_app_role == "ikenei_app"


def test_app_role_none_means_the_login_role(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_APP_ROLE", "")
    assert load_settings().db_app_role == "ikenei_app"  # an empty variable is ignored
    monkeypatch.setenv("DB_APP_ROLE", "None")
    assert load_settings().db_app_role is None


def test_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "DB_HOST": "db.internal",
        "DB_PORT": "6543",
        "DB_NAME": "planner",
        "DB_USER": "app",
        "DB_POOL_MIN": "1",
        "DB_POOL_MAX": "4",
        "DB_POOL_IDLE_TIMEOUT": "1500",
        "BACKUP_SCHEDULE": "30 3 * * 1",
        "BACKUP_RETENTION_DAYS": "7",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert not settings.uses_embedded
    assert settings.target == "db.internal:6543/planner"
    assert (settings.db_pool_min, settings.db_pool_max) == (1, 4)
    assert settings.pool_idle_seconds == 1.5
    assert settings.backup_schedule == "30 3 * * 1"
    assert settings.backup_retention_days == 7


def test_reads_dot_env_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, clean_environment: Path
) -> None:
    (clean_environment / ".env").write_text(
        "DB_HOST=from-dotenv\nDB_NAME=dotenv_db\nSOMETHING_ELSE=ignored\n"
    )
    assert load_settings().target == "from-dotenv:5432/dotenv_db"
    monkeypatch.setenv("DB_NAME", "env_db")
    assert load_settings().target == "from-dotenv:5432/env_db"


def test_empty_values_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_HOST", "")
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("DB_PORT", "")
    settings = load_settings()
    assert settings.uses_embedded
    assert settings.db_port == 5432


def test_overrides_by_field_name_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DB_POOL_MAX", "3")
    settings = load_settings(db_pool_max=20, db_host="h")
    assert settings.db_pool_max == 20
    assert settings.db_host == "h"


def test_unknown_override_is_refused() -> None:
    with pytest.raises(ConfigError, match="db_pool_maximum"):
        load_settings(db_pool_maximum=3)


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        ("false", "disable"),
        ("FALSE", "disable"),
        ("no", "disable"),
        ("0", "disable"),
        ("true", "require"),
        ("True", "require"),
        ("yes", "require"),
        ("1", "require"),
        ("disable", "disable"),
        ("allow", "allow"),
        ("prefer", "prefer"),
        ("require", "require"),
        ("verify-ca", "verify-ca"),
        ("Verify-Full", "verify-full"),
    ],
)
def test_db_ssl_is_normalised_to_an_sslmode(
    monkeypatch: pytest.MonkeyPatch, value: str, mode: str
) -> None:
    monkeypatch.setenv("DB_SSL", value)
    monkeypatch.setenv("DB_HOST", "db.internal")
    settings = load_settings()
    assert settings.db_ssl == mode
    assert parse_qs(urlsplit(settings.dsn()).query)["sslmode"] == [mode]


@pytest.mark.parametrize(
    ("milliseconds", "seconds"), [("30000", 30.0), ("1500", 1.5), ("1", 0.001), ("0", 0.0)]
)
def test_idle_timeout_is_converted_to_seconds(
    monkeypatch: pytest.MonkeyPatch, milliseconds: str, seconds: float
) -> None:
    monkeypatch.setenv("DB_POOL_IDLE_TIMEOUT", milliseconds)
    value = load_settings().pool_idle_seconds
    assert isinstance(value, float)
    assert value == pytest.approx(seconds)


# -- validation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "variable", "fragment"),
    [
        ({"DB_POOL_MIN": "5", "DB_POOL_MAX": "3"}, "DB_POOL_MIN", "DB_POOL_MAX"),
        ({"DB_POOL_MIN": "-1"}, "DB_POOL_MIN", ">= 0"),
        ({"DB_POOL_MAX": "0"}, "DB_POOL_MAX", ">= 1"),
        ({"DB_POOL_MAX": "-4"}, "DB_POOL_MAX", "-4"),
        ({"DB_POOL_IDLE_TIMEOUT": "-1"}, "DB_POOL_IDLE_TIMEOUT", ">= 0"),
        ({"DB_PORT": "-5432"}, "DB_PORT", ">= 1"),
        ({"DB_PORT": "70000"}, "DB_PORT", "<= 65535"),
        ({"DB_PORT": "abc"}, "DB_PORT", "integer"),
        ({"BACKUP_RETENTION_DAYS": "0"}, "BACKUP_RETENTION_DAYS", ">= 1"),
        ({"BACKUP_RETENTION_DAYS": "-30"}, "BACKUP_RETENTION_DAYS", ">= 1"),
        ({"BACKUP_SCHEDULE": "every night"}, "BACKUP_SCHEDULE", "cron"),
        ({"BACKUP_SCHEDULE": "61 2 * * *"}, "BACKUP_SCHEDULE", "cron"),
        ({"BACKUP_SCHEDULE": "0 2 * *"}, "BACKUP_SCHEDULE", "cron"),
        ({"DB_SSL": "maybe"}, "DB_SSL", "maybe"),
        ({"DB_SSL": "tls"}, "DB_SSL", "verify-full"),
        ({"DATABASE_URL": "mysql://u@h/db"}, "DATABASE_URL", "postgresql://"),
        ({"DATABASE_URL": "postgresql://u@h:port/db"}, "DATABASE_URL", "port"),
        ({"DB_NAME": "x" * 64}, "DB_NAME", "63"),
        ({"BCRYPT_COST": "11"}, "BCRYPT_COST", ">= 12"),
        ({"BCRYPT_COST": "32"}, "BCRYPT_COST", "<= 31"),
    ],
)
def test_bad_value_gives_config_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], variable: str, fragment: str
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert variable in message
    assert fragment.replace(">= ", "greater than or equal to ").replace(
        "<= ", "less than or equal to "
    ) in message or fragment in message
    # Short, human: no pydantic wall of text.
    assert "pydantic" not in message
    assert "For further information" not in message
    assert len(message.splitlines()) <= 2
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_all_problems_are_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_POOL_MIN", "-1")
    monkeypatch.setenv("DB_SSL", "sometimes")
    monkeypatch.setenv("BACKUP_SCHEDULE", "* * *")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    for variable in ("DB_POOL_MIN", "DB_SSL", "BACKUP_SCHEDULE"):
        assert variable in message
    lines = [line for line in message.splitlines() if line.strip()]
    assert len(lines) == 4  # a heading, then one line per variable


def test_constructing_settings_directly_also_raises_config_error() -> None:
    with pytest.raises(ConfigError, match="DB_POOL_MAX"):
        Settings(db_pool_max=0)


def test_settings_are_immutable() -> None:
    settings = load_settings()
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        settings.db_port = 1  # type: ignore[misc]


# -- secrets -----------------------------------------------------------------------------


def test_password_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_HOST", "db.internal")
    monkeypatch.setenv("DB_PASSWORD", PASSWORD)
    settings = load_settings()
    encoded = urlsplit(settings.dsn()).password or ""
    for text in (
        repr(settings),
        str(settings),
        f"{settings}",
        settings.target,
        settings.server,
        settings.dsn(include_password=False),
        settings.dsn("postgres", include_password=False),
        repr(settings.model_dump()),
    ):
        assert PASSWORD not in text
        assert encoded not in text
    assert settings.db_password is not None
    assert settings.db_password.get_secret_value() == PASSWORD


def test_password_never_shows_in_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_PASSWORD", PASSWORD)
    monkeypatch.setenv("DATABASE_URL", f"mysql://app:{PASSWORD}@h/db")
    monkeypatch.setenv("DB_PORT", "nope")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "DATABASE_URL" in str(caught.value)
    assert PASSWORD not in str(caught.value)
    assert "s3cr" not in str(caught.value)


def test_database_url_password_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:hunter2secret@db.internal:6543/planner")
    settings = load_settings()
    assert "hunter2secret" in settings.dsn()
    for text in (
        repr(settings),
        str(settings),
        settings.target,
        settings.dsn(include_password=False),
    ):
        assert "hunter2secret" not in text


def test_db_url_command_prints_no_password(clean_environment: Path) -> None:
    environment = {
        key: value for key, value in os.environ.items() if key not in VARIABLES
    }
    environment.update(DB_HOST="db.internal", DB_PORT="6543", DB_PASSWORD=PASSWORD)
    result = subprocess.run(
        [sys.executable, "-m", "ikenei.cli", "db", "url"],
        cwd=clean_environment,
        env=environment,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    assert url == "postgresql://postgres@db.internal:6543/360planner_dev?sslmode=disable"
    assert PASSWORD not in result.stdout + result.stderr
    assert "s3cr" not in result.stdout + result.stderr


# -- DSNs ----------------------------------------------------------------------------------


def test_dsn_from_db_parts_quotes_the_password() -> None:
    settings = load_settings(db_host="db.internal", db_user="app user", db_password=PASSWORD)
    parts = urlsplit(settings.dsn())
    assert parts.scheme == "postgresql"
    assert (parts.hostname, parts.port) == ("db.internal", 5432)
    assert unquote(parts.username or "") == "app user"
    assert unquote(parts.password or "") == PASSWORD
    assert parts.path == "/360planner_dev"
    assert parse_qs(parts.query) == {"sslmode": ["disable"]}


def test_dsn_database_argument_reaches_another_database() -> None:
    settings = load_settings(db_host="db.internal")
    assert urlsplit(settings.dsn("postgres")).path == "/postgres"
    assert settings.database == "360planner_dev"  # unchanged


def test_dsn_for_a_socket_directory_and_ipv6() -> None:
    socket_dsn = load_settings(db_host="/var/run/postgresql").dsn()
    query = parse_qs(urlsplit(socket_dsn).query)
    assert query["host"] == ["/var/run/postgresql"]
    assert query["port"] == ["5432"]
    assert urlsplit(load_settings(db_host="::1").dsn()).hostname == "::1"


def test_database_url_takes_precedence_over_db_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_HOST", "ignored.internal")
    monkeypatch.setenv("DB_NAME", "ignored_db")
    monkeypatch.setenv("DB_PASSWORD", "ignored-password")
    monkeypatch.setenv("DATABASE_URL", "postgres://app:pw@db.internal:6543/planner?sslmode=require")
    settings = load_settings()
    assert not settings.uses_embedded
    assert settings.database == "planner"
    assert settings.server == "db.internal:6543"
    assert settings.target == "db.internal:6543/planner"
    assert settings.dsn() == "postgresql://app:pw@db.internal:6543/planner?sslmode=require"
    assert settings.dsn("postgres") == (
        "postgresql://app:pw@db.internal:6543/postgres?sslmode=require"
    )
    assert settings.dsn(include_password=False) == (
        "postgresql://app@db.internal:6543/planner?sslmode=require"
    )


def test_database_url_without_host_or_port() -> None:
    settings = load_settings(database_url="postgresql:///planner?host=/tmp/sockets")
    assert settings.database == "planner"
    assert settings.server == "/tmp/sockets:5432"
    assert load_settings(database_url="postgresql://h/db").server == "h:5432"


@needs_local_server
def test_dsn_connects_with_both_drivers() -> None:
    """The DSN built from DB_* parts works for asyncpg and psycopg alike.

    The local server trusts every login, so the awkward password (which must
    survive URL quoting) is accepted whatever it is.
    """
    import asyncpg
    import psycopg

    settings = load_settings(db_host=LOCAL_HOST, db_port=LOCAL_PORT, db_password=PASSWORD)
    dsn = settings.dsn("postgres")
    with psycopg.connect(dsn, connect_timeout=10) as conn:
        row = conn.execute("SELECT current_database(), current_user").fetchone()
    assert row == ("postgres", "postgres")

    async def through_asyncpg() -> str:
        connection = await asyncpg.connect(dsn, timeout=10)
        try:
            return await connection.fetchval("SELECT current_database()")
        finally:
            await connection.close()

    assert asyncio.run(through_asyncpg()) == "postgres"
