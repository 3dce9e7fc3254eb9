"""``ikenei seed scale``: fills a migrated database with generated data of a
realistic shape and size, for measurements (``make bench-scale``).

The full size is 200 organizations, 20,000 people and 400 cycles: about
320,000 invitations, 3.0 million answers, 2.9 million competency ratings and
a million analytics events; the default is a tenth of it. Per organization:
ten competencies, an anonymous form (threshold 3) and a named one, closed
cycles and an active one, every member rated by themselves, their manager,
their direct reports and peers, about 90 % of the invitations completed,
encrypted comments, a learning plan per person, and analytics events over the
year before ``as_of``. The shape is described in ``sql/tooling/seed_scale.sql``.

How it loads:

* every row is written by set-based statements of that file, with bind
  parameters, through every constraint and trigger of the schema, as the
  tables' owner; closing a cycle goes through the schema's own close trigger
  (which rewrites an anonymous cycle's answers);
* one organization is one transaction: a failure leaves whole organizations
  or none of an organization (the message says how many were loaded); two
  connections load organizations side by side; then the events, a month at a
  time (two side by side) in time order across organizations, one
  transaction per month;
* nothing depends on ``random()``: values and ids are md5 hashes of (seed,
  organization, what it is), so the same seed gives the same rows. Comments
  are encrypted here (the ciphertext is bound to its row id, known in
  advance) from a small pool of sentences; their ciphertexts differ between
  loads (a fresh nonce each), their text does not.

A database that already holds people is refused unless ``add`` is given;
an added load numbers its organizations after the ones there. A finished load
is recorded under the system setting ``seed.scale``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from datetime import time as clock
from typing import Any, Protocol, TypeVar
from uuid import UUID

from ikenei.config.paths import SQL_DIR
from ikenei.db.connections import owner_connection
from ikenei.db.queries import Executor, load
from ikenei.errors import Conflict, DatabaseError, IkeneiError, InvalidData
from ikenei.security.encryption import Cipher

__all__ = [
    "DEFAULT",
    "FULL",
    "LoadResult",
    "ScaleSize",
    "StepProgress",
    "load_scale",
    "plain_progress",
]

Q = load(SQL_DIR / "tooling" / "seed_scale.sql")

# One item of work done in parallel (an organization, a month of events).
W = TypeVar("W")

#: The password of every generated person: the dev seed's (its bcrypt hash, cost 12).
PASSWORD_HASH = "$2b$12$mGh6jImdXW6g4QhzZOp7Te71Qb4hEIfGhihfTy1u0XweT87fCgtH2"
#: Analytics events per person over the year.
EVENTS_PER_PERSON = 50
#: Organizations loaded side by side (one connection each).
WORKERS = 2
MAX_SEED = 2**31 - 1
# Where comments live, as the feedback repository encrypts them.
_COMMENT_PLACE = ("feedback_responses", "comment")

COMMENTS = (
    "Always prepared for our one-to-ones, and follows up on what we agreed.",
    "Explains complex trade-offs so that everyone in the room can decide.",
    "Could delegate more: the team is ready for bigger pieces of work.",
    "Gives feedback that is direct and kind at the same time.",
    "Sometimes commits to dates before the team has looked at the work.",
    "Brought structure to the incident reviews; they are useful now.",
    "I would like to hear more of their ideas in planning meetings.",
    "Reliable under pressure, and keeps the customer in view.",
    "Documents decisions well; new joiners find their way quickly.",
    "Listens first, which makes difficult conversations easier.",
    "Takes on too much alone; asking for help earlier would serve everyone.",
    "Their code reviews teach, they do not just approve or block.",
    "Meetings they run end on time and with clear owners.",
    "Pushes for experiments and shares what failed as openly as what worked.",
    "Could share context earlier with the teams that depend on us.",
    "A calm presence during the migration; people trusted the plan.",
    "Prioritises well, but the reasons are not always written down.",
    "Mentored two juniors this year, both now work independently.",
    "Sets a high bar for quality without slowing the team down.",
    "Would benefit from presenting the team's work more often.",
    "Connects people across departments who should be talking.",
    "Responds quickly, though messages are sometimes hard to act on.",
    "Handled the difficult customer escalation with great care.",
    "Welcomes disagreement and changes course when the data says so.",
)


@dataclass(frozen=True, slots=True)
class ScaleSize:
    """What a load generates: totals, spread evenly over the organizations."""

    organizations: int = 20
    people: int = 2_000
    cycles: int = 40
    seed: int = 1
    as_of: date | None = None  # the day the data ends on; None: today (UTC)

    def check(self) -> None:
        """``InvalidData`` naming the option that cannot make a load."""
        if not 1 <= self.organizations <= 100_000:
            raise InvalidData("organizations", f"must be 1 to 100000, not {self.organizations}")
        if not 2 * self.organizations <= self.people <= 10_000_000:
            raise InvalidData(
                "people",
                f"must be at least 2 per organization ({2 * self.organizations}) and at most "
                f"10000000, not {self.people}",
            )
        if not self.organizations <= self.cycles <= 50 * self.organizations:
            raise InvalidData(
                "cycles",
                f"must be 1 to 50 per organization ({self.organizations} to "
                f"{50 * self.organizations}), not {self.cycles}",
            )
        if not 0 <= self.seed <= MAX_SEED:
            raise InvalidData("seed", f"must be 0 to {MAX_SEED}, not {self.seed}")

    def per_organization(self) -> list[tuple[int, int]]:
        """(people, cycles) of each organization in turn: the remainders go to the first ones."""
        n = self.organizations
        return [
            (self.people // n + (i < self.people % n), self.cycles // n + (i < self.cycles % n))
            for i in range(n)
        ]

    def day(self) -> date:
        """The day the data ends on."""
        return self.as_of or datetime.now(UTC).date()


#: The full size of the performance issue; the default (``ScaleSize()``) is a tenth of it.
FULL = ScaleSize(organizations=200, people=20_000, cycles=400)
DEFAULT = ScaleSize()


@dataclass(frozen=True, slots=True)
class CommentAnswer:
    """An answer that will hold a comment: its id and which comment of the pool."""

    id: UUID
    pick: int


@dataclass(frozen=True, slots=True)
class RowCount:
    """Rows of one table after a load."""

    table_name: str
    rows: int


@dataclass(frozen=True, slots=True)
class LoadResult:
    """A finished load: its parameters, first organization number, rows and seconds per step."""

    size: ScaleSize
    first_organization: int
    rows: dict[str, int]
    seconds: dict[str, float]

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


class StepProgress(Protocol):
    """How a load reports one step: ``step(name, total)`` opens it, ``advance(n)`` counts done units."""

    def step(self, name: str, total: int) -> AbstractContextManager[Callable[[int], None]]: ...


class _Plain:
    """Progress as plain lines (not a terminal): every tenth of a step, and its end."""

    def __init__(self, out: Callable[[str], Any]) -> None:
        self._out = out

    @contextmanager
    def step(self, name: str, total: int) -> Iterator[Callable[[int], None]]:
        done = 0
        shown = 0
        started = time.perf_counter()

        def advance(n: int) -> None:
            nonlocal done, shown
            done += n
            tenth = done * 10 // max(total, 1)
            if tenth > shown and done < total:
                shown = tenth
                self._out(f"{name}: {done}/{total}")

        yield advance
        self._out(f"{name}: {done}/{total} in {time.perf_counter() - started:.1f} s")


def plain_progress(out: Callable[[str], Any] = print) -> StepProgress:
    """Progress reported as plain lines through ``out``."""
    return _Plain(out)


def _load_record(size: ScaleSize, first: int) -> dict[str, Any]:
    record = asdict(size)
    record["as_of"] = size.day().isoformat()
    record["first_organization"] = first
    record["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return record


async def loads(dsn: str) -> list[dict[str, Any]]:
    """The finished loads recorded in the database at ``dsn`` (oldest first)."""
    async with owner_connection(dsn) as x:
        found = await x.value(Q.scale_loads)
    return list(found or [])


async def load_scale(
    dsn: str,
    size: ScaleSize,
    cipher: Cipher,
    *,
    add: bool = False,
    progress: StepProgress | None = None,
    out: Callable[[str], Any] = print,
) -> LoadResult:
    """Loads ``size`` into the migrated database at ``dsn``; see the module doc.

    ``InvalidData`` naming the option for a size that cannot be loaded, and
    ``Conflict`` for a database that holds people already without ``add``;
    both before anything is written. The prod seed is loaded first when its
    system roles are missing (the generated people hold them).
    """
    size.check()
    progress = progress or plain_progress(out)
    as_of = datetime.combine(size.day(), clock(), UTC)
    from ikenei.privacy.keys import check_keys
    from ikenei.schema import migrations, seeds

    await asyncio.to_thread(migrations.require_migrated, dsn)
    async with owner_connection(dsn) as x:
        if await x.value(Q.scale_has_people) and not add:
            raise Conflict(
                "the database already holds people: `ikenei seed scale` fills an empty "
                "(migrated) database; --add adds a load to what is there",
                "not_empty",
            )
        if not await x.value(Q.scale_has_prod_seed):
            await asyncio.to_thread(seeds.run, dsn, "prod", out=out)
        await check_keys(x, cipher)
        first = int(await x.value(Q.scale_next_organization_number))

    shapes = size.per_organization()
    numbers = [first + i for i in range(size.organizations)]
    seconds: dict[str, float] = {}

    async def organization(x: Executor, work: tuple[int, int, int]) -> None:
        number, people, cycles = work
        await _organization(x, cipher, size.seed, number, people, cycles, as_of)

    started = time.perf_counter()
    with progress.step("organizations", size.organizations) as advance:
        await _in_parallel(
            dsn, [(n, people, cycles) for n, (people, cycles) in zip(numbers, shapes, strict=True)],
            organization, advance,
            lambda done: f"{done} of {size.organizations} organizations were loaded whole, "
                         "the others not at all (no events yet)",
        )
    seconds["organizations"] = time.perf_counter() - started

    people_of = [people for people, _ in shapes]

    async def month_of_events(x: Executor, month: int) -> None:
        await x.execute(
            Q.scale_insert_events, seed=size.seed, org_nos=numbers, org_people=people_of,
            events_per_person=EVENTS_PER_PERSON, month=month, as_of=as_of,
        )

    started = time.perf_counter()
    with progress.step("analytics events", 12) as advance:
        await _in_parallel(
            dsn, list(range(12)), month_of_events, advance,
            lambda done: f"the {size.organizations} organizations were loaded whole, "
                         f"with the events of {done} of 12 months",
        )
    seconds["analytics events"] = time.perf_counter() - started

    async with owner_connection(dsn) as x:
        await x.execute(Q.scale_record_load, load=_load_record(size, first))
        counts = await x.all(Q.scale_row_counts, RowCount)
    return LoadResult(size, first, {c.table_name: c.rows for c in counts}, seconds)


async def _in_parallel(
    dsn: str,
    items: list[W],
    work: Callable[[Executor, W], Awaitable[None]],
    advance: Callable[[int], Any],
    stopped: Callable[[int], str],
) -> None:
    """``work`` on every item, each in a transaction of its own, on ``WORKERS``
    connections; on a failure the others stop and ``DatabaseError`` says, through
    ``stopped(items done)``, what was loaded whole."""
    queue: asyncio.Queue[W] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    done = 0

    async def worker() -> None:
        nonlocal done
        async with owner_connection(dsn) as x:
            while True:
                try:
                    item = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                async with x.transaction():
                    await work(x, item)
                done += 1
                advance(1)

    tasks = [asyncio.create_task(worker()) for _ in range(min(WORKERS, len(items)))]
    try:
        await asyncio.gather(*tasks)
    except BaseException as exc:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if isinstance(exc, IkeneiError):
            raise DatabaseError(f"seed scale stopped: {exc}; {stopped(done)}") from exc
        raise


async def _organization(
    x: Executor, cipher: Cipher, seed: int, number: int, people: int, cycles: int, as_of: datetime
) -> None:
    """Every row of one organization, in the caller's transaction."""
    await x.execute(
        Q.scale_insert_organization, seed=seed, org_no=number, people=people, as_of=as_of,
    )
    await x.execute(
        Q.scale_insert_people, seed=seed, org_no=number, people=people, as_of=as_of,
        password_hash=PASSWORD_HASH,
    )
    await x.execute(
        Q.scale_insert_memberships, seed=seed, org_no=number, people=people, as_of=as_of,
    )
    await x.execute(
        Q.scale_insert_role_assignments, seed=seed, org_no=number, people=people, as_of=as_of,
    )
    await x.execute(Q.scale_insert_competencies, seed=seed, org_no=number, as_of=as_of)
    await x.execute(Q.scale_insert_competency_levels, seed=seed, org_no=number, as_of=as_of)
    await x.execute(Q.scale_insert_forms, seed=seed, org_no=number, as_of=as_of)
    await x.execute(Q.scale_insert_questions, seed=seed, org_no=number, as_of=as_of)
    await x.execute(Q.scale_insert_cycles, seed=seed, org_no=number, cycles=cycles, as_of=as_of)
    await x.execute(
        Q.scale_insert_invitations, seed=seed, org_no=number, people=people, cycles=cycles,
        as_of=as_of,
    )
    ids, ciphertexts = _comments(cipher, await x.all(
        Q.scale_comment_answers, CommentAnswer, seed=seed, org_no=number,
    ))
    await x.execute(
        Q.scale_insert_answers, seed=seed, org_no=number, comment_ids=ids,
        comment_ciphertexts=ciphertexts, comment_key_id=cipher.current_key_id,
    )
    await x.execute(Q.scale_insert_competency_ratings, seed=seed, org_no=number)
    await x.execute(Q.scale_close_cycles, seed=seed, org_no=number, cycles=cycles)
    await x.execute(
        Q.scale_insert_plans, seed=seed, org_no=number, people=people, cycles=cycles, as_of=as_of,
    )
    await x.execute(Q.scale_insert_objectives, seed=seed, org_no=number, people=people)


def _comments(cipher: Cipher, answers: list[CommentAnswer]) -> tuple[list[UUID], list[bytes]]:
    """Each answer's comment from the pool, encrypted for its row."""
    ids: list[UUID] = []
    ciphertexts: list[bytes] = []
    table, column = _COMMENT_PLACE
    for answer in answers:
        text = COMMENTS[answer.pick % len(COMMENTS)]
        ids.append(answer.id)
        ciphertexts.append(
            cipher.encrypt(text, table=table, column=column, row_id=answer.id).ciphertext
        )
    return ids, ciphertexts
