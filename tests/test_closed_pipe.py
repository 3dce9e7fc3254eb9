"""A command whose reader goes away (``ikenei gdpr export --email E | head -c 600``) ends quietly.

Unix tools end without a word when the pipe they write to is closed; the
``ikenei`` commands do too: no "cannot connect … Broken pipe", no traceback,
status 141 (128 + SIGPIPE, what a shell reports for such a tool). The pipe
here is closed before the command writes its first byte, so every run
meets the closed pipe, whatever the size of its output.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from feedback_fixtures import FAST_COST, executor
from pii_support import TEST_PII_KEY

from ikenei.cli import EXIT_BROKEN_PIPE
from ikenei.repositories.users import UsersRepository

EMAIL = "piped.person@example.com"
SALT = "test-subject-reference-salt-0001"


def environment(dsn: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "PII_", "TEST_"))}
    env.update(DATABASE_URL=dsn, PII_ENCRYPTION_KEY=TEST_PII_KEY, SUBJECT_REFERENCE_SALT=SALT)
    return env


def into_closed_pipe(dsn: str, cwd: Path, *words: str) -> subprocess.CompletedProcess[str]:
    """``python -m ikenei.cli WORDS`` with standard output a pipe nobody reads any more."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "ikenei.cli", *words], stdout=write_end, stderr=subprocess.PIPE,
            env=environment(dsn), cwd=cwd, text=True, timeout=120, check=False,
        )
    finally:
        os.close(write_end)


@pytest.fixture
async def person(db, fresh_dsn):
    users = UsersRepository(executor(db), bcrypt_cost=FAST_COST)
    return await users.create(email=EMAIL, password="a long enough secret", first_name="Pia", last_name="Piped")


@pytest.mark.parametrize(
    ("words", "status"),
    [
        (("gdpr", "export", "--email", EMAIL), EXIT_BROKEN_PIPE),
        (("migrations", "status"), EXIT_BROKEN_PIPE),
        (("keys", "status"), EXIT_BROKEN_PIPE),
        (("retention", "run"), EXIT_BROKEN_PIPE),
        (("--help",), 0),  # argparse itself ignores a closed pipe
    ],
    ids=lambda value: " ".join(value[:2]) if isinstance(value, tuple) else str(value),
)
async def test_a_closed_pipe_ends_a_command_quietly(person, fresh_dsn, tmp_path, words, status):
    done = await asyncio.to_thread(into_closed_pipe, fresh_dsn, tmp_path, *words)
    assert (done.returncode, done.stderr) == (status, "")


async def test_export_into_head_prints_its_start_and_nothing_else(person, fresh_dsn, tmp_path):
    command = f'"{sys.executable}" -m ikenei.cli gdpr export --email {EMAIL} | head -c 600'
    done = await asyncio.to_thread(
        subprocess.run, ["sh", "-c", command], capture_output=True, env=environment(fresh_dsn), cwd=tmp_path,
        timeout=120, check=False,
    )
    assert done.returncode == 0 and done.stderr == b""
    assert done.stdout.startswith(b"{") and len(done.stdout) == 600
