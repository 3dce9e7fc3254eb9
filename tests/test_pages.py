"""Keyset pages: every list is served in its order by an index, and a cursor
opens only the list, organization and filters it was made for.

The attacks: a cursor altered by a byte, one taken from another list, from
another organization's list or from the same list with other filters, and
one an older version made. Each is refused with ``InvalidData`` naming
``cursor``, and none of them returns a row.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import asyncpg
import pytest
from foundation_support import make_member, make_org
from paging_support import every_page
from pii_support import TEST_PII_KEY
from plan_support import rows_read
from security_support import owner_and_app, raw

from ikenei import Database, load_settings
from ikenei.config.key_format import parse_key
from ikenei.db import pages
from ikenei.db.pages import MAX_LIMIT, Page, Pages
from ikenei.db.queries import Executor, Q, Query, load
from ikenei.errors import InvalidData
from ikenei.monitoring.plans import nodes, plan_with_values
from ikenei.monitoring.server import Server, Session, inspect
from ikenei.security.encryption import Cipher

TQ = load(Path(__file__).parent / "sql" / "pages.sql")

LIST_QUERIES = sorted(
    (q for q in vars(Q).values() if isinstance(q, Query) and "limit" in q.params
     and any(p.startswith("after_") for p in q.params)),
    key=lambda q: q.name,
)

# A sample value of each parameter type (text ones stay NULL: a filter's words are
# checked by the schema), for a plan with most filters set.
_SAMPLES: dict[str, Any] = {
    "uuid": uuid4(),
    "timestamptz": datetime(2026, 6, 1, tzinfo=UTC),
    "date": date(2026, 6, 1),
    "bool": True,
    "int8": 1000,
    "int4": 20,
    "int2": 5,
    "numeric": Decimal("0.5"),
    "interval": timedelta(hours=1),
}


def test_no_query_pages_by_offset() -> None:
    assert len(LIST_QUERIES) >= 20
    offsets = [q.name for q in vars(Q).values()
               if isinstance(q, Query) and re.search(r"\bOFFSET\b", q.sql, re.IGNORECASE)]
    assert offsets == []


@pytest.mark.parametrize("query", LIST_QUERIES, ids=lambda q: q.name)
async def test_every_list_is_read_in_its_order_through_an_index(fresh_dsn: str, query: Query) -> None:
    """With sorting priced out, a list that no index serves in its order still
    sorts: no Sort node means an index gives the order, so a late page reads
    what the first does."""
    conn = await asyncpg.connect(fresh_dsn)
    try:
        statement = await conn.prepare(query.sql)
        values = [_SAMPLES.get(t.name) for t in statement.get_parameters()]
        x = Executor(conn)
        server = await inspect(x)
        async with x.transaction() as tx:
            await tx.execute(TQ.price_out_sorts_and_scans)
            plan = (await plan_with_values(Session(tx, server), query.sql, values))["Plan"]
    finally:
        await conn.close()
    if query.name == "list_feedback_cycle_invitations":
        # It reads the page first (a Limit over the index, in order), then
        # looks up the names of the page's people once each and sorts the
        # page's rows back into order: no sort may sit under the Limit.
        [page] = [n for n in nodes(plan) if n["Node Type"] == "Limit"]
        assert not [n for n in nodes(page) if n["Node Type"] in ("Sort", "Incremental Sort")], (
            json.dumps(plan, indent=1))
        return
    assert plan["Node Type"] == "Limit", plan
    sorts = [n for n in nodes(plan) if n["Node Type"] in ("Sort", "Incremental Sort")]
    if query.name in ("list_users", "list_organizations"):
        # Their branches sort at most a page each: an organization's members
        # (or a scope's organizations), read by id, and the pages of the other
        # branches (test_users_of_an_organization_are_read_through_its_memberships,
        # test_a_scope_reads_its_own_organizations_only,
        # test_with_no_scope_users_are_walked_a_page_at_a_time).
        return
    assert not sorts, json.dumps(plan, indent=1)



async def _forms(db: Database, count: int) -> tuple[Any, list[Any]]:
    org = await make_org(db)
    made = [await db.feedback.create_form(org.id, title=f"Form {n}") for n in range(count)]
    return org, made


async def test_pages_follow_each_other_without_gaps_or_repeats(db: Database) -> None:
    org, made = await _forms(db, 7)
    pages_read = await every_page(lambda c: db.feedback.list_forms(org.id, limit=3, after=c))
    assert [len(p) for p in pages_read] == [3, 3, 1]
    assert [f.id for p in pages_read for f in p] == [f.id for f in made]
    assert all(isinstance(p, Page) for p in pages_read)
    assert pages_read[-1].cursor is None
    # Exactly a page's worth left: the last full page says there is no next one.
    assert (await db.feedback.list_forms(org.id, limit=7)).cursor is None


async def test_a_cursor_altered_by_one_character_is_refused(db: Database) -> None:
    org, _ = await _forms(db, 4)
    cursor = (await db.feedback.list_forms(org.id, limit=2)).cursor
    assert cursor is not None
    for position in range(0, len(cursor), 7):
        flipped = "A" if cursor[position] != "A" else "B"
        altered = cursor[:position] + flipped + cursor[position + 1:]
        with pytest.raises(InvalidData) as refused:
            await db.feedback.list_forms(org.id, limit=2, after=altered)
        assert refused.value.field == "cursor"
    for garbage in ("", "not a cursor", "=" * 10, "x" * 5000, "1.dev." + "A" * 40):
        with pytest.raises(InvalidData) as refused:
            await db.feedback.list_forms(org.id, limit=2, after=garbage)
        assert refused.value.field == "cursor"


async def test_a_cursor_opens_only_its_own_list_organization_and_filters(db: Database) -> None:
    ours, _ = await _forms(db, 4)
    theirs, their_forms = await _forms(db, 4)
    ours_cursor = (await db.feedback.list_forms(ours.id, limit=2)).cursor
    assert ours_cursor is not None
    attempts = {
        "another organization's list": lambda: db.feedback.list_forms(theirs.id, limit=2, after=ours_cursor),
        "the same list, other filters": lambda: db.feedback.list_forms(
            ours.id, is_active=True, limit=2, after=ours_cursor),
        "another list": lambda: db.feedback.list_cycles(ours.id, limit=2, after=ours_cursor),
        "another list of the other organization": lambda: db.feedback.list_cycles(
            theirs.id, limit=2, after=ours_cursor),
    }
    for name, attempt in attempts.items():
        with pytest.raises(InvalidData) as refused:
            await attempt()
        assert refused.value.field == "cursor", name
    # Their own list still pages for them.
    assert [f.id for f in await db.feedback.list_forms(theirs.id, limit=4)] == [f.id for f in their_forms]


async def test_a_cursor_of_an_older_version_is_refused(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    org, _ = await _forms(db, 4)
    monkeypatch.setattr(pages, "CURSOR_VERSION", pages.CURSOR_VERSION - 1)
    older = (await db.feedback.list_forms(org.id, limit=2)).cursor
    monkeypatch.undo()
    assert older is not None
    with pytest.raises(InvalidData) as refused:
        await db.feedback.list_forms(org.id, limit=2, after=older)
    assert refused.value.field == "cursor"


async def test_a_page_size_out_of_range_is_refused(db: Database) -> None:
    org, _ = await _forms(db, 1)
    for limit in (0, -1, MAX_LIMIT + 1, True, 2.5, "10"):
        with pytest.raises(InvalidData) as refused:
            await db.feedback.list_forms(org.id, limit=limit)  # type: ignore[arg-type]
        assert refused.value.field == "limit"


def test_a_cursor_survives_a_key_rotation_and_not_another_key() -> None:
    first = parse_key(TEST_PII_KEY)
    second = ("k2", bytes(range(2, 34)))
    stranger = ("k3", bytes(range(1, 33)))
    before = Pages(Cipher(first))
    bound = before._binding(Q.list_feedback_forms, {"organization_id": uuid4()})
    cursor = before._seal((datetime(2026, 1, 1, tzinfo=UTC), uuid4()), bound)
    assert Pages(Cipher(second, [first]))._open(cursor, bound, 2)[0] == datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidData):
        Pages(Cipher(stranger))._open(cursor, bound, 2)


async def test_members_page_through_the_organization_not_through_every_user(db: Database) -> None:
    org = await make_org(db)
    elsewhere = await make_org(db)
    ours = [await make_member(db, org.id) for _ in range(5)]
    for _ in range(5):
        await make_member(db, elsewhere.id)
    read = await every_page(lambda c: db.organizations.list_members(org.id, limit=2, after=c))
    assert [m.user_id for p in read for m in p] == [u.id for u in ours]


async def test_users_of_an_organization_are_read_through_its_memberships(fresh_dsn: str) -> None:
    """users.list in a small organization of a server with many people reads
    that organization's people only, as the application role."""
    settings = load_settings(database_url=fresh_dsn, pii_encryption_key=TEST_PII_KEY)
    owner = await Database.connect(settings, role=None)
    try:
        small = await make_org(owner)
        large = await make_org(owner)
        ours = [await make_member(owner, small.id) for _ in range(3)]
        for _ in range(150):
            await make_member(owner, large.id)
    finally:
        await owner.close()
    server = await _analysed_server(fresh_dsn)
    app = await Database.connect(settings, role="ikenei_app")
    try:
        async with app.organization(small.id) as org:
            listed = await org.users.list(limit=10)
            plan = await _first_page_analysed(Session(org.users._x, server))
    finally:
        await app.close()
    assert [u.id for u in listed] == [u.id for u in ours]
    assert rows_read([plan], "users") <= len(ours), json.dumps(plan, indent=1)


async def test_a_page_of_a_large_organizations_people_reads_a_page_of_them(fresh_dsn: str) -> None:
    """users.list in an organization of 150 people reads the page's people, in
    their creation order, even for one who joined after people made later."""
    async with owner_and_app(fresh_dsn) as (owner, app):
        large, elsewhere = await make_org(owner), await make_org(owner)
        first = await make_member(owner, elsewhere.id)
        later = [await make_member(owner, large.id) for _ in range(150)]
        await owner.organizations.add_member(large.id, first.id)
        server = await _analysed_server(fresh_dsn)
        async with app.organization(large.id) as org:
            pages = await every_page(lambda c: org.users.list(limit=10, after=c))
            plan = await _first_page_analysed(Session(org.users._x, server))
    assert [u.id for page in pages for u in page] == [first.id] + [u.id for u in later]
    assert rows_read([plan], "users") <= 11, json.dumps(plan, indent=1)


async def test_a_page_of_members_or_of_a_roles_holders_looks_up_a_page_of_people(fresh_dsn: str) -> None:
    """organizations.list_members and roles.list_assignments in an organization
    of 150 people look up the page's people only, as the application role, and
    still pass over a person who was deleted (and, for the role, one who left)."""
    async with owner_and_app(fresh_dsn) as (owner, app):
        large = await make_org(owner)
        people = [await make_member(owner, large.id) for _ in range(150)]
        role = await owner.roles.create(large.id, name="reviewer", permissions=[])
        for person in people:
            await owner.roles.assign(large.id, person.id, role.id)
        await owner.users.soft_delete(people[0].id)
        await owner.organizations.set_member_status(large.id, people[1].id, "left")
        server = await _analysed_server(fresh_dsn)
        async with app.organization(large.id) as org:
            members = await every_page(lambda c: org.organizations.list_members(large.id, limit=10, after=c))
            holders = await every_page(lambda c: org.roles.list_assignments(large.id, role.id, limit=10, after=c))
            session = Session(org.users._x, server)
            first = {"after_joined_at": None, "after_user_id": None, "after_granted_at": None, "after_id": None,
                     "organization_id": large.id, "role_id": role.id, "status": None, "limit": 11}
            plans = [(await plan_with_values(session, q.sql, q.pick(first), analyze=True))["Plan"]
                     for q in (Q.list_members, Q.list_role_members)]
    assert [m.user_id for page in members for m in page] == [p.id for p in people[1:]]
    assert [a.user_id for page in holders for a in page] == [p.id for p in people[2:]]
    for plan in plans:
        # The eleven rows of a first page of ten (one tells that a next page
        # exists) and the two people passed over; the whole organization is 150.
        assert rows_read([plan], "users") <= 13, json.dumps(plan, indent=1)


async def test_a_members_place_in_the_list_is_their_persons_creation_time(fresh_dsn: str) -> None:
    """The membership's copy of it (user_created_at), by which a page is chosen,
    cannot be set by hand, and follows the person's when that changes: pages
    of one person each come in the persons' order."""
    early = datetime(2000, 1, 1, tzinfo=UTC)
    async with owner_and_app(fresh_dsn) as (owner, app):
        org = await make_org(owner)
        people = [await make_member(owner, org.id) for _ in range(3)]
        async with app.organization(org.id) as tx:
            assert await raw(tx).execute(TQ.move_membership_in_time, user_id=people[2].id, created_at=early) == 1
            kept = [u.id for page in await every_page(lambda c: tx.users.list(limit=1, after=c)) for u in page]
        assert await Executor(owner._pool).execute(TQ.set_person_created_at, user_id=people[2].id,
                                                   created_at=early) == 1
        async with app.organization(org.id) as tx:
            moved = [u.id for page in await every_page(lambda c: tx.users.list(limit=1, after=c)) for u in page]
    assert kept == [p.id for p in people]
    assert moved == [people[2].id, people[0].id, people[1].id]


async def test_a_scope_reads_its_own_organizations_only(fresh_dsn: str) -> None:
    """organizations.list in a scope on a server of many organizations reads the
    scope's organization and its person's, as the application role; never one
    the person has left."""
    async with owner_and_app(fresh_dsn) as (owner, app):
        ours = await make_org(owner, name="Zeta Ltd")
        theirs = await make_org(owner, name="Alpha Ltd")
        person = await make_member(owner, ours.id)
        await owner.organizations.add_member(theirs.id, person.id)
        for n in range(60):
            await make_org(owner, name=f"Other {n:02}")
        everyone = await owner.organizations.list(limit=100)
        server = await _analysed_server(fresh_dsn)
        values = Q.list_organizations.pick({"is_active": None, "after_name": None, "after_id": None,
                                            "limit": 11})
        async with app.organization(ours.id) as org:
            alone = await org.organizations.list(limit=10)
            plan = (await plan_with_values(Session(org.organizations._x, server), Q.list_organizations.sql,
                                           values, analyze=True))["Plan"]
        async with app.organization(ours.id, user_id=person.id) as org:
            with_person = await org.organizations.list(limit=10)
        await owner.organizations.set_member_status(theirs.id, person.id, "left")
        async with app.organization(ours.id, user_id=person.id) as org:
            after_leaving = await org.organizations.list(limit=10)
    assert len(everyone) == 62  # the owner, in no scope, walks them all
    assert [o.id for o in alone] == [ours.id]
    assert [o.id for o in with_person] == [theirs.id, ours.id]
    assert [o.id for o in after_leaving] == [ours.id]
    examined = sum((n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0)) * n.get("Actual Loops", 1)
                   for n in nodes(plan) if n.get("Relation Name") == "organizations")
    assert examined <= 1, json.dumps(plan, indent=1)


async def test_with_no_scope_users_are_walked_a_page_at_a_time(fresh_dsn: str) -> None:
    """The owner's list of every user reads a page's worth of users, not all of them."""
    settings = load_settings(database_url=fresh_dsn, pii_encryption_key=TEST_PII_KEY)
    owner = await Database.connect(settings, role=None)
    try:
        org = await make_org(owner)
        for _ in range(120):
            await make_member(owner, org.id)
        server = await _analysed_server(fresh_dsn)
        async with owner.transaction() as tx:
            first = await tx.users.list(limit=10)
            plan = await _first_page_analysed(Session(tx.users._x, server))
    finally:
        await owner.close()
    assert len(first) == 10 and first.cursor is not None
    assert rows_read([plan], "users") <= 11, json.dumps(plan, indent=1)


async def _analysed_server(dsn: str) -> Server:
    """The probed server, after analysing the people's tables so that their plans cost what they hold."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(TQ.analyze_people.sql)
        return await inspect(Executor(conn))
    finally:
        await conn.close()


async def _first_page_analysed(session: Session) -> dict[str, Any]:
    """The analysed plan of users.list's first page of ten, as the repository asks
    for it, in the session's scope (rolled back)."""
    values = Q.list_users.pick({"is_active": None, "after_created_at": None, "after_id": None, "limit": 11})
    return (await plan_with_values(session, Q.list_users.sql, values, analyze=True))["Plan"]
