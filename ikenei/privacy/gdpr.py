"""GDPR: everything held about a person, exported or erased (``ikenei gdpr export|erase``).

A person is found by email: every users row with it (lower-cased; soft-deleted
accounts too) and every feedback invitation that reached them as an external
rater by it. Both commands run as the tables' owner on the configured DSN,
like the retention run, with one connection and one transaction each, under
the audit actor ``gdpr``. The queries are in ``sql/queries/gdpr.sql``.

**Export** (:func:`export_async`) writes one JSON document: accounts (every column
but the password hash), memberships, roles, competency levels with their
history, learning plans with objectives, progress and recommendations,
consents, analytics events, dashboard widgets, reports asked for, feedback
received and given, who viewed their data and earlier exports and erasures.
Comments and progress notes are decrypted with the configured keys. Feedback
received on an anonymous form appears only as its results show it (rater
groups below the form's threshold folded or left out) and its comments under
their rater group, never with an invitation or rater; on a form that is not
anonymous every answer comes with its rater's name. Feedback given appears as
invitations, with the answers only where the form is not anonymous: an
anonymous answer is linked to nobody, so it cannot be found as theirs. The
export is recorded in ``data_processing_log`` and, as a read of sensitive data,
in ``data_access_log``; all sections come from one snapshot.

**Erasure** (:func:`erase_async`) deletes, in one transaction: the comments they
wrote about others on forms that are not anonymous (the answer keeps its
rating, or goes if it was only a comment), the invitations that reached them
as an external rater, their analytics events, and their users rows, whose
foreign keys delete everything else that is theirs and unlink them from what
stays (a manager, a granter, a creator). Ratings they gave stay, linked to no
one, so colleagues' results keep their meaning; their anonymous answers were
never linked to them. Afterwards no column holds their email, name or text:
the logs keep ids and codes only, never values. Their user id stays in the
logs (``data_processing_log``, ``data_access_log``, the audit actor) until the
retention policy ``erased_person_leftovers`` removes it, found through the
erasure entries this writes: ``('erasure', user_id, subject_reference)``,
one per account. ``subject_reference`` is the salted hash of the email
(``SUBJECT_REFERENCE_SALT``), so a second erasure of the same email finds the
first and says so (:attr:`Erasure.already_erased_at`) instead of failing;
an email never known is ``NotFound``, and nothing changes.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from ikenei.config.settings import Settings
from ikenei.db.connections import owner_connection
from ikenei.db.queries import Executor, Q
from ikenei.errors import ConfigError, Conflict, InvalidData, NotFound
from ikenei.privacy.keys import ENCRYPTED_COLUMNS, check_keys
from ikenei.repositories.feedback import FeedbackRepository
from ikenei.repositories.privacy import PrivacyRepository, subject_reference
from ikenei.security.encryption import Cipher, dev_key

__all__ = [
    "ACTOR",
    "FORMAT",
    "Erasure",
    "erase_async",
    "export_async",
    "reference_salt",
]

Out = Callable[[str], Any]

#: The actor of exports and erasures in audit_log, data_access_log and data_processing_log.
ACTOR = "gdpr"
#: The ``format`` of the export document; a change of its shape changes the version.
FORMAT = "ikenei-gdpr-export/1"
#: The file under ``.ikenei/`` holding the embedded server's salt when SUBJECT_REFERENCE_SALT is unset.
DEV_SALT_FILE = "subject_reference.salt"

_ENCRYPTED = frozenset((c.table, c.column) for c in ENCRYPTED_COLUMNS)

_NOTES = (
    (
        "Answers given on an anonymous form are linked to no one: they appear only within "
        "the results and comments of the person rated, never as given by you."
    ),
    (
        "Feedback received on an anonymous form appears as its results show it: by rater group, "
        "groups smaller than the form's anonymity threshold folded into 'others' or left out."
    ),
    "The password hash is not included: it only serves to check a password.",
)


@dataclass(frozen=True, slots=True)
class _Subject:
    user_ids: list[UUID]
    rater_invitations: int

    @property
    def known(self) -> bool:
        return bool(self.user_ids) or self.rater_invitations > 0


@dataclass(slots=True)
class Erasure:
    """What an erasure did.

    ``rows``: per kind, the rows of the person's data there were (see
    ``count_gdpr_personal_rows``), plus ``comments_removed`` and
    ``external_invitations``. ``already_erased_at``: set when nothing of the
    person was left because an earlier erasure of this email removed it
    (``rows`` is then empty and nothing was written).
    """

    accounts: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    already_erased_at: datetime | None = None


def reference_salt(settings: Settings) -> bytes:
    """The salt of :func:`subject_reference`: ``SUBJECT_REFERENCE_SALT``.

    Without it only the embedded development server has one, made once into
    ``.ikenei/subject_reference.salt``; any other server is a ``ConfigError``.
    """
    if settings.subject_reference_salt is not None:
        return settings.subject_reference_salt.get_secret_value().encode()
    if not settings.uses_embedded:
        raise ConfigError(
            "SUBJECT_REFERENCE_SALT is required when DB_HOST or DATABASE_URL is set: a random "
            "secret of at least 16 characters that stays the same for the life of the database "
            "(it turns an email into the reference the processing log keeps); "
            'make one with: echo "$(openssl rand -base64 32)"'
        )
    from ikenei import embedded

    return dev_key(embedded.root() / DEV_SALT_FILE)[1]


# -- export ---------------------------------------------------------------------------


async def export_async(
    dsn: str,
    email: str,
    *,
    cipher: Cipher,
    salt: bytes,
    output: Path | None = None,
    out: Out = print,
) -> dict[str, Any]:
    """Exports everything held about the person with ``email``; the document as written.

    Without ``output`` the JSON text goes to ``out`` (standard output);
    with it, to that new file (mode 0600; an existing file is refused with
    ``InvalidData`` naming ``output``, never written over) and ``out`` gets a
    one-line summary. ``NotFound`` for an email nothing is held under.
    """
    email = _checked_email(email)
    reference = subject_reference(email, salt)
    # The file is claimed first, so that a refused path costs no logged export,
    # and written only after the export is recorded.
    file = _claim(output) if output is not None else None
    try:
        document = await _collect(dsn, email, reference, cipher)
        text = json.dumps(document, ensure_ascii=False, indent=2, default=_json_value)
        if file is not None:
            file.write(text + "\n")
            file.close()
    except BaseException:
        if file is not None:
            file.close()
            assert output is not None
            output.unlink(missing_ok=True)
        raise
    if output is None:
        out(text)
    else:
        out(f"exported the data held about {email} to {output} ({_summary(document)})")
    # What was written, as a reader of the JSON gets it.
    written: dict[str, Any] = json.loads(text)
    return written


async def _collect(dsn: str, email: str, reference: str, cipher: Cipher) -> dict[str, Any]:
    async with owner_connection(dsn, "the database of the export") as x:
        await check_keys(x, cipher)
        async with x.transaction() as tx:
            await tx.execute(Q.begin_gdpr_export)
            await tx.value(Q.set_actor, ACTOR)
            subject = await tx.one(Q.find_gdpr_subject, _Subject, email)
            assert subject is not None
            if not subject.known:
                raise NotFound("person with email", email)
            ids = subject.user_ids
            document: dict[str, Any] = {
                "format": FORMAT,
                "exported_at": datetime.now(UTC),
                "email": email,
                "notes": list(_NOTES),
                "accounts": await tx.value(Q.export_gdpr_accounts, ids),
                "memberships": await tx.value(Q.export_gdpr_memberships, ids),
                "roles": await tx.value(Q.export_gdpr_roles, ids),
                "feedback_received": await _feedback_received(tx, ids, cipher),
                "feedback_given": _revealed_answers(
                    await tx.value(Q.export_gdpr_feedback_given, ids, email), cipher
                ),
                "competencies": await tx.value(Q.export_gdpr_competencies, ids),
                "learning_plans": _revealed_plans(await tx.value(Q.export_gdpr_learning_plans, ids), cipher),
                "recommendations_without_plan": await tx.value(Q.export_gdpr_other_recommendations, ids),
                "consents": await tx.value(Q.export_gdpr_consents, ids),
                "analytics_events": await tx.value(Q.export_gdpr_analytics_events, ids),
                "dashboard_widgets": await tx.value(Q.export_gdpr_dashboard_widgets, ids),
                "reports_requested": await tx.value(Q.export_gdpr_reports_requested, ids),
                "data_access": await tx.value(Q.export_gdpr_data_access, ids),
                "processing": await tx.value(Q.export_gdpr_processing, ids, reference),
            }
            counts = {name: len(v) for name, v in document.items() if isinstance(v, list) and name != "notes"}
            privacy = PrivacyRepository(tx)
            for user_id in ids or [None]:
                await privacy.log_processing("export", user_id, reference, ACTOR, {"rows": counts})
                await privacy.log_access(ACTOR, None, user_id, "gdpr.export")
    return document


async def _feedback_received(x: Executor, ids: list[UUID], cipher: Cipher) -> list[dict[str, Any]]:
    """The cycles the person was rated in; each gets what its results show.

    The results and, on an anonymous form, the comments come from the same
    repository methods the application shows them with, so the export can
    reveal no more than they do.
    """
    cycles = _revealed_answers(await x.value(Q.export_gdpr_feedback_received, ids), cipher)
    feedback = FeedbackRepository(x, cipher)
    for cycle in cycles:
        target, cycle_id = UUID(cycle["user_id"]), UUID(cycle["cycle_id"])
        try:
            cycle["results"] = [dataclasses.asdict(r) for r in await feedback.results_by_group(target, cycle_id)]
            if cycle["anonymous"]:
                cycle["comments"] = [dataclasses.asdict(c) for c in await feedback.comments(target, cycle_id)]
        except Conflict:
            # An anonymous form's results are shown once its cycle is closed:
            # the export shows no more than the application does.
            cycle["results"] = None
            cycle["results_shown_once"] = "the cycle is closed"
    return cycles


def _revealed_answers(items: list[dict[str, Any]], cipher: Cipher) -> list[dict[str, Any]]:
    for item in items:
        for answer in item.get("answers") or ():
            answer["comment"] = _opened(answer["comment"], cipher)
    return items


def _revealed_plans(plans: list[dict[str, Any]], cipher: Cipher) -> list[dict[str, Any]]:
    for plan in plans:
        for entry in plan["progress"]:
            entry["notes"] = _opened(entry["notes"], cipher)
    return plans


def _opened(value: Any, cipher: Cipher) -> Any:
    """The text of a value as the export queries give it: text, None, or {"sealed": ...}.

    Only called where a query puts an encrypted column, never on data a user
    wrote (a JSON document of theirs could imitate the shape).
    """
    if not isinstance(value, dict):
        return value
    sealed = value["sealed"]
    place = (sealed["table"], sealed["column"])
    assert place in _ENCRYPTED, place
    return cipher.decrypt(
        base64.b64decode(sealed["ciphertext"]),
        sealed["key_id"],
        table=place[0],
        column=place[1],
        row_id=sealed["row_id"],
    )


def _summary(document: dict[str, Any]) -> str:
    accounts = len(document["accounts"])
    received = len(document["feedback_received"])
    given = len(document["feedback_given"])
    return (
        f"{accounts} account(s), {received} feedback cycle(s) received, "
        f"{given} invitation(s) to give feedback"
    )


def _claim(output: Path) -> IO[str]:
    try:
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise InvalidData(
            "output", f"{output} already exists: an export is never written over another file"
        ) from None
    except OSError as exc:
        raise InvalidData("output", f"cannot create {output}: {exc.strerror or exc}") from None
    return os.fdopen(descriptor, "w", encoding="utf-8")


def _json_value(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


# -- erasure --------------------------------------------------------------------------


async def erase_async(dsn: str, email: str, *, salt: bytes, out: Out = print) -> Erasure:
    """Erases every piece of personal data of the person with ``email`` (see the module doc).

    One transaction: everything or nothing. ``NotFound`` for an email never
    known; an email already erased returns an ``Erasure`` with
    ``already_erased_at`` set, changing nothing.
    """
    email = _checked_email(email)
    reference = subject_reference(email, salt)
    async with owner_connection(dsn, "the database of the erasure") as x, x.transaction() as tx:
        await tx.value(Q.set_actor, ACTOR)
        await tx.value(Q.enable_gdpr_erasure)
        subject = await tx.one(Q.lock_gdpr_subject, _Subject, email)
        assert subject is not None
        privacy = PrivacyRepository(tx)
        if not subject.known:
            earlier = await privacy.list_processing(
                operation="erasure", subject_reference=reference, limit=1
            )
            if not earlier:
                raise NotFound("person with email", email)
            when = earlier[0].occurred_at
            out(f"nothing to erase: the data of {email} was erased on {when:%Y-%m-%d %H:%M %Z}")
            return Erasure(already_erased_at=when)
        ids = subject.user_ids
        rows = dict(await tx.value(Q.count_gdpr_personal_rows, ids, email))
        rows["comments_removed"] = await tx.value(Q.erase_gdpr_given_comments, ids, email)
        rows["external_invitations"] = await tx.value(Q.delete_gdpr_external_invitations, email)
        await tx.value(Q.delete_gdpr_analytics_events, ids)
        accounts = await tx.value(Q.delete_gdpr_accounts, ids)
        for user_id in ids or [None]:
            await privacy.log_processing("erasure", user_id, reference, ACTOR, {"rows": rows})
    for kind, count in rows.items():
        out(f"{kind}: {count}")
    out(
        f"erased the data of {email}: {accounts} account(s); the processing log keeps "
        "only a salted reference of the email"
    )
    return Erasure(accounts, rows)


# -- plumbing -------------------------------------------------------------------------


def _checked_email(email: str) -> str:
    text = email.strip()
    if not text:
        raise InvalidData("email", "must not be empty")
    if "@" not in text or any(c.isspace() for c in text):
        raise InvalidData("email", f"{text!r} is not an email address")
    return text
