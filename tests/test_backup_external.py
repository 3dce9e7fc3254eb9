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
import subprocess
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from backup_support import free_port, quiet, scratch_dir, tree_state
from conftest import drop_database, dsn_for

from ikenei.backup import instance, restore, run, verify
from ikenei.backup.verify import row_counts
from ikenei.config.settings import load_settings
from ikenei.errors import BackupError

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
