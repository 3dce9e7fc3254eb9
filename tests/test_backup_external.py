"""Backups of an existing server: the one at TEST_DATABASE_URL (PostgreSQL 15 here), and a
PostgreSQL 15 cluster the test makes itself with Debian's ``pg_createcluster``.

The server at TEST_DATABASE_URL is never reconfigured: it allows no
replication, so a physical backup must be refused with what to grant, and a
logical one must work. The cluster made here (on a free port, dropped at the
end) allows replication, so a physical backup of a PostgreSQL 15 server by the
wheel's PostgreSQL 18 ``pg_basebackup`` is taken and restored with
PostgreSQL 15's own server programs.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from backup_support import figure, free_port, quiet, scratch_dir, tree_state
from conftest import drop_database, dsn_for

from ikenei.backup import instance, receiver, restore, run, status, verify
from ikenei.backup.verify import row_counts
from ikenei.config.settings import load_settings
from ikenei.errors import BackupError, RepositoryLocked
from ikenei.monitoring import alerts

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"),
    reason="the existing server of TEST_DATABASE_URL",
)


@pytest.fixture
def repository() -> Iterator[Path]:
    root = scratch_dir()
    try:
        yield root / "repository"
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_a_logical_backup_of_the_existing_server_restores_into_a_new_database(
    fresh_dsn: str, admin_dsn: str, repository: Path
) -> None:
    with psycopg.connect(fresh_dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO organizations (name) SELECT 'Org ' || g FROM generate_series(1, 25) g")
        source = row_counts(conn)
    settings = load_settings(database_url=fresh_dsn, backup_repository=str(repository))
    said: list[str] = []
    backup = run.run(settings, logical=True, out=said.append)
    assert backup.kind == "logical" and backup.database == settings.database
    assert any("no point-in-time recovery" in line for line in said)
    assert verify.verify(settings, out=quiet).ok

    name = f"ikenei_test_restored_{secrets.token_hex(4)}"
    try:
        url = restore.restore_logical(settings, backup.id, name, out=quiet)
        with psycopg.connect(dsn_for(admin_dsn, name), autocommit=True) as conn:
            assert row_counts(conn) == source
        assert "password" not in url
        # The database exists now: a second restore into it is refused, changing nothing.
        with pytest.raises(BackupError, match="cannot create database"):
            restore.restore_logical(settings, backup.id, name, out=quiet)
    finally:
        drop_database(admin_dsn, name)


def test_a_physical_backup_is_refused_with_what_to_grant(admin_dsn: str, repository: Path) -> None:
    settings = load_settings(database_url=admin_dsn, backup_repository=str(repository))
    run.repository_of(settings).create()
    before = tree_state(repository)
    with pytest.raises(BackupError, match="replication") as caught:
        run.run(settings, out=quiet, progress=False)
    message = str(caught.value)
    assert "\n" not in message
    assert "pg_hba.conf" in message or "REPLICATION" in message
    assert "--logical" in message
    assert tree_state(repository) == before


@pytest.fixture
def postgres15() -> Iterator[str]:
    """A PostgreSQL 15 cluster of our own (pg_createcluster), allowing replication; dropped after."""
    if shutil.which("pg_createcluster") is None or not Path("/usr/lib/postgresql/15/bin/postgres").exists():
        pytest.skip("Debian's postgresql-15 is not installed")
    name = f"ikenei_backup_{secrets.token_hex(3)}"
    port = free_port()
    try:
        made = subprocess.run(
            ["pg_createcluster", "15", name, "-p", str(port), "--start", "--", "--auth=trust"],
            check=False, capture_output=True, text=True,
        )
        assert made.returncode == 0, made.stdout + made.stderr
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(["pg_dropcluster", "--stop", "15", name], check=False, capture_output=True)
        # pg_dropcluster keeps a cluster that never started; then without --stop.
        subprocess.run(["pg_dropcluster", "15", name], check=False, capture_output=True)


def test_a_physical_backup_of_postgresql_15_restores_with_its_own_server(
    postgres15: str, repository: Path
) -> None:
    with psycopg.connect(postgres15, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (i int PRIMARY KEY)")
        conn.execute("INSERT INTO t SELECT generate_series(1, 1000)")
    settings = load_settings(database_url=postgres15, backup_repository=str(repository))
    backup = run.run(settings, out=quiet, progress=False)
    # PostgreSQL 15 has no incremental backups: a full one, with its WAL inside.
    assert backup.kind == "full" and backup.server_version // 10000 == 15
    with pytest.raises(BackupError, match="incremental backups need PostgreSQL 17"):
        run.run(settings, kind="incremental", out=quiet, progress=False)
    assert verify.verify(settings, out=quiet).ok

    target = repository.parent / "restored15"
    done = restore.restore(settings, target, latest=True, start=True, out=quiet)
    try:
        with psycopg.connect(done.url) as conn:
            assert conn.execute("SELECT count(*) FROM t").fetchone() == (1000,)
            assert conn.execute("SHOW server_version_num").fetchone()[0].startswith("15")
    finally:
        instance.stop(target)


# -- continuous WAL from an existing server: ikenei backup receive-wal ------------------------


def _slots(url: str) -> list[tuple[str, bool]]:
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT slot_name::text, active FROM pg_replication_slots ORDER BY 1").fetchall()


def _wait(predicate, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.1)


def _receiver_pid(repository: Path) -> int | None:
    """The pid of the pg_receivewal process writing into ``repository``, if one runs."""
    for entry in Path("/proc").iterdir():
        try:
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if words and words[0].endswith(b"pg_receivewal") and str(repository / "wal").encode() in words:
            return int(entry.name)
    return None


def _restored_pitr(settings, target: Path, **point: Any) -> tuple[restore.Restored, list[int]]:
    """Restores to ``point`` in ``target`` and reads the pitr table there; the copy is stopped and removed."""
    done = restore.restore(settings, target, start=True, out=quiet, **point)
    try:
        with psycopg.connect(done.url) as conn:
            return done, [r[0] for r in conn.execute("SELECT i FROM pitr ORDER BY i")]
    finally:
        instance.stop(target)
        shutil.rmtree(target, ignore_errors=True)


@contextmanager
def receiving(settings, said: list[str]) -> Iterator[threading.Thread]:
    """``receive`` running in a thread until the block ends; its lines in ``said``."""
    stop = threading.Event()
    failed: list[BaseException] = []

    def body() -> None:
        try:
            receiver.receive(settings, out=said.append, stop=stop, restart_after=0.5)
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            failed.append(exc)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    try:
        _wait(lambda: failed or (settings.backup_slot_name, True) in _slots(settings.dsn()),
              "the receiver's start")
        assert not failed, failed
        yield thread
    finally:
        stop.set()
        thread.join(60)
    assert not thread.is_alive() and not failed, failed


def test_wal_received_from_postgresql_15_restores_to_each_point_exactly(
    postgres15: str, repository: Path
) -> None:
    began = time.monotonic()
    settings = load_settings(database_url=postgres15, backup_repository=str(repository))
    source = psycopg.connect(postgres15, autocommit=True)
    source.execute("CREATE TABLE pitr (i int PRIMARY KEY)")
    said: list[str] = []
    with receiving(settings, said):
        assert any("replication slot ikenei_backup: made" in line for line in said), said
        # A second receiver at once is refused, naming the first.
        with pytest.raises(RepositoryLocked, match="receive-wal"):
            receiver.receive(settings, out=quiet, stop=threading.Event())
        state = status.status(settings)
        assert any("slot ikenei_backup active" in line for line in state.lines), state.lines
        # pg_receivewal dies: it is started again, with a line saying so.
        pid = _receiver_pid(repository)
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        _wait(lambda: _receiver_pid(repository) not in (None, pid)
              and ("ikenei_backup", True) in _slots(postgres15), "the receiver's restart")
        assert any("exited with status" in line and "starting it again" in line for line in said), said

        backup = run.run(settings, out=quiet, progress=False)
        marks = []
        for i in range(1, 6):
            source.execute("INSERT INTO pitr VALUES (%s)", (i,))
            time.sleep(0.05)
            marks.append(source.execute("SELECT clock_timestamp()").fetchone()[0])
            time.sleep(0.05)
        source.execute("INSERT INTO pitr VALUES (99)")  # after every mark: must never come back
        switched = source.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]
        _wait(lambda: (repository / "wal" / switched).exists(), f"segment {switched} received")
        # Committed after the last complete segment: only the partial one holds it.
        source.execute("INSERT INTO pitr VALUES (100)")
        lsn = source.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        _wait(lambda: source.execute(
            "SELECT flush_lsn >= %s::pg_lsn FROM pg_stat_replication WHERE application_name = 'pg_receivewal'",
            (lsn,)).fetchone() == (True,), "the receiver's flush of the last commit")
        assert list((repository / "wal").glob("*.partial"))
        state = status.status(settings)
        assert state.healthy, state.problems
        assert alerts.backup_firings(settings) == ([], [])  # ikenei monitor check: nothing fires

    # The receiver stopped: the slot stays and the server keeps WAL for it; status says so.
    assert said[-1].endswith("stopped")
    stopped = status.status(settings)
    assert not stopped.healthy
    assert any("not running" in p and "pg_wal grows" in p and "--drop-slot" in p for p in stopped.problems)
    assert [f.rule for f in stopped.findings] == ["wal_slot"]
    assert [f.rule for f in alerts.backup_firings(settings)[0]] == ["wal_slot"]

    report = verify.verify(settings, out=quiet)
    assert report.ok, report.problems
    exact = 0
    restores_began = time.monotonic()
    for n, mark in enumerate(marks, 1):
        done, got = _restored_pitr(settings, repository.parent / f"restored{n}", to_time=mark)
        assert done.chain == (backup.id,)
        assert got == list(range(1, n + 1)), f"restore to mark {n}"
        exact += 1
    figure(f"PostgreSQL 15 through pg_receivewal: point-in-time restore exact {exact} of 5 "
           f"({(time.monotonic() - restores_began) / 5:.1f} s a restore)")

    _, got = _restored_pitr(settings, repository.parent / "restored-latest", latest=True)
    assert got == [1, 2, 3, 4, 5, 99, 100]  # 100 from the partial segment

    # The command run again finds the slot, continues where the archive ends, and
    # stops cleanly on SIGTERM.
    env = {k: v for k, v in os.environ.items() if k != "TEST_DATABASE_URL"}
    env.update(DATABASE_URL=postgres15, BACKUP_REPOSITORY=str(repository))
    command = subprocess.Popen(
        [sys.executable, "-m", "ikenei.cli", "backup", "receive-wal"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        _wait(lambda: ("ikenei_backup", True) in _slots(postgres15), "the command's start")
        assert [s for s, _ in _slots(postgres15)] == ["ikenei_backup"]
        source.execute("INSERT INTO pitr VALUES (101)")
        switched = source.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]
        _wait(lambda: (repository / "wal" / switched).exists(), f"segment {switched} received")
    finally:
        command.send_signal(signal.SIGTERM)
        printed, errors = command.communicate(timeout=60)
    assert command.returncode == 0, errors
    assert "replication slot ikenei_backup: exists" in printed
    assert printed.strip().splitlines()[-1].endswith(" stopped")
    _wait(lambda: _slots(postgres15) == [("ikenei_backup", False)], "the slot's release")
    assert verify.verify(settings, out=quiet).ok

    assert receiver.drop_slot(settings, out=quiet)
    assert _slots(postgres15) == []
    assert not receiver.drop_slot(settings, out=quiet)
    source.close()
    figure(f"PostgreSQL 15 WAL receiver test: {time.monotonic() - began:.0f} s")


def test_a_role_that_may_not_replicate_is_told_what_to_grant_and_nothing_changes(
    postgres15: str, repository: Path
) -> None:
    with psycopg.connect(postgres15, autocommit=True) as conn:
        conn.execute("CREATE ROLE plain LOGIN")
    url = postgres15.replace("postgres@", "plain@", 1)
    settings = load_settings(database_url=url, backup_repository=str(repository))
    with pytest.raises(BackupError) as caught:
        receiver.receive(settings, out=quiet, stop=threading.Event())
    message = str(caught.value)
    assert "\n" not in message
    assert "ALTER ROLE plain REPLICATION" in message and "host replication plain" in message
    assert _slots(postgres15) == []
    assert not repository.exists()


def test_a_server_without_a_replication_line_is_explained_and_nothing_changes(
    admin_dsn: str, repository: Path
) -> None:
    # The server at TEST_DATABASE_URL has no `replication` line in pg_hba.conf (its
    # superuser may replicate, but not connect for it): one line, nothing made.
    settings = load_settings(database_url=admin_dsn, backup_repository=str(repository))
    before = _slots(admin_dsn)
    with pytest.raises(BackupError) as caught:
        receiver.receive(settings, out=quiet, stop=threading.Event())
    assert "\n" not in str(caught.value) and "host replication" in str(caught.value)
    assert _slots(admin_dsn) == before
    assert not repository.exists()


def test_a_receiver_whose_wal_the_server_removed_says_what_to_do(postgres15: str, repository: Path) -> None:
    settings = load_settings(database_url=postgres15, backup_repository=str(repository))
    with psycopg.connect(postgres15, autocommit=True) as conn:
        said: list[str] = []
        with receiving(settings, said):
            conn.execute("CREATE TABLE t (i int)")
        # Retired without care: the slot is dropped, and the server recycles its WAL.
        assert receiver.drop_slot(settings, out=quiet)
        for _ in range(3):
            conn.execute("INSERT INTO t SELECT generate_series(1, 1000)")
            conn.execute("SELECT pg_switch_wal()")
            conn.execute("CHECKPOINT")
    again: list[str] = []
    stop = threading.Event()
    thread = threading.Thread(
        target=receiver.receive, args=(settings,),
        kwargs={"out": again.append, "stop": stop, "restart_after": 0.5}, daemon=True,
    )
    thread.start()
    try:
        _wait(lambda: any("move" in line and "aside" in line for line in again), "the advice", timeout=60)
    finally:
        stop.set()
        thread.join(60)
    assert any("has already been removed" in line for line in again), again
    assert not thread.is_alive()
