"""The ``ikenei`` command, run as a subprocess against real servers.

Embedded-server tests run in temporary directories (``.ikenei/`` there), so
they never touch the project's own server; each server started here is
stopped and its directory removed at the end. A server starts in about a
second, initdb included.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit

import psycopg
import pytest
from psycopg import sql

from ikenei.cli import _module, connection_cause, ensure_database
from ikenei.config.settings import Settings, load_settings
from ikenei.errors import IkeneiError

VARIABLES = {name.upper() for name in Settings.model_fields}


def run(
    *args: str, cwd: Path, timeout: float = 120, **variables: str
) -> subprocess.CompletedProcess[str]:
    """``python -m ikenei.cli ARGS`` in ``cwd`` with only ``variables`` configured."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in VARIABLES and key != "TEST_DATABASE_URL"
    }
    environment.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "ikenei.cli", *args],
        cwd=cwd,
        env=environment,
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def stop_server_in(directory: Path) -> None:
    run("db", "stop", cwd=directory)


def postmasters_for(pgdata: Path) -> list[int]:
    """Pids of postgres servers running on ``pgdata`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"/postgres") and str(pgdata).encode() in argv:
            found.append(int(entry.name))
    return found


@contextmanager
def server_home() -> Iterator[Path]:
    """A working directory for an embedded server, removed with its server afterwards.

    Not under pytest's tmp_path: every pytest run resets its base directory to
    mode 0700, which would lock the server's system user out of its own files.
    """
    directory = Path(tempfile.mkdtemp(prefix="ikenei-cli-"))
    try:
        yield directory
    finally:
        stop_server_in(directory)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def home() -> Iterator[Path]:
    with server_home() as directory:
        yield directory


@pytest.fixture(scope="module")
def server_dir() -> Iterator[Path]:
    """A directory whose embedded server was started by three commands at once."""
    with server_home() as directory:
        yield from _started_concurrently(directory)


def _started_concurrently(directory: Path) -> Iterator[Path]:
    environment = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    starts = [
        subprocess.Popen(
            [sys.executable, "-m", "ikenei.cli", "db", "start"],
            cwd=directory,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120) for process in starts]
    for process, (_, stderr) in zip(starts, outputs, strict=True):
        assert process.returncode == 0, stderr
    directory.joinpath("start-outputs.txt").write_text("\n".join(stdout for stdout, _ in outputs))
    yield directory


def server_url(directory: Path, database: str = "postgres") -> str:
    result = run("db", "status", cwd=directory)
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip().rsplit(": ", 1)[1]
    parts = urlsplit(url)
    return parts._replace(path="/" + quote(database, safe="")).geturl()


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [("db", "status"), ("migrate",), ("migrations", "status"), ("verify",)]
)
def test_unreachable_server_is_one_line_naming_host_port_and_cause(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    result = run(*command, cwd=tmp_path, DB_HOST="127.0.0.1", DB_PORT="1")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: cannot connect to 127.0.0.1:1")
    assert "Connection refused" in lines[0]


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    result = run("--debug", "db", "status", cwd=tmp_path, DB_HOST="127.0.0.1", DB_PORT="1")
    assert result.returncode != 0
    assert "Traceback" in result.stderr
    assert "ConnectionFailed" in result.stderr
    assert "127.0.0.1:1" in result.stderr


def test_unknown_host_names_the_host(tmp_path: Path) -> None:
    result = run("db", "status", cwd=tmp_path, DB_HOST="no-such-host.invalid")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: cannot connect to no-such-host.invalid:5432")
    assert len(result.stderr.strip().splitlines()) == 1


def test_config_error_exits_2_naming_the_variable(tmp_path: Path) -> None:
    result = run("db", "url", cwd=tmp_path, DB_POOL_MIN="9", DB_POOL_MAX="3")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "DB_POOL_MIN" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_wrong_password_is_one_line(server_dir: Path) -> None:
    """A role that must give a password (scram) on the embedded server."""
    role = f"ikenei_pw_{secrets.token_hex(4)}"
    hba = server_dir / ".ikenei" / "pgdata" / "pg_hba.conf"
    original = hba.read_text()
    admin = server_url(server_dir)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'right-password'").format(sql.Identifier(role))
        )
        hba.write_text(f"local all {role} scram-sha-256\n" + original)
        conn.execute("SELECT pg_reload_conf()")
    try:
        time.sleep(0.3)  # the reload is asynchronous
        socket_dir = urlsplit(admin).query.removeprefix("host=")
        url = f"postgresql://{role}:wrong-password@/postgres?host={socket_dir}"
        result = run("db", "status", cwd=server_dir, DATABASE_URL=url)
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert f"{socket_dir}:5432" in lines[0]
        assert "password authentication failed" in lines[0]
        assert "wrong-password" not in result.stderr
    finally:
        hba.write_text(original)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute("SELECT pg_reload_conf()")
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_connection_cause_keeps_the_reason_only() -> None:
    message = (
        'connection failed: connection to server at "127.0.0.1", port 5432 failed: '
        'FATAL:  password authentication failed for user "app"\n'
        "\tIs the server running on that host and accepting TCP/IP connections?"
    )
    assert connection_cause(Exception(message)) == (
        'password authentication failed for user "app"'
    )


def test_missing_module_is_an_ikenei_error() -> None:
    with pytest.raises(IkeneiError, match="ikenei.not_there is missing"):
        _module("ikenei.not_there", "nothing")


def test_help_and_usage(tmp_path: Path) -> None:
    assert run("--help", cwd=tmp_path).returncode == 0
    usage = run("db", cwd=tmp_path)
    assert usage.returncode == 2
    assert "usage:" in usage.stderr


# -- embedded server ------------------------------------------------------------------------


def test_concurrent_starts_share_one_server(server_dir: Path) -> None:
    outputs = (server_dir / "start-outputs.txt").read_text().splitlines()
    urls = {line.rsplit(": ", 1)[1] for line in outputs if line.strip()}
    pids = {line.split("(pid ")[1].split(")")[0] for line in outputs if line.strip()}
    assert len(urls) == 1 and len(pids) == 1, outputs
    assert sum("started" in line for line in outputs) == 1
    assert postmasters_for(server_dir / ".ikenei" / "pgdata") == [int(pids.pop())]


def test_start_again_reuses_the_running_server(server_dir: Path) -> None:
    before = postmasters_for(server_dir / ".ikenei" / "pgdata")
    result = run("db", "start", cwd=server_dir)
    assert result.returncode == 0, result.stderr
    assert "already running" in result.stdout
    assert f"(pid {before[0]})" in result.stdout
    assert postmasters_for(server_dir / ".ikenei" / "pgdata") == before


def test_status_and_url(server_dir: Path) -> None:
    status = run("db", "status", cwd=server_dir)
    assert status.returncode == 0
    assert "running" in status.stdout
    assert str(server_dir / ".ikenei" / "pgdata") in status.stdout

    result = run("db", "url", cwd=server_dir)
    assert result.returncode == 0, result.stderr
    url = result.stdout.strip()
    assert url.startswith("postgresql://postgres@/360planner_dev?host=")
    assert urlsplit(url).query == f"host={server_dir / '.ikenei' / 'pgdata'}"
    # The URL reaches the server (its maintenance database, 360planner_dev may not exist).
    with psycopg.connect(url.replace("/360planner_dev?", "/postgres?"), connect_timeout=10) as c:
        assert c.execute("SELECT 1").fetchone() == (1,)


def test_psql_runs_on_the_configured_database(server_dir: Path) -> None:
    result = run("psql", "-tA", "-c", "SELECT current_database()", cwd=server_dir,
                 DB_NAME="postgres")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "postgres"


def test_ensure_database_creates_a_name_that_needs_quoting(server_dir: Path) -> None:
    name = f"9ikenei Test-{secrets.token_hex(3)}"  # digit first, space, capitals
    settings = load_settings(database_url=server_url(server_dir, name))
    said: list[str] = []
    try:
        assert ensure_database(settings, out=said.append) is True
        assert said == [f"created database {name}"]
        assert ensure_database(settings, out=said.append) is False
        assert len(said) == 1
        with psycopg.connect(settings.dsn(), connect_timeout=10) as conn:
            assert conn.execute("SELECT current_database()").fetchone() == (name,)
    finally:
        with psycopg.connect(server_url(server_dir), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def test_stop_then_status(home: Path) -> None:
    started = run("db", "start", cwd=home)
    assert started.returncode == 0, started.stderr
    assert "started" in started.stdout
    stopped = run("db", "stop", cwd=home)
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.strip() == "embedded PostgreSQL stopped"
    assert postmasters_for(home / ".ikenei" / "pgdata") == []
    status = run("db", "status", cwd=home)
    assert status.returncode == 0
    assert "not running" in status.stdout
    again = run("db", "stop", cwd=home)
    assert again.stdout.strip() == "embedded PostgreSQL was not running"


def test_start_with_an_external_server_configured_starts_nothing(tmp_path: Path) -> None:
    result = run("db", "start", cwd=tmp_path, DB_HOST="127.0.0.1")
    assert result.returncode == 0
    assert "nothing to start" in result.stdout
    assert not (tmp_path / ".ikenei" / "pgdata").exists()


def test_failed_start_shows_the_server_log(home: Path) -> None:
    assert run("db", "start", cwd=home).returncode == 0
    assert run("db", "stop", cwd=home).returncode == 0
    config = home / ".ikenei" / "pgdata" / "postgresql.auto.conf"
    config.write_text(config.read_text() + "\nshared_buffers = 'plenty'\n")
    result = run("db", "start", cwd=home)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: embedded PostgreSQL failed to start")
    assert "server log" in result.stderr
    assert 'invalid value for parameter "shared_buffers"' in result.stderr
    assert postmasters_for(home / ".ikenei" / "pgdata") == []
