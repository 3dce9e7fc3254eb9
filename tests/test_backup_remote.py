"""The off-site repository on a real S3-compatible server (moto's, started by the tests).

Skipped on a run against TEST_DATABASE_URL: the scratch PostgreSQL 18
clusters run on the embedded run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import boto3
import pytest
from backup_support import (
    BUCKET,
    Cluster,
    cluster_for_a_while,
    new_key,
    on_the_embedded_run,
    quiet,
    tree_state,
)

from ikenei.backup import instance, remote, restore, run, verify
from ikenei.errors import BackupError

pytestmark = on_the_embedded_run


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    yield from cluster_for_a_while()


def objects(endpoint: str, prefix: str) -> dict[str, bytes]:
    s3 = boto3.client("s3", endpoint_url=endpoint)
    found = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in found}


def test_the_remote_alone_restores_and_holds_nothing_readable(cluster: Cluster, s3_server: str) -> None:
    key = new_key("site1")
    settings = cluster.settings(
        backup_remote_url=f"s3://{BUCKET}/alone", backup_remote_endpoint=s3_server,
        backup_encryption_key=key,
    )
    cluster.sql("CREATE TABLE people (i int PRIMARY KEY, name text)")
    cluster.sql("INSERT INTO people SELECT g, 'Person ' || g FROM generate_series(1, 500) g")
    first = run.run(settings, out=quiet, progress=False)
    cluster.sql("INSERT INTO people VALUES (501, 'Late Person')")
    second = run.run(settings, out=quiet, progress=False)
    assert "remote" in first.copies and "remote" in second.copies
    assert run.repository_of(settings).get(second.id).copies == ("local", "remote")

    stored = objects(s3_server, "alone/")
    assert f"alone/backups/{second.id}/data.tar.zst.ikenc" in stored
    assert any(k.startswith("alone/wal/") for k in stored)
    for name, body in stored.items():
        # Encrypted, so neither the rows, the names nor the key appear.
        assert b"Person" not in body and key.split(":")[1].encode() not in body, name
        assert body.startswith(remote.MAGIC + bytes([len("site1")]) + b"site1"), name

    assert verify.verify(settings, out=quiet).ok

    # The primary repository is lost with the disk: the remote alone restores.
    shutil.rmtree(cluster.repository)
    target = cluster.root / "restored-remote"
    done = restore.restore(settings, target, latest=True, start=True, out=quiet)
    try:
        import psycopg

        with psycopg.connect(done.url) as conn:
            assert conn.execute("SELECT count(*), max(name) FROM people").fetchone() == (501, "Person 99")
            assert conn.execute("SELECT name FROM people WHERE i = 501").fetchone() == ("Late Person",)
    finally:
        instance.stop(target)


def test_a_wrong_key_is_refused_before_anything_is_sent(cluster: Cluster, s3_server: str) -> None:
    right = cluster.settings(
        backup_remote_url=f"s3://{BUCKET}/keyed", backup_remote_endpoint=s3_server,
        backup_encryption_key=new_key("k1"),
    )
    run.run(right, out=quiet, progress=False)
    before_remote = objects(s3_server, "keyed/")
    before_local = tree_state(cluster.repository)
    for wrong_key in (new_key("k1"), new_key("k2")):  # same id other bytes; another id
        wrong = cluster.settings(
            backup_remote_url=f"s3://{BUCKET}/keyed", backup_remote_endpoint=s3_server,
            backup_encryption_key=wrong_key,
        )
        with pytest.raises(BackupError, match="BACKUP_ENCRYPTION_KEY") as caught:
            remote.check_key(remote.Remote(wrong), run.repository_of(wrong))
        assert "\n" not in str(caught.value)
        assert wrong_key.split(":")[1] not in str(caught.value)
    assert objects(s3_server, "keyed/") == before_remote
    assert tree_state(cluster.repository) == before_local


def test_an_unreachable_remote_is_one_line(cluster: Cluster, s3_server: str) -> None:
    from backup_support import free_port

    settings = cluster.settings(
        backup_remote_url=f"s3://{BUCKET}/away",
        backup_remote_endpoint=f"http://127.0.0.1:{free_port()}",
        backup_encryption_key=new_key(),
    )
    with pytest.raises(BackupError, match="off-site repository s3://ikenei-backups/away") as caught:
        remote.check_key(remote.Remote(settings), run.repository_of(settings))
    assert "\n" not in str(caught.value)
