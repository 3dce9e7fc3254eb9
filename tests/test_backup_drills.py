"""The backup figures that take minutes: ``make test-drills`` (marker ``backup_drills``).

Each test makes its own scratch PostgreSQL 18 cluster (the embedded wheel's,
with the embedded server's archiving settings), real pg_basebackup, a real
S3-compatible server where a remote is involved. The figures are printed at
the end of the run ("Backup figures").
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import psycopg
import pytest
from backup_support import (
    BUCKET,
    Cluster,
    drop_cluster,
    figure,
    make_cluster,
    new_key,
    on_the_embedded_run,
    quiet,
)

from ikenei.backup import expire, instance, restore, run, tools, verify
from ikenei.backup.archive import segments
from ikenei.backup.catalog import RECORD
from ikenei.backup.repository import LocalRepository
from ikenei.backup.verify import row_counts

pytestmark = [pytest.mark.backup_drills, on_the_embedded_run]


# -- corruption ------------------------------------------------------------------


def _largest_file(data: Path) -> Path:
    files = [p for p in (data / "base").rglob("*") if p.is_file() and not p.name.startswith("INCREMENTAL")]
    return max(files, key=lambda p: p.stat().st_size)


def _detach(path: Path) -> Path:
    """``path`` as a file of its own (the copies are hard links of the clean repository)."""
    content = path.read_bytes()
    path.unlink()
    path.write_bytes(content)
    return path


def _flip_byte(path: Path, offset: int | None = None) -> None:
    content = bytearray(_detach(path).read_bytes())
    where = len(content) // 2 if offset is None else offset
    content[where] ^= 0xFF
    path.write_bytes(bytes(content))


def _rewrite_record(repo: Path, backup_id: str, **changes: object) -> None:
    path = _detach(repo / "backups" / backup_id / RECORD)
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def test_corruption_is_caught_12_of_12_and_10_clean_backups_raise_no_alarm(
    cluster: Cluster, s3_server: str
) -> None:
    settings = cluster.settings(
        backup_remote_url=f"s3://{BUCKET}/corruption", backup_remote_endpoint=s3_server,
        backup_encryption_key=new_key(),
    )
    cluster.sql("CREATE TABLE t (i int PRIMARY KEY, filler text)")
    backups = []
    for n in range(10):
        cluster.sql("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(%s::int, %s::int) g",
                    n * 2000 + 1, n * 2000 + 2000)
        kind = "full" if n in (0, 5) else "incremental"
        backups.append(run.run(settings, kind=kind, out=quiet, progress=False))
    cluster.archive_everything()
    cluster.sql("INSERT INTO t VALUES (0, 'after')")
    cluster.archive_everything()
    ids = [b.id for b in backups]
    assert [b.kind for b in backups] == ["full"] + ["incremental"] * 4 + ["full"] + ["incremental"] * 4

    clean = verify.verify(settings, out=quiet)
    assert clean.ok, clean.problems
    assert len(clean.checked) == 10
    figure(f"false alarms on 10 clean backups (local and remote): {len(clean.problems)}")

    other = make_cluster()
    try:
        foreign = run.run(other.settings(), out=quiet, progress=False)
        foreign_dir = other.repository / "backups" / foreign.id
        local = settings.model_copy(update={"backup_remote_url": None})  # kinds 1-11: local only

        wal = sorted(s.name for s in segments(cluster.repository / "wal"))
        middle = wal[len(wal) // 2]

        def appended(repo: Path) -> None:
            with _detach(_largest_file(repo / "backups" / ids[0] / "data")).open("ab") as f:
                f.write(b"\0")

        def truncated(repo: Path) -> None:
            victim = _detach(_largest_file(repo / "backups" / ids[5] / "data"))
            os.truncate(victim, victim.stat().st_size // 2)

        def flipped(repo: Path) -> None:
            _flip_byte(_largest_file(repo / "backups" / ids[0] / "data"))

        def missing_file(repo: Path) -> None:
            _largest_file(repo / "backups" / ids[5] / "data").unlink()

        def extra_file(repo: Path) -> None:
            (repo / "backups" / ids[0] / "data" / "base" / "1" / "99999").write_bytes(b"\0" * 8192)

        def damaged_manifest(repo: Path) -> None:
            manifest = _detach(repo / "backups" / ids[5] / "data" / "backup_manifest")
            manifest.write_text(manifest.read_text().replace('"Size": ', '"Size": 1', 1))

        def missing_segment(repo: Path) -> None:
            (repo / "wal" / middle).unlink()

        def replaced_segment(repo: Path) -> None:
            (repo / "wal" / middle).unlink()
            shutil.copyfile(repo / "wal" / wal[0], repo / "wal" / middle)

        def other_cluster(repo: Path) -> None:
            shutil.copytree(foreign_dir, repo / "backups" / foreign.id)

        def parent_gone(repo: Path) -> None:
            shutil.rmtree(repo / "backups" / ids[3])

        def wrong_order(repo: Path) -> None:
            _rewrite_record(repo, ids[4], parent=ids[2])
            _rewrite_record(repo, ids[3], parent=ids[4])

        kinds: dict[str, tuple[Callable[[Path], None], str]] = {
            "an appended byte": (appended, ids[0]),
            "a truncated file": (truncated, ids[5]),
            "a flipped byte in a data file": (flipped, ids[0]),
            "a missing file": (missing_file, ids[5]),
            "an extra file": (extra_file, ids[0]),
            "a damaged manifest": (damaged_manifest, ids[5]),
            "a missing WAL segment": (missing_segment, "wal"),
            "a WAL segment replaced by another's content": (replaced_segment, "wal"),
            "a backup of another cluster mixed in": (other_cluster, foreign.id),
            "an incremental whose parent is gone": (parent_gone, ids[4]),
            "a chain in the wrong order": (wrong_order, ids[3]),
        }
        caught = 0
        for label, (inject, subject) in kinds.items():
            copy = cluster.root / "corrupt"
            # Hard links: instant; an injection detaches what it changes.
            shutil.copytree(cluster.repository, copy, symlinks=True, copy_function=os.link)
            try:
                inject(copy)
                report = verify.verify(
                    local.model_copy(update={"backup_repository": copy}), out=quiet
                )
                subjects = {p.subject for p in report.problems}
                assert not report.ok, f"{label}: not reported"
                assert subject in subjects, f"{label}: reported as {report.problems}"
                caught += 1
            finally:
                shutil.rmtree(copy)

        # 12: an object of the remote damaged in place.
        s3 = boto3.client("s3", endpoint_url=s3_server)
        key = f"corruption/backups/{ids[7]}/data.tar.zst.ikenc"
        original = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        damaged = bytearray(original)
        damaged[len(damaged) // 2] ^= 0x01
        s3.put_object(Bucket=BUCKET, Key=key, Body=bytes(damaged))
        try:
            report = verify.verify(settings, out=quiet)
            assert [p.subject for p in report.problems] == [ids[7]], report.problems
            assert "cannot be decrypted" in str(report.problems[0])
            caught += 1
        finally:
            s3.put_object(Bucket=BUCKET, Key=key, Body=original)
        assert verify.verify(settings, out=quiet).ok
    finally:
        drop_cluster(other)
    figure(f"corruption kinds caught by backup verify: {caught} of 12")
    assert caught == 12


# -- the drill -------------------------------------------------------------------


def _dump_data(url: str) -> tuple[str, int]:
    """``pg_dump --data-only`` of ``url`` without its sequence positions, and how many there were.

    A sequence's position is WAL-logged up to 32 values ahead of what was
    handed out, so a restored copy resumes after those (never handing out a
    value twice): its ``setval`` lines differ by design, the rows do not.
    """
    result = subprocess.run(
        [tools.program("pg_dump"), "--data-only", "--no-sync", "-d", url],
        check=True, capture_output=True, text=True,
    )
    lines = result.stdout.splitlines()
    # pg_dump 18 brackets its output with \restrict / \unrestrict and a random key.
    lines = [line for line in lines if not line.startswith(("\\restrict ", "\\unrestrict "))]
    rows = [line for line in lines if not line.startswith("SELECT pg_catalog.setval(")]
    return "\n".join(rows), len(lines) - len(rows)


def test_the_drill_restores_and_compares_row_counts_and_data(cluster: Cluster) -> None:
    from ikenei.schema import migrations

    database = "ikenei_drill"
    cluster.sql(f"CREATE DATABASE {database}")
    app_url = cluster.url.replace("/postgres?", f"/{database}?", 1)
    migrations.apply(app_url, out=quiet)
    with psycopg.connect(app_url, autocommit=True) as conn:
        conn.execute("INSERT INTO organizations (name) SELECT 'Org ' || g FROM generate_series(1, 40) g")
        conn.execute(
            "INSERT INTO users (email, password_hash, first_name, last_name) "
            "SELECT 'p' || g || '@example.com', '$2b$04$' || repeat('a', 53), 'P', 'L' || g "
            "FROM generate_series(1, 300) g"
        )
    settings = cluster.settings(database_url=app_url)
    backup = run.run(settings, out=quiet, progress=False)
    with psycopg.connect(app_url, autocommit=True) as conn:
        source_counts = row_counts(conn)
    source_dump, sequences = _dump_data(app_url)
    cluster.sql("SELECT 1")
    seen: dict[str, object] = {}

    def inspect(copy: instance.Instance) -> None:
        url = copy.url(database)
        with psycopg.connect(url, autocommit=True) as conn:
            seen["counts"] = row_counts(conn)
        seen["dump"], _ = _dump_data(url)

    report = verify.verify(settings, backup.id, drill=True, out=quiet, inspect=inspect)
    assert report.ok, report.problems
    assert report.drill is not None and report.drill.schema_ok is True
    assert report.drill.indexes_checked > 0
    assert seen["counts"] == source_counts
    assert report.drill.row_counts[database] == source_counts
    assert seen["dump"] == source_dump
    tables = len(source_counts)
    figure(
        f"drill: {tables} of {tables} tables with the same row count, pg_dump --data-only "
        f"identical ({len(source_dump)} bytes; the {sequences} sequence positions aside), "
        f"{report.drill.indexes_checked} indexes amchecked"
    )


# -- retention -------------------------------------------------------------------


def test_retention_over_40_simulated_days_keeps_every_point_of_the_last_30(cluster: Cluster) -> None:
    settings = cluster.settings(backup_retention_days=30)
    repo = LocalRepository(cluster.repository)
    cluster.sql("CREATE TABLE t (i int)")
    day0 = datetime(2026, 10, 1, 2, 0, tzinfo=UTC)
    for day in range(40):
        cluster.sql("INSERT INTO t VALUES (%s)", day)
        kind = "full" if day % 7 == 0 else "incremental"  # a full backup weekly
        backup = run.run(settings, kind=kind, out=quiet, progress=False)
        start = day0 + timedelta(days=day)
        _rewrite_record(cluster.repository, backup.id, start_time=start.isoformat(),
                        stop_time=(start + timedelta(minutes=5)).isoformat())
    cluster.archive_everything()
    now = day0 + timedelta(days=39, hours=3)
    wal_before = len(segments(repo.wal_dir))

    planned = expire.expire(settings, dry_run=True, now=now, out=quiet)
    assert len(repo.backups()) == 40  # a dry run changes nothing
    done = expire.expire(settings, now=now, out=quiet)
    assert done.removed == planned.removed and done.kept == planned.kept

    kept = repo.backups()
    by_id = {b.id: b for b in kept}
    cutoff = now - timedelta(days=30)
    # Every point of the last 30 days (each hour) has a kept backup before it
    # whose whole chain is kept.
    restorable = 0
    hours = int((now - cutoff).total_seconds() // 3600)
    for hour in range(hours + 1):
        point = cutoff + timedelta(hours=hour)
        base = [b for b in kept if b.stop_time <= point]
        assert base, f"no backup before {point}"
        chain, ok = base[-1], True
        while chain.parent is not None:
            ok = ok and chain.parent in by_id
            chain = by_id.get(chain.parent, chain.with_(parent=None))
        restorable += ok
    # Nothing older is kept than the backup the window starts from and its chain.
    anchor = [b for b in kept if b.stop_time < cutoff][-1]
    oldest_needed = anchor
    while oldest_needed.parent is not None:
        oldest_needed = by_id[oldest_needed.parent]
    assert kept[0].id == oldest_needed.id
    assert all(b.stop_time >= oldest_needed.stop_time for b in kept)
    assert len(done.removed) == (oldest_needed.start_time - day0).days > 0
    report = verify.verify(settings, out=quiet)
    gaps = [p for p in report.problems if p.subject == "wal"]
    assert report.ok, report.problems
    # And the oldest kept backup really restores.
    target = cluster.root / "restored-oldest"
    restore.restore(settings, target, backup_id=kept[0].id, out=quiet)
    figure(
        f"retention over 40 simulated days, BACKUP_RETENTION_DAYS=30: {restorable} of {hours + 1} "
        f"hourly points of the last 30 days restorable, {len(done.removed)} backups and "
        f"{len(done.wal_removed)} of {wal_before} WAL files removed, oldest kept day "
        f"{(kept[0].start_time - day0).days}, {len(gaps)} WAL gaps"
    )
    assert restorable == hours + 1


# -- incremental size --------------------------------------------------------------


def test_an_incremental_after_1_percent_of_rows_changed_is_at_most_10_percent_of_a_full(
    cluster: Cluster,
) -> None:
    settings = cluster.settings()
    cluster.sql("CREATE TABLE t (i int PRIMARY KEY, payload text)")
    cluster.sql("INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000000) g")
    cluster.sql("VACUUM (FREEZE) t")
    cluster.sql("CHECKPOINT")
    full = run.run(settings, kind="full", out=quiet, progress=False)
    # About 1 % of the rows, the newest ones (the usual shape of a day's changes).
    cluster.sql("UPDATE t SET payload = 'changed' WHERE i > 990000")
    incremental = run.run(settings, kind="incremental", out=quiet, progress=False)
    share = incremental.size_bytes / full.size_bytes
    figure(
        f"incremental after 1 % of 1,000,000 rows changed: {incremental.size_bytes / 2**20:.1f} MiB "
        f"= {share:.1%} of the full backup's {full.size_bytes / 2**20:.1f} MiB"
    )
    assert incremental.kind == "incremental"
    assert share <= 0.10


# -- data at risk ---------------------------------------------------------------------


def test_data_at_risk_after_a_kill_is_at_most_archive_timeout(cluster: Cluster) -> None:
    settings = cluster.settings()
    timeout = int(cluster.sql("SELECT setting FROM pg_settings WHERE name = 'archive_timeout'")[0][0])
    assert timeout == settings.backup_archive_timeout == 60
    cluster.sql("CREATE TABLE beat (at timestamptz NOT NULL)")
    run.run(settings, out=quiet, progress=False)
    # One row a second, for longer than archive_timeout, then the power goes.
    with cluster.connect() as conn:
        deadline = time.monotonic() + timeout + 15
        while time.monotonic() < deadline:
            conn.execute("INSERT INTO beat VALUES (clock_timestamp())")
            time.sleep(1)
        killed_at = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    cluster.kill()
    time.sleep(1)
    target = cluster.root / "restored-after-kill"
    done = restore.restore(settings, target, latest=True, start=True, out=quiet)
    try:
        with psycopg.connect(done.url) as conn:
            newest = conn.execute("SELECT max(at) FROM beat").fetchone()[0]
    finally:
        instance.stop(target)
    lost = (killed_at - newest).total_seconds()
    figure(f"data at risk after a kill: newest row recovered {lost:.1f} s before the kill "
           f"(archive_timeout {timeout} s)")
    assert newest is not None
    assert lost <= timeout


# -- in place ---------------------------------------------------------------------


def test_restore_in_place_swaps_the_embedded_data_and_keeps_the_old_aside(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from backup_support import scratch_dir

    from ikenei import embedded
    from ikenei.config.settings import load_settings

    home = scratch_dir()
    monkeypatch.chdir(home)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("DB_HOST", raising=False)
    monkeypatch.delenv("BACKUP_REPOSITORY", raising=False)
    try:
        url = embedded.start()
        settings = load_settings()
        assert settings.backup_repository_path == home / ".ikenei" / "backups"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE TABLE t (i int)")
            conn.execute("INSERT INTO t VALUES (1)")
        run.run(settings, out=quiet, progress=False)
        with psycopg.connect(url, autocommit=True) as conn:
            mark = conn.execute("SELECT clock_timestamp()").fetchone()[0]
            conn.execute("INSERT INTO t VALUES (2)")
            conn.execute("SELECT txid_current()")
            conn.execute("SELECT pg_switch_wal()")
        time.sleep(2)
        aside = restore.restore_in_place(settings, to_time=mark, out=quiet)
        with psycopg.connect(embedded.url(), autocommit=True) as conn:
            assert [r[0] for r in conn.execute("SELECT i FROM t")] == [1]
            assert conn.execute("SHOW archive_mode").fetchone() == ("on",)
            timeline = conn.execute("SELECT timeline_id FROM pg_control_checkpoint()").fetchone()[0]
        assert timeline == 2
        assert (aside / "PG_VERSION").exists()
        assert (settings.backup_repository_path / "wal" / "00000002.history").exists()
        # The server goes on archiving and backing up on its new timeline.
        after = run.run(settings, out=quiet, progress=False)
        assert after.timeline == 2
    finally:
        embedded.stop()
        shutil.rmtree(home, ignore_errors=True)
