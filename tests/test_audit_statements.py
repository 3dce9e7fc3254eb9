"""The audit trail of statements that write many rows: one entry per row, the
same entry a per-row trigger wrote, written once per statement."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from uuid import UUID

from foundation_support import executor, make_org, make_user
from test_audit import AUDITED

from ikenei.db.queries import load

TQ = load(Path(__file__).parent / "sql" / "audit_statements.sql")

USER_REQUIRED = ["id", "email", "password_hash", "first_name", "last_name"]
USER_DEFAULTS = ["is_active", "email_verified"]
USER_STAMPS = ["created_at", "updated_at"]


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    table_name: str
    row_id: str | None
    organization_id: UUID | None
    action: str
    changed_columns: list[str]
    actor: str | None
    at_transaction_time: bool


@dataclasses.dataclass(frozen=True, slots=True)
class Trigger:
    table_name: str
    per_row: bool
    events: list[str]
    old_table: str | None
    new_table: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class Id:
    id: UUID


def entry(row_id: UUID, action: str, columns: list[str], organization_id: UUID | None = None) -> Entry:
    return Entry("users" if organization_id is None else "user_organizations", str(row_id),
                 organization_id, action, columns, "dpo", True)


async def test_every_audited_table_has_one_statement_trigger_per_write(db):
    found = await executor(db).all(TQ.audit_triggers, Trigger)
    expected = [
        Trigger(table, False, [event], old, new)
        for table in sorted(AUDITED)
        for event, old, new in sorted([("INSERT", None, "audit_new"),
                                       ("UPDATE", "audit_old", "audit_new"),
                                       ("DELETE", "audit_old", None)], key=lambda e: [e[0]])
    ]
    assert found == expected


async def test_a_multi_row_insert_update_and_delete_leave_the_entries_of_a_row_trigger(db):
    # The entries are those the per-row trigger wrote for the same statements
    # (this test passes unchanged against it): one per row, in the rows' order,
    # the columns holding a value in table order, no entry for an update that
    # changes nothing but updated_at, the actor and time of the transaction.
    async with executor(db).transaction() as x:
        await x.value(TQ.act_as, actor="dpo")
        ann, ben, cat = [r.id for r in await x.all(TQ.insert_three_users, Id, prefix="multi")]
        assert await x.execute(TQ.update_three_users, prefix="multi") == 3
        assert await x.execute(TQ.delete_three_users, prefix="multi") == 3
        found = await x.all(TQ.audit_entries_of, Entry, row_ids=[str(ann), str(ben), str(cat)])

    ann_columns = [*USER_REQUIRED, "job_title", "department", "profile_image_url", *USER_DEFAULTS,
                   "last_login_at", *USER_STAMPS]
    ben_columns = [*USER_REQUIRED, *USER_DEFAULTS, *USER_STAMPS]
    cat_columns = [*USER_REQUIRED, "department", *USER_DEFAULTS, *USER_STAMPS]
    with_title = ["id", "email", "password_hash", "first_name", "last_name", "job_title"]
    inserts = [entry(ann, "INSERT", ann_columns), entry(ben, "INSERT", ben_columns),
               entry(cat, "INSERT", cat_columns)]
    updates = [entry(ben, "UPDATE", ["job_title"]), entry(cat, "UPDATE", ["job_title", "department"])]
    deletes = [entry(ann, "DELETE", ann_columns),
               entry(ben, "DELETE", [*with_title, *USER_DEFAULTS, *USER_STAMPS]),
               entry(cat, "DELETE", [*with_title, "department", *USER_DEFAULTS, *USER_STAMPS])]
    assert found[:3] == inserts  # in the order of the statement's rows
    assert sorted(found[3:5], key=lambda e: e.row_id or "") == sorted(updates, key=lambda e: e.row_id or "")
    assert sorted(found[5:], key=lambda e: e.row_id or "") == sorted(deletes, key=lambda e: e.row_id or "")
    assert len(found) == 8


async def test_a_multi_row_insert_records_each_rows_organization(db):
    org = await make_org(db)
    first, second = await make_user(db), await make_user(db)
    async with executor(db).transaction() as x:
        await x.value(TQ.act_as, actor="dpo")
        assert await x.execute(
            TQ.add_two_members, organization_id=org.id, first_id=first.id, second_id=second.id,
        ) == 2
        found = await x.all(TQ.audit_entries_of_table, Entry, table_name="user_organizations")
    assert [(e.action, e.organization_id, e.actor) for e in found] == [("INSERT", org.id, "dpo")] * 2
    assert all(e.changed_columns[:1] == ["id"] and {"organization_id", "user_id"} <= set(e.changed_columns)
               for e in found)
    assert len({e.row_id for e in found}) == 2
