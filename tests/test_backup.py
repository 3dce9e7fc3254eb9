"""Backups of a real PostgreSQL 18 cluster (the embedded wheel's) with real pg_basebackup.

The module shares one scratch cluster with the embedded server's archiving
settings (tests/backup_support.py), each test on tables of its own; the
session's server is not touched. On a
run against TEST_DATABASE_URL these are skipped (they ran on the embedded
run; test_backup_external.py covers that server).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from backup_support import (
    Cluster,
    cluster_for_a_while,
    figure,
    on_the_embedded_run,
    quiet,
    tree_state,
)

from ikenei import embedded
from ikenei.backup import expire, instance, restore, run, status, verify
from ikenei.backup.catalog import Backup
from ikenei.errors import BackupError, ConfigError, RepositoryLocked

pytestmark = on_the_embedded_run


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    """One cluster for the module; each test works on tables of its own."""
    yield from cluster_for_a_while()


def rows(url: str, table: str) -> list[int]:
    import psycopg

    with psycopg.connect(url) as conn:
        return [r[0] for r in conn.execute(f"SELECT i FROM {table} ORDER BY i")]


def test_point_in_time_restore_is_exact_5_of_5_across_an_incremental_chain(cluster: Cluster) -> None:
    settings = cluster.settings()
    cluster.sql("CREATE TABLE pitr (i int PRIMARY KEY)")
    full = run.run(settings, out=quiet, progress=False)
    marks = []
    for i in (1, 2, 3):
        cluster.sql("INSERT INTO pitr VALUES (%s)", i)
        marks.append(cluster.now())
    incremental = run.run(settings, out=quiet, progress=False)
    for i in (4, 5):
        cluster.sql("INSERT INTO pitr VALUES (%s)", i)
        marks.append(cluster.now())
    cluster.sql("INSERT INTO pitr VALUES (99)")  # after every mark: must never come back
    cluster.archive_everything()
    assert incremental.kind == "incremental"
    assert incremental.parent == full.id

    exact = 0
    for n, mark in enumerate(marks, 1):
        target = cluster.root / f"restored{n}"
        done = restore.restore(settings, target, to_time=mark, start=True, out=quiet)
        try:
            got = rows(done.url, 'pitr')
        finally:
            instance.stop(target)
        expected = list(range(1, n + 1))
        assert got == expected, f"restore to mark {n}"
        assert len(done.chain) == (1 if n <= 3 else 2)
        exact += got == expected
    figure(f"point-in-time restore exact: {exact} of 5 (marks 4-5 through full + incremental)")

    latest = restore.restore(settings, cluster.root / "restored-latest", latest=True, start=True, out=quiet)
    try:
        assert rows(latest.url, 'pitr') == [1, 2, 3, 4, 5, 99]
    finally:
        instance.stop(cluster.root / "restored-latest")


def test_restore_by_id_stops_at_the_end_of_that_backup(cluster: Cluster) -> None:
    settings = cluster.settings()
    cluster.sql("CREATE TABLE by_id (i int PRIMARY KEY)")
    cluster.sql("INSERT INTO by_id VALUES (1)")
    first = run.run(settings, out=quiet, progress=False)
    cluster.sql("INSERT INTO by_id VALUES (2)")
    cluster.archive_everything()
    target = cluster.root / "restored-id"
    done = restore.restore(settings, target, backup_id=first.id, start=True, out=quiet)
    try:
        assert rows(done.url, 'by_id') == [1]
        assert done.url.endswith(f"host={target}")
    finally:
        instance.stop(target)


def test_bad_input_is_one_line_and_changes_nothing(cluster: Cluster) -> None:
    settings = cluster.settings()
    backup = run.run(settings, out=quiet, progress=False)
    cluster.archive_everything()
    before = tree_state(cluster.repository)
    window = restore.window(run.repository_of(settings))
    assert window.earliest is not None and window.earliest <= backup.stop_time

    occupied = cluster.root / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    cases = {
        "unknown id": ({"backup_id": "20990101T000000Z-F"}, "no backup '20990101T000000Z-F'"),
        "future": ({"to_time": datetime.now(UTC) + timedelta(days=1)}, "outside the recoverable"),
        "before": ({"to_time": window.earliest - timedelta(seconds=1)}, "outside the recoverable"),
        "no zone": ({"to_time": datetime(2026, 1, 1)}, "needs a time zone"),
        "unknown name": ({"to_name": "before-nothing"}, "no restore point 'before-nothing'"),
    }
    for label, (kwargs, message) in cases.items():
        target = cluster.root / f"restored-{label.replace(' ', '-')}"
        with pytest.raises(BackupError, match=message) as caught:
            restore.restore(settings, target, out=quiet, **kwargs)
        assert "\n" not in str(caught.value), label
        assert not target.exists(), label
    with pytest.raises(BackupError, match="exists and is not empty"):
        restore.restore(settings, occupied, latest=True, out=quiet)
    assert [p.name for p in occupied.iterdir()] == ["keep.txt"]

    missing = cluster.settings(backup_repository=str(cluster.root / "nowhere"))
    with pytest.raises(BackupError, match="no readable backup repository"):
        restore.restore(missing, cluster.root / "restored-x", latest=True, out=quiet)
    with pytest.raises(BackupError, match="no readable backup repository"):
        verify.verify(missing, out=quiet)
    assert not (cluster.root / "nowhere").exists()

    unreadable = cluster.root / "unwritable"
    unreadable.mkdir(mode=0o500)
    if os.geteuid() != 0:  # root reads anything: the case is for ordinary users
        with pytest.raises(BackupError, match="cannot be written"):
            run.run(cluster.settings(backup_repository=str(unreadable / "repo")), out=quiet)
    assert tree_state(cluster.repository) == before


def test_invalid_remote_url_and_missing_key_are_refused_at_start() -> None:
    for url, message in (
        ("https://bucket/prefix", "must be s3://bucket/prefix"),
        ("s3://user:secret@bucket/x", "never from the URL"),
        ("s3:///prefix", "must be s3://bucket/prefix"),
    ):
        with pytest.raises(ConfigError, match=message) as caught:
            from ikenei.config.settings import load_settings

            load_settings(backup_remote_url=url, backup_encryption_key="b1:" + "A" * 43 + "=")
        assert "secret" not in str(caught.value)
    with pytest.raises(ConfigError, match="BACKUP_REMOTE_URL needs BACKUP_ENCRYPTION_KEY"):
        load_settings(backup_remote_url="s3://bucket/prefix")
    with pytest.raises(ConfigError, match="BACKUP_ENCRYPTION_KEY"):
        load_settings(backup_encryption_key="not a key")


def test_a_second_run_while_the_repository_is_held_exits_at_once_naming_the_holder(
    cluster: Cluster,
) -> None:
    settings = cluster.settings()
    repo = run.repository_of(settings)
    repo.create()
    before = tree_state(cluster.repository)
    holder = r"in use by `ikenei backup schedule` \(pid \d+"
    with repo.lock("backup schedule"), pytest.raises(RepositoryLocked, match=holder):
        run.run(settings, out=quiet, progress=False)
    assert tree_state(cluster.repository) == before
    # Released with the holder: the next run works.
    assert run.run(settings, out=quiet, progress=False).id not in before


def test_two_runs_at_once_one_wins(cluster: Cluster) -> None:
    settings = cluster.settings()
    results: list[object] = []

    def attempt() -> None:
        try:
            results.append(run.run(settings, out=quiet, progress=False))
        except RepositoryLocked as exc:
            results.append(exc)

    count = len(run.repository_of(settings).backups())
    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    kinds = sorted(type(r).__name__ for r in results)
    assert kinds == ["Backup", "RepositoryLocked"]
    assert len(run.repository_of(settings).backups()) == count + 1


def test_a_role_that_may_not_replicate_gets_what_to_grant(cluster: Cluster) -> None:
    cluster.sql("CREATE ROLE plain LOGIN")
    url = cluster.url.replace("postgres@", "plain@", 1)
    settings = cluster.settings(database_url=url)
    before = tree_state(cluster.repository)
    with pytest.raises(BackupError, match="may not replicate.*REPLICATION.*--logical"):
        run.run(settings, out=quiet, progress=False)
    assert tree_state(cluster.repository) == before


def test_verify_passes_a_clean_repository_and_records_it(cluster: Cluster) -> None:
    settings = cluster.settings()
    cluster.sql("CREATE TABLE clean (i int PRIMARY KEY)")
    cluster.sql("INSERT INTO clean SELECT generate_series(1, 100)")
    run.run(settings, out=quiet, progress=False)
    cluster.archive_everything()
    report = verify.verify(settings, out=quiet)
    assert report.ok, report.problems
    assert all(b.verified for b in run.repository_of(settings).backups())


def test_status_is_healthy_after_a_backup_and_says_when_archiving_fails(cluster: Cluster) -> None:
    settings = cluster.settings(backup_schedule="* * * * *")
    empty = status.status(cluster.settings(backup_repository=str(cluster.root / "empty")))
    assert not empty.healthy and any("no backup" in p for p in empty.problems)
    run.run(settings, out=quiet, progress=False)
    state = status.status(settings)
    assert state.healthy, state.problems
    # An hour later the every-minute schedule has been missed.
    late = status.status(settings, now=datetime.now(UTC) + timedelta(hours=2, minutes=1))
    assert any("older than BACKUP_SCHEDULE" in p for p in late.problems)

    wal = cluster.repository / "wal"
    wal.rename(cluster.repository / "wal-away")  # the archive directory is gone
    try:
        cluster.sql("SELECT pg_switch_wal()")
        cluster.sql("CREATE TABLE status_u (i int)")
        cluster.sql("SELECT pg_switch_wal()")
        deadline = datetime.now(UTC) + timedelta(seconds=30)
        while True:
            state = status.status(settings)
            if any("archiving is failing" in p for p in state.problems):
                break
            assert datetime.now(UTC) < deadline, state.problems
            import time

            time.sleep(0.5)
    finally:
        (cluster.repository / "wal-away").rename(wal)
    assert any("pg_wal grows" in p for p in state.problems)


def test_embedded_settings_are_written_once_and_included(tmp_path) -> None:
    from ikenei.config.settings import load_settings

    (tmp_path / "postgresql.conf").write_text("# conf\n")
    settings = load_settings(backup_repository=str(tmp_path / "repo"), backup_archive_timeout=30)
    values = embedded.server_settings(settings)
    assert values["archive_mode"] == "on"
    assert values["archive_library"] == "basic_archive"
    assert values["basic_archive.archive_directory"] == str(tmp_path / "repo" / "wal")
    assert values["archive_timeout"] == "30s"
    assert values["summarize_wal"] == "on"
    assert embedded.write_settings(tmp_path, values) is True
    assert embedded.write_settings(tmp_path, values) is False
    assert (tmp_path / "postgresql.conf").read_text().count("include_if_exists") == 1
    assert "archive_timeout = '30s'" in (tmp_path / "ikenei.conf").read_text()


def _backup(n: int, day: float, *, kind: str = "full", parent: str | None = None) -> Backup:
    start = datetime(2026, 11, 1, 2, tzinfo=UTC) + timedelta(days=day)
    return Backup(
        id=f"b{n:02d}", kind=kind, parent=parent, start_time=start, stop_time=start + timedelta(minutes=5),
        start_lsn=f"0/{n:X}000028", stop_lsn=f"0/{n:X}000100", timeline=1, system_identifier="1",
        server_version=180000, size_bytes=1,
    )


def test_retention_plan_keeps_what_the_window_needs() -> None:
    # A full backup on day 0, incrementals daily on its chain, a new full on day 20.
    backups = [_backup(0, 0)]
    for day in range(1, 20):
        backups.append(_backup(day, day, kind="incremental", parent=backups[-1].id))
    backups.append(_backup(20, 20))
    for day in range(21, 40):
        backups.append(_backup(day, day, kind="incremental", parent=backups[-1].id))
    now = backups[-1].stop_time + timedelta(hours=1)
    kept, removed = expire.plan(backups, 30, now)
    kept_ids = {b.id for b in kept}
    # Day 9 ends before the window (day 9.04); it and its chain back to day 0 stay.
    assert {f"b{d:02d}" for d in range(40)} - kept_ids == set()
    assert removed == []
    kept, removed = expire.plan(backups, 15, now)
    # The window starts on day 24: day 23 anchors it, its chain starts at the day-20 full.
    assert min(b.id for b in kept) == "b20"
    assert {b.id for b in removed} == {f"b{d:02d}" for d in range(20)}


def test_a_bad_migration_is_undone_with_its_data_by_the_restore_point_migrate_made(
    cluster: Cluster, tmp_path: Path
) -> None:
    import shutil

    import psycopg

    from ikenei.config.paths import MIGRATIONS_DIR
    from ikenei.schema import migrations

    cluster.sql("CREATE DATABASE release")
    url = cluster.url.replace("/postgres?", "/release?", 1)
    said: list[str] = []
    migrations.apply(url, out=said.append)
    first = min(p.name for p in MIGRATIONS_DIR.glob("*.sql") if not p.name.endswith(".rollback.sql"))
    assert f"restore point 'before-{first.removesuffix('.sql')}'" in " ".join(said)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO organizations (name) VALUES ('Northwind'), ('Contoso')")
    settings = cluster.settings(database_url=url)
    run.run(settings, out=quiet, progress=False)

    # A release whose migration destroys data.
    release = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS_DIR, release)
    (release / "20991231_000000_bad_release.sql").write_text(
        "-- Up Migration\nDELETE FROM organizations;\n"
    )
    (release / "20991231_000000_bad_release.rollback.sql").write_text("SELECT 1;\n")
    migrations.apply(url, out=said.append, migrations_dir=release)
    assert "restore point 'before-20991231_000000_bad_release'" in said[-3:][0] or any(
        "before-20991231_000000_bad_release" in line for line in said
    )
    cluster.archive_everything()

    target = cluster.root / "restored-release"
    done = restore.restore(
        settings, target, to_name="before-20991231_000000_bad_release", start=True, out=quiet
    )
    try:
        restored = done.url.replace("/postgres?", "/release?", 1)
        with psycopg.connect(restored) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM organizations ORDER BY name")]
            applied = [r[0] for r in conn.execute("SELECT migration_id FROM _yoyo_migration")]
        assert names == ["Contoso", "Northwind"]
        assert "20991231_000000_bad_release" not in applied
    finally:
        instance.stop(target)


def test_the_schedule_backs_up_expires_and_verifies_when_due_then_stops(cluster: Cluster) -> None:
    from ikenei.backup import schedule

    settings = cluster.settings(backup_schedule="* * * * *")
    count = len(run.repository_of(settings).backups())
    stop = threading.Event()
    start = datetime.now(UTC)
    ticks = iter([start])

    def clock() -> datetime:  # the first reading sets the schedule; then two minutes later
        return next(ticks, start + timedelta(minutes=2))

    lines: list[str] = []

    def out(line: str) -> None:
        lines.append(line)
        if "next backup at" in line and len(lines) > 2:
            stop.set()

    assert schedule.serve(settings, out=out, stop=stop, clock=clock) == 0
    text = "\n".join(lines)
    assert "backup " in text and "done" in text
    assert "kept" in text  # the expiry's report
    assert "verified" in text
    assert lines[-1].endswith("stopped")
    assert len(run.repository_of(settings).backups()) == count + 1
