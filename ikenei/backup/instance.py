"""A data directory started on a private socket: restored copies, drills, scratch clusters.

Such a server listens on a Unix socket only (no TCP port to collide with), in
the data directory itself when its path is short enough for a socket, else in
a private directory under the system's temporary directory. ``stop`` stops
it; ``ikenei db stop --data-dir DIR`` does the same from the command line.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ikenei import embedded
from ikenei.backup import tools
from ikenei.errors import BackupError

_SOCKET_PATH_MAX = 100  # sun_path holds 107 bytes; the socket's name takes 13
_LOG_FILE = "log"
_LOG_TAIL = 8


@dataclass(frozen=True)
class Instance:
    data_dir: Path
    socket_dir: Path
    port: int = 5432

    def url(self, database: str = "postgres") -> str:
        host = quote(str(self.socket_dir), safe="/")
        port = "" if self.port == 5432 else f"&port={self.port}"
        return f"postgresql://{embedded.SUPERUSER}@/{quote(database, safe='')}?host={host}{port}"


def socket_dir_for(data_dir: Path) -> Path:
    if len(str(data_dir)) + len("/.s.PGSQL.5432") <= _SOCKET_PATH_MAX:
        return data_dir
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"ikenei-{digest}"


def start(data_dir: Path, *, timeout: float = 600) -> Instance:
    """Start the server of ``data_dir`` on its private socket; the instance once it accepts logins."""
    socket_dir = socket_dir_for(data_dir)
    if socket_dir != data_dir:
        socket_dir.mkdir(mode=0o700, exist_ok=True)
        tools.give_to_server(socket_dir)
    try:
        tools.run(
            "pg_ctl",
            [
                "-D", str(data_dir), "-l", str(data_dir / _LOG_FILE), "-w", "-t", str(int(timeout)),
                "-o", f"-c listen_addresses='' -k {socket_dir}", "start",
            ],
            as_server=True,
            what="starting the server",
            major=tools.data_major(data_dir),
        )
    except BackupError as exc:
        raise BackupError(f"{exc}{log_tail(data_dir)}") from None
    return Instance(data_dir, socket_dir)


def stop(data_dir: Path, *, immediate: bool = False) -> bool:
    """Stop the server of ``data_dir``; False when none was running."""
    if not (data_dir / "postmaster.pid").exists():
        return False
    mode = "immediate" if immediate else "fast"
    tools.run(
        "pg_ctl", ["-D", str(data_dir), "-w", "-t", "120", "-m", mode, "stop"],
        as_server=True, what="stopping the server", major=tools.data_major(data_dir),
    )
    return True


def running(data_dir: Path) -> Instance | None:
    """The server of ``data_dir`` if its postmaster.pid says it is ready."""
    try:
        lines = (data_dir / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    if len(lines) < 8 or lines[7].strip() != "ready":
        return None
    return Instance(data_dir, Path(lines[4].strip()), int(lines[3]))


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, data_dir: Path) -> None:
    """Poll ``predicate`` until true; ``BackupError`` with the server log's tail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise BackupError(f"{what} did not happen within {timeout:.0f} s{log_tail(data_dir)}")
        time.sleep(0.2)


def log_tail(data_dir: Path) -> str:
    try:
        lines = (data_dir / _LOG_FILE).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    tail = [line for line in lines if "FATAL" in line or "ERROR" in line][-_LOG_TAIL:]
    return ("; server log: " + " | ".join(tail)) if tail else ""
