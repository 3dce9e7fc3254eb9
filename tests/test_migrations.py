"""ikenei.schema.migrations and ikenei.schema.seeds against a real server.

Most tests use throw-away migration directories (``tmp_path``) on an empty
database; the last ones run the real ``sql/migrations``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosql
import psycopg
import pytest
from yoyo.connections import parse_uri
from yoyo.migrations import read_sql_migration

from ikenei.config.paths import MIGRATIONS_DIR
from ikenei.errors import ConnectionFailed, DatabaseError, MigrationError, NotMigrated
from ikenei.schema import migrations, seeds

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CATALOG = aiosql.from_path(HERE / "sql" / "catalog_snapshot.sql", "psycopg")
HELPERS = aiosql.from_path(HERE / "sql" / "migration_helpers.sql", "psycopg")


# --------------------------------------------------------------------------- helpers


def write_migrations(directory: Path, files: dict[str, tuple[str, str | None]]) -> Path:
    """Write ``{id: (apply sql, rollback sql or None)}`` as migration files."""
    directory.mkdir(parents=True, exist_ok=True)
    for migration_id, (up, down) in files.items():
        (directory / f"{migration_id}.sql").write_text(textwrap.dedent(up).lstrip())
        if down is not None:
            (directory / f"{migration_id}.rollback.sql").write_text(textwrap.dedent(down).lstrip())
    return directory


def query(dsn: str, fn: Any, **params: Any) -> Any:
    with psycopg.connect(dsn, autocommit=True) as conn:
        result = fn(conn, **params)
        return list(result) if hasattr(result, "__next__") else result


def applied_ids(dsn: str) -> list[str]:
    if not query(dsn, HELPERS.yoyo_tables_exist):
        return []
    return [row[0] for row in query(dsn, HELPERS.applied_ids)]


def snapshot(dsn: str) -> tuple[list[Any], list[str]]:
    """The schema (with definitions) and the applied migrations."""
    return query(dsn, CATALOG.catalog_snapshot), applied_ids(dsn)


def public_relations(dsn: str) -> set[str]:
    return {name for kind, name in query(dsn, CATALOG.public_objects) if kind == "relation"}


def is_yoyo(name: str) -> bool:
    return name.lstrip("_").startswith("yoyo")


def collect() -> tuple[list[str], Any]:
    lines: list[str] = []
    return lines, lines.append


def run_python(code: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


TWO = {
    "0001_widgets": (
        """
        -- Up Migration
        -- Description: widgets
        -- Date: 2024-01-01

        CREATE TABLE widgets (id int PRIMARY KEY, name text NOT NULL);
        CREATE INDEX idx_widgets_name ON widgets (name);
        """,
        """
        -- Down Migration
        DROP TABLE widgets;
        """,
    ),
    "0002_gadgets": (
        "CREATE TABLE gadgets (id int PRIMARY KEY, widget_id int REFERENCES widgets (id));\n",
        "DROP TABLE gadgets;\n",
    ),
}


# --------------------------------------------------------------------------- DSNs


def test_yoyo_url_keeps_unix_socket_and_password() -> None:
    url = migrations.yoyo_url("postgresql://app:p%40ss%3Aw@/appdb?host=/run/pg&port=5433")
    parsed = parse_uri(url)
    assert parsed.scheme == "postgresql+psycopg"
    assert parsed.args["host"] == "/run/pg"
    assert parsed.args["port"] == "5433"
    assert parsed.args["user"] == "app"
    assert parsed.args["password"] == "p@ss:w"
    assert parsed.args["dbname"] == "appdb"
    assert parsed.args["connect_timeout"] == str(migrations.CONNECT_TIMEOUT)


def test_yoyo_url_from_key_value_conninfo() -> None:
    parsed = parse_uri(migrations.yoyo_url("host=db.example port=6432 dbname=x connect_timeout=3"))
    assert parsed.args == {
        "host": "db.example",
        "port": "6432",
        "dbname": "x",
        "connect_timeout": "3",
    }


def test_dsn_for_database_replaces_only_the_database() -> None:
    assert (
        migrations.dsn_for_database("postgresql://u:pw@h:5433/postgres?sslmode=disable", "other")
        == "postgresql://u:pw@h:5433/other?sslmode=disable"
    )
    assert (
        migrations.dsn_for_database("postgresql://postgres@/postgres?host=/tmp/x", "t")
        == "postgresql://postgres@/t?host=/tmp/x"
    )
    conninfo = migrations.dsn_for_database("host=/tmp/x dbname=postgres", "t")
    assert psycopg.conninfo.conninfo_to_dict(conninfo) == {"host": "/tmp/x", "dbname": "t"}


def test_unreachable_server_is_one_line_naming_host_and_port(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres?connect_timeout=2"
    for call in (
        lambda: migrations.apply(dsn, out=lambda _: None, migrations_dir=tmp_path),
        lambda: migrations.pending(dsn, tmp_path),
        lambda: migrations.status(dsn, out=lambda _: None, migrations_dir=tmp_path),
    ):
        with pytest.raises(ConnectionFailed) as caught:
            call()
        message = str(caught.value)
        assert f"127.0.0.1:{port}" in message
        assert "\n" not in message
        assert "refused" in message.lower()


# --------------------------------------------------------------------------- apply


def test_apply_twice_second_run_changes_nothing(empty_dsn: str, tmp_path: Path) -> None:
    directory = write_migrations(tmp_path / "m", TWO)
    lines, out = collect()
    assert migrations.apply(empty_dsn, out=out, migrations_dir=directory) == [
        "0001_widgets",
        "0002_gadgets",
    ]
    assert "applying 0001_widgets" in lines
    before = snapshot(empty_dsn)

    lines, out = collect()
    assert migrations.apply(empty_dsn, out=out, migrations_dir=directory) == []
    assert "nothing to apply: 2 migration(s) already applied" in lines
    assert snapshot(empty_dsn) == before
    assert query(empty_dsn, HELPERS.lock_rows) == []


def test_read_only_calls_leave_an_unmigrated_database_untouched(
    empty_dsn: str, tmp_path: Path
) -> None:
    directory = write_migrations(tmp_path / "m", TWO)
    before = public_relations(empty_dsn)
    assert migrations.pending(empty_dsn, directory) == ["0001_widgets", "0002_gadgets"]
    rows = migrations.status(empty_dsn, out=lambda _: None, migrations_dir=directory)
    assert rows == [("0001_widgets", None), ("0002_gadgets", None)]
    assert public_relations(empty_dsn) == before


def test_status_and_pending_after_a_new_migration(empty_dsn: str, tmp_path: Path) -> None:
    directory = write_migrations(tmp_path / "m", TWO)
    migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory)
    write_migrations(directory, {"0003_sprockets": ("CREATE TABLE sprockets (id int);", None)})
    assert migrations.pending(empty_dsn, directory) == ["0003_sprockets"]

    lines, out = collect()
    rows = migrations.status(empty_dsn, out=out, migrations_dir=directory)
    assert [migration_id for migration_id, _ in rows] == [
        "0001_widgets",
        "0002_gadgets",
        "0003_sprockets",
    ]
    assert all(isinstance(when, datetime) and when.tzinfo for _, when in rows[:2])
    assert rows[2][1] is None
    assert any(line.startswith("0003_sprockets") and "pending" in line for line in lines)
    assert lines[-1] == "3 migration(s): 2 applied, 1 pending"

    (directory / "0001_widgets.sql").unlink()
    lines, out = collect()
    rows = migrations.status(empty_dsn, out=out, migrations_dir=directory)
    assert rows[-1][0] == "0001_widgets"
    assert any("0001_widgets" in line and "file missing" in line for line in lines)


PLPGSQL = """
    -- Up Migration
    -- Description: functions whose bodies hold semicolons
    -- Date: 2024-01-01

    CREATE TABLE widgets (id int PRIMARY KEY, name text, updated_at timestamptz);

    CREATE FUNCTION set_updated_at() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        NEW.updated_at := clock_timestamp();  -- a comment; with a semicolon
        RETURN NEW;
    END
    $$;

    CREATE FUNCTION add_one(x int) RETURNS int LANGUAGE plpgsql AS $body$
    DECLARE
        y int;
    BEGIN
        y := x + 1;
        IF y > 100 THEN RAISE NOTICE 'big; %', y; END IF;
        RETURN y;
    END
    $body$;

    CREATE FUNCTION two() RETURNS int LANGUAGE sql
    BEGIN ATOMIC
        SELECT 1;
        SELECT 2;
    END;

    CREATE TRIGGER widgets_set_updated_at BEFORE UPDATE ON widgets
        FOR EACH ROW EXECUTE FUNCTION set_updated_at();

    -- The functions and the trigger work, checked inside the migration.
    DO $$
    DECLARE
        stamped timestamptz;
    BEGIN
        IF add_one(1) <> 2 OR two() <> 2 THEN
            RAISE EXCEPTION 'functions broken; add_one(1) = %', add_one(1);
        END IF;
        INSERT INTO widgets (id, name) VALUES (1, 'a');
        UPDATE widgets SET name = 'b' WHERE id = 1 RETURNING updated_at INTO stamped;
        IF stamped IS NULL THEN
            RAISE EXCEPTION 'trigger did not run';
        END IF;
        DELETE FROM widgets;
    END
    $$;
"""

PLPGSQL_ROLLBACK = """
    -- Down Migration
    DROP TABLE widgets;
    DROP FUNCTION two();
    DROP FUNCTION add_one(int);
    DROP FUNCTION set_updated_at();
"""


def test_dollar_quoted_bodies_and_do_blocks_stay_whole(empty_dsn: str, tmp_path: Path) -> None:
    directory = write_migrations(tmp_path / "m", {"0001_functions": (PLPGSQL, PLPGSQL_ROLLBACK)})
    _directives, leading_comment, statements = read_sql_migration(
        str(directory / "0001_functions.sql")
    )
    assert leading_comment.startswith("Up Migration\nDescription:")
    assert len(statements) == 6
    assert statements[1].startswith("CREATE FUNCTION set_updated_at()")
    assert statements[1].rstrip().endswith("$$;")
    assert statements[5].startswith("-- The functions") or statements[5].startswith("DO $$")

    assert migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory) == [
        "0001_functions"
    ]
    functions = {
        name for kind, name in query(empty_dsn, CATALOG.public_objects) if kind == "function"
    }
    assert {"set_updated_at", "add_one", "two"} <= functions

    assert migrations.rollback(empty_dsn, out=lambda _: None, migrations_dir=directory) == [
        "0001_functions"
    ]
    left = query(empty_dsn, CATALOG.public_objects)
    assert all(is_yoyo(name) for _, name in left), left


def test_depends_directive_orders_migrations(empty_dsn: str, tmp_path: Path) -> None:
    directory = write_migrations(
        tmp_path / "m",
        {
            "0001_gadgets": (
                (
                    "-- Description: needs widgets first\n-- depends: 0002_widgets\n\n"
                    "CREATE TABLE gadgets (widget_id int REFERENCES widgets (id));\n"
                ),
                "DROP TABLE gadgets;\n",
            ),
            "0002_widgets": (
                "CREATE TABLE widgets (id int PRIMARY KEY);\n",
                "DROP TABLE widgets;\n",
            ),
        },
    )
    applied = migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory)
    assert applied == ["0002_widgets", "0001_gadgets"]
    rolled = migrations.rollback(empty_dsn, all=True, out=lambda _: None, migrations_dir=directory)
    assert rolled == ["0001_gadgets", "0002_widgets"]


def test_failing_migration_leaves_database_exactly_as_before(
    empty_dsn: str, tmp_path: Path
) -> None:
    directory = write_migrations(tmp_path / "m", {"0001_widgets": TWO["0001_widgets"]})
    migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory)
    write_migrations(
        directory,
        {
            "0002_gadgets": TWO["0002_gadgets"],
            "0003_broken": (
                """
                -- Up Migration
                -- Description: the second statement fails

                CREATE TABLE fine (id int);

                CREATE TABLE broken (
                    id int PRIMARY KEY,
                    size nosuchtype
                );
                """,
                "DROP TABLE broken;\nDROP TABLE fine;\n",
            ),
        },
    )
    before = snapshot(empty_dsn)

    lines, out = collect()
    with pytest.raises(MigrationError) as caught:
        migrations.apply(empty_dsn, out=out, migrations_dir=directory)
    message = str(caught.value)
    assert "0003_broken.sql, line 8)" in message  # the line of the unknown type
    assert "statement: CREATE TABLE broken ( id int PRIMARY KEY, size nosuchtype );" in message
    assert 'type "nosuchtype" does not exist' in message
    assert "42704" in message
    assert "applying 0002_gadgets" in lines  # ran, and was undone with the rest

    assert snapshot(empty_dsn) == before
    assert applied_ids(empty_dsn) == ["0001_widgets"]
    assert query(empty_dsn, HELPERS.lock_rows) == []


def test_long_statement_is_shortened_in_the_error(empty_dsn: str, tmp_path: Path) -> None:
    columns = ", ".join(f"c{i} int" for i in range(80))
    directory = write_migrations(
        tmp_path / "m", {"0001_long": (f"CREATE TABLE t ({columns}, bad nosuchtype);\n", None)}
    )
    with pytest.raises(MigrationError) as caught:
        migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory)
    statement_line = next(line for line in str(caught.value).splitlines() if "statement:" in line)
    assert len(statement_line) < 230
    assert statement_line.endswith("…")
    assert 'type "nosuchtype" does not exist' in str(caught.value)


def test_non_transactional_migration_runs_on_its_own(empty_dsn: str, tmp_path: Path) -> None:
    directory = write_migrations(
        tmp_path / "m",
        {
            **TWO,
            "0003_concurrent_index": (
                (
                    "-- transactional: false\n"
                    "CREATE INDEX CONCURRENTLY idx_gadgets_widget ON gadgets (widget_id);\n"
                ),
                "DROP INDEX CONCURRENTLY idx_gadgets_widget;\n",
            ),
            "0004_broken": (
                "CREATE TABLE fine (id int);\nCREATE TABLE bad (x nosuchtype);\n",
                None,
            ),
        },
    )
    with pytest.raises(MigrationError) as caught:
        migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory)
    message = str(caught.value)
    assert "the transaction of 0004_broken was rolled back" in message
    assert "still applied, committed before a non-transactional migration: " in message
    assert "0001_widgets, 0002_gadgets, 0003_concurrent_index" in message
    assert applied_ids(empty_dsn) == ["0001_widgets", "0002_gadgets", "0003_concurrent_index"]
    assert "idx_gadgets_widget" in public_relations(empty_dsn)
    assert "fine" not in public_relations(empty_dsn)

    (directory / "0004_broken.sql").unlink()
    rolled = migrations.rollback(empty_dsn, all=True, out=lambda _: None, migrations_dir=directory)
    assert rolled == ["0003_concurrent_index", "0002_gadgets", "0001_widgets"]
    assert all(is_yoyo(name) for name in public_relations(empty_dsn))


# --------------------------------------------------------------------------- the lock


def test_two_concurrent_runs_one_applies_the_other_waits(empty_dsn: str, tmp_path: Path) -> None:
    directory = write_migrations(
        tmp_path / "m",
        {
            **TWO,
            "0003_slow": (
                "DO $$ BEGIN PERFORM pg_sleep(2); END $$;\nCREATE TABLE slow (id int);\n",
                "DROP TABLE slow;\n",
            ),
        },
    )
    code = f"""
        from ikenei.schema import migrations
        done = migrations.apply({empty_dsn!r}, migrations_dir={str(directory)!r})
        print("RESULT", len(done))
    """
    runs = [run_python(code), run_python(code)]
    results = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], results
    outputs = [stdout for stdout, _ in results]
    counts = sorted(int(o.split("RESULT ")[1]) for o in outputs)
    assert counts == [0, 3], outputs
    applier = next(i for i, o in enumerate(outputs) if "RESULT 3" in o)
    waiter = outputs[1 - applier]
    assert f"waiting for the migration lock held by process {runs[applier].pid}" in waiter
    assert "nothing to apply: 3 migration(s) already applied" in waiter
    assert applied_ids(empty_dsn) == ["0001_widgets", "0002_gadgets", "0003_slow"]
    assert query(empty_dsn, HELPERS.lock_rows) == []


def test_lock_of_a_killed_run_is_reported_then_unlock_clears_it(
    empty_dsn: str, tmp_path: Path
) -> None:
    directory = write_migrations(
        tmp_path / "m",
        {
            "0001_slow": (
                "CREATE TABLE slow (id int);\nDO $$ BEGIN PERFORM pg_sleep(2); END $$;\n",
                "DROP TABLE slow;\n",
            )
        },
    )
    killed = run_python(
        f"""
        from ikenei.schema import migrations
        migrations.apply({empty_dsn!r}, migrations_dir={str(directory)!r})
        """
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if query(empty_dsn, HELPERS.lock_table_exists) and query(empty_dsn, HELPERS.lock_rows):
                break
            assert killed.poll() is None, killed.communicate()
            assert time.monotonic() < deadline, "the run never took the lock"
            time.sleep(0.05)
    finally:
        os.kill(killed.pid, signal.SIGKILL)
        killed.communicate()

    lines, out = collect()
    with pytest.raises(MigrationError) as caught:
        migrations.apply(empty_dsn, out=out, migrations_dir=directory, lock_timeout=30)
    message = str(caught.value)
    assert f"process {killed.pid}" in message
    assert "since" in message and "UTC" in message
    assert "no longer running" in message
    assert "`ikenei migrations unlock`" in message
    assert query(empty_dsn, HELPERS.lock_rows) == [(killed.pid,)]

    lines, out = collect()
    assert migrations.unlock(empty_dsn, out=out) is True
    assert lines[0].startswith(f"removed the migration lock held by process {killed.pid} since")
    assert query(empty_dsn, HELPERS.lock_rows) == []

    # The killed run's transaction was rolled back: everything is still to do.
    assert migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory) == [
        "0001_slow"
    ]


def test_lock_older_than_the_timeout_is_stale(empty_dsn: str, tmp_path: Path) -> None:
    directory = write_migrations(tmp_path / "m", TWO)
    migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=tmp_path / "m")
    # Process 1 is alive on any host, but its lock is an hour old.
    query(empty_dsn, HELPERS.insert_lock_row, pid=1, age_seconds=3600.0)
    with pytest.raises(MigrationError) as caught:
        migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory, lock_timeout=60)
    assert "process 1 since" in str(caught.value)
    assert "older than the 60 s lock timeout" in str(caught.value)
    assert "`ikenei migrations unlock`" in str(caught.value)
    with pytest.raises(MigrationError):
        migrations.rollback(
            empty_dsn, out=lambda _: None, migrations_dir=directory, lock_timeout=60
        )
    assert migrations.unlock(empty_dsn, out=lambda _: None) is True
    assert migrations.rollback(empty_dsn, out=lambda _: None, migrations_dir=directory) == [
        "0002_gadgets"
    ]


def test_unlock_without_a_lock_says_so(empty_dsn: str) -> None:
    lines, out = collect()
    assert migrations.unlock(empty_dsn, out=out) is False
    assert lines == ["no migration lock to remove"]


# --------------------------------------------------------------------------- rollback


THREE = {
    **TWO,
    "0003_sprockets": ("CREATE TABLE sprockets (id int);\n", "DROP TABLE sprockets;\n"),
}


def test_rollback_steps_and_all(empty_dsn: str, tmp_path: Path) -> None:
    directory = write_migrations(tmp_path / "m", THREE)
    silent = {"out": lambda _: None, "migrations_dir": directory}
    migrations.apply(empty_dsn, **silent)

    lines, out = collect()
    assert migrations.rollback(empty_dsn, out=out, migrations_dir=directory) == ["0003_sprockets"]
    assert lines == ["rolling back 0003_sprockets", "rolled back 1 migration(s); 2 still applied"]
    assert "sprockets" not in public_relations(empty_dsn)

    migrations.apply(empty_dsn, **silent)
    assert migrations.rollback(empty_dsn, steps=2, **silent) == ["0003_sprockets", "0002_gadgets"]
    assert applied_ids(empty_dsn) == ["0001_widgets"]
    assert {"widgets"} == {name for name in public_relations(empty_dsn) if not is_yoyo(name)} - {
        "widgets_pkey",
        "idx_widgets_name",
    }

    migrations.apply(empty_dsn, **silent)
    assert migrations.rollback(empty_dsn, all=True, **silent) == [
        "0003_sprockets",
        "0002_gadgets",
        "0001_widgets",
    ]
    assert all(is_yoyo(name) for name in public_relations(empty_dsn))

    lines, out = collect()
    assert migrations.rollback(empty_dsn, all=True, out=out, migrations_dir=directory) == []
    assert lines == ["nothing to roll back: no migration is applied"]


def test_rollback_refuses_zero_steps(empty_dsn: str, tmp_path: Path) -> None:
    with pytest.raises(MigrationError, match="at least 1"):
        migrations.rollback(empty_dsn, steps=0, out=lambda _: None, migrations_dir=tmp_path)


def test_rollback_without_rollback_file_changes_nothing(empty_dsn: str, tmp_path: Path) -> None:
    directory = write_migrations(
        tmp_path / "m",
        {**TWO, "0003_sprockets": ("CREATE TABLE sprockets (id int);\n", None)},
    )
    migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory)
    before = snapshot(empty_dsn)
    with pytest.raises(MigrationError, match="0003_sprockets: no .rollback.sql file"):
        migrations.rollback(empty_dsn, all=True, out=lambda _: None, migrations_dir=directory)
    assert snapshot(empty_dsn) == before


def test_failing_rollback_names_the_rollback_file_and_changes_nothing(
    empty_dsn: str, tmp_path: Path
) -> None:
    directory = write_migrations(
        tmp_path / "m",
        {**TWO, "0003_sprockets": ("CREATE TABLE sprockets (id int);\n", "DROP TABLE sprokets;\n")},
    )
    migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory)
    before = snapshot(empty_dsn)
    with pytest.raises(MigrationError) as caught:
        migrations.rollback(empty_dsn, all=True, out=lambda _: None, migrations_dir=directory)
    assert "0003_sprockets.rollback.sql, line 1" in str(caught.value)
    assert "statement: DROP TABLE sprokets;" in str(caught.value)
    assert 'table "sprokets" does not exist' in str(caught.value)
    assert snapshot(empty_dsn) == before


# --------------------------------------------------------------------------- seeds runner


SEED_SCHEMA = {
    "0001_seed_items": (
        "CREATE TABLE seed_items (name text PRIMARY KEY);\n",
        "DROP TABLE seed_items;\n",
    )
}


def write_seeds(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (root / "prod").mkdir(parents=True, exist_ok=True)
    (root / "dev").mkdir(parents=True, exist_ok=True)
    return root


def test_seeds_refuse_a_database_without_schema(empty_dsn: str, tmp_path: Path) -> None:
    directory = write_migrations(tmp_path / "m", SEED_SCHEMA)
    seeds_dir = write_seeds(tmp_path / "seeds", {})
    with pytest.raises(NotMigrated, match="run `make migrate` first"):
        seeds.run(
            empty_dsn, "prod", out=lambda _: None, seeds_dir=seeds_dir, migrations_dir=directory
        )


def test_seeds_refuse_pending_migrations(empty_dsn: str, tmp_path: Path) -> None:
    directory = write_migrations(tmp_path / "m", SEED_SCHEMA)
    migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory)
    write_migrations(directory, {"0002_more": ("CREATE TABLE more (id int);\n", None)})
    seeds_dir = write_seeds(tmp_path / "seeds", {})
    with pytest.raises(NotMigrated, match=r"0002_more.*run `make migrate` first"):
        seeds.run(
            empty_dsn, "dev", out=lambda _: None, seeds_dir=seeds_dir, migrations_dir=directory
        )


def test_seeds_run_in_order_in_one_transaction(empty_dsn: str, tmp_path: Path) -> None:
    directory = write_migrations(tmp_path / "m", SEED_SCHEMA)
    migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory)
    seeds_dir = write_seeds(
        tmp_path / "seeds",
        {
            "prod/010_a.sql": "INSERT INTO seed_items VALUES ('a') ON CONFLICT DO NOTHING;\n",
            "prod/002_b.sql": "INSERT INTO seed_items VALUES ('b') ON CONFLICT DO NOTHING;\n",
            "dev/001_c.sql": (
                "INSERT INTO seed_items VALUES ('c') ON CONFLICT DO NOTHING;\n"
                "INSERT INTO seed_items VALUES ('d') ON CONFLICT DO NOTHING;\n"
            ),
            "dev/002_bad.sql": "INSERT INTO seed_items VALUES (NULL);\n",
        },
    )
    options = {"seeds_dir": seeds_dir, "migrations_dir": directory}

    lines, out = collect()
    with pytest.raises(DatabaseError) as caught:
        seeds.run(empty_dsn, "dev", out=out, **options)
    assert "002_bad.sql" in str(caught.value)
    assert "null value" in str(caught.value)
    assert "nothing was seeded" in str(caught.value)
    assert query(empty_dsn, HELPERS.seed_items) == []

    lines, out = collect()
    ran = seeds.run(empty_dsn, "prod", out=out, **options)
    assert [p.name for p in ran] == ["002_b.sql", "010_a.sql"]
    assert lines[0].startswith("seeding ") and lines[0].endswith("002_b.sql")
    assert query(empty_dsn, HELPERS.seed_items) == [("a",), ("b",)]

    (seeds_dir / "dev" / "002_bad.sql").unlink()
    lines, out = collect()
    ran = seeds.run(empty_dsn, "dev", out=out, **options)
    assert [p.name for p in ran] == ["002_b.sql", "010_a.sql", "001_c.sql"]
    assert query(empty_dsn, HELPERS.seed_items) == [("a",), ("b",), ("c",), ("d",)]


# --------------------------------------------------------------------------- the real migrations


def test_every_real_migration_has_a_rollback_twin() -> None:
    ups = sorted(p for p in MIGRATIONS_DIR.glob("*.sql") if not p.name.endswith(".rollback.sql"))
    assert ups, "no migrations yet"
    for path in ups:
        assert path.with_name(path.stem + ".rollback.sql").is_file(), path.name


def test_template_has_every_migration(template_dsn: str) -> None:
    assert migrations.pending(template_dsn) == []
    migrations.require_migrated(template_dsn)


def test_real_migrations_roundtrip(empty_dsn: str) -> None:
    def silent(_line: str) -> None:
        pass

    applied = migrations.apply(empty_dsn, out=silent)
    assert applied and migrations.pending(empty_dsn) == []
    first = snapshot(empty_dsn)

    rolled = migrations.rollback(empty_dsn, all=True, out=silent)
    assert rolled == list(reversed(applied))
    leftovers = [
        (kind, name) for kind, name in query(empty_dsn, CATALOG.public_objects) if not is_yoyo(name)
    ]
    assert leftovers == []

    assert migrations.apply(empty_dsn, out=silent) == applied
    assert snapshot(empty_dsn) == first
