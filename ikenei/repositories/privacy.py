"""Privacy: the audit trail, logged reads, consents, the data-processing log, retention policies.

The audit trail writes itself: a trigger on every table holding personal data
records who changed which row and which columns (never the values). Name the
actor with ``async with db.transaction(actor=...)``; without it the entries
have no actor. The logs are append-only in the database; only the retention
run (``ikenei.privacy.retention``) removes old entries, and a GDPR erasure
(``ikenei.privacy.gdpr``) deletes or rewrites the entries naming the person.

An actor is the acting person's user id as text (``str(user.id)`` or
``user:<id>``) or the name of a service (``retention``, ``import``): an
erasure finds the person's id in any such form and replaces it with
``[erased person]``.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from ikenei.db.pages import Page
from ikenei.db.queries import Q
from ikenei.errors import NotFound
from ikenei.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change of one row: what changed, never the values."""

    id: int
    table_name: str
    row_id: str | None
    organization_id: UUID | None
    action: str
    changed_columns: list[str]
    actor: str | None
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """Someone viewed a person's sensitive data (results, an export)."""

    id: int
    actor: str
    organization_id: UUID | None
    subject_user_id: UUID | None
    what: str
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class Consent:
    id: UUID
    user_id: UUID
    purpose: str
    consent_version: str
    granted_at: datetime
    withdrawn_at: datetime | None


@dataclass(frozen=True, slots=True)
class ProcessingEntry:
    """An export, erasure or retention run."""

    id: int
    operation: str
    subject_user_id: UUID | None
    subject_reference: str | None
    actor: str
    details: dict[str, Any]
    occurred_at: datetime


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    kind: str
    period_days: int
    description: str


def subject_reference(email: str, salt: bytes) -> str:
    """The reference data_processing_log keeps for a person: HMAC-SHA256 of the email.

    The email is trimmed and lower-cased first, so a later request from the
    same person finds the same reference; without the salt (a secret kept
    outside the database) the reference cannot be turned back into the email.
    """
    if not salt:
        raise ValueError("subject_reference needs a non-empty salt")
    return hmac.new(salt, email.strip().lower().encode(), hashlib.sha256).hexdigest()


class PrivacyRepository(Repository):
    """Reads the audit trail; logs reads and processing; records consents."""

    __slots__ = ()

    # -- audit trail -------------------------------------------------------------

    async def list_audit(
        self,
        *,
        table_name: str | None = None,
        row_id: UUID | str | None = None,
        organization_id: UUID | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> Page[AuditEntry]:
        """A page of audit entries, newest first, optionally of one table, row or organization."""
        key = None if row_id is None else str(row_id)
        return await self._pages.read(
            self._x, Q.list_audit, AuditEntry,
            {"table_name": table_name, "row_id": key, "organization_id": organization_id},
            key=("id",), after=after, limit=limit,
        )

    async def log_access(
        self, actor: str, organization_id: UUID | None, subject_user_id: UUID | None, what: str
    ) -> AccessEntry:
        """Records that ``actor`` viewed ``what`` (a code such as ``feedback_results``) of a person."""
        return await self._x.created(
            Q.log_access, AccessEntry, actor=actor, organization_id=organization_id,
            subject_user_id=subject_user_id, what=what,
        )

    async def list_access(
        self,
        *,
        subject_user_id: UUID | None = None,
        actor: str | None = None,
        organization_id: UUID | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> Page[AccessEntry]:
        """A page of logged reads, newest first."""
        return await self._pages.read(
            self._x, Q.list_access, AccessEntry,
            {"subject_user_id": subject_user_id, "actor": actor, "organization_id": organization_id},
            key=("id",), after=after, limit=limit,
        )

    # -- consents ----------------------------------------------------------------

    async def grant_consent(self, user_id: UUID, purpose: str, version: str) -> Consent:
        """Records consent to ``purpose`` under wording ``version``; returns the open consent.

        Granting the version already open returns it unchanged; granting another
        version withdraws the open one at the same instant. An unknown purpose
        is ``InvalidData`` (field ``purpose``).
        """
        async with self._x.transaction() as x:
            # Racing grants (two versions at once) take turns: the later one
            # sees, and closes, what the earlier one opened.
            await x.value(Q.lock_consent, user_id=user_id, purpose=purpose)
            consent = await x.one(
                Q.grant_consent, Consent, user_id=user_id, purpose=purpose, consent_version=version,
            )
        assert consent is not None
        return consent

    async def withdraw_consent(self, user_id: UUID, purpose: str) -> Consent:
        """Withdraws the open consent to ``purpose``; NotFound if none is open."""
        async with self._x.transaction() as x:
            # After a racing grant, so that a consent it opens is withdrawn too.
            await x.value(Q.lock_consent, user_id=user_id, purpose=purpose)
            consent = await x.one(Q.withdraw_consent, Consent, user_id=user_id, purpose=purpose)
        if consent is None:
            raise NotFound("consent", (user_id, purpose))
        return consent

    async def list_consents(
        self, user_id: UUID, *, purpose: str | None = None, limit: int = 100, after: str | None = None
    ) -> Page[Consent]:
        """A page of a person's consent history (withdrawn ones included), newest first."""
        return await self._pages.read(
            self._x, Q.list_consents, Consent,
            {"user_id": user_id, "purpose": purpose},
            key=("granted_at", "id"), after=after, limit=limit,
        )

    async def has_consent(self, user_id: UUID, purpose: str) -> bool:
        """Whether the person's consent to ``purpose`` is open."""
        return bool(await self._x.value(Q.has_consent, user_id=user_id, purpose=purpose))

    # -- data-processing log -----------------------------------------------------

    async def log_processing(
        self,
        operation: str,
        subject_user_id: UUID | None,
        subject_reference: str | None,
        actor: str,
        details: dict[str, Any] | None = None,
    ) -> ProcessingEntry:
        """Records an export, erasure or retention run.

        ``subject_reference`` is :func:`subject_reference` of the person (never
        the email; the database refuses anything but 64 hex digits); a
        retention run has neither subject nor reference. ``details`` holds
        counts, never values.
        """
        return await self._x.created(
            Q.log_processing, ProcessingEntry, operation=operation, subject_user_id=subject_user_id,
            subject_reference=subject_reference, actor=actor, details=details,
        )

    async def list_processing(
        self,
        *,
        operation: str | None = None,
        subject_user_id: UUID | None = None,
        subject_reference: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> Page[ProcessingEntry]:
        """A page of the data-processing log, newest first."""
        return await self._pages.read(
            self._x, Q.list_processing, ProcessingEntry,
            {"operation": operation, "subject_user_id": subject_user_id, "subject_reference": subject_reference},
            key=("id",), after=after, limit=limit,
        )

    # -- retention ---------------------------------------------------------------

    async def list_retention_policies(self) -> list[RetentionPolicy]:
        """Every retention policy (kind, period in days, what it deletes), by kind."""
        return await self._x.all(Q.list_retention_policies, RetentionPolicy)
