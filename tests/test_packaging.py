"""The built wheel carries the SQL: an installed ikenei migrates a database from
any directory, with no checkout in sight."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_installed_wheel_migrates_and_seeds_from_outside_the_checkout(tmp_path, empty_dsn):
    built = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(built), str(ROOT)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    [wheel] = built.glob("ikenei-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        check=True, capture_output=True, text=True, timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # The wheel's copy first on the path; the dependencies come from this environment.
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASE_URL"))}
    environment |= {"PYTHONPATH": str(site), "DATABASE_URL": empty_dsn}

    def ikenei(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ikenei.cli", *args], cwd=elsewhere, env=environment,
            capture_output=True, text=True, timeout=300, check=False,
        )

    where = subprocess.run(
        [sys.executable, "-c", "import ikenei.config.paths as p; print(p.SQL_DIR)"],
        cwd=elsewhere, env=environment, capture_output=True, text=True, check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(site)

    migrated = ikenei("migrate")
    assert migrated.returncode == 0, migrated.stderr
    seeded = ikenei("seed", "prod")
    assert seeded.returncode == 0, seeded.stderr
    verified = ikenei("verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert f"seeding {site / 'ikenei' / 'sql' / 'seeds' / 'prod'}" in seeded.stdout
    assert "seeded prod: 4 file(s)" in seeded.stdout
