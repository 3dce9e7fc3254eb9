"""Analytics: the event log and its daily counts, reports, dashboard widgets and the dashboard.

Events are append-only. One event is one cheap INSERT; a batch is one INSERT
of its columns as arrays, all or nothing: a bad event (a malformed type, an unknown
organization or user, properties that are not an object) refuses the whole
batch with ``InvalidData``.

A report goes queued → running → completed, and queued or running → failed.
Each move is one guarded statement (``WHERE status = ...``), so of two racing
callers exactly one wins and the other gets ``Conflict`` naming the state it
found; the database's transition trigger refuses any other move.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from ikenei.db.pages import Page
from ikenei.db.queries import Q, Query
from ikenei.db.values import value_problem
from ikenei.errors import InvalidData, NotFound
from ikenei.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class Event:
    """An event to record; properties default to ``{}``, occurred_at to the server's now()."""

    organization_id: UUID
    event_type: str
    user_id: UUID | None = None
    session_id: str | None = None
    properties: dict[str, Any] | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AnalyticsEvent:
    """A recorded event."""

    id: int
    organization_id: UUID
    user_id: UUID | None
    session_id: str | None
    event_type: str
    properties: dict[str, Any]
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class EventCount:
    """How many events of one type happened on one day."""

    day: date
    event_type: str
    events: int


@dataclass(frozen=True, slots=True)
class Report:
    id: UUID
    organization_id: UUID
    report_type: str
    title: str
    parameters: dict[str, Any]
    status: str
    result: Any
    file_url: str | None
    error_message: str | None
    requested_by: UUID | None
    started_at: datetime | None
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Widget:
    """One widget of a member's dashboard; position 0 comes first."""

    id: UUID
    organization_id: UUID
    user_id: UUID
    widget_type: str
    title: str | None
    position: int
    width: int
    height: int
    configuration: dict[str, Any]
    is_visible: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PlanCompletion:
    """An active learning plan and how many of its objectives are completed.

    completion_percentage is None for a plan without objectives.
    """

    plan_id: UUID
    title: str
    target_completion_date: date | None
    total_objectives: int
    completed_objectives: int
    completion_percentage: Decimal | None


@dataclass(frozen=True, slots=True)
class Dashboard:
    """What a member's dashboard shows: visible widgets in order and the counts beside them."""

    widgets: list[Widget]
    pending_feedback: int
    active_plans: list[PlanCompletion]
    recent_events: int


@dataclass(frozen=True, slots=True)
class _DashboardRow:
    widgets: list[tuple[Any, ...]]
    pending_feedback: int
    active_plans: list[tuple[Any, ...]]
    recent_events: int


def _widget_of(row: tuple[Any, ...]) -> Widget:
    # Inside a ROW the configuration arrives as JSON text (see analytics.sql).
    (id_, organization_id, user_id, widget_type, title, position, width, height,
     configuration, is_visible, created_at, updated_at) = row
    return Widget(
        id_, organization_id, user_id, widget_type, title, position, width, height,
        json.loads(configuration), is_visible, created_at, updated_at,
    )


# One encoder for every event: json.dumps with an option builds a new encoder
# per call, which cost about 4 % of a batch of 1,000.
_JSON = json.JSONEncoder(allow_nan=False)


def _json_text(properties: dict[str, Any]) -> str:
    """An event's properties as the JSON text the batch sends; InvalidData for what JSON cannot hold.

    Sent as text, a NUL or a lone surrogate would pass the argument check and
    come back from the server as a refusal of 'value'. The encoder refuses a
    NaN itself; only text holding an escaped NUL or surrogate is looked
    through value by value, so that the rest costs nothing more.
    """
    try:
        text = _JSON.encode(properties)
    except (TypeError, ValueError) as exc:
        raise InvalidData("properties", f"cannot be stored as JSON: {exc}") from None
    if "\\u0000" in text or "\\ud" in text:
        problem = value_problem(properties)
        if problem is not None:
            raise InvalidData("properties", problem)
    return text


class AnalyticsRepository(Repository):
    """Record and read events, run the report queue, arrange widgets, read a dashboard."""

    __slots__ = ()

    # -- events -------------------------------------------------------------------

    async def record_event(
        self,
        organization_id: UUID,
        event_type: str,
        user_id: UUID | None = None,
        session_id: str | None = None,
        properties: dict[str, Any] | None = None,
        occurred_at: datetime | None = None,
    ) -> int:
        """Appends one event in one statement; its id."""
        event_id: int = await self._x.value(
            Q.record_analytics_event,
            organization_id=organization_id,
            event_type=event_type,
            user_id=user_id,
            session_id=session_id,
            properties=properties,
            occurred_at=occurred_at,
        )
        return event_id

    async def record_events(self, events: Iterable[Event]) -> int:
        """Appends a batch in one statement, all or none; how many were recorded."""
        batch = list(events)
        if not batch:
            return 0
        return await self._x.execute(
            Q.record_analytics_events,
            organization_id=[e.organization_id for e in batch],
            event_type=[e.event_type for e in batch],
            user_id=[e.user_id for e in batch],
            session_id=[e.session_id for e in batch],
            properties=[None if e.properties is None else _json_text(e.properties) for e in batch],
            occurred_at=[e.occurred_at for e in batch],
        )

    async def list_events(
        self,
        organization_id: UUID,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        event_type: str | None = None,
        user_id: UUID | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> Page[AnalyticsEvent]:
        """A page of an organization's events in [since, until), oldest first.

        Paging by (occurred_at, id) stays stable while events are being appended.
        """
        return await self._pages.read(
            self._x, Q.list_analytics_events, AnalyticsEvent,
            {"organization_id": organization_id, "since": since, "until": until, "event_type": event_type,
             "user_id": user_id},
            key=("occurred_at", "id"), after=after, limit=limit,
        )

    async def count_events_by_day(
        self,
        organization_id: UUID,
        *,
        since: datetime,
        until: datetime,
        event_type: str | None = None,
        time_zone: str = "UTC",
    ) -> list[EventCount]:
        """Events per type per day (days of ``time_zone``) in [since, until), by day then type."""
        return await self._x.all(
            Q.count_analytics_events_by_day,
            EventCount,
            organization_id=organization_id,
            since=since,
            until=until,
            event_type=event_type,
            time_zone=time_zone,
        )

    # -- reports ------------------------------------------------------------------

    async def create_report(
        self,
        organization_id: UUID,
        *,
        report_type: str,
        title: str,
        parameters: dict[str, Any] | None = None,
        requested_by: UUID | None = None,
    ) -> Report:
        """Queues a report."""
        return await self._x.created(
            Q.create_report, Report, organization_id=organization_id, report_type=report_type,
            title=title, parameters=parameters, requested_by=requested_by,
        )

    async def get_report(self, report_id: UUID) -> Report:
        return await self._x.one_found(
            Q.get_report, Report, report_id=report_id,
            missing=("report", report_id),
        )

    async def list_reports(
        self,
        organization_id: UUID,
        *,
        status: str | None = None,
        report_type: str | None = None,
        limit: int = 50,
        after: str | None = None,
    ) -> Page[Report]:
        """A page of an organization's reports, newest first."""
        return await self._pages.read(
            self._x, Q.list_reports, Report,
            {"organization_id": organization_id, "status": status, "report_type": report_type},
            key=("created_at", "id"), after=after, limit=limit,
        )

    async def _move_report(self, query: Query, report_id: UUID, verb: str, **args: Any) -> Report:
        return await self._x.moved(
            query, Report, report_id=report_id, **args,
            status=Q.get_report_status, entity="report", verb=verb,
        )

    async def start_report(self, report_id: UUID) -> Report:
        """queued → running."""
        return await self._move_report(Q.start_report, report_id, "started")

    async def complete_report(
        self, report_id: UUID, *, result: Any = None, file_url: str | None = None
    ) -> Report:
        """running → completed, with the result (any JSON value) and/or the file's URL."""
        return await self._move_report(
            Q.complete_report, report_id, "completed", result=result, file_url=file_url
        )

    async def fail_report(self, report_id: UUID, error_message: str) -> Report:
        """queued or running → failed, with the reason."""
        return await self._move_report(
            Q.fail_report, report_id, "failed", error_message=error_message,
        )

    async def delete_report(self, report_id: UUID) -> None:
        if await self._x.value(Q.delete_report, report_id=report_id) is None:
            raise NotFound("report", report_id)

    # -- dashboard widgets --------------------------------------------------------

    async def add_widget(
        self,
        organization_id: UUID,
        user_id: UUID,
        widget_type: str,
        *,
        title: str | None = None,
        position: int | None = None,
        width: int = 1,
        height: int = 1,
        configuration: dict[str, Any] | None = None,
        is_visible: bool = True,
    ) -> Widget:
        """Adds a widget to a member's dashboard, at ``position`` or after the last one."""
        return await self._x.created(
            Q.add_dashboard_widget,
            Widget,
            organization_id=organization_id,
            user_id=user_id,
            widget_type=widget_type,
            title=title,
            position=position,
            width=width,
            height=height,
            configuration=configuration,
            is_visible=is_visible,
        )

    async def get_widget(self, widget_id: UUID) -> Widget:
        return await self._x.one_found(
            Q.get_dashboard_widget, Widget, widget_id=widget_id,
            missing=("dashboard widget", widget_id),
        )

    async def list_widgets(self, organization_id: UUID, user_id: UUID) -> list[Widget]:
        """A member's widgets, hidden ones included, in position order."""
        return await self._x.all(
            Q.list_dashboard_widgets, Widget, organization_id=organization_id, user_id=user_id,
        )

    async def update_widget(self, widget: Widget) -> Widget:
        """Stores title, size, configuration and visibility of ``widget``; ``move_widget`` moves it."""
        return await self._x.stored(
            Q.update_dashboard_widget, widget, widget_id=widget.id,
            missing=("dashboard widget", widget.id),
        )

    async def move_widget(self, widget_id: UUID, position: int) -> list[Widget]:
        """Moves a widget to ``position`` (0 = first, past the end = last) among its owner's.

        The owner's widgets are numbered 0..n-1 in the new order; returns them in that order.
        """
        widgets = await self._x.all(
            Q.move_dashboard_widget, Widget, widget_id=widget_id, position=position,
        )
        if not widgets:
            raise NotFound("dashboard widget", widget_id)
        return widgets

    async def remove_widget(self, widget_id: UUID) -> None:
        if await self._x.value(Q.remove_dashboard_widget, widget_id=widget_id) is None:
            raise NotFound("dashboard widget", widget_id)

    # -- dashboard ----------------------------------------------------------------

    async def dashboard(
        self, organization_id: UUID, user_id: UUID, *, recent: timedelta = timedelta(days=7)
    ) -> Dashboard:
        """A member's dashboard, in one statement.

        Visible widgets in order; how many feedback invitations they still have
        to answer as a rater; their active plans with objectives completed; how
        many events they had within ``recent``. ``NotFound`` if not a member.
        """
        row = await self._x.one(
            Q.get_dashboard, _DashboardRow, organization_id=organization_id, user_id=user_id,
            recent=recent,
        )
        if row is None:
            raise NotFound("membership", (organization_id, user_id))
        return Dashboard(
            [_widget_of(w) for w in row.widgets],
            row.pending_feedback,
            [PlanCompletion(*p) for p in row.active_plans],
            row.recent_events,
        )
