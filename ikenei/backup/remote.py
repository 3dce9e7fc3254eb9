"""The off-site repository: ``BACKUP_REMOTE_URL`` (``s3://bucket/prefix``), any S3-compatible store.

Every backup and WAL segment is copied here after it has landed in the
primary repository. Nothing leaves the machine unencrypted: each object is
compressed (zstd) and then encrypted with AES-256-GCM under
``BACKUP_ENCRYPTION_KEY`` (``ikenei.security.encryption``'s cipher, the key
format and rotation rules of ``PII_ENCRYPTION_KEY``: new objects are
encrypted under the current key, ``BACKUP_ENCRYPTION_OLD_KEYS`` keeps older
ones readable).

Object format: ``IKENEI-BACKUP\\x01``, the key id (one length byte, then the
id), then chunks of at most 4 MiB of compressed data, each a 4-byte length
and an AES-GCM ciphertext whose authenticated data is the object's name, the
chunk's number and whether it is the last: a chunk altered, moved to another
object or place, or a tail cut off fails authentication.

Layout under the prefix::

    repository.json.ikenc                  the repository's record, also the key check
    backups/<id>/backup.json.ikenc         a backup's catalog record
    backups/<id>/data.tar.zst.ikenc        its files (a tar stream)
    wal/<segment>.zst.ikenc                archived WAL

Credentials come from the environment as boto3 reads them
(``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ...), never from the URL,
and are never printed; ``BACKUP_REMOTE_ENDPOINT`` names a store that is not AWS.
"""

from __future__ import annotations

import functools
import io
import json
import shutil
import struct
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

import zstandard

from ikenei.backup import archive
from ikenei.backup.catalog import RECORD, Backup, Problem, write_json
from ikenei.backup.repository import META, LocalRepository
from ikenei.errors import BackupError
from ikenei.security.encryption import Cipher, NotAuthentic

if TYPE_CHECKING:
    from ikenei.config.settings import Settings

Out = Callable[[str], Any]
MAGIC = b"IKENEI-BACKUP\x01"
SUFFIX = ".ikenc"
CHUNK = 4 * 1024 * 1024
_LENGTH = struct.Struct(">I")


# -- the encrypted stream -----------------------------------------------------------


class _Sealer(io.RawIOBase):
    """A writable stream that seals what it is given into ``sink`` (see the module doc)."""

    def __init__(self, sink: IO[bytes], cipher: Cipher, name: str) -> None:
        self._sink, self._cipher, self._name = sink, cipher, name
        self._buffer = bytearray()
        self._index = 0
        key_id = cipher.current_key_id.encode()
        sink.write(MAGIC + bytes([len(key_id)]) + key_id)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
        super().close()

    def _emit(self, chunk: bytes, *, last: bool) -> None:
        sealed = self._cipher.encrypt_bytes(chunk, _aad(self._name, self._index, last))
        self._sink.write(_LENGTH.pack(len(sealed.ciphertext)) + sealed.ciphertext)
        self._index += 1


def _aad(name: str, index: int, last: bool) -> bytes:
    return f"ikenei-backup:{name}:{index}:{'last' if last else 'more'}".encode()


def _opened(source: IO[bytes], cipher: Cipher, name: str) -> Iterator[bytes]:
    """The plaintext chunks of a sealed stream; ``NotAuthentic`` on any fault."""
    head = source.read(len(MAGIC) + 1)
    if len(head) != len(MAGIC) + 1 or not head.startswith(MAGIC):
        raise NotAuthentic("not an encrypted object of ours")
    key_id = source.read(head[-1]).decode(errors="replace")
    index = 0
    pending: bytes | None = None
    while True:
        size = source.read(_LENGTH.size)
        if not size:
            break
        if len(size) != _LENGTH.size:
            raise NotAuthentic("cut short")
        body = source.read(_LENGTH.unpack(size)[0])
        if pending is not None:
            yield cipher.decrypt_bytes(pending, key_id, _aad(name, index - 1, False))
        pending = body
        index += 1
    if pending is None:
        raise NotAuthentic("empty")
    yield cipher.decrypt_bytes(pending, key_id, _aad(name, index - 1, True))


class _ChunkReader(io.RawIOBase):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks, self._rest = chunks, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._rest:
            try:
                self._rest = next(self._chunks)
            except StopIteration:
                return 0
        n = min(len(buffer), len(self._rest))
        buffer[:n] = self._rest[:n]
        self._rest = self._rest[n:]
        return n


# -- the store ----------------------------------------------------------------------


class Remote:
    def __init__(self, settings: Settings) -> None:
        if settings.backup_remote_url is None:
            raise BackupError("no off-site repository is configured (BACKUP_REMOTE_URL)")
        current = settings.backup_current_key()
        assert current is not None  # the settings refuse a remote without a key
        self.cipher = Cipher(current, settings.backup_old_keys())
        parts = urlsplit(settings.backup_remote_url)
        self.url = settings.backup_remote_url
        self.bucket = parts.netloc
        self.prefix = parts.path.strip("/")
        import boto3
        from botocore.config import Config

        self._s3 = boto3.client(
            "s3",
            endpoint_url=settings.backup_remote_endpoint,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10),
        )

    def key(self, name: str) -> str:
        return f"{self.prefix}/{name}" if self.prefix else name

    # -- raw objects --

    def _call(self, what: str, function: Callable[..., Any], **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return function(**kwargs)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise BackupError(
                f"the off-site repository {self.url} refused to {what}: "
                f"{error.get('Code', '?')} {error.get('Message', '')}".rstrip()
            ) from None
        except BotoCoreError as exc:
            raise BackupError(f"cannot {what} in the off-site repository {self.url}: {exc}") from None

    def names(self, under: str) -> set[str]:
        """Object names (without the prefix) under ``under``."""
        found: set[str] = set()
        token: str | None = None
        base = self.key(under)
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": base}
            if token:
                kwargs["ContinuationToken"] = token
            page = self._call("list objects", self._s3.list_objects_v2, **kwargs)
            start = len(self.key(""))
            found |= {item["Key"][start:] for item in page.get("Contents", [])}
            if not page.get("IsTruncated"):
                return found
            token = page.get("NextContinuationToken")

    def put_file(self, name: str, path: Path) -> None:
        from boto3.s3.transfer import TransferConfig

        self._call(
            f"store {name}", self._s3.upload_file, Filename=str(path), Bucket=self.bucket,
            Key=self.key(name), Config=TransferConfig(use_threads=False),
        )

    def get_file(self, name: str, path: Path) -> None:
        from boto3.s3.transfer import TransferConfig

        self._call(
            f"fetch {name}", self._s3.download_file, Bucket=self.bucket, Key=self.key(name),
            Filename=str(path), Config=TransferConfig(use_threads=False),
        )

    def delete(self, names: list[str]) -> None:
        for start in range(0, len(names), 1000):
            batch = [{"Key": self.key(n)} for n in names[start : start + 1000]]
            self._call("delete objects", self._s3.delete_objects, Bucket=self.bucket,
                       Delete={"Objects": batch, "Quiet": True})

    # -- sealed objects --

    def put_sealed(self, name: str, write: Callable[[IO[bytes]], object]) -> None:
        """Store the stream ``write`` produces, compressed and encrypted, as ``name``."""
        with tempfile.TemporaryFile() as spool:
            sealer = _Sealer(spool, self.cipher, name)
            # The writer needs only write() and flush(), which _Sealer has.
            compressor = zstandard.ZstdCompressor(level=3).stream_writer(
                cast("IO[bytes]", sealer), closefd=False
            )
            write(compressor)
            compressor.close()
            sealer.close()
            spool.flush()
            spool.seek(0)
            from boto3.s3.transfer import TransferConfig

            self._call(f"store {name}", self._s3.upload_fileobj, Fileobj=spool, Bucket=self.bucket,
                       Key=self.key(name), Config=TransferConfig(use_threads=False))

    def open_sealed(self, name: str, read: Callable[[IO[bytes]], None]) -> None:
        """Fetch ``name``, check and decrypt it, and hand the plaintext stream to ``read``."""
        with tempfile.TemporaryFile() as spool:
            from boto3.s3.transfer import TransferConfig

            self._call(f"fetch {name}", self._s3.download_fileobj, Bucket=self.bucket,
                       Key=self.key(name), Fileobj=spool, Config=TransferConfig(use_threads=False))
            spool.seek(0)
            try:
                plain = io.BufferedReader(_ChunkReader(_opened(spool, self.cipher, name)))
                with zstandard.ZstdDecompressor().stream_reader(plain) as stream:
                    read(stream)
            except NotAuthentic as exc:
                raise BackupError(_not_authentic(self.url, name, exc)) from None
            except zstandard.ZstdError as exc:
                raise BackupError(f"{self.url}/{name} does not decompress: {exc}") from None

    def put_json(self, name: str, data: dict[str, Any]) -> None:
        self.put_sealed(name, lambda out: out.write(json.dumps(data, sort_keys=True).encode()))

    def get_json(self, name: str) -> dict[str, Any]:
        holder: list[bytes] = []
        self.open_sealed(name, lambda stream: holder.append(stream.read()))
        data: dict[str, Any] = json.loads(holder[0])
        return data


def _not_authentic(url: str, name: str, exc: NotAuthentic) -> str:
    if exc.key_id is not None and "not configured" in str(exc):
        return (
            f"{url}/{name} is {exc}: set BACKUP_ENCRYPTION_KEY (or BACKUP_ENCRYPTION_OLD_KEYS) "
            "to the key it was written with"
        )
    return (
        f"{url}/{name} cannot be decrypted ({exc}): either BACKUP_ENCRYPTION_KEY is not the "
        "key this repository was written with, or the object is damaged"
    )


# -- what the commands do --------------------------------------------------------------

_META_NAME = "repository.json" + SUFFIX


def _record_name(backup_id: str) -> str:
    return f"backups/{backup_id}/{RECORD}{SUFFIX}"


def _data_name(backup_id: str) -> str:
    return f"backups/{backup_id}/data.tar.zst{SUFFIX}"


def _wal_name(file: str) -> str:
    return f"wal/{file}.zst{SUFFIX}"


def check_key(remote: Remote, repo: LocalRepository) -> None:
    """The remote's record decrypts with the configured key (else nothing is sent); made if missing."""
    if _META_NAME in remote.names("repository.json"):
        held = remote.get_json(_META_NAME)
        mine = repo.system_identifier()
        if mine is not None and held.get("system_identifier") not in (None, mine):
            raise BackupError(
                f"the off-site repository {remote.url} holds backups of cluster "
                f"{held.get('system_identifier')}, not of {mine}; use another BACKUP_REMOTE_URL"
            )
        return
    remote.put_json(_META_NAME, {"format": 1, "system_identifier": repo.system_identifier()})


def push(settings: Settings, repo: LocalRepository, backup: Backup, *, out: Out = print) -> Backup:
    """Copy ``backup`` and every WAL file not yet there to the remote; the record says so."""
    remote = Remote(settings)
    check_key(remote, repo)
    data = repo.data_dir(backup.id)
    out(f"off-site: sending {backup.id} to {remote.url}")

    def tar_into(stream: IO[bytes]) -> None:
        with tarfile.open(fileobj=stream, mode="w|") as tar:
            tar.add(data, arcname="data")

    remote.put_sealed(_data_name(backup.id), tar_into)
    copied = backup.with_(copies=tuple(dict.fromkeys((*backup.copies, "remote"))))
    remote.put_json(_record_name(backup.id), copied.to_json())
    repo.save(copied)
    sent = push_wal(remote, repo)
    out(f"off-site: {backup.id} stored, {sent} WAL file(s) sent")
    return copied


def push_wal(remote: Remote, repo: LocalRepository) -> int:
    """Send every archived WAL file the remote does not have; how many were sent."""
    there = remote.names("wal/")
    sent = 0
    for path in sorted(repo.wal_dir.iterdir()) if repo.wal_dir.is_dir() else ():
        # A ".partial" segment is still being received: it goes once complete, under its name.
        if path.name.startswith(".") or path.name.endswith(".partial") or _wal_name(path.name) in there:
            continue
        remote.put_sealed(_wal_name(path.name), functools.partial(_copy_file, path))
        sent += 1
    return sent


def _copy_file(path: Path, out: IO[bytes]) -> None:
    with path.open("rb") as source:
        shutil.copyfileobj(source, out, CHUNK)


def _copy_stream(stream: IO[bytes], sink: IO[bytes]) -> None:
    shutil.copyfileobj(stream, sink, CHUNK)


def fetch_all(settings: Settings, local: LocalRepository, *, out: Out = print) -> None:
    """Make ``local`` a copy of the remote repository (to restore when the primary is gone)."""
    remote = Remote(settings)
    names = remote.names("")
    if _META_NAME not in names:
        raise BackupError(f"the off-site repository {remote.url} holds no IkeNei backup repository")
    meta = remote.get_json(_META_NAME)
    write_json(local.path / META, {"format": 1, "system_identifier": meta["system_identifier"]})
    records = sorted(n for n in names if n.endswith(f"/{RECORD}{SUFFIX}"))
    for name in records:
        backup = Backup.from_json(remote.get_json(name))
        partial = local.partial_dir(backup.id)
        partial.mkdir(parents=True)
        remote.open_sealed(_data_name(backup.id), functools.partial(_untar, target=partial))
        local.complete(backup)
        out(f"off-site: fetched {backup.id}")
    wal = sorted(n for n in names if n.startswith("wal/"))
    for name in wal:
        file = name.removeprefix("wal/").removesuffix(f".zst{SUFFIX}")
        target = local.wal_dir / file
        with target.open("wb") as sink:
            remote.open_sealed(name, functools.partial(_copy_stream, sink=sink))
    out(f"off-site: fetched {len(records)} backup(s) and {len(wal)} WAL file(s)")


def _untar(stream: IO[bytes], target: Path) -> None:
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        tar.extractall(target, filter="data")


def verify(settings: Settings, repo: LocalRepository, *, out: Out = print) -> list[Problem]:
    """Every backup and WAL file the catalog says is off-site is there and authentic."""
    remote = Remote(settings)
    problems: list[Problem] = []
    names = remote.names("")
    expected = [(b.id, n) for b in repo.backups() if "remote" in b.copies
                for n in (_record_name(b.id), _data_name(b.id))]
    expected += [("remote", _wal_name(s.name)) for s in archive.segments(repo.wal_dir)
                 if _wal_name(s.name) in names]
    out(f"checking {len(expected)} object(s) in {remote.url}")
    for subject, name in expected:
        if name not in names:
            problems.append(Problem(subject, f"{remote.url}/{name} is missing off-site"))
            continue
        try:
            remote.open_sealed(name, lambda stream: _drain(stream))
        except BackupError as exc:
            problems.append(Problem(subject, str(exc)))
    return problems


def _drain(stream: IO[bytes]) -> None:
    while stream.read(CHUNK):
        pass


def remove_backup(settings: Settings, backup_id: str) -> None:
    Remote(settings).delete([_record_name(backup_id), _data_name(backup_id)])


def remove_wal(settings: Settings, files: list[str]) -> None:
    Remote(settings).delete([_wal_name(f) for f in files])
