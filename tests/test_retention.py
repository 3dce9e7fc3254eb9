"""Retention: the seeded policies, the run (rows older than each period go, newer
ones stay; idempotent; recorded), overrides and RETENTION_OVERRIDES."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from feedback_fixtures import make_member, make_setup
from foundation_support import executor, make_org

import ikenei
from ikenei.config.settings import RETENTION_KINDS, Settings, load_settings
from ikenei.db.queries import load
from ikenei.errors import ConfigError, DatabaseError
from ikenei.privacy import retention

TQ = load(Path(__file__).parent / "sql" / "privacy.sql")
REFERENCE_X = "a" * 64
REFERENCE_Y = "b" * 64

DEFAULTS = {
    "analytics_events": 395,
    "audit_log": 2555,
    "data_access_log": 730,
    "expired_feedback_invitations": 180,
    "data_processing_log": 3650,
    "erased_person_leftovers": 30,
}


@dataclasses.dataclass(frozen=True, slots=True)
class RowId:
    kind: str
    id: str


@dataclasses.dataclass(frozen=True, slots=True)
class Subject:
    subject_user_id: uuid.UUID | None
    subject_reference: str | None


async def row_ids(db: ikenei.Database) -> set[tuple[str, str]]:
    return {(r.kind, r.id) for r in await executor(db).all(TQ.list_row_ids, RowId)}


async def run(dsn: str, **options: Any) -> tuple[dict[str, int], list[str]]:
    lines: list[str] = []
    options.setdefault("overrides", {})
    counts = await retention.run_async(dsn, out=lines.append, **options)
    return counts, lines


@pytest.fixture
def no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No configuration from the caller's environment or a .env file."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)


# -- the policies ---------------------------------------------------------------------


async def test_the_policies_are_seeded_with_the_defaults(db):
    policies = await db.privacy.list_retention_policies()
    assert {p.kind: p.period_days for p in policies} == DEFAULTS
    assert sorted(DEFAULTS) == sorted(RETENTION_KINDS)
    assert all(len(p.description) > 40 for p in policies)


# -- the run ------------------------------------------------------------------------------


@dataclasses.dataclass
class Dated:
    """Rows just older and just newer than each default period, by kind: (old ids, new ids)."""

    rows: dict[str, tuple[set[tuple[str, str]], set[tuple[str, str]]]]
    erased_entry: int
    recent_erasure_entry: int
    erased_actor_entry: int
    x: uuid.UUID
    y: uuid.UUID


async def make_dated_rows(db: ikenei.Database) -> Dated:
    x_ = executor(db)
    org = await make_org(db)
    setup = await make_setup(db)
    rater = await make_member(db, setup.org.id)
    rows: dict[str, tuple[set[tuple[str, str]], set[tuple[str, str]]]] = {}

    async def pair(kind: str, table: str, make: Any) -> None:
        period = DEFAULTS[kind]
        old = {(table, str(await make(period + 1)))}
        new = {(table, str(await make(period - 1)))}
        rows[kind] = (old, new)

    await pair("analytics_events", "analytics_events",
               lambda d: x_.value(
                   TQ.insert_old_analytics_event, organization_id=org.id, days_ago=d,
               ))
    await pair("audit_log", "audit_log",
               lambda d: x_.value(
                   TQ.insert_old_audit_entry, row_id=str(uuid.uuid4()), actor="admin-7", days_ago=d,
               ))
    await pair("data_access_log", "data_access_log",
               lambda d: x_.value(
                   TQ.insert_old_access_entry, actor="manager-3", subject_user_id=uuid.uuid4(),
                   days_ago=d,
               ))
    await pair("data_processing_log", "data_processing_log",
               lambda d: x_.value(
                   TQ.insert_old_processing_entry, operation="export", subject_user_id=uuid.uuid4(),
                   subject_reference=REFERENCE_Y, days_ago=d,
               ))

    def invitation(status: str) -> Any:
        return lambda d: x_.value(
            TQ.insert_old_invitation, organization_id=setup.org.id, cycle_id=setup.cycle.id,
            target_user_id=setup.target.id, rater_user_id=rater.id, status=status, days_ago=d,
        )

    old_expired = {("feedback_invitations", str(await invitation("expired")(181)))}
    # Different raters: one invitation per rater and target in a cycle.
    rater = await make_member(db, setup.org.id)
    new_expired = {("feedback_invitations", str(await invitation("expired")(179)))}
    rater = await make_member(db, setup.org.id)
    old_pending = {("feedback_invitations", str(await invitation("pending")(400)))}
    rows["expired_feedback_invitations"] = (old_expired, new_expired | old_pending)

    # X was erased 31 days ago, Y 29 days ago; both left reads and audit entries behind.
    x, y = uuid.uuid4(), uuid.uuid4()
    erased_entry = await x_.value(
        TQ.insert_old_processing_entry, operation="erasure", subject_user_id=x,
        subject_reference=REFERENCE_X, days_ago=31,
    )
    recent = await x_.value(
        TQ.insert_old_processing_entry, operation="erasure", subject_user_id=y,
        subject_reference=REFERENCE_Y, days_ago=29,
    )
    old, new = set(), {("data_processing_log", str(erased_entry)), ("data_processing_log", str(recent))}
    for person, bucket in ((x, old), (y, new)):
        bucket.add(("data_access_log", str(await x_.value(
            TQ.insert_old_access_entry, actor="hr-1", subject_user_id=person, days_ago=1,
        ))))
        bucket.add(("data_access_log", str(await x_.value(
            TQ.insert_old_access_entry, actor=str(person), subject_user_id=uuid.uuid4(), days_ago=1,
        ))))
        bucket.add(("audit_log", str(await x_.value(
            TQ.insert_old_audit_entry, row_id=str(person), actor=None, days_ago=1,
        ))))
    erased_actor = await x_.value(
        TQ.insert_old_audit_entry, row_id=str(uuid.uuid4()), actor=str(x), days_ago=1,
    )
    new.add(("audit_log", str(erased_actor)))
    rows["erased_person_leftovers"] = (old, new)
    return Dated(rows, erased_entry, recent, erased_actor, x, y)


async def test_a_run_deletes_what_is_older_than_each_period_and_keeps_the_rest(db, fresh_dsn):
    dated = await make_dated_rows(db)
    before = await row_ids(db)

    counts, lines = await run(fresh_dsn)

    assert counts == {
        "erased_person_leftovers": 5,  # 2 reads + 1 audit entry deleted, 1 actor cleared, 1 id forgotten
        "expired_feedback_invitations": 1,
        "analytics_events": 1,
        "data_access_log": 1,
        "audit_log": 1,
        "data_processing_log": 1,
    }
    after = await row_ids(db)
    for kind, (old, new) in dated.rows.items():
        assert old <= before and not (old & after), kind
        assert new <= after, kind
    # The erasure entry stays as proof, keyed by the salted reference only.
    subject = await executor(db).one(TQ.get_processing_subject, Subject, entry_id=dated.erased_entry)
    assert subject == Subject(None, REFERENCE_X)
    subject = await executor(db).one(
        TQ.get_processing_subject, Subject, entry_id=dated.recent_erasure_entry,
    )
    assert subject == Subject(dated.y, REFERENCE_Y)
    assert await executor(db).value(TQ.get_audit_actor, entry_id=dated.erased_actor_entry) is None

    assert lines[:6] == [
        "erased_person_leftovers: 5 row(s) (period 30 days)",
        "expired_feedback_invitations: 1 row(s) (period 180 days)",
        "analytics_events: 1 row(s) (period 395 days)",
        "data_access_log: 1 row(s) (period 730 days)",
        "audit_log: 1 row(s) (period 2555 days)",
        "data_processing_log: 1 row(s) (period 3650 days)",
    ]
    assert lines[6] == "retention run done: 10 row(s) in all"

    [entry] = await db.privacy.list_processing(operation="retention")
    assert (entry.actor, entry.subject_user_id, entry.subject_reference) == ("retention", None, None)
    assert entry.details == {"rows": counts, "period_days": DEFAULTS}
    # The invitation it deleted is in the audit trail, with the run as actor.
    [(_, invitation_id)] = dated.rows["expired_feedback_invitations"][0]
    trail = await db.privacy.list_audit(table_name="feedback_invitations", row_id=invitation_id)
    assert [(e.action, e.actor) for e in trail] == [("DELETE", "retention"), ("INSERT", None)]


async def test_a_second_run_deletes_nothing_and_still_reports(db, fresh_dsn):
    await make_dated_rows(db)
    await run(fresh_dsn)
    kept = await row_ids(db)

    counts, lines = await run(fresh_dsn)

    assert counts == dict.fromkeys(DEFAULTS, 0)
    assert len(lines) == 7 and lines[-1] == "retention run done: 0 row(s) in all"
    after = await row_ids(db)
    # Only the second run's own record (and nothing deleted) is new.
    assert kept < after and len(after - kept) == 1
    second, first = await db.privacy.list_processing(operation="retention")
    assert second.details["rows"] == counts
    assert sum(first.details["rows"].values()) == 10


async def test_overrides_shorten_a_period_for_one_run(db, fresh_dsn):
    org = await make_org(db)
    event = await executor(db).value(TQ.insert_old_analytics_event, organization_id=org.id, days_ago=20)
    counts, lines = await run(fresh_dsn, overrides={"analytics_events": 10})
    assert counts["analytics_events"] == 1
    assert ("analytics_events", str(event)) not in await row_ids(db)
    assert "analytics_events: 1 row(s) (period 10 days)" in lines
    [entry] = await db.privacy.list_processing(operation="retention")
    assert entry.details["period_days"] == {**DEFAULTS, "analytics_events": 10}
    # The stored policy is unchanged.
    policies = {p.kind: p.period_days for p in await db.privacy.list_retention_policies()}
    assert policies == DEFAULTS


async def test_without_overrides_the_setting_applies(db, fresh_dsn, no_environment, monkeypatch):
    org = await make_org(db)
    event = await executor(db).value(TQ.insert_old_analytics_event, organization_id=org.id, days_ago=20)
    monkeypatch.setenv("RETENTION_OVERRIDES", "analytics_events=10, audit_log=2000")
    counts, lines = await run(fresh_dsn, overrides=None)
    assert counts["analytics_events"] == 1
    assert ("analytics_events", str(event)) not in await row_ids(db)
    assert "audit_log: 0 row(s) (period 2000 days)" in lines


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"analytics": 10}, "unknown retention kind 'analytics'"),
        ({"audit_log": 0}, "audit_log: the period must be a positive whole number of days"),
        ({"audit_log": -5}, "positive"),
        ({"audit_log": "soon"}, "positive"),
    ],
)
async def test_a_bad_override_is_a_config_error_and_deletes_nothing(db, fresh_dsn, overrides, fragment):
    org = await make_org(db)
    await executor(db).value(TQ.insert_old_analytics_event, organization_id=org.id, days_ago=1000)
    before = await row_ids(db)
    with pytest.raises(ConfigError, match=fragment):
        await run(fresh_dsn, overrides=overrides)
    assert await row_ids(db) == before


async def test_a_missing_policy_stops_the_run_before_anything_is_deleted(db, fresh_dsn):
    org = await make_org(db)
    await executor(db).value(TQ.insert_old_analytics_event, organization_id=org.id, days_ago=1000)
    await executor(db).execute(TQ.delete_retention_policy, kind="audit_log")
    before = await row_ids(db)
    with pytest.raises(DatabaseError, match="audit_log"):
        await run(fresh_dsn)
    assert await row_ids(db) == before
    assert await db.privacy.list_processing() == []


async def test_run_async_inside_an_event_loop(db, fresh_dsn):
    lines: list[str] = []
    counts = await retention.run_async(fresh_dsn, out=lines.append, overrides={})
    assert counts == dict.fromkeys(DEFAULTS, 0)
    assert len(lines) == 7


# -- RETENTION_OVERRIDES ---------------------------------------------------------------------


def test_retention_overrides_default_to_none(no_environment):
    assert load_settings().retention_overrides == {}


def test_retention_overrides_are_read_from_the_environment(no_environment, monkeypatch):
    monkeypatch.setenv("RETENTION_OVERRIDES", " audit_log=3650 ,analytics_events=90,")
    assert load_settings().retention_overrides == {"audit_log": 3650, "analytics_events": 90}


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("audit_logs=30", "unknown retention kind 'audit_logs'"),
        ("audit_log=0", "positive"),
        ("audit_log=-1", "positive"),
        ("audit_log=1.5", "positive"),
        ("audit_log=thirty", "positive"),
        ("audit_log", "is not kind=days"),
        ("audit_log=30,audit_log=40", "given twice"),
    ],
)
def test_a_bad_retention_override_names_the_variable(no_environment, monkeypatch, value, fragment):
    monkeypatch.setenv("RETENTION_OVERRIDES", value)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "RETENTION_OVERRIDES" in message
    assert fragment in message
    assert len(message.splitlines()) == 1


# -- the command ----------------------------------------------------------------------


def run_command(*args: str, cwd: Path, **variables: str) -> subprocess.CompletedProcess[str]:
    """``python -m ikenei.cli ARGS`` configured by ``variables`` alone."""
    environment = {k: v for k, v in os.environ.items() if k.lower() not in Settings.model_fields}
    environment.update(variables)
    return subprocess.run(
        [sys.executable, "-m", "ikenei.cli", *args],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )


async def test_the_command_applies_the_policies_with_the_overrides_of_the_settings(
    db, fresh_dsn, tmp_path
):
    dated = await make_dated_rows(db)
    old_events, new_events = dated.rows["analytics_events"]

    result = await asyncio.to_thread(
        run_command, "retention", "run", cwd=tmp_path,
        DATABASE_URL=fresh_dsn, RETENTION_OVERRIDES="analytics_events=3650",
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "analytics_events: 0 row(s) (period 3650 days)" in lines
    assert "audit_log: 1 row(s) (period 2555 days)" in lines
    assert lines[-1] == "retention run done: 9 row(s) in all"
    assert old_events | new_events <= await row_ids(db)


def test_the_command_refuses_a_bad_override_before_touching_anything(tmp_path):
    result = run_command(
        "retention", "run", cwd=tmp_path,
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none", RETENTION_OVERRIDES="audit_log=-1",
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: invalid configuration: RETENTION_OVERRIDES: audit_log")
    assert "positive whole number of days" in result.stderr
