"""``ikenei monitor ...`` as a user runs it: output, exit status, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from monitoring_support import statements_preloaded
from pii_support import TEST_PII_KEY


def monitor(dsn: str, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "MONITOR_"))}
    environment.update(DATABASE_URL=dsn, PII_ENCRYPTION_KEY=TEST_PII_KEY,
                       SUBJECT_REFERENCE_SALT="monitor-cli-test-salt", **variables)
    return subprocess.run([sys.executable, "-m", "ikenei.cli", "monitor", *args], env=environment,
                          capture_output=True, text=True, timeout=120, check=False)


def test_the_embedded_server_preloads_pg_stat_statements(fresh_dsn: str) -> None:
    if os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("the tests run on another server")
    assert statements_preloaded(fresh_dsn)


def test_snapshot_report_and_check_from_the_command_line(fresh_dsn: str, tmp_path: Path) -> None:
    first = monitor(fresh_dsn, "snapshot")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("snapshot 1: ")
    if not statements_preloaded(fresh_dsn):
        assert first.stderr.count("\n") == 1 and "shared_preload_libraries" in first.stderr
    assert monitor(fresh_dsn, "snapshot").returncode == 0
    shown = monitor(fresh_dsn, "report", "--since", "1h", "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["snapshots"] == 2
    # A cache hit ratio can never be above 100 %: with 100 as the floor the rule fires.
    checked = monitor(fresh_dsn, "check", "--json", MONITOR_CACHE_HIT_MIN="100",
                      MONITOR_XID_HEADROOM_MIN="3000000000",
                      MONITOR_WEBHOOK_URL="http://127.0.0.1:9/unreachable")
    assert checked.returncode == 1
    assert "wraparound" in {a["rule"] for a in json.loads(checked.stdout)["firing"]}
    assert checked.stderr.startswith("warning: webhook http://127.0.0.1:9/unreachable not reached")
    calm = monitor(fresh_dsn, "check", "--since", "1h")
    assert calm.returncode == 0, calm.stdout + calm.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("explain", "get_nobody"), "error: invalid query: no named query 'get_nobody' in sql/queries"),
        (("explain", "get_user", "--param", "user_id=42"), "error: invalid user_id: '42' is not a uuid"),
        (("explain", "get_user", "--analyze"), "error: invalid --param: a value is needed for user_id"),
        (("prune", "--keep", "soon"), "error: invalid --keep: 'soon' is not a period"),
        (("baseline", "compare", "never"), "error: baseline never not found"),
    ],
)
def test_bad_input_is_one_line_and_a_failure(fresh_dsn: str, args: tuple[str, ...], message: str) -> None:
    done = monitor(fresh_dsn, *args)
    if args[0] == "baseline" and not statements_preloaded(fresh_dsn):
        message = "error: pg_stat_statements is not available"
    assert done.returncode == 1
    assert done.stderr.startswith(message) and done.stderr.count("\n") == 1, done.stderr


def test_advise_reads_a_workload_file_and_names_a_bad_line(fresh_dsn: str, tmp_path: Path) -> None:
    workload = tmp_path / "workload.sql"
    workload.write_text("SELECT id FROM users WHERE email = $1;\n\nUPDATE users SET first_name = $2\n"
                        " WHERE id = $1;\nVACUUM users;\n")
    refused = monitor(fresh_dsn, "advise", "--sql", str(workload))
    assert refused.returncode == 1
    # (After the note naming what the server lacks, where it lacks pg_stat_statements.)
    assert refused.stderr.splitlines()[-1] == (
        "error: invalid --sql: workload.sql:5: not a read or a write (SELECT, INSERT, UPDATE or DELETE)"
    )
    workload.write_text("SELECT id FROM users WHERE email = $1;\n")
    advised = monitor(fresh_dsn, "advise", "--sql", str(workload), "--json", "--apply",
                      "--migrations-dir", str(tmp_path))
    assert advised.returncode == 0, advised.stderr
    result = json.loads(advised.stdout)
    assert result["checked"] == 1 and result["suggestions"] == []  # a handful of users: no index
    assert list(tmp_path.glob("*.rollback.sql")) == []
