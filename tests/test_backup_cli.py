"""``ikenei backup ...`` as a user runs it: subprocesses against a scratch cluster.

Skipped on a run against TEST_DATABASE_URL (scratch PostgreSQL 18 clusters
run on the embedded run).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from backup_support import Cluster, cluster_for_a_while, on_the_embedded_run, tree_state

from ikenei.backup import run as backup_run
from ikenei.config.settings import Settings

pytestmark = on_the_embedded_run

VARIABLES = {name.upper() for name in Settings.model_fields}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    yield from cluster_for_a_while()


def environment(cluster: Cluster, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES and k != "TEST_DATABASE_URL"}
    env.update(
        DATABASE_URL=cluster.url, BACKUP_REPOSITORY=str(cluster.repository),
        PII_ENCRYPTION_KEY=os.environ["PII_ENCRYPTION_KEY"],
    )
    env.update(variables)
    return env


def ikenei(cluster: Cluster, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ikenei.cli", *args], cwd=cluster.root, env=environment(cluster, **variables),
        capture_output=True, text=True, check=False, timeout=600,
    )


def test_run_list_verify_restore_and_stop(cluster: Cluster) -> None:
    cluster.sql("CREATE TABLE cli_t (i int)")
    cluster.sql("INSERT INTO cli_t SELECT generate_series(1, 10)")
    done = ikenei(cluster, "backup", "run")
    assert done.returncode == 0, done.stderr
    assert "done" in done.stdout
    listed = ikenei(cluster, "backup", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    document = json.loads(listed.stdout)
    assert document["backups"][-1]["kind"] in ("full", "incremental")
    assert document["backups"][-1]["repositories"] == ["local"]
    assert document["window"]["earliest"] is not None
    human = ikenei(cluster, "backup", "list")
    assert "recoverable window" in human.stdout
    checked = ikenei(cluster, "backup", "verify")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "no problem" in checked.stdout

    target = cluster.root / "restored-cli"
    restored = ikenei(cluster, "backup", "restore", "--latest", "--target", str(target), "--start")
    assert restored.returncode == 0, restored.stderr
    url = restored.stdout.strip().splitlines()[-1]
    assert url.startswith("postgresql://") and str(target) in url
    import psycopg

    with psycopg.connect(url) as conn:
        assert conn.execute("SELECT count(*) FROM cli_t").fetchone() == (10,)
    stopped = ikenei(cluster, "db", "stop", "--data-dir", str(target))
    assert stopped.returncode == 0, stopped.stderr
    assert not (target / "postmaster.pid").exists()

    status = ikenei(cluster, "backup", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.strip().splitlines()[-1] == "ok"


def test_bad_input_is_one_line_with_a_non_zero_exit_and_changes_nothing(cluster: Cluster) -> None:
    ikenei(cluster, "backup", "run")
    before = tree_state(cluster.repository)
    occupied = cluster.root / "occupied-cli"
    occupied.mkdir(exist_ok=True)
    (occupied / "x").write_text("x")
    cases = [
        (("backup", "restore", "--id", "nope", "--target", str(cluster.root / "r1")), {}, 1, "no backup 'nope'"),
        (("backup", "restore", "--to-time", "2999-01-01T00:00:00+00:00", "--target", str(cluster.root / "r2")),
         {}, 1, "outside the recoverable window"),
        (("backup", "restore", "--latest", "--target", str(occupied)), {}, 1, "not empty"),
        (("backup", "verify", "nope"), {}, 1, "no backup 'nope'"),
        (("backup", "list"), {"BACKUP_REPOSITORY": str(cluster.root / "nowhere")}, 1, "no readable backup repository"),
        (("backup", "run"), {"BACKUP_REMOTE_URL": "ftp://x/y", "BACKUP_ENCRYPTION_KEY": "b1:" + "A" * 43 + "="},
         2, "BACKUP_REMOTE_URL"),
        (("backup", "restore", "--to-time", "yesterday", "--target", str(cluster.root / "r3")), {}, 2, "not a time"),
    ]
    for args, variables, code, message in cases:
        result = ikenei(cluster, *args, **variables)
        assert result.returncode == code, (args, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        if lines[0].startswith("usage:"):  # argparse's refusal: the usage, then one line
            lines = lines[-1:]
        assert len(lines) == 1 and message in lines[0], (args, result.stderr)
    assert tree_state(cluster.repository) == before
    assert not any((cluster.root / name).exists() for name in ("r1", "r2", "r3", "nowhere"))


def test_a_second_run_exits_at_once_naming_the_holder(cluster: Cluster) -> None:
    settings = cluster.settings()
    repo = backup_run.repository_of(settings)
    repo.create()
    with repo.lock("backup schedule"):
        started = time.monotonic()
        result = ikenei(cluster, "backup", "run")
        elapsed = time.monotonic() - started
    assert result.returncode == 1
    assert f"`ikenei backup schedule` (pid {os.getpid()}" in result.stderr
    assert elapsed < 30


def test_the_schedule_logs_and_stops_cleanly_on_sigterm(cluster: Cluster) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "ikenei.cli", "backup", "schedule"], cwd=cluster.root,
        env=environment(cluster, BACKUP_SCHEDULE="0 3 * * *"), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert "schedule '0 3 * * *': next backup at" in first
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert out.strip().splitlines()[-1].endswith("stopped")


def test_make_restore_without_a_target_says_what_it_needs() -> None:
    result = subprocess.run(
        ["make", "-s", "restore"], cwd=Path(__file__).parents[1], capture_output=True, text=True,
        check=False, timeout=120,
    )
    assert result.returncode != 0
    assert "make restore needs TARGET=DIR" in result.stderr
