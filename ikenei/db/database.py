"""The pool's lifecycle, transactions, and the repositories wired to them.

Organizations are kept apart by PostgreSQL row-level security (migration
``20261125_100141_row_level_security``), which binds every role but the
tables' owner. With ``DB_APP_ROLE`` set (or ``Database.connect(role=...)``)
every pooled connection works as that role, and a transaction sees only the
rows of whom it works for: ``db.organization(id)``, ``db.person(...)`` or
``db.external_rater(token)``. Outside those scopes such a role sees no
organization's data and writes none.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Final, Self
from uuid import UUID

import asyncpg

from ikenei import embedded
from ikenei.config.settings import Settings, load_settings
from ikenei.db.connections import init_connection
from ikenei.db.pages import Pages
from ikenei.db.queries import Executor, Q, Query
from ikenei.db.translate import DRIVER_ERRORS, bare, connection_failure
from ikenei.errors import ConfigError, InvalidData, NotMigrated
from ikenei.privacy.keys import check_keys
from ikenei.repositories.analytics import AnalyticsRepository
from ikenei.repositories.competencies import CompetenciesRepository
from ikenei.repositories.feedback import FeedbackRepository
from ikenei.repositories.learning import LearningRepository
from ikenei.repositories.nominations import NominationsRepository
from ikenei.repositories.notifications import NotificationsRepository
from ikenei.repositories.organizations import OrganizationsRepository
from ikenei.repositories.plan_reviews import PlanReviewsRepository
from ikenei.repositories.plan_templates import PlanTemplatesRepository
from ikenei.repositories.privacy import PrivacyRepository
from ikenei.repositories.results import ResultsRepository
from ikenei.repositories.roles import RolesRepository
from ikenei.repositories.users import UsersRepository
from ikenei.security.encryption import Cipher, cipher_from_settings
from ikenei.security.passwords import DEFAULT_COST
from ikenei.security.tokens import token_digest


class Repositories:
    """Every repository, bound to one executor (the pool, or a transaction's connection).

    ``cipher`` encrypts and decrypts the sensitive free text (feedback
    comments, progress notes); without it those repositories refuse such text.
    It also seals the cursors of list pages (``ikenei.db.pages``).
    """

    __slots__ = (
        "analytics",
        "competencies",
        "feedback",
        "learning",
        "nominations",
        "notifications",
        "organizations",
        "plan_reviews",
        "plan_templates",
        "privacy",
        "results",
        "roles",
        "users",
    )

    def __init__(
        self, executor: Executor, cipher: Cipher | None = None, bcrypt_cost: int = DEFAULT_COST
    ) -> None:
        pages = Pages(cipher)
        self.users = UsersRepository(executor, bcrypt_cost, pages=pages)
        self.organizations = OrganizationsRepository(executor, pages=pages)
        self.roles = RolesRepository(executor, pages=pages)
        self.feedback = FeedbackRepository(executor, cipher, pages=pages)
        self.competencies = CompetenciesRepository(executor, cipher, pages=pages)
        self.learning = LearningRepository(executor, cipher, pages=pages)
        self.analytics = AnalyticsRepository(executor, pages=pages)
        self.privacy = PrivacyRepository(executor, pages=pages)
        self.nominations = NominationsRepository(executor, pages=pages)
        self.notifications = NotificationsRepository(executor, pages=pages)
        self.plan_templates = PlanTemplatesRepository(executor, pages=pages)
        self.plan_reviews = PlanReviewsRepository(executor, pages=pages)
        self.results = ResultsRepository(executor)


@dataclass(frozen=True, slots=True)
class PoolFigures:
    """The pool's connections now: open, most it opens, idle, in use, callers waiting for one."""

    size: int
    max_size: int
    idle: int
    in_use: int
    waiting: int

    @property
    def utilization(self) -> float:
        """Connections in use, in percent of the most the pool opens."""
        return 100.0 * self.in_use / self.max_size


class _FromSettings:
    def __repr__(self) -> str:
        return "FROM_SETTINGS"


#: ``Database.connect(role=...)``'s default: the role the settings name (``DB_APP_ROLE``).
FROM_SETTINGS: Final = _FromSettings()


class Database(Repositories):
    """An asyncpg pool sized by the settings, with the repositories on it.

    ``db.users.get(...)`` runs on any pooled connection; ``async with
    db.transaction() as tx:`` gives the same repositories on one connection in
    one transaction, committed when the block ends and rolled back if it raises.
    """

    __slots__ = ("_bcrypt_cost", "_cipher", "_executor", "_pool")

    def __init__(
        self, pool: asyncpg.Pool, cipher: Cipher | None = None, bcrypt_cost: int = DEFAULT_COST
    ) -> None:
        self._pool = pool
        self._cipher = cipher
        self._bcrypt_cost = bcrypt_cost
        self._executor = Executor(pool)
        super().__init__(self._executor, cipher, bcrypt_cost)

    @classmethod
    async def connect(
        cls, settings: Settings | None = None, *, role: str | None | _FromSettings = FROM_SETTINGS
    ) -> Database:
        """A pool on the configured database, with the encryption keys checked.

        ``role``: the role every pooled connection works as, ``DB_APP_ROLE``
        unless given; None keeps the login role (the owner's view, for
        maintenance and tests of the domain rules). It is set when each
        connection starts, so neither the pool's reset on release (RESET ALL)
        nor a RESET ROLE undoes it. ``ConfigError`` when row-level security
        does not bind that role (it owns the tables, is a superuser or has
        BYPASSRLS): organizations would not be kept apart.

        ``ConfigError`` (before connecting) when no encryption key is
        configured for a server other than the embedded one; ``WrongKey`` or
        ``ConfigError`` when the configured keys do not fit the stored data
        (see ``ikenei.privacy.keys.check_keys``).
        """
        settings = settings or load_settings()
        app_role = settings.db_app_role if isinstance(role, _FromSettings) else role
        as_role = f" as role {app_role}" if app_role else ""
        # May write the embedded server's development key: off the loop too.
        cipher = await asyncio.to_thread(cipher_from_settings, settings)
        # The embedded server (when it is the one configured) is started here,
        # explicitly, and off the loop.
        settings = await asyncio.to_thread(embedded.started, settings)
        dsn = settings.dsn()
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=settings.db_pool_min,
                max_size=settings.db_pool_max,
                max_inactive_connection_lifetime=settings.pool_idle_seconds,
                init=init_connection,
                # A startup parameter: the session's role from its first
                # statement on, and what RESET ROLE returns to.
                server_settings={"role": app_role} if app_role else None,
            )
        except asyncpg.InvalidParameterValueError as exc:
            if app_role and "does not exist" in str(exc):
                # ikenei_app is made by the migrations; another name by the administrator.
                raise bare(NotMigrated(
                    f"{settings.target}: {exc} (DB_APP_ROLE); `make migrate` creates ikenei_app"
                )) from None
            raise connection_failure(f"{settings.target}{as_role}", exc) from None
        except (TimeoutError, *DRIVER_ERRORS) as exc:
            raise connection_failure(f"{settings.target}{as_role}", exc) from None
        try:
            if app_role and not await Executor(pool).value(Q.row_security_applies):
                raise ConfigError(
                    f"DB_APP_ROLE: row-level security does not bind role {app_role} (it owns the "
                    "tables, is a superuser or has BYPASSRLS): organizations would not be kept apart"
                )
            await check_keys(Executor(pool), cipher)
        except NotMigrated:
            pass  # nothing is encrypted yet; the first query reports the missing schema
        except BaseException:
            await pool.close()
            raise
        return cls(pool, cipher, settings.bcrypt_cost)

    def pool_figures(self) -> PoolFigures:
        """The pool's figures now (no query), for ``ikenei monitor`` snapshots or an
        application's own metrics endpoint (``ikenei.monitoring.metrics.PoolCollector``)."""
        pool = self._pool
        size, idle = pool.get_size(), pool.get_idle_size()
        # asyncpg counts no waiters; its free-connection queue knows them.
        waiters = getattr(getattr(pool, "_queue", None), "_getters", None) or ()
        waiting = sum(1 for waiter in waiters if not waiter.done())
        return PoolFigures(size, pool.get_max_size(), idle, size - idle, waiting)

    async def close(self) -> None:
        await self._pool.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self, *, actor: str | None = None) -> AsyncIterator[Repositories]:
        """One transaction; ``actor`` names who acts in it, for the audit trail."""
        if actor is not None:
            _check_actor(actor)
        async with self._executor.transaction() as executor:
            if actor is not None:
                # Transaction-local (set_config(..., true)): it ends with the
                # transaction, so the pooled connection never carries it on.
                await executor.value(Q.set_actor, actor=actor)
            yield Repositories(executor, self._cipher, self._bcrypt_cost)

    @asynccontextmanager
    async def organization(
        self, organization_id: UUID, *, user_id: UUID | None = None, actor: str | None = None
    ) -> AsyncIterator[Repositories]:
        """One transaction working for one organization, like ``transaction()``.

        Under a role bound by row-level security its repositories see and
        change only that organization's rows (and the shared system roles and
        standard categories): another organization's rows are absent
        (``NotFound``, empty lists) and writing one is refused.

        ``user_id`` is the person acting: PostgreSQL then binds every
        statement to the permissions of their roles in the organization
        (``feedback.results.view_own|view_team|view_all``,
        ``learning.plans.manage_own|manage_team|manage_all``, ...; the team is
        everyone down their manager chain; see the README's "Who sees what
        inside an organization"). They also see what ``person()`` shows; a
        membership is made only by its person (``add_member`` of themselves:
        joining). A new organization is made in the scope of its new id, by
        its founder, who then grants themselves its first role::

            async with db.organization(uuid4(), user_id=founder.id) as org:
                new = await org.organizations.create(name="Initech", domain="initech.example")
                await org.organizations.add_member(new.id, founder.id)
                admin = await org.roles.get_by_name(new.id, "admin")
                await org.roles.assign(new.id, founder.id, admin.id)

        Without ``user_id`` this is the organization's maintenance scope: all
        of its rows, as no one's permissions. Maintenance code only (imports,
        batch jobs, the organization's administration tooling); code that
        serves a person names them.

        ``actor`` names who acts, for the audit trail.
        """
        async with self._scope(
            Q.set_scope, actor, organization_id=organization_id, user_id=user_id, user_email=None
        ) as repositories:
            yield repositories

    @asynccontextmanager
    async def person(
        self, user_id: UUID | None = None, *, email: str | None = None, actor: str | None = None
    ) -> AsyncIterator[Repositories]:
        """One transaction working for one person: by ``user_id`` once signed in,
        by ``email`` while signing up (``users.create`` with that email) or in
        (``users.authenticate``). An email scope reaches nothing else until the
        password matched; ``authenticate`` then makes the rest of the
        transaction the person's.

        Under a role bound by row-level security it sees the person's users
        row, memberships and organizations, their consents (which only they
        give and withdraw) and their exports and erasures; no organization's data.
        """
        if (user_id is None) == (email is None):
            raise ValueError("person() takes either a user_id or an email")
        async with self._scope(
            Q.set_scope, actor, organization_id=None, user_id=user_id, user_email=email
        ) as repositories:
            yield repositories

    @asynccontextmanager
    async def external_rater(self, token: str, *, actor: str | None = None) -> AsyncIterator[Repositories]:
        """One transaction working for the holder of an external rater's access
        token, and for no organization: row-level security shows it no row.

        It reaches only its own open invitation, through
        ``feedback.get_invitation_by_token(token)``,
        ``feedback.list_questions_by_token(token)``,
        ``feedback.submit(invitation.id, answers, token=token)`` and
        ``feedback.decline_invitation(invitation.id, token=token)``; a used,
        declined or expired invitation's token reaches nothing (``Conflict``),
        an unknown one ``NotFound``.
        """
        digest = token_digest(token)
        async with self._scope(
            Q.set_access_token_scope, actor, access_token_hash=digest,
        ) as repositories:
            yield repositories

    @asynccontextmanager
    async def _scope(
        self, query: Query, actor: str | None, **args: Any
    ) -> AsyncIterator[Repositories]:
        if actor is not None:
            _check_actor(actor)
        async with self._executor.transaction() as executor:
            await executor.value(query, actor=actor, **args)
            yield Repositories(executor, self._cipher, self._bcrypt_cost)


#: Characters an actor may have: it is written into every audit entry and logged read.
MAX_ACTOR = 200


def _check_actor(actor: str) -> None:
    """An actor the logs can keep (``InvalidData`` naming ``actor``): a long one would break every logged read."""
    if not isinstance(actor, str) or not actor.strip():
        raise InvalidData("actor", "must be a non-empty string")
    if len(actor) > MAX_ACTOR:
        raise InvalidData("actor", f"is {len(actor)} characters long; at most {MAX_ACTOR} are allowed")
