"""ikenei.schema.verify: the schema check and its manifest."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ikenei.schema import migrations, verify

ROOT = Path(__file__).resolve().parent.parent

WIDGETS = """\
-- Up Migration
-- Description: a small schema touching every kind of the manifest

CREATE TABLE widgets (
    id int PRIMARY KEY,
    name varchar(40) NOT NULL,
    size numeric(5, 2) CONSTRAINT widgets_size_check CHECK (size > 0),
    updated_at timestamptz
);
CREATE INDEX idx_widgets_name ON widgets (name);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE TRIGGER widgets_touch BEFORE UPDATE ON widgets FOR EACH ROW EXECUTE FUNCTION touch();
CREATE VIEW named_widgets AS SELECT id, name FROM widgets;
CREATE DOMAIN positive AS int CHECK (VALUE > 0);
"""

WIDGETS_ROLLBACK = """\
DROP DOMAIN positive;
DROP VIEW named_widgets;
DROP TABLE widgets;
DROP FUNCTION touch();
"""


def small_schema(directory: Path) -> Path:
    directory.mkdir()
    (directory / "0001_widgets.sql").write_text(WIDGETS)
    (directory / "0001_widgets.rollback.sql").write_text(WIDGETS_ROLLBACK)
    return directory


def test_manifest_lists_each_kind_and_nothing_of_yoyo(empty_dsn: str, tmp_path: Path) -> None:
    directory = small_schema(tmp_path / "m")
    migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory)
    lines = verify.write_manifest(empty_dsn, tmp_path / "manifest.txt")
    assert lines == sorted(lines)
    for entry in (
        "table widgets",
        "column widgets.name character varying(40)",
        "column widgets.size numeric(5,2)",
        "column widgets.updated_at timestamp with time zone",
        "index idx_widgets_name",
        "index widgets_pkey",
        "constraint widgets.widgets_pkey",
        "constraint widgets.widgets_size_check",
        "constraint positive.positive_check",
        "trigger widgets.widgets_touch",
        "function touch()",
        "view named_widgets",
        "column named_widgets.name character varying(40)",
        "type positive",
    ):
        assert entry in lines
    assert not any("yoyo" in line for line in lines)
    assert not any(line.endswith("_not_null") for line in lines)
    assert verify.read_manifest(tmp_path / "manifest.txt") == lines
    assert (tmp_path / "manifest.txt").read_text().startswith("# ")


def test_run_reports_ok_when_everything_is_there(empty_dsn: str, tmp_path: Path) -> None:
    directory = small_schema(tmp_path / "m")
    migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory)
    manifest = tmp_path / "manifest.txt"
    verify.write_manifest(empty_dsn, manifest)
    lines: list[str] = []
    assert verify.run(empty_dsn, out=lines.append, manifest=manifest, migrations_dir=directory)
    assert lines[0] == "migrations: 1/1 applied"
    assert any(line.split() == ["table", "1/1", "present"] for line in lines)
    assert lines[-1] == "ok"


def test_run_names_each_gap_and_fails(empty_dsn: str, tmp_path: Path) -> None:
    directory = small_schema(tmp_path / "m")
    migrations.apply(empty_dsn, out=lambda _: None, migrations_dir=directory)
    manifest = tmp_path / "manifest.txt"
    lines = verify.write_manifest(empty_dsn, manifest)
    # What the database lacks: an index, and a column of another type.
    wanted = [line for line in lines if line != "column widgets.size numeric(5,2)"]
    wanted += ["index idx_widgets_size", "column widgets.size integer"]
    manifest.write_text("".join(line + "\n" for line in sorted(wanted)))
    (directory / "0002_later.sql").write_text("CREATE TABLE later (id int);\n")

    out: list[str] = []
    assert not verify.run(empty_dsn, out=out.append, manifest=manifest, migrations_dir=directory)
    assert "pending migration: 0002_later" in out
    assert "missing index idx_widgets_size" in out
    assert "missing column widgets.size integer" in out
    assert "note: not in the manifest: column widgets.size numeric(5,2)" in out
    assert "migrations: 1/2 applied" in out
    assert out[-1] == "FAILED: 3 gap(s)"


def test_run_on_an_empty_database_fails(empty_dsn: str, tmp_path: Path) -> None:
    directory = small_schema(tmp_path / "m")
    manifest = tmp_path / "manifest.txt"
    manifest.write_text("table widgets\n")
    out: list[str] = []
    assert not verify.run(empty_dsn, out=out.append, manifest=manifest, migrations_dir=directory)
    assert out[:2] == ["pending migration: 0001_widgets", "missing table widgets"]


def test_missing_manifest_fails_with_the_command_to_make_it(empty_dsn: str, tmp_path: Path) -> None:
    out: list[str] = []
    assert not verify.run(empty_dsn, out=out.append, manifest=tmp_path / "nope.txt")
    assert "--write-manifest" in out[0]


# --------------------------------------------------------------------------- the real schema


def test_committed_manifest_matches_a_fresh_migration(template_dsn: str) -> None:
    expected = verify.manifest_lines(template_dsn)
    committed = verify.read_manifest(verify.MANIFEST)
    missing = sorted(set(expected) - set(committed))
    extra = sorted(set(committed) - set(expected))
    assert (missing, extra) == ([], []), (
        "sql/schema_manifest.txt is out of date: regenerate it with "
        "`python -m ikenei.schema.verify --write-manifest`"
    )
    assert committed == expected


def test_fresh_database_verifies(fresh_dsn: str) -> None:
    out: list[str] = []
    assert verify.run(fresh_dsn, out=out.append), out
    assert out[-1] == "ok"


def test_write_manifest_command_regenerates_the_same_file(admin_dsn: str, tmp_path: Path) -> None:
    target = tmp_path / "manifest.txt"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "ikenei.schema.verify",
            "--write-manifest",
            "--dsn",
            admin_dsn,
            "--manifest",
            str(target),
        ],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote" in done.stdout
    assert target.read_text() == verify.MANIFEST.read_text()
