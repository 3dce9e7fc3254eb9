"""Continuous WAL archiving: reading the archive (the server's settings are
``ikenei.embedded.server_settings``).

Why ``basic_archive`` (an ``archive_library``) rather than an
``archive_command`` or ``pg_receivewal``: it ships with PostgreSQL, runs inside
the archiver without starting a process per segment, writes each segment under
a temporary name, fsyncs and renames it (never a half-written segment), and
accepts a segment archived twice only when both copies are identical. It
needs no process of ours to be running, unlike ``pg_receivewal``, which is
what an existing server gets instead (no restart of it is needed). The copy to
the off-site repository happens after the segment has landed here.

While the archive cannot be written, the server keeps every WAL segment in
``pg_wal`` and retries: nothing is lost, but ``pg_wal`` grows until the archive
works again (``ikenei backup status`` reports the failures).

Segment names are ``TTTTTTTTXXXXXXXXYYYYYYYY``: timeline, then the segment
number in two halves (``0x100000000 / segment size`` per "XXXXXXXX" step).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ikenei.backup import tools

WAL_SEGMENT_BYTES = 16 * 1024 * 1024
_SEGMENTS_PER_XLOGID = 0x100000000 // WAL_SEGMENT_BYTES
SEGMENT_NAME = re.compile(r"[0-9A-F]{24}")
_COMMIT = re.compile(
    r"desc: COMMIT (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) ([A-Z]+|[+-]\d\d(?::?\d\d)?)\b"
)
_RESTORE_POINT = re.compile(r"lsn: ([0-9A-F]+/[0-9A-F]+),.*desc: RESTORE_POINT (.*)$")
_ERROR_LSN = re.compile(r"error in WAL record at ([0-9A-F]+/[0-9A-F]+)")


def prepare_archive_directory(wal: Path) -> None:
    """The archive directory, made if missing and writable by the server."""
    from ikenei import embedded

    embedded.prepare_for_server(wal)


@dataclass(frozen=True, order=True)
class Segment:
    timeline: int
    number: int

    @classmethod
    def parse(cls, name: str) -> Segment:
        return cls(int(name[:8], 16), int(name[8:16], 16) * _SEGMENTS_PER_XLOGID + int(name[16:], 16))

    @classmethod
    def of_lsn(cls, lsn: str, timeline: int) -> Segment:
        return cls(timeline, lsn_number(lsn) // WAL_SEGMENT_BYTES)

    @property
    def name(self) -> str:
        high, low = divmod(self.number, _SEGMENTS_PER_XLOGID)
        return f"{self.timeline:08X}{high:08X}{low:08X}"


def lsn_number(lsn: str) -> int:
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def lsn_text(number: int) -> str:
    return f"{number >> 32:X}/{number & 0xFFFFFFFF:X}"


def segments(wal: Path) -> list[Segment]:
    """The complete segments in an archive directory, in order."""
    try:
        names = [p.name for p in wal.iterdir()]
    except FileNotFoundError:
        return []
    return sorted(Segment.parse(name) for name in names if SEGMENT_NAME.fullmatch(name))


def gaps(found: list[Segment], first: Segment) -> list[str]:
    """Segment names missing between ``first`` and the newest archived one (one timeline)."""
    numbers = {s.number for s in found if s.timeline == first.timeline}
    if not numbers:
        return [first.name]
    newest = max(numbers)
    return [
        Segment(first.timeline, n).name for n in range(first.number, newest + 1) if n not in numbers
    ]


@dataclass(frozen=True)
class WalScan:
    """What reading the archive from a start LSN found."""

    last_commit: datetime | None
    restore_points: dict[str, str]  # name -> LSN
    error: str | None  # a damaged or out-of-place segment before the end
    bad_segment: str | None


def scan(wal: Path, start_lsn: str, timeline: int, server_version: int | None = None) -> WalScan:
    """Read every archived record from ``start_lsn`` to the end of the archive.

    The normal end (the record after the last one, never written) is not an
    error; a record that cannot be read in any segment but the newest is.
    ``server_version`` (``server_version_num`` of the WAL's server) picks that
    version's own ``pg_waldump`` where it is installed: the WAL format changes
    between major versions (the wheel's cannot read PostgreSQL 15's).
    """
    import subprocess

    found = segments(wal)
    newest = max((s for s in found if s.timeline == timeline), default=None)
    if newest is None:
        return WalScan(None, {}, None, None)
    process = subprocess.run(
        [
            tools.program("pg_waldump", tools.matching_major(server_version // 10000) if server_version else None),
            "-p", str(wal), "-t", str(timeline),
            # The end of the newest segment: without it pg_waldump waits 5 s
            # for the next one to appear.
            "-s", start_lsn, "-e", lsn_text((newest.number + 1) * WAL_SEGMENT_BYTES),
            "-r", "Transaction", "-r", "XLOG",
        ],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
    )
    last_commit = None
    points: dict[str, str] = {}
    for line in process.stdout.splitlines():
        commit = _COMMIT.search(line)
        if commit:
            last_commit = _timestamp(commit.group(1), commit.group(2))
            continue
        point = _RESTORE_POINT.search(line)
        if point:
            points[point.group(2).strip()] = point.group(1)
    error = bad = None
    message = process.stderr.strip()
    if process.returncode != 0 and not _normal_end(message, newest):
        error = tools.first_lines(message)
        named = SEGMENT_NAME.search(message)
        where = _ERROR_LSN.search(message)
        if named:
            bad = named.group(0)
        elif where:
            bad = Segment.of_lsn(where.group(1), timeline).name
    return WalScan(last_commit, points, error, bad)


def _normal_end(message: str, newest: Segment) -> bool:
    """pg_waldump stopped where the archive ends: the next segment is not there yet, or
    the newest segment's records end (zeroes follow)."""
    missing = re.search(r'could not find file "([0-9A-F]{24})"', message)
    if missing:
        return Segment.parse(missing.group(1)) == Segment(newest.timeline, newest.number + 1)
    where = _ERROR_LSN.search(message)
    return (
        where is not None
        and Segment.of_lsn(where.group(1), newest.timeline) == newest
        and "got 0" in message
    )


def _timestamp(text: str, zone: str) -> datetime:
    value = datetime.fromisoformat(text)
    if zone in ("UTC", "GMT", "+00", "Z"):
        from datetime import UTC

        return value.replace(tzinfo=UTC)
    offset = datetime.strptime(zone if ":" in zone else zone + "00", "%z").tzinfo
    return value.replace(tzinfo=offset)
