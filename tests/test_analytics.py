"""Analytics: events and their daily counts, reports and their moves, dashboard widgets, the dashboard."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import uuid4

import pytest
from feedback_fixtures import answers, make_member, make_org, make_setup
from paging_support import every_page, page_after
from statement_counter import count_statements

from ikenei import Database
from ikenei.config.settings import load_settings
from ikenei.db.queries import Executor, load
from ikenei.errors import AlreadyExists, Conflict, InvalidData, NotFound, OutOfScope
from ikenei.repositories.analytics import (
    AnalyticsEvent,
    AnalyticsRepository,
    Event,
    Report,
    Widget,
)

TQ = load(Path(__file__).parent / "sql" / "analytics.sql")

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Counts:
    events: int
    reports: int
    widgets: int


async def counts(db: Database) -> Counts:
    found = await Executor(db._pool).one(TQ.count_analytics_rows, Counts)
    assert found is not None
    return found


# -- events -------------------------------------------------------------------------


async def test_record_event_with_defaults(db):
    org = await make_org(db)
    before = datetime.now(UTC)
    event_id = await db.analytics.record_event(org.id, "page.view")
    after = datetime.now(UTC)
    assert isinstance(event_id, int)
    [event] = await db.analytics.list_events(org.id)
    assert event.id == event_id
    assert (event.organization_id, event.event_type) == (org.id, "page.view")
    assert (event.user_id, event.session_id, event.properties) == (None, None, {})
    assert before - timedelta(seconds=5) <= event.occurred_at <= after + timedelta(seconds=5)


async def test_record_event_keeps_every_field(db):
    org = await make_org(db)
    person = await make_member(db, org.id)
    properties = {
        "path": "/plans/ünïcode",
        "n": 3,
        "tags": ["a", "b"],
        "nested": {"ok": True, "x": None},
    }
    event_id = await db.analytics.record_event(
        org.id,
        "plan.opened",
        user_id=person.id,
        session_id="s-1",
        properties=properties,
        occurred_at=T0,
    )
    [event] = await db.analytics.list_events(org.id)
    assert event == AnalyticsEvent(
        event_id, org.id, person.id, "s-1", "plan.opened", properties, T0
    )


async def test_record_event_is_one_statement(db):
    org = await make_org(db)
    async with count_statements(db) as (tx, sent):
        await tx.analytics.record_event(org.id, "page.view", properties={"a": 1})
    assert sent.count == 1, sent.statements


@pytest.mark.parametrize("event_type", ["Page.View", "", "1st", "page-view", "_x", "page view"])
async def test_malformed_event_type_is_refused(db, event_type):
    org = await make_org(db)
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.analytics.record_event(org.id, event_type)
    assert caught.value.field == "event_type"
    assert await counts(db) == before


async def test_event_of_unknown_organization_or_user_is_refused(db):
    org = await make_org(db)
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.analytics.record_event(uuid4(), "page.view")
    assert caught.value.field == "organization_id"
    with pytest.raises(InvalidData) as caught:
        await db.analytics.record_event(org.id, "page.view", user_id=uuid4())
    assert caught.value.field == "user_id"
    assert await counts(db) == before


async def test_an_events_person_is_a_member_who_may_have_left_until_the_account_goes(db):
    org = await make_org(db)
    person = await make_member(db, org.id)
    await db.analytics.record_event(org.id, "page.view", user_id=person.id)
    await db.organizations.remove_member(org.id, person.id)
    # The membership stays (status left), so the history about them does too.
    await db.analytics.record_event(org.id, "page.view", user_id=person.id)
    assert [e.user_id for e in await db.analytics.list_events(org.id)] == [person.id, person.id]
    await Executor(db._pool).execute(TQ.delete_account, user_id=person.id)
    assert [e.user_id for e in await db.analytics.list_events(org.id)] == [None, None]


@pytest.mark.parametrize("properties", [[1, 2], "text", 7])
async def test_event_properties_must_be_an_object(db, properties):
    org = await make_org(db)
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.analytics.record_event(org.id, "page.view", properties=properties)
    assert caught.value.field == "properties"
    assert await counts(db) == before


async def test_record_events_writes_the_whole_batch(db):
    org = await make_org(db)
    person = await make_member(db, org.id)
    batch = [
        Event(org.id, "page.view", occurred_at=T0),
        Event(
            org.id,
            "plan.opened",
            user_id=person.id,
            session_id="s-9",
            properties={"plan": "ä", "steps": [1, {"x": None}]},
            occurred_at=T0 + timedelta(minutes=1),
        ),
        Event(org.id, "page.view", properties=None),
    ]
    before = datetime.now(UTC)
    assert await db.analytics.record_events(iter(batch)) == 3
    events = await db.analytics.list_events(org.id)
    assert [(e.event_type, e.user_id, e.session_id, e.properties) for e in events] == [
        ("page.view", None, None, {}),
        ("plan.opened", person.id, "s-9", {"plan": "ä", "steps": [1, {"x": None}]}),
        ("page.view", None, None, {}),
    ]
    assert [e.occurred_at for e in events[:2]] == [T0, T0 + timedelta(minutes=1)]
    assert events[2].occurred_at >= before - timedelta(seconds=5)


async def test_record_events_of_nothing_writes_nothing(db):
    before = await counts(db)
    assert await db.analytics.record_events([]) == 0
    assert await counts(db) == before


async def test_record_events_is_one_statement_whatever_the_batch(db):
    org = await make_org(db)
    sent_for = {}
    for size in (3, 500):
        async with count_statements(db) as (tx, sent):
            assert await tx.analytics.record_events(
                Event(org.id, "page.view") for _ in range(size)
            ) == size
        sent_for[size] = sent.statements
    assert len(sent_for[3]) == len(sent_for[500]) == 1, sent_for
    assert (await counts(db)).events == 503


async def test_record_events_as_the_application_role_stays_in_its_organization(db, fresh_dsn):
    org, other = await make_org(db), await make_org(db)
    settings = load_settings(database_url=fresh_dsn, db_app_role="ikenei_app")
    async with await Database.connect(settings) as app:
        async with app.organization(org.id) as tx:
            assert await tx.analytics.record_events([Event(org.id, "page.view")] * 2) == 2
        before = await counts(db)
        with pytest.raises(OutOfScope, match="row-level security") as caught:
            async with app.organization(org.id) as tx:
                await tx.analytics.record_events([Event(org.id, "page.view"), Event(other.id, "page.view")])
    assert str(caught.value).startswith("analytics event refused: not of the organization")
    assert await counts(db) == before
    assert len(await db.analytics.list_events(org.id)) == 2
    assert await db.analytics.list_events(other.id) == []


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (lambda org: Event(org, "Bad Type"), "event_type"),
        (lambda org: Event(uuid4(), "page.view"), "organization_id"),
        (lambda org: Event(org, "page.view", user_id=uuid4()), "user_id"),
        (lambda org: Event(org, "page.view", properties=["not", "an", "object"]), "properties"),
    ],
)
async def test_one_bad_event_refuses_the_whole_batch(db, bad, field):
    org = await make_org(db)
    batch = [Event(org.id, "page.view"), bad(org.id), Event(org.id, "page.view")]
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.analytics.record_events(batch)
    assert caught.value.field == field
    assert await counts(db) == before


async def test_list_events_filters_by_time_type_and_person(db):
    org = await make_org(db)
    other_org = await make_org(db)
    ada = await make_member(db, org.id)
    bob = await make_member(db, org.id)
    await db.analytics.record_events(
        [
            Event(org.id, "page.view", user_id=ada.id, occurred_at=T0),
            Event(org.id, "page.view", user_id=bob.id, occurred_at=T0 + timedelta(hours=1)),
            Event(org.id, "plan.opened", user_id=ada.id, occurred_at=T0 + timedelta(hours=2)),
            Event(org.id, "page.view", occurred_at=T0 + timedelta(hours=3)),
            Event(other_org.id, "page.view", occurred_at=T0 + timedelta(hours=1)),
        ]
    )
    a = db.analytics

    def hours(events):
        return [int((e.occurred_at - T0) / timedelta(hours=1)) for e in events]

    assert hours(await a.list_events(org.id)) == [0, 1, 2, 3]
    # [since, until): since included, until not.
    assert hours(
        await a.list_events(org.id, since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
    ) == [1, 2]
    assert hours(await a.list_events(org.id, event_type="page.view")) == [0, 1, 3]
    assert hours(await a.list_events(org.id, user_id=ada.id)) == [0, 2]
    assert hours(await a.list_events(org.id, event_type="page.view", user_id=ada.id)) == [0]
    assert hours(await a.list_events(other_org.id)) == [1]
    assert await a.list_events(org.id, event_type="nothing.here") == []


async def test_list_events_pages_by_time_then_id(db):
    org = await make_org(db)
    # Ties on occurred_at are broken by id: five events share each instant.
    await db.analytics.record_events(
        Event(org.id, "page.view", properties={"n": n}, occurred_at=T0 + timedelta(seconds=n // 5))
        for n in range(23)
    )
    everything = await db.analytics.list_events(org.id, limit=100)
    assert [e.properties["n"] for e in everything] == list(range(23))
    assert everything == sorted(everything, key=lambda e: (e.occurred_at, e.id))
    pages = await every_page(lambda c: db.analytics.list_events(org.id, after=c, limit=4))
    assert [len(page) for page in pages] == [4, 4, 4, 4, 4, 3]
    assert [e for page in pages for e in page] == everything
    # Appending an event later in time does not disturb the pages already read.
    await db.analytics.record_event(org.id, "page.view", occurred_at=T0 + timedelta(days=1))
    assert await db.analytics.list_events(org.id, after=pages[0].cursor, limit=4) == pages[1]


async def test_count_events_by_day_and_type(db):
    org = await make_org(db)
    other_org = await make_org(db)
    late = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 2 March in Tokyo
    await db.analytics.record_events(
        [
            Event(org.id, "page.view", occurred_at=T0),
            Event(org.id, "page.view", occurred_at=late),
            Event(org.id, "plan.opened", occurred_at=T0),
            Event(org.id, "page.view", occurred_at=T0 + timedelta(days=1)),
            Event(org.id, "page.view", occurred_at=T0 + timedelta(days=5)),  # after until
            Event(other_org.id, "page.view", occurred_at=T0),
        ]
    )
    since, until = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC)
    counted = await db.analytics.count_events_by_day(org.id, since=since, until=until)
    assert [(c.day, c.event_type, c.events) for c in counted] == [
        (date(2026, 3, 1), "page.view", 2),
        (date(2026, 3, 1), "plan.opened", 1),
        (date(2026, 3, 2), "page.view", 1),
    ]
    tokyo = await db.analytics.count_events_by_day(
        org.id, since=since, until=until, event_type="page.view", time_zone="Asia/Tokyo"
    )
    assert [(c.day, c.event_type, c.events) for c in tokyo] == [
        (date(2026, 3, 1), "page.view", 1),
        (date(2026, 3, 2), "page.view", 2),
    ]
    assert await db.analytics.count_events_by_day(uuid4(), since=since, until=until) == []


async def test_count_events_by_day_refuses_an_unknown_time_zone(db):
    org = await make_org(db)
    with pytest.raises(InvalidData) as caught:
        await db.analytics.count_events_by_day(
            org.id, since=T0, until=T0 + timedelta(days=1), time_zone="Mars/Olympus"
        )
    assert "Mars/Olympus" in caught.value.reason


# -- reports ------------------------------------------------------------------------


async def test_create_and_get_report(db):
    org = await make_org(db)
    person = await make_member(db, org.id)
    report = await db.analytics.create_report(
        org.id,
        report_type="cycle_completion",
        title="Spring completion",
        parameters={"cycle": "spring", "groups": ["peer"]},
        requested_by=person.id,
    )
    assert (report.organization_id, report.report_type, report.title) == (
        org.id,
        "cycle_completion",
        "Spring completion",
    )
    assert report.parameters == {"cycle": "spring", "groups": ["peer"]}
    assert (report.status, report.requested_by) == ("queued", person.id)
    assert (report.result, report.file_url, report.error_message) == (None, None, None)
    assert (report.started_at, report.completed_at) == (None, None)
    assert await db.analytics.get_report(report.id) == report


async def test_report_parameters_default_to_empty(db):
    org = await make_org(db)
    report = await db.analytics.create_report(org.id, report_type="engagement", title="Weekly")
    assert report.parameters == {}
    assert report.requested_by is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"report_type": "everything"}, "report_type"),
        ({"title": "   "}, "title"),
        ({"parameters": ["a"]}, "parameters"),
        ({"requested_by": uuid4()}, "requested_by"),
    ],
)
async def test_invalid_report_is_refused(db, fields, field):
    org = await make_org(db)
    values = {"report_type": "engagement", "title": "Weekly"} | fields
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.analytics.create_report(org.id, **values)
    assert caught.value.field == field
    assert await counts(db) == before


async def test_report_of_unknown_organization_is_refused(db):
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.analytics.create_report(uuid4(), report_type="engagement", title="Weekly")
    assert caught.value.field == "organization_id"
    assert await counts(db) == before


async def test_list_reports_filters_and_pages_newest_first(db):
    org = await make_org(db)
    other_org = await make_org(db)
    a = db.analytics
    made = [
        await a.create_report(org.id, report_type=kind, title=f"R{n}")
        for n, kind in enumerate(["engagement", "competency_gaps", "engagement", "engagement"])
    ]
    await a.create_report(other_org.id, report_type="engagement", title="elsewhere")
    await a.start_report(made[1].id)
    await a.fail_report(made[2].id, "no data")
    newest_first = [r.id for r in reversed(made)]
    assert [r.id for r in await a.list_reports(org.id)] == newest_first
    assert [r.id for r in await a.list_reports(org.id, status="queued")] == [made[3].id, made[0].id]
    assert [r.id for r in await a.list_reports(org.id, status="running")] == [made[1].id]
    assert [r.id for r in await a.list_reports(org.id, report_type="engagement")] == [
        made[3].id,
        made[2].id,
        made[0].id,
    ]
    assert [
        r.id for r in await a.list_reports(org.id, report_type="engagement", status="failed")
    ] == [made[2].id]
    assert [r.id for r in await a.list_reports(org.id, limit=2)] == newest_first[:2]
    assert [r.id for r in await page_after(lambda c: a.list_reports(org.id, limit=2, after=c), 1)] == newest_first[2:]
    assert await a.list_reports(org.id, status="completed") == []


async def test_report_runs_to_completion(db):
    org = await make_org(db)
    a = db.analytics
    queued = await a.create_report(org.id, report_type="feedback_summary", title="Summary")
    running = await a.start_report(queued.id)
    assert running.status == "running"
    assert running.started_at is not None and running.completed_at is None
    done = await a.complete_report(
        queued.id, result={"rows": [1, 2], "total": 2}, file_url="https://files.example/r.pdf"
    )
    assert done.status == "completed"
    assert done.result == {"rows": [1, 2], "total": 2}
    assert done.file_url == "https://files.example/r.pdf"
    assert done.started_at == running.started_at
    assert done.completed_at is not None and done.completed_at >= done.started_at
    assert done.error_message is None
    assert await a.get_report(queued.id) == done


async def test_report_result_may_be_any_json_value(db):
    org = await make_org(db)
    a = db.analytics
    report = await a.create_report(org.id, report_type="engagement", title="Weekly")
    await a.start_report(report.id)
    done = await a.complete_report(report.id, result=[{"day": "2026-03-01", "n": 4}])
    assert done.result == [{"day": "2026-03-01", "n": 4}]
    assert done.file_url is None


@pytest.mark.parametrize("started", [False, True])
async def test_report_fails_from_queued_or_running(db, started):
    org = await make_org(db)
    a = db.analytics
    report = await a.create_report(org.id, report_type="engagement", title="Weekly")
    if started:
        await a.start_report(report.id)
    failed = await a.fail_report(report.id, "source table missing")
    assert (failed.status, failed.error_message) == ("failed", "source table missing")
    assert failed.completed_at is not None
    assert (failed.started_at is not None) is started
    assert failed.result is None


async def test_failing_a_report_needs_a_reason(db):
    org = await make_org(db)
    report = await db.analytics.create_report(org.id, report_type="engagement", title="Weekly")
    with pytest.raises(InvalidData) as caught:
        await db.analytics.fail_report(report.id, None)  # type: ignore[arg-type]
    assert caught.value.field == "error_message"
    assert await db.analytics.get_report(report.id) == report


async def _report_in(db, org_id, state: str) -> Report:
    a = db.analytics
    report = await a.create_report(org_id, report_type="engagement", title=f"In {state}")
    if state in ("running", "completed"):
        await a.start_report(report.id)
    if state == "completed":
        await a.complete_report(report.id, result={})
    if state == "failed":
        await a.fail_report(report.id, "broken")
    return await a.get_report(report.id)


@pytest.mark.parametrize(
    ("state", "move"),
    [
        ("running", "start"),
        ("completed", "start"),
        ("failed", "start"),
        ("queued", "complete"),
        ("completed", "complete"),
        ("failed", "complete"),
        ("completed", "fail"),
        ("failed", "fail"),
    ],
)
async def test_refused_report_moves_name_the_current_state(db, state, move):
    org = await make_org(db)
    report = await _report_in(db, org.id, state)
    calls = {
        "start": lambda: db.analytics.start_report(report.id),
        "complete": lambda: db.analytics.complete_report(report.id, result={"late": True}),
        "fail": lambda: db.analytics.fail_report(report.id, "too late"),
    }
    with pytest.raises(Conflict) as caught:
        await calls[move]()
    assert caught.value.current == state
    assert state in str(caught.value)
    assert await db.analytics.get_report(report.id) == report


@pytest.mark.parametrize(
    ("call", "entity"),
    [
        pytest.param(lambda a, missing: a.get_report(missing), "report", id="get_report"),
        pytest.param(lambda a, missing: a.start_report(missing), "report", id="start_report"),
        pytest.param(lambda a, missing: a.complete_report(missing), "report", id="complete_report"),
        pytest.param(lambda a, missing: a.fail_report(missing, "why"), "report", id="fail_report"),
        pytest.param(lambda a, missing: a.delete_report(missing), "report", id="delete_report"),
        pytest.param(lambda a, missing: a.get_widget(missing), "dashboard widget", id="get_widget"),
        pytest.param(lambda a, missing: a.move_widget(missing, 0), "dashboard widget", id="move_widget"),
    ],
)
async def test_reading_or_moving_an_unknown_report_or_widget_is_not_found(db, call, entity):
    missing = uuid4()
    with pytest.raises(NotFound) as caught:
        await call(db.analytics, missing)
    assert (caught.value.entity, caught.value.key) == (entity, missing)


async def test_racing_starts_one_wins(db):
    org = await make_org(db)
    report = await db.analytics.create_report(org.id, report_type="engagement", title="Weekly")
    results = await asyncio.gather(
        *(db.analytics.start_report(report.id) for _ in range(4)), return_exceptions=True
    )
    won = [r for r in results if isinstance(r, Report)]
    lost = [r for r in results if not isinstance(r, Report)]
    assert len(won) == 1
    assert len(lost) == 3
    assert all(isinstance(e, Conflict) and e.current == "running" for e in lost)


async def test_delete_report(db):
    org = await make_org(db)
    keep = await db.analytics.create_report(org.id, report_type="engagement", title="Keep")
    gone = await db.analytics.create_report(org.id, report_type="engagement", title="Gone")
    await db.analytics.delete_report(gone.id)
    with pytest.raises(NotFound):
        await db.analytics.get_report(gone.id)
    assert [r.id for r in await db.analytics.list_reports(org.id)] == [keep.id]


# -- dashboard widgets --------------------------------------------------------------


async def test_add_widgets_in_order(db):
    org = await make_org(db)
    person = await make_member(db, org.id)
    a = db.analytics
    first = await a.add_widget(org.id, person.id, "pending_feedback")
    second = await a.add_widget(
        org.id,
        person.id,
        "competency_radar",
        title="My radar",
        width=6,
        height=4,
        configuration={"competencies": ["c1", "c2"], "scale": {"min": 1, "max": 5}},
        is_visible=False,
    )
    assert (first.position, second.position) == (0, 1)
    assert (first.widget_type, first.title, first.width, first.height) == (
        "pending_feedback",
        None,
        1,
        1,
    )
    assert (first.configuration, first.is_visible) == ({}, True)
    assert (first.organization_id, first.user_id) == (org.id, person.id)
    assert second.configuration == {"competencies": ["c1", "c2"], "scale": {"min": 1, "max": 5}}
    assert (second.title, second.width, second.height, second.is_visible) == (
        "My radar",
        6,
        4,
        False,
    )
    placed = await a.add_widget(org.id, person.id, "activity", position=7)
    assert placed.position == 7
    assert (await a.add_widget(org.id, person.id, "recommendations")).position == 8
    assert await a.get_widget(second.id) == second


async def test_list_widgets_is_per_person_in_position_order(db):
    org = await make_org(db)
    ada = await make_member(db, org.id)
    bob = await make_member(db, org.id)
    a = db.analytics
    c = await a.add_widget(org.id, ada.id, "activity", position=5)
    b = await a.add_widget(org.id, ada.id, "learning_progress", position=2, is_visible=False)
    first = await a.add_widget(org.id, ada.id, "pending_feedback", position=0)
    theirs = await a.add_widget(org.id, bob.id, "activity")
    assert [w.id for w in await a.list_widgets(org.id, ada.id)] == [first.id, b.id, c.id]
    assert [w.id for w in await a.list_widgets(org.id, bob.id)] == [theirs.id]
    assert theirs.position == 0


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"widget_type": "weather"}, "widget_type"),
        ({"width": 13}, "width"),
        ({"width": 0}, "width"),
        ({"height": 0}, "height"),
        ({"position": -1}, "position"),
        ({"configuration": ["x"]}, "configuration"),
    ],
)
async def test_invalid_widget_is_refused(db, fields, field):
    org = await make_org(db)
    person = await make_member(db, org.id)
    values = {"widget_type": "activity"} | fields
    widget_type = values.pop("widget_type")
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.analytics.add_widget(org.id, person.id, widget_type, **values)
    assert caught.value.field == field
    assert await counts(db) == before


async def test_widget_of_a_non_member_is_refused(db):
    org = await make_org(db)
    other_org = await make_org(db)
    outsider = await make_member(db, other_org.id)
    before = await counts(db)
    with pytest.raises(InvalidData) as caught:
        await db.analytics.add_widget(org.id, outsider.id, "activity")
    assert caught.value.field == "user_id"
    assert await counts(db) == before


async def test_two_widgets_cannot_share_a_position(db):
    org = await make_org(db)
    person = await make_member(db, org.id)
    await db.analytics.add_widget(org.id, person.id, "activity", position=3)
    before = await counts(db)
    with pytest.raises(AlreadyExists) as caught:
        await db.analytics.add_widget(org.id, person.id, "pending_feedback", position=3)
    assert (caught.value.entity, caught.value.field) == ("dashboard widget", "position")
    assert await counts(db) == before


async def test_update_widget(db):
    org = await make_org(db)
    person = await make_member(db, org.id)
    widget = await db.analytics.add_widget(org.id, person.id, "activity", title="Recent")
    changed = dataclasses.replace(
        widget,
        title="Last week",
        width=4,
        height=2,
        configuration={"days": 7},
        is_visible=False,
        # Neither type nor position is changed by update_widget.
        widget_type="competency_radar",
        position=9,
    )
    updated = await db.analytics.update_widget(changed)
    assert (updated.title, updated.width, updated.height) == ("Last week", 4, 2)
    assert (updated.configuration, updated.is_visible) == ({"days": 7}, False)
    assert (updated.widget_type, updated.position) == ("activity", 0)
    assert updated.updated_at >= widget.updated_at
    assert await db.analytics.get_widget(widget.id) == updated


async def test_invalid_widget_update_is_refused(db):
    org = await make_org(db)
    person = await make_member(db, org.id)
    widget = await db.analytics.add_widget(org.id, person.id, "activity")
    with pytest.raises(InvalidData) as caught:
        await db.analytics.update_widget(dataclasses.replace(widget, height=20))
    assert caught.value.field == "height"
    assert await db.analytics.get_widget(widget.id) == widget
    with pytest.raises(NotFound):
        await db.analytics.update_widget(dataclasses.replace(widget, id=uuid4()))


async def _dashboard_of(db, count: int) -> tuple[object, object, list[Widget]]:
    org = await make_org(db)
    person = await make_member(db, org.id)
    widgets = [
        await db.analytics.add_widget(org.id, person.id, "activity", title=f"W{n}", position=n * 10)
        for n in range(count)
    ]
    return org, person, widgets


@pytest.mark.parametrize(
    ("moved", "to", "order"),
    [
        (3, 0, [3, 0, 1, 2]),
        (0, 3, [1, 2, 3, 0]),
        (1, 2, [0, 2, 1, 3]),
        (2, 1, [0, 2, 1, 3]),
        (0, 99, [1, 2, 3, 0]),
        (2, 2, [0, 1, 2, 3]),
    ],
)
async def test_move_widget_renumbers_the_dashboard(db, moved, to, order):
    org, person, widgets = await _dashboard_of(db, 4)
    # Another person's widgets are not touched.
    other = await make_member(db, org.id)
    theirs = await db.analytics.add_widget(org.id, other.id, "activity", position=1)
    result = await db.analytics.move_widget(widgets[moved].id, to)
    assert [w.id for w in result] == [widgets[n].id for n in order]
    assert [w.position for w in result] == [0, 1, 2, 3]
    assert await db.analytics.list_widgets(org.id, person.id) == result
    assert await db.analytics.list_widgets(org.id, other.id) == [theirs]


async def test_move_widget_to_a_negative_place_is_refused(db):
    org, person, widgets = await _dashboard_of(db, 3)
    with pytest.raises(InvalidData) as caught:
        await db.analytics.move_widget(widgets[1].id, -1)
    assert caught.value.field == "position"
    assert await db.analytics.list_widgets(org.id, person.id) == widgets


async def test_racing_moves_of_one_dashboard_both_apply(db):
    org, person, w = await _dashboard_of(db, 4)
    await asyncio.gather(db.analytics.move_widget(w[3].id, 0), db.analytics.move_widget(w[2].id, 0))
    after = await db.analytics.list_widgets(org.id, person.id)
    assert [x.position for x in after] == [0, 1, 2, 3]
    # Whichever ran second, the result is that of the two moves one after the other.
    assert [x.id for x in after] in (
        [w[2].id, w[3].id, w[0].id, w[1].id],
        [w[3].id, w[2].id, w[0].id, w[1].id],
    )


async def test_remove_widget(db):
    org, person, widgets = await _dashboard_of(db, 3)
    await db.analytics.remove_widget(widgets[1].id)
    assert await db.analytics.list_widgets(org.id, person.id) == [widgets[0], widgets[2]]
    with pytest.raises(NotFound) as caught:
        await db.analytics.remove_widget(widgets[1].id)
    assert (caught.value.entity, caught.value.key) == ("dashboard widget", widgets[1].id)


# -- the dashboard ------------------------------------------------------------------


async def _full_dashboard(db):
    """A person with widgets, invitations to answer, plans and events, plus noise around them."""
    setup = await make_setup(db)
    org = setup.org
    me = await make_member(db, org.id, "Dana", "Dashboard")
    a, fb, learning = db.analytics, db.feedback, db.learning

    hidden = await a.add_widget(org.id, me.id, "activity", position=0, is_visible=False)
    radar = await a.add_widget(
        org.id, me.id, "competency_radar", position=2, configuration={"k": [1]}
    )
    pending = await a.add_widget(org.id, me.id, "pending_feedback", position=1)

    # Invitations where I am the rater: pending and started count; answered and
    # declined ones do not, nor a draft cycle's, nor someone else's.
    colleagues = [await make_member(db, org.id) for _ in range(4)]
    for target in colleagues[:2]:
        await fb.invite(
            setup.cycle.id, target_user_id=target.id, relationship="peer", rater_user_id=me.id
        )
    started = await fb.invite(
        setup.cycle.id, target_user_id=colleagues[2].id, relationship="peer", rater_user_id=me.id
    )
    await fb.start_invitation(started.invitation.id)
    declined = await fb.invite(
        setup.cycle.id, target_user_id=colleagues[3].id, relationship="peer", rater_user_id=me.id
    )
    await fb.decline_invitation(declined.invitation.id)
    answered = await fb.invite(
        setup.cycle.id, target_user_id=setup.target.id, relationship="peer", rater_user_id=me.id
    )
    await fb.submit(answered.invitation.id, answers(setup, (4, 4, 4)))
    draft_cycle = await fb.create_cycle(setup.form.id, name="Not yet")
    await fb.invite(
        draft_cycle.id, target_user_id=colleagues[0].id, relationship="peer", rater_user_id=me.id
    )
    await fb.invite(
        setup.cycle.id, target_user_id=me.id, relationship="peer", rater_user_id=colleagues[0].id
    )

    # Plans: active ones with their completion; a draft, a paused one and a
    # colleague's are left out.
    plan = await learning.create_plan(
        org.id, me.id, title="Communicate", target_completion_date=date(2026, 6, 1)
    )
    objectives = [
        await learning.add_objective(org.id, plan.id, title=f"Step {n}") for n in range(4)
    ]
    await learning.set_objective_status(objectives[0].id, "completed")
    await learning.set_objective_status(objectives[1].id, "in_progress")
    empty_plan = await learning.create_plan(org.id, me.id, title="Just started")
    await learning.create_plan(org.id, me.id, title="Someday", status="draft")
    paused = await learning.create_plan(org.id, me.id, title="On hold")
    await learning.pause_plan(paused.id)
    await learning.create_plan(org.id, colleagues[0].id, title="Theirs")

    # Events: mine within the week count; older ones and a colleague's do not.
    now = datetime.now(UTC)
    await a.record_events(
        [
            Event(org.id, "page.view", user_id=me.id),
            Event(org.id, "plan.opened", user_id=me.id, occurred_at=now - timedelta(days=2)),
            Event(org.id, "page.view", user_id=me.id, occurred_at=now - timedelta(days=6)),
            Event(org.id, "page.view", user_id=me.id, occurred_at=now - timedelta(days=10)),
            Event(org.id, "page.view", user_id=colleagues[0].id),
            Event(org.id, "page.view"),
        ]
    )
    return org, me, [pending, radar], hidden, plan, empty_plan


async def test_dashboard_shows_widgets_and_counts(db):
    org, me, visible, _hidden, plan, empty_plan = await _full_dashboard(db)
    board = await db.analytics.dashboard(org.id, me.id)
    assert board.widgets == visible
    assert board.widgets[1].configuration == {"k": [1]}
    assert board.pending_feedback == 3
    assert [
        (p.plan_id, p.title, p.total_objectives, p.completed_objectives, p.completion_percentage)
        for p in board.active_plans
    ] == [
        (plan.id, "Communicate", 4, 1, Decimal("25.00")),
        (empty_plan.id, "Just started", 0, 0, None),
    ]
    assert board.active_plans[0].target_completion_date == date(2026, 6, 1)
    assert board.recent_events == 3
    assert (
        await db.analytics.dashboard(org.id, me.id, recent=timedelta(days=30))
    ).recent_events == 4
    assert (
        await db.analytics.dashboard(org.id, me.id, recent=timedelta(days=1))
    ).recent_events == 1


async def test_dashboard_is_one_statement(db):
    org, me, visible, *_ = await _full_dashboard(db)
    async with count_statements(db) as (tx, sent):
        board = await tx.analytics.dashboard(org.id, me.id)
    assert sent.count == 1, sent.statements
    assert board.widgets == visible
    assert board.pending_feedback == 3


async def test_empty_dashboard(db):
    org = await make_org(db)
    person = await make_member(db, org.id)
    board = await db.analytics.dashboard(org.id, person.id)
    assert (board.widgets, board.pending_feedback, board.active_plans, board.recent_events) == (
        [],
        0,
        [],
        0,
    )


async def test_dashboard_of_a_non_member_is_not_found(db):
    org = await make_org(db)
    other_org = await make_org(db)
    outsider = await make_member(db, other_org.id)
    with pytest.raises(NotFound) as caught:
        await db.analytics.dashboard(org.id, outsider.id)
    assert (caught.value.entity, caught.value.key) == ("membership", (org.id, outsider.id))


# -- the statement counter itself ---------------------------------------------------


async def test_statement_counter_counts_each_statement_but_not_transaction_control(db):
    org = await make_org(db)
    async with count_statements(db) as (tx, sent):
        report = await tx.analytics.create_report(org.id, report_type="engagement", title="Weekly")
        # A nested transaction is a savepoint: not counted, its statements are.
        async with tx.analytics._x.transaction() as inner:
            await AnalyticsRepository(inner).start_report(report.id)
        # A refused move takes two: the guarded update, then the state lookup.
        with pytest.raises(Conflict):
            await tx.analytics.start_report(report.id)
    assert sent.count == 4, sent.statements
    assert all("reports" in s for s in sent.statements)
