"""Real parts for the backup tests: scratch PostgreSQL clusters and a local S3 server.

``Cluster``: a PostgreSQL 18 cluster of the embedded wheel made for one test
(initdb in a scratch directory), configured with the embedded server's own
archiving settings (``ikenei.embedded.server_settings``) into a repository of
its own, on a private socket; stopped and removed afterwards. The session's
server is never reconfigured.

``s3_server``: moto's standalone server (``moto[server]``), started on
127.0.0.1 on a free port for the session, with one bucket; the AWS variables
boto3 reads point at it (fake credentials, never real ones).

Figures the issue asks for are collected with ``figure(...)`` and printed in
the terminal summary (``Backup figures``).
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ikenei import embedded
from ikenei.backup import instance, tools
from ikenei.config.settings import Settings, load_settings

FIGURES: list[str] = []

#: Scratch PostgreSQL 18 clusters run on the embedded run; a run against
#: TEST_DATABASE_URL skips them (test_backup_external.py is its part).
on_the_embedded_run = pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")),
    reason="scratch PostgreSQL 18 clusters: run on the embedded run",
)


def quiet(_line: str) -> None:
    """An ``out`` that prints nothing."""
BUCKET = "ikenei-backups"


def figure(line: str) -> None:
    """A measured figure, printed at the end of the run."""
    FIGURES.append(line)
    print(f"figure: {line}")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("Backup figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


def scratch_dir(prefix: str = "ikenei-backup-") -> Path:
    """A new directory the server's system user can reach (pytest's tmp_path is private)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


def new_key(key_id: str = "b1") -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


@dataclass
class Cluster:
    root: Path
    data: Path
    repository: Path
    url: str

    def settings(self, **values: Any) -> Settings:
        values.setdefault("backup_repository", str(self.repository))
        values.setdefault("database_url", self.url)
        return load_settings(**values)

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.url, autocommit=True)

    def sql(self, statement: str, *params: Any) -> list[tuple[Any, ...]]:
        with self.connect() as conn:
            cursor = conn.execute(statement, params or None)
            return cursor.fetchall() if cursor.description else []

    def now(self) -> datetime:
        return self.sql("SELECT clock_timestamp()")[0][0]

    def archive_everything(self, timeout: float = 30) -> None:
        """Close the current WAL segment and wait until the archiver has it."""
        with self.connect() as conn:
            # A commit first: a switch with nothing written since the last one does nothing.
            conn.execute("SELECT txid_current()")
            name = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]
        deadline = time.monotonic() + timeout
        while not (self.repository / "wal" / name).exists():
            assert time.monotonic() < deadline, f"segment {name} was not archived in {timeout} s"
            time.sleep(0.1)

    def stop(self, *, immediate: bool = False) -> None:
        instance.stop(self.data, immediate=immediate)

    def kill(self) -> None:
        """SIGKILL the postmaster: the server dies as in a power cut."""
        pid = int((self.data / "postmaster.pid").read_text().splitlines()[0])
        os.kill(pid, signal.SIGKILL)


def initdb(data: Path) -> None:
    """A new cluster in ``data``, as the embedded server makes (not synced: scratch data)."""
    data.mkdir(mode=0o700)
    tools.give_to_server(data)
    tools.run(
        "initdb",
        ["-D", str(data), "-U", "postgres", "--auth=trust", "--encoding=utf8", "--no-sync"],
        as_server=True,
    )


def make_cluster(archive_timeout: int = 60) -> Cluster:
    root = scratch_dir()
    data = root / "pgdata"
    repository = root / "repository"
    initdb(data)
    settings = load_settings(backup_repository=str(repository), backup_archive_timeout=archive_timeout)
    embedded.write_settings(data, embedded.server_settings(settings))
    running = instance.start(data)
    return Cluster(root, data, repository, running.url())


def drop_cluster(cluster: Cluster) -> None:
    for path in [cluster.data, *cluster.root.glob("restored*/")]:
        with contextlib.suppress(Exception):  # already stopped, or never started
            instance.stop(path, immediate=True)
    shutil.rmtree(cluster.root, ignore_errors=True)


def cluster_for_a_while(archive_timeout: int = 60) -> Iterator[Cluster]:
    """A fixture's body: a cluster, dropped when the fixture ends."""
    made = make_cluster(archive_timeout)
    try:
        yield made
    finally:
        drop_cluster(made)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    yield from cluster_for_a_while()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The endpoint URL of a moto S3 server running for the session, with BUCKET in it."""
    import boto3

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                assert process.poll() is None, "moto's server exited at start"
                assert time.monotonic() < deadline, "moto's server did not start in 30 s"
                time.sleep(0.1)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("AWS_ACCESS_KEY_ID", "ikenei-test")
            patch.setenv("AWS_SECRET_ACCESS_KEY", "ikenei-test-secret")
            patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
            boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
            yield endpoint
    finally:
        process.terminate()
        process.wait(10)


def tree_state(path: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``path`` with its size and modification time: to prove nothing changed."""
    if not path.exists():
        return {}
    return {
        str(p.relative_to(path)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != "lock"
    }
