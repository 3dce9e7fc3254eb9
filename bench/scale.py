"""``python -m bench.scale`` (``make bench-scale``): every key path at a tenth
and at the full size of ``ikenei seed scale``, measured interleaved.

Two databases beside the configured one, ``<DB_NAME>_scale_<organizations>_
<people>_<cycles>``, each loaded by ``ikenei seed scale`` (seed 1) unless one
with the same parameters holds a finished load already (it is then reused,
with any newer migrations applied; the measurements roll back everything
they write, so it stays as loaded). Each run vacuums them first, and measures
the reads before the writes, whose rolled-back rows stay until vacuum.
Before a load the free space of the server's data directory is checked.

Per path (a repository call in a real organization scope of the application
role, ``DB_APP_ROLE``, with the organization's top person acting): median and
p95 latency on each database, measured in rounds that alternate the two, the
shared buffers its statements touch at the full size (``EXPLAIN (ANALYZE,
BUFFERS)`` of each statement the call ran, in the same scope, rolled back),
and the growth ratio full / tenth of the medians. ``users.list`` also as the
tables' owner, in the same scope (the cost of row-level security) and with no
scope. Then, on the full size, ``feedback.submit`` throughput (16 tasks on a
pool of 10) over raw asyncpg doing the same work as the owner (answers,
competency ratings, invitation), and ``analytics.record_events`` over raw
``copy_records_to_table`` of the same events, and what the triggers of
``feedback_responses`` cost: one insert of 20,000 answers with every trigger,
with the table's own off and with none (rolled back; the bare insert needs a
superuser, and is reported as not measured without one). The last
line is exactly ``bench-scale: worst-growth X.XX submit Y.YY ingest Z.ZZ``.

``BENCH_SCALE_FACTOR`` (or ``--factor``) scales both sizes, e.g. 0.1 for a
quick run on a hundredth and a tenth.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import psycopg

from bench.timing import BenchError
from ikenei import Database, embedded
from ikenei.config.settings import Settings, load_settings
from ikenei.db.connections import init_connection
from ikenei.db.database import Repositories
from ikenei.db.queries import Executor, Q, Query, load
from ikenei.errors import IkeneiError
from ikenei.monitoring.plans import plan_with_values, rolled_back
from ikenei.monitoring.server import Session, inspect
from ikenei.repositories.analytics import Event
from ikenei.repositories.feedback import Answer
from ikenei.schema import migrations
from ikenei.schema.seed_scale import COMMENTS, FULL, ScaleSize, load_scale, loads, plain_progress
from ikenei.security.encryption import Cipher, cipher_from_settings

BQ = load(Path(__file__).parent / "sql" / "scale.sql")

SEED = 1
ACTOR = "bench-scale"
#: Bytes a generated person takes on disk (data, indexes, audit, WAL slack), measured with margin.
BYTES_PER_PERSON = 1_200_000
#: Calls per path, database and round; rounds per path.
CALLS = 4
ROUNDS = 12
#: The throughput comparisons: tasks, pool size, submissions per run, runs.
TASKS = 16
POOL = 10
SUBMISSIONS = 96
EVENT_BATCH = 1_000
WRITE_ROUNDS = 5


class _RollBack(Exception):
    """Ends a measured write's scope with a rollback: the database stays as loaded."""


# -- the databases ----------------------------------------------------------------


def sizes(factor: float) -> tuple[ScaleSize, ScaleSize]:
    """The tenth and the full size, both times ``factor``."""

    def scaled(organizations: int, people: int, cycles: int) -> ScaleSize:
        n = max(1, round(organizations * factor))
        return ScaleSize(organizations=n, people=max(2 * n, round(people * factor)),
                         cycles=max(n, round(cycles * factor)), seed=SEED)

    full = scaled(FULL.organizations, FULL.people, FULL.cycles)
    tenth = scaled(FULL.organizations // 10, FULL.people // 10, FULL.cycles // 10)
    return tenth, full


def database_name(configured: str, size: ScaleSize) -> str:
    return f"{configured}_scale_{size.organizations}_{size.people}_{size.cycles}"


def _same_load(found: list[dict[str, Any]], size: ScaleSize) -> bool:
    return len(found) == 1 and all(
        found[0].get(key) == getattr(size, key)
        for key in ("organizations", "people", "cycles", "seed")
    )


async def _holds(dsn: str, size: ScaleSize) -> bool:
    """Whether the database at ``dsn`` exists and holds one finished load of ``size``."""
    try:
        return _same_load(await loads(dsn), size)
    except IkeneiError:  # no such database, or no schema
        return False


async def _vacuum_analyze(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await Executor(conn).execute(BQ.vacuum_analyze_all)
    finally:
        await conn.close()


async def _data_directory(admin_dsn: str) -> str | None:
    conn = await asyncpg.connect(admin_dsn)
    try:
        return str(await Executor(conn).value(BQ.data_directory))
    except IkeneiError:
        return None
    finally:
        await conn.close()


async def prepare(
    admin_dsn: str, name: str, size: ScaleSize, cipher: Cipher, out: Callable[[str], Any]
) -> tuple[str, float | None]:
    """The DSN of a database holding ``size``, loaded now or before; the load's seconds, if now."""
    dsn = migrations.dsn_for_database(admin_dsn, name)
    if await _holds(dsn, size):
        applied: list[str] = []
        migrations.apply(dsn, out=applied.append)
        newer = [line for line in applied if line.startswith("applying ")]
        out(f"bench-scale: {name}: reused (a finished load of the same size)"
            + (f", {len(newer)} newer migration(s) applied" if newer else ""))
        # Also clears what earlier runs' rolled-back writes left behind.
        await _vacuum_analyze(dsn)
        return dsn, None
    needed = BYTES_PER_PERSON * size.people
    directory = await _data_directory(admin_dsn)
    if directory is not None and os.path.isdir(directory):
        free = shutil.disk_usage(directory).free
        if free < needed:
            raise BenchError(
                f"{name} needs about {needed / 1e9:.1f} GB in {directory}, "
                f"which has {free / 1e9:.1f} GB free: free some space or run smaller "
                "(BENCH_SCALE_FACTOR=0.1)"
            )
    else:
        out(f"bench-scale: cannot see the server's data directory; {name} needs about "
            f"{needed / 1e9:.1f} GB there")
    out(f"bench-scale: {name}: loading {size.organizations} organizations, {size.people} people, "
        f"{size.cycles} cycles ...")
    migrations.drop_database(admin_dsn, name)
    migrations.create_database(admin_dsn, name)
    migrations.apply(dsn, out=lambda _line: None)
    result = await load_scale(dsn, size, cipher, progress=plain_progress(out), out=lambda _l: None)
    rows = ", ".join(f"{table} {count:,}" for table, count in result.rows.items())
    out(f"bench-scale: {name}: loaded in {result.total_seconds:.0f} s: {rows}")
    await _vacuum_analyze(dsn)
    return dsn, result.total_seconds


# -- what is measured ---------------------------------------------------------------


@dataclass
class Fixture:
    """The rows a database's measured calls are about (``BQ.scale_fixture``)."""

    organization_id: UUID
    closed_cycle_id: UUID
    active_cycle_id: UUID
    form_id: UUID
    target_user_id: UUID
    admin_id: UUID
    plan_id: UUID
    competency_id: UUID
    employee_role_id: UUID
    people: int
    as_of: datetime
    invitation: dict[str, Any] = field(default_factory=dict)
    #: The cursor of each late page measured (``late_pages``), read once before the rounds.
    cursors: dict[str, str | None] = field(default_factory=dict)


Call = Callable[[Repositories, Fixture], Awaitable[object]]


@dataclass(frozen=True)
class PathSpec:
    name: str
    call: Call
    kind: str = "read"  # read | write
    #: admin: the top person acts; rater: the invitation's rater; owner: the tables' owner, no scope;
    #: owner_scoped: the owner in the admin's scope (the same query as admin, past row-level security)
    scope: str = "admin"
    whole_scope: bool = False  # time the scope's opening and end too


def answers_of(invitation: dict[str, Any]) -> list[Answer]:
    """A full submission for an invitation: a rating for each rating question, a comment on text."""
    result = []
    for position, (question_id, kind) in enumerate(
        zip(invitation["question_ids"], invitation["question_types"], strict=True)
    ):
        if kind == "rating":
            result.append(Answer(question_id=question_id, rating=1 + position % 5))
        else:
            result.append(Answer(question_id=question_id, comment=COMMENTS[position % len(COMMENTS)]))
    return result


def _events(f: Fixture, count: int) -> list[Event]:
    return [
        Event(organization_id=f.organization_id, event_type="page.view", user_id=f.admin_id,
              session_id="bench", properties={"n": n}, occurred_at=f.as_of - timedelta(minutes=n))
        for n in range(count)
    ]


def paths() -> list[PathSpec]:
    """Every list and result call of every repository that the data reaches, and the writes."""
    year = timedelta(days=365)
    return [
        PathSpec("users.list page 1", lambda r, f: r.users.list(limit=50)),
        PathSpec("users.list late page", lambda r, f: r.users.list(limit=50, after=f.cursors["users"])),
        PathSpec("users.list page 1 (owner, same scope)", lambda r, f: r.users.list(limit=50),
                 scope="owner_scoped"),
        PathSpec("users.list page 1 (owner, no scope)", lambda r, f: r.users.list(limit=50), scope="owner"),
        PathSpec("users.list_direct_reports", lambda r, f: r.users.list_direct_reports(f.target_user_id)),
        PathSpec("organizations.list", lambda r, f: r.organizations.list()),
        PathSpec("organizations.list_members", lambda r, f: r.organizations.list_members(f.organization_id)),
        PathSpec("organizations.list_for_user", lambda r, f: r.organizations.list_for_user(f.admin_id)),
        PathSpec("roles.list", lambda r, f: r.roles.list(f.organization_id)),
        PathSpec("roles.list_for_user", lambda r, f: r.roles.list_for_user(f.organization_id, f.admin_id)),
        PathSpec("roles.list_assignments",
                 lambda r, f: r.roles.list_assignments(f.organization_id, f.employee_role_id)),
        PathSpec("competencies.list_categories", lambda r, f: r.competencies.list_categories(f.organization_id)),
        PathSpec("competencies.list", lambda r, f: r.competencies.list(f.organization_id)),
        PathSpec("competencies.list_proficiency_levels",
                 lambda r, f: r.competencies.list_proficiency_levels(f.competency_id)),
        PathSpec("competencies.list_user_levels",
                 lambda r, f: r.competencies.list_user_levels(f.organization_id, f.target_user_id)),
        PathSpec("competencies.history", lambda r, f: r.competencies.history(
            f.organization_id, f.target_user_id, f.competency_id)),
        PathSpec("competencies.gaps", lambda r, f: r.competencies.gaps(f.organization_id, f.target_user_id)),
        PathSpec("feedback.list_forms", lambda r, f: r.feedback.list_forms(f.organization_id)),
        PathSpec("feedback.list_questions", lambda r, f: r.feedback.list_questions(f.form_id)),
        PathSpec("feedback.list_options", lambda r, f: r.feedback.list_options(f.form_id)),
        PathSpec("feedback.list_cycles", lambda r, f: r.feedback.list_cycles(f.organization_id)),
        PathSpec("feedback.list_cycle_invitations page 1",
                 lambda r, f: r.feedback.list_cycle_invitations(f.active_cycle_id)),
        PathSpec("feedback.list_cycle_invitations late page",
                 lambda r, f: r.feedback.list_cycle_invitations(f.active_cycle_id,
                                                                after=f.cursors["invitations"])),
        PathSpec("feedback.list_pending_raters", lambda r, f: r.feedback.list_pending_raters(f.active_cycle_id)),
        PathSpec("feedback.due_reminders", lambda r, f: r.feedback.due_reminders(f.active_cycle_id)),
        PathSpec("feedback.completion", lambda r, f: r.feedback.completion(f.active_cycle_id)),
        PathSpec("feedback.analyze", lambda r, f: r.feedback.analyze(f.target_user_id, f.closed_cycle_id)),
        PathSpec("feedback.results_by_group",
                 lambda r, f: r.feedback.results_by_group(f.target_user_id, f.closed_cycle_id)),
        PathSpec("feedback.comments", lambda r, f: r.feedback.comments(f.target_user_id, f.closed_cycle_id)),
        PathSpec("feedback.question_results",
                 lambda r, f: r.feedback.question_results(f.target_user_id, f.closed_cycle_id)),
        PathSpec("results.trend", lambda r, f: r.results.trend(f.target_user_id)),
        PathSpec("results.heatmap", lambda r, f: r.results.heatmap(f.closed_cycle_id)),
        PathSpec("results.blind_spots", lambda r, f: r.results.blind_spots(f.target_user_id, f.closed_cycle_id)),
        PathSpec("results.weighted_score",
                 lambda r, f: r.results.weighted_score(f.target_user_id, f.closed_cycle_id)),
        PathSpec("nominations.list", lambda r, f: r.nominations.list(f.active_cycle_id)),
        PathSpec("notifications.list", lambda r, f: r.notifications.list(f.organization_id)),
        PathSpec("learning.list_resources", lambda r, f: r.learning.list_resources(f.organization_id)),
        PathSpec("learning.list_plans", lambda r, f: r.learning.list_plans(f.organization_id, f.target_user_id)),
        PathSpec("learning.list_objectives", lambda r, f: r.learning.list_objectives(f.plan_id)),
        PathSpec("learning.list_progress", lambda r, f: r.learning.list_progress(f.plan_id)),
        PathSpec("learning.progress_summary", lambda r, f: r.learning.progress_summary(
            f.target_user_id, organization_id=f.organization_id)),
        PathSpec("learning.list_recommendations",
                 lambda r, f: r.learning.list_recommendations(f.organization_id, f.target_user_id)),
        PathSpec("plan_templates.list", lambda r, f: r.plan_templates.list(f.organization_id)),
        PathSpec("plan_reviews.list", lambda r, f: r.plan_reviews.list(f.plan_id)),
        PathSpec("plan_reviews.overdue_objectives", lambda r, f: r.plan_reviews.overdue_objectives(
            f.organization_id, as_of=f.as_of.date())),
        PathSpec("analytics.list_events", lambda r, f: r.analytics.list_events(
            f.organization_id, since=f.as_of - year, until=f.as_of)),
        PathSpec("analytics.count_events_by_day 365 days", lambda r, f: r.analytics.count_events_by_day(
            f.organization_id, since=f.as_of - year, until=f.as_of)),
        PathSpec("analytics.list_reports", lambda r, f: r.analytics.list_reports(f.organization_id)),
        PathSpec("analytics.list_widgets", lambda r, f: r.analytics.list_widgets(f.organization_id, f.admin_id)),
        PathSpec("analytics.dashboard", lambda r, f: r.analytics.dashboard(f.organization_id, f.admin_id)),
        PathSpec("privacy.list_audit", lambda r, f: r.privacy.list_audit(organization_id=f.organization_id)),
        PathSpec("privacy.list_access", lambda r, f: r.privacy.list_access(organization_id=f.organization_id)),
        PathSpec("feedback.submit", lambda r, f: r.feedback.submit(
            f.invitation["id"], answers_of(f.invitation)), kind="write", scope="rater"),
        PathSpec("analytics.record_events (1,000)",
                 lambda r, f: r.analytics.record_events(_events(f, EVENT_BATCH)), kind="write"),
        PathSpec("analytics.record_event (own scope)", lambda r, f: r.analytics.record_event(
            f.organization_id, "page.view", f.admin_id, "bench", {"n": 1}), kind="write",
                 whole_scope=True),
    ]


# -- measuring ----------------------------------------------------------------------


@dataclass
class Target:
    """One loaded database: connections as the application role and as the owner."""

    label: str
    dsn: str
    app: asyncpg.Connection
    owner: asyncpg.Connection
    fixture: Fixture
    cipher: Cipher
    session_server: Any
    samples: dict[str, list[float]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)


@asynccontextmanager
async def scope(target: Target, spec: PathSpec) -> AsyncIterator[Repositories]:
    """A rolled-back transaction as Database opens a scope: set_scope, then the repositories."""
    conn = target.owner if spec.scope.startswith("owner") else target.app
    async with rolled_back(Executor(conn)) as x:
        if spec.scope != "owner":
            acting = target.fixture.invitation["rater_user_id"] if spec.scope == "rater" else target.fixture.admin_id
            organization = (target.fixture.invitation["organization_id"] if spec.scope == "rater"
                            else target.fixture.organization_id)
            await x.value(
                Q.set_scope, organization_id=organization, user_id=acting, user_email=None,
                actor=ACTOR,
            )
        yield Repositories(x, target.cipher)


async def late_pages(target: Target) -> None:
    """The cursor of the page after three quarters of the users, and after 700
    invitations of the active cycle: the late pages the rounds read."""
    f = target.fixture

    async def cursor_after(read: Callable[[Repositories, int, str | None], Awaitable[Any]], rows: int) -> str | None:
        cursor = None
        async with scope(target, PathSpec("late pages", read)) as r:
            while rows > 0:
                page = await read(r, min(rows, 1000), cursor)
                rows -= len(page)
                cursor = page.cursor
                if cursor is None:
                    break
        return cursor

    f.cursors["users"] = await cursor_after(lambda r, n, c: r.users.list(limit=n, after=c), f.people * 3 // 4)
    f.cursors["invitations"] = await cursor_after(
        lambda r, n, c: r.feedback.list_cycle_invitations(f.active_cycle_id, limit=n, after=c), 700)


async def block(target: Target, spec: PathSpec, calls: int) -> None:
    clock = time.perf_counter
    samples = target.samples.setdefault(spec.name, [])
    for _ in range(calls):
        if spec.whole_scope:
            start = clock()
            async with scope(target, spec) as repositories:
                await spec.call(repositories, target.fixture)
            samples.append(clock() - start)
        else:
            async with scope(target, spec) as repositories:
                start = clock()
                await spec.call(repositories, target.fixture)
                samples.append(clock() - start)


async def buffers(target: Target, spec: PathSpec) -> int:
    """Shared buffers hit or read by the statements one call runs, from EXPLAIN (ANALYZE, BUFFERS)."""
    conn = target.owner if spec.scope.startswith("owner") else target.app
    seen: list[tuple[str, tuple[Any, ...]]] = []

    def log(record: Any) -> None:
        seen.append((record.query, tuple(record.args or ())))

    conn.add_query_logger(log)
    try:
        async with scope(target, spec) as repositories:
            await spec.call(repositories, target.fixture)
    finally:
        conn.remove_query_logger(log)
    skip = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")
    statements = [(sql, args) for sql, args in seen
                  if sql != Q.set_scope.sql and not sql.lstrip().upper().startswith(skip)]
    total = 0
    async with scope(target, spec) as repositories:
        del repositories
        session = Session(executor=Executor(conn), server=target.session_server)
        for sql, args in statements:
            plan = await plan_with_values(session, sql, args, analyze=True)
            node = plan["Plan"]
            total += int(node.get("Shared Hit Blocks", 0)) + int(node.get("Shared Read Blocks", 0))
    return total


def p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


async def fixture_of(conn: asyncpg.Connection, as_of: datetime) -> Fixture:
    row = await Executor(conn).one(BQ.scale_fixture, _FixtureRow)
    if row is None:
        raise BenchError("no closed cycle of an anonymous form: is the database loaded?")
    invitation = await conn.fetchrow(BQ.open_invitations.sql, 1)
    if invitation is None:
        raise BenchError("no open invitation in an active cycle: is the database loaded?")
    return Fixture(**vars(row), as_of=as_of, invitation=dict(invitation))


@dataclass
class _FixtureRow:
    organization_id: UUID
    closed_cycle_id: UUID
    active_cycle_id: UUID
    form_id: UUID
    target_user_id: UUID
    admin_id: UUID
    plan_id: UUID
    competency_id: UUID
    employee_role_id: UUID
    people: int


async def open_target(label: str, dsn: str, cipher: Cipher, settings: Settings,
                      as_of: datetime) -> Target:
    role = settings.db_app_role or "ikenei_app"
    app = await asyncpg.connect(dsn, server_settings={"role": role})
    await init_connection(app)
    owner = await asyncpg.connect(dsn)
    await init_connection(owner)
    server = await inspect(Executor(owner))
    target = Target(label, dsn, app, owner, await fixture_of(owner, as_of), cipher, server)
    await late_pages(target)
    return target


# -- writes: throughput against the raw driver ------------------------------------------


async def submit_rates(dsn: str, settings: Settings, cipher: Cipher) -> float:
    """Median over runs of repository submissions/s over raw asyncpg's doing the same work."""
    owner = await asyncpg.connect(dsn)
    try:
        invitations = [dict(r) for r in await owner.fetch(BQ.open_invitations.sql, SUBMISSIONS)]
    finally:
        await owner.close()
    if len(invitations) < TASKS:
        raise BenchError("too few open invitations to measure submissions")
    db = await Database.connect(replace_settings(settings, dsn))
    raw = await asyncpg.create_pool(dsn, min_size=POOL, max_size=POOL, init=init_connection)
    try:
        async def through_repository(invitation: dict[str, Any]) -> None:
            try:
                async with db.organization(invitation["organization_id"],
                                           user_id=invitation["rater_user_id"], actor=ACTOR) as tx:
                    await tx.feedback.submit(invitation["id"], answers_of(invitation))
                    raise _RollBack
            except _RollBack:
                pass

        async def through_driver(invitation: dict[str, Any]) -> None:
            answers = answers_of(invitation)
            answer_ids = [uuid4() for _ in answers]
            ciphertexts = [
                cipher.encrypt(a.comment, table="feedback_responses", column="comment",
                               row_id=answer_id).ciphertext if a.comment else None
                for a, answer_id in zip(answers, answer_ids, strict=True)
            ]
            submission = uuid4()
            try:
                async with raw.acquire() as conn, conn.transaction():
                    x = Executor(conn)
                    await x.execute(
                        BQ.raw_submit_answers, invitation_id=invitation["id"],
                        submission_id=submission, answer_ids=answer_ids,
                        question_ids=[a.question_id for a in answers],
                        ratings=[a.rating for a in answers], ciphertexts=ciphertexts,
                        key_id=cipher.current_key_id,
                    )
                    await x.execute(BQ.raw_submit_ratings, submission_id=submission)
                    await x.execute(BQ.raw_submit_complete, invitation_id=invitation["id"])
                    raise _RollBack
            except _RollBack:
                pass

        async def rate(work: Callable[[dict[str, Any]], Awaitable[None]]) -> float:
            queue = list(invitations)

            async def task() -> None:
                while queue:
                    await work(queue.pop())

            start = time.perf_counter()
            await asyncio.gather(*(task() for _ in range(TASKS)))
            return len(invitations) / (time.perf_counter() - start)

        await rate(through_repository)
        await rate(through_driver)
        ratios = []
        for _ in range(WRITE_ROUNDS):
            ratios.append(await rate(through_repository) / await rate(through_driver))
        return median(ratios)
    finally:
        await raw.close()
        await db.close()


async def ingest_ratio(target: Target) -> float:
    """Median over runs of record_events' events/s over raw copy_records_to_table (owner).

    Both start from the same Event objects (the raw side makes its COPY
    records from them in the timed part, as the repository makes its arrays),
    and both are timed inside their transaction: the scope's opening and the
    rollback are not the ingest.
    """
    events = _events(target.fixture, EVENT_BATCH)
    spec = PathSpec("record_events", lambda r, f: r.analytics.record_events(events))
    raw = await asyncpg.connect(target.dsn)  # the driver's own codecs, as a bare COPY uses them

    async def repository() -> float:
        async with scope(target, spec) as repositories:
            start = time.perf_counter()
            await repositories.analytics.record_events(events)
            return time.perf_counter() - start

    async def driver() -> float:
        async with rolled_back(Executor(raw)):
            start = time.perf_counter()
            rows = [(e.organization_id, e.user_id, e.session_id, e.event_type, json.dumps(e.properties),
                     e.occurred_at) for e in events]
            await raw.copy_records_to_table(
                "analytics_events", records=rows,
                columns=["organization_id", "user_id", "session_id", "event_type", "properties",
                         "occurred_at"])
            return time.perf_counter() - start

    try:
        await repository()
        await driver()
        ratios = []
        for _ in range(WRITE_ROUNDS * 2):
            ratios.append(await driver() / await repository())
        return median(ratios)
    finally:
        await raw.close()


@dataclass(frozen=True)
class TriggerCost:
    """Median seconds of one insert of ``answers`` answers, three ways."""

    answers: int
    everything: float
    constraints_only: float  # the table's own triggers off, its foreign keys checked
    bare: float  # no trigger at all


async def trigger_cost(target: Target) -> TriggerCost:
    """What the triggers of feedback_responses cost: one INSERT of answers copied
    from the active cycles (``BQ.answers_to_insert_again``), rolled back, with
    every trigger, with the table's own off and with none, in interleaved rounds.
    As the tables' owner, which must be a superuser for the bare insert."""
    conn = await asyncpg.connect(target.dsn)
    x = Executor(conn)
    try:
        await x.execute(BQ.answers_to_insert_again)
        answers = int(await x.value(BQ.count_answers_to_insert_again))

        async def insert(setup: Query | None) -> float:
            async with rolled_back(x) as tx:
                if setup is not None:
                    await tx.execute(setup)
                start = time.perf_counter()
                await tx.execute(BQ.insert_answers_again)
                return time.perf_counter() - start

        ways: tuple[Query | None, ...] = (None, BQ.without_table_triggers, BQ.without_any_trigger)
        times: list[list[float]] = [[] for _ in ways]
        for _ in range(WRITE_ROUNDS):
            for way, samples in zip(ways, times, strict=True):
                samples.append(await insert(way))
        return TriggerCost(answers, *(median(samples) for samples in times))
    finally:
        await x.execute(BQ.drop_answers_to_insert_again)
        await conn.close()


def replace_settings(settings: Settings, dsn: str) -> Settings:
    """The configured settings pointed at one of the bench's databases, with a pool of ``POOL``."""
    if settings.database_url is not None:
        return load_settings(database_url=dsn, db_pool_min=POOL, db_pool_max=POOL)
    name = str(psycopg.conninfo.conninfo_to_dict(dsn)["dbname"])
    return load_settings(db_name=name, db_pool_min=POOL, db_pool_max=POOL)


# -- the run -------------------------------------------------------------------------------


async def run(factor: float, rounds: int, out: Callable[[str], Any]) -> list[str]:
    settings = embedded.started(load_settings())
    cipher = cipher_from_settings(settings)
    admin_dsn = settings.dsn("postgres")
    tenth, full = sizes(factor)
    as_of = datetime.combine(datetime.now(UTC).date(), datetime.min.time(), UTC)
    dsns = {}
    load_seconds = {}
    for label, size in (("tenth", tenth), ("full", full)):
        name = database_name(settings.database, size)
        dsns[label], load_seconds[label] = await prepare(admin_dsn, name, size, cipher, out)
    targets = [await open_target(label, dsns[label], cipher, settings, as_of) for label in ("tenth", "full")]
    try:
        for target in targets:
            # The loaded data's day: the events and cycles end on the day of the load.
            found = await loads(target.dsn)
            target.fixture.as_of = datetime.combine(date.fromisoformat(found[0]["as_of"]),
                                                    datetime.min.time(), UTC)
        specs = paths()
        buffer_counts: dict[str, int | None] = {}
        # The reads first, on the data as loaded; then the writes: the rows they
        # roll back stay in the tables until vacuum, and would be walked by reads
        # measured after them.
        for kind in ("read", "write"):
            phase = [s for s in specs if s.kind == kind]
            for spec in phase:  # warm up, and find the paths the application may not take
                for target in targets:
                    try:
                        await block(target, spec, 2)
                    except IkeneiError as exc:
                        target.refused[spec.name] = str(exc).splitlines()[0]
                for target in targets:
                    target.samples.pop(spec.name, None)
            phase = [s for s in phase if not any(s.name in t.refused for t in targets)]
            out(f"bench-scale: {len(phase)} {kind} paths, {rounds} rounds of {CALLS} calls on each database ...")
            for number in range(rounds):
                order = targets if number % 2 == 0 else targets[::-1]
                for spec in phase:
                    for target in order:
                        await block(target, spec, CALLS)
            for spec in phase:
                try:
                    buffer_counts[spec.name] = await buffers(targets[1], spec)
                except IkeneiError:  # a statement that needs what the call made before it
                    buffer_counts[spec.name] = None
        measured = [s for s in specs if not any(s.name in t.refused for t in targets)]
        tenth_t, full_t = targets
        out("bench-scale: submit and ingest throughput on the full size ...")
        submit = await submit_rates(full_t.dsn, settings, cipher)
        ingest = await ingest_ratio(full_t)
        out("bench-scale: the triggers of feedback_responses on the full size ...")
        try:
            triggers: TriggerCost | str = await trigger_cost(full_t)
        except asyncpg.InsufficientPrivilegeError as exc:
            triggers = str(exc).splitlines()[0]
    finally:
        for target in targets:
            await target.app.close()
            await target.owner.close()
    return report(measured, tenth_t, full_t, buffer_counts, submit, ingest, triggers, load_seconds, tenth, full,
                  [s.name for s in specs if s not in measured])


def report(measured: list[PathSpec], tenth_t: Target, full_t: Target,
           buffer_counts: dict[str, int | None],
           submit: float, ingest: float, triggers: TriggerCost | str, load_seconds: dict[str, float | None],
           tenth: ScaleSize, full: ScaleSize, refused: list[str]) -> list[str]:
    lines = ["",
             f"tenth: {tenth.organizations} organizations, {tenth.people} people, {tenth.cycles} cycles; "
             f"full: {full.organizations}, {full.people}, {full.cycles}"
             + "".join(f"; {label} loaded in {s:.0f} s" for label, s in load_seconds.items() if s),
             "",
             "| path | tenth median ms | tenth p95 ms | full median ms | full p95 ms | buffers (full) | growth |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    worst = 0.0
    growth: dict[str, float] = {}
    for spec in measured:
        a, b = tenth_t.samples[spec.name], full_t.samples[spec.name]
        ratio = median(b) / median(a)
        growth[spec.name] = ratio
        if spec.kind == "read":
            worst = max(worst, ratio)
        lines.append(
            f"| {spec.name} | {median(a) * 1000:.2f} | {p95(a) * 1000:.2f} | {median(b) * 1000:.2f} | "
            f"{p95(b) * 1000:.2f} | {_count(buffer_counts[spec.name])} | {ratio:.2f} |"
        )
    lines.append("")
    app = median(full_t.samples["users.list page 1"])
    same = median(full_t.samples["users.list page 1 (owner, same scope)"])
    walk = median(full_t.samples["users.list page 1 (owner, no scope)"])
    lines.append(f"users.list page 1 under the application role / as the owner in the same scope (full): "
                 f"{app / same:.2f}; / as the owner with no scope, walking every user: {app / walk:.2f}")
    lines.append(f"feedback.submit, {TASKS} tasks on a pool of {POOL}, over raw asyncpg doing the same "
                 f"work (rolled back): {submit:.2f}")
    lines.append(f"analytics.record_events of {EVENT_BATCH} over raw copy_records_to_table (rolled back): "
                 f"{ingest:.2f}")
    if isinstance(triggers, TriggerCost):
        t = triggers
        lines.append(f"feedback_responses, one insert of {t.answers} answers (rolled back): "
                     f"{t.everything * 1000:.0f} ms with every trigger, {t.constraints_only * 1000:.0f} ms with "
                     f"the table's own off (foreign keys checked), {t.bare * 1000:.0f} ms with none; "
                     f"{t.everything / t.constraints_only:.2f}x the insert with its constraints, "
                     f"{t.everything / t.bare:.2f}x the bare insert")
    else:
        lines.append(f"not measured: the triggers of feedback_responses: {triggers}")
    for name in refused:
        reason = tenth_t.refused.get(name) or full_t.refused.get(name) or ""
        lines.append(f"not measured: {name}: {reason}")
    lines.append(f"bench-scale: worst-growth {worst:.2f} submit {submit:.2f} ingest {ingest:.2f}")
    return lines


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__.splitlines()[0])
    parser.add_argument("--factor", type=float,
                        default=float(os.environ.get("BENCH_SCALE_FACTOR", "1") or 1),
                        help="scale both sizes (default BENCH_SCALE_FACTOR, else 1)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help=f"rounds per path (default {ROUNDS})")
    args = parser.parse_args(argv)
    if not 0 < args.factor <= 1 or args.rounds < 1:
        print("error: --factor must be in (0, 1] and --rounds at least 1", file=sys.stderr)
        return 1
    try:
        lines = asyncio.run(run(args.factor, args.rounds, lambda line: print(line, flush=True)))
    except (IkeneiError, BenchError, asyncpg.PostgresError, OSError) as exc:
        print(f"error: {str(exc).strip() or type(exc).__name__}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
