"""GDPR: everything held about one person, exported or erased (``ikenei gdpr export|erase``).

**Who.** Both act on one person, never on two: the account that holds an
email now (``--email``: its current, not soft-deleted account; case ignored),
or one account by id (``--user-id``), which is how a former holder of an
address that was freed and reused is reached. An email that no account holds
now but that invitations reached as an external rater is a person too. A
former holder is never included in the current holder's export or erasure
(nor the other way round); the command names the ids of such former
accounts so they can be reached by id. Invitations sent to the address as an
external rater belong to whoever holds the address (an account reached by
id that no longer holds its address gets none of them). Both commands run as
the tables' owner on the configured DSN, like the retention run, with one
connection and one transaction each, under the audit actor ``gdpr``. The
queries are in ``sql/queries/gdpr.sql``.

**Export** (:func:`export_async`) writes one JSON document: the account (every column
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
as an external rater, their analytics events, and their account, whose
foreign keys delete everything else that is theirs and unlink them from what
stays (a manager, a granter, a creator). Ratings they gave stay, linked to no
one, so colleagues' results keep their meaning; their anonymous answers were
never linked to them. Then it removes every trace left of them: the audit
entries of their account and the logged reads of their data are deleted,
and in every column of every table (logs included) their id (with or without
hyphens, alone or in ``user:<id>``), their email and their full name are
replaced by ``[erased person]`` (a uuid column holding the id is cleared),
in what others wrote about them too: a colleague's recommendation, a report's
title and parameters, an audit actor. Encrypted text (feedback comments,
progress notes) is decrypted, redacted and encrypted again, so the erasure
needs the keys like the export. The erasure is recorded as
``('erasure', NULL, subject_reference)``: ``subject_reference`` is the salted
hash of the email (``SUBJECT_REFERENCE_SALT``), or of the id for a former
holder reached by id, so a second erasure finds the first and says so
(:attr:`Erasure.already_erased_at`) instead of failing; a person never known
is ``NotFound``, and nothing changes.
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
from ikenei.privacy.person import Person, find_person, former_accounts_note
from ikenei.privacy.redaction import remove_traces
from ikenei.repositories.feedback import FeedbackRepository
from ikenei.repositories.privacy import PrivacyRepository
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


@dataclass(slots=True)
class Erasure:
    """What an erasure did.

    ``rows``: per kind, the rows of the person's data there were (see
    ``count_gdpr_personal_rows``), plus ``comments_removed`` and
    ``external_invitations``. ``traces``: per column (``schema.table.column``),
    the rows where the person's id, email or name was removed from others'
    data and the logs. ``already_erased_at``: set when nothing of the person
    was left because an earlier erasure removed it (``rows`` is then empty and
    nothing was written). ``former_accounts``: accounts that used the address
    before, left as they are (another person's data).
    """

    accounts: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    traces: dict[str, int] = field(default_factory=dict)
    already_erased_at: datetime | None = None
    former_accounts: tuple[UUID, ...] = ()


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
    email: str | None = None,
    *,
    user_id: UUID | None = None,
    cipher: Cipher,
    salt: bytes,
    output: Path | None = None,
    out: Out = print,
    notice: Out | None = None,
) -> dict[str, Any]:
    """Exports everything held about one person (``email`` or ``user_id``); the document as written.

    Without ``output`` the JSON text goes to ``out`` (standard output);
    with it, to that new file (mode 0600; an existing file is refused with
    ``InvalidData`` naming ``output``, never written over) and ``out`` gets a
    one-line summary. ``notice`` (default ``out`` when writing a file, else
    nothing) gets the line naming former accounts of the address, which are
    not included. ``NotFound`` for an email nothing is held under or an
    unknown id; ``InvalidData`` (``email``) for an address only former
    accounts used, naming their ids.
    """
    email = _checked_email(email) if email is not None else None
    # The file is claimed first, so that a refused path costs no logged export,
    # and written only after the export is recorded.
    file = _claim(output) if output is not None else None
    try:
        document, person = await _collect(dsn, email, user_id, salt, cipher)
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
        out(f"exported the data held about {person.described} to {output} ({_summary(document)})")
        notice = notice or out
    note = former_accounts_note(person)
    if note is not None and notice is not None:
        notice(note)
    # What was written, as a reader of the JSON gets it.
    written: dict[str, Any] = json.loads(text)
    return written


async def _collect(
    dsn: str, email: str | None, user_id: UUID | None, salt: bytes, cipher: Cipher
) -> tuple[dict[str, Any], Person]:
    async with owner_connection(dsn, "the database of the export") as x:
        await check_keys(x, cipher)
        async with x.transaction() as tx:
            await tx.execute(Q.begin_gdpr_export)
            await tx.value(Q.set_actor, actor=ACTOR)
            person = await find_person(tx, email=email, user_id=user_id, salt=salt)
            _require_known(person)
            ids, email, reference = person.user_ids, person.email, person.reference
            document: dict[str, Any] = {
                "format": FORMAT,
                "exported_at": datetime.now(UTC),
                "email": email,
                "notes": list(_NOTES),
                "accounts": await tx.value(Q.export_gdpr_accounts, user_ids=ids),
                "memberships": await tx.value(Q.export_gdpr_memberships, user_ids=ids),
                "roles": await tx.value(Q.export_gdpr_roles, user_ids=ids),
                "feedback_received": await _feedback_received(tx, ids, cipher),
                "feedback_given": _revealed_answers(
                    await tx.value(Q.export_gdpr_feedback_given, user_ids=ids, email=email), cipher
                ),
                "competencies": await tx.value(Q.export_gdpr_competencies, user_ids=ids),
                "learning_plans": _revealed_plans(await tx.value(
                    Q.export_gdpr_learning_plans, user_ids=ids,
                ), cipher),
                "recommendations_without_plan": await tx.value(
                    Q.export_gdpr_other_recommendations, user_ids=ids,
                ),
                "consents": await tx.value(Q.export_gdpr_consents, user_ids=ids),
                "analytics_events": await tx.value(Q.export_gdpr_analytics_events, user_ids=ids),
                "dashboard_widgets": await tx.value(Q.export_gdpr_dashboard_widgets, user_ids=ids),
                "reports_requested": await tx.value(Q.export_gdpr_reports_requested, user_ids=ids),
                "data_access": await tx.value(Q.export_gdpr_data_access, user_ids=ids),
                "processing": await tx.value(
                    Q.export_gdpr_processing, user_ids=ids, subject_reference=reference,
                ),
            }
            counts = {name: len(v) for name, v in document.items() if isinstance(v, list) and name != "notes"}
            privacy = PrivacyRepository(tx)
            accounts: list[UUID | None] = [*ids] if ids else [None]
            for account in accounts:
                await privacy.log_processing("export", account, reference, ACTOR, {"rows": counts})
                await privacy.log_access(ACTOR, None, account, "gdpr.export")
    return document, person


async def _feedback_received(x: Executor, ids: list[UUID], cipher: Cipher) -> list[dict[str, Any]]:
    """The cycles the person was rated in; each gets what its results show.

    The results and, on an anonymous form, the comments come from the same
    repository methods the application shows them with, so the export can
    reveal no more than they do.
    """
    cycles = _revealed_answers(await x.value(Q.export_gdpr_feedback_received, user_ids=ids), cipher)
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


async def erase_async(
    dsn: str,
    email: str | None = None,
    *,
    user_id: UUID | None = None,
    cipher: Cipher,
    salt: bytes,
    out: Out = print,
) -> Erasure:
    """Erases every piece of personal data of one person, ``email`` or ``user_id`` (see the module doc).

    One transaction: everything or nothing. ``NotFound`` for a person never
    known; a person already erased returns an ``Erasure`` with
    ``already_erased_at`` set, changing nothing. ``cipher``: the configured
    keys, to redact the person from encrypted text.
    """
    email = _checked_email(email) if email is not None else None
    async with owner_connection(dsn, "the database of the erasure") as x:
        await check_keys(x, cipher)
        async with x.transaction() as tx:
            await tx.value(Q.set_actor, actor=ACTOR)
            await tx.value(Q.enable_gdpr_erasure)
            person = await find_person(tx, email=email, user_id=user_id, salt=salt, lock=True)
            privacy = PrivacyRepository(tx)
            if not person.known:
                earlier = await privacy.list_processing(
                    operation="erasure", subject_reference=person.reference, limit=1
                )
                if not earlier:
                    _require_known(person)
                when = earlier[0].occurred_at
                out(
                    f"nothing to erase: the data of {person.described} was erased on "
                    f"{when:%Y-%m-%d %H:%M %Z}"
                )
                _note_former(person, out)
                return Erasure(already_erased_at=when, former_accounts=person.former_accounts)
            ids, email = person.user_ids, person.email
            names = list(await tx.value(Q.gdpr_person_names, user_ids=ids, email=email))
            rows = dict(await tx.value(Q.count_gdpr_personal_rows, user_ids=ids, email=email))
            rows["comments_removed"] = await tx.value(
                Q.erase_gdpr_given_comments, user_ids=ids, email=email,
            )
            rows["external_invitations"] = await tx.value(
                Q.delete_gdpr_external_invitations, email=email,
            )
            await tx.value(Q.delete_gdpr_analytics_events, user_ids=ids)
            accounts = await tx.value(Q.delete_gdpr_accounts, user_ids=ids)
            traces = await remove_traces(tx, cipher, ids, [email] if email else [], names)
            rows["traces_removed"] = sum(traces.values())
            # The id is gone from every table: the entry keeps only the salted reference.
            await privacy.log_processing("erasure", None, person.reference, ACTOR, {"rows": rows})
    for kind, count in rows.items():
        out(f"{kind}: {count}")
    out(
        f"erased the data of {person.described}: {accounts} account(s); the processing log keeps "
        "only a salted reference"
    )
    _note_former(person, out)
    return Erasure(accounts, rows, traces, former_accounts=person.former_accounts)


# -- plumbing -------------------------------------------------------------------------


def _require_known(person: Person) -> None:
    """``NotFound`` for a person nothing is held about; ``InvalidData`` when only former accounts used the address."""
    if person.known:
        return
    if person.former_accounts:
        ids = ", ".join(str(i) for i in person.former_accounts)
        raise InvalidData(
            "email",
            f"no account holds {person.email} now; {len(person.former_accounts)} former account(s) "
            f"used it, each another person: reach one with --user-id ({ids})",
        )
    raise NotFound("person with email", person.email)


def _note_former(person: Person, out: Out) -> None:
    note = former_accounts_note(person)
    if note is not None:
        out(note)


def _checked_email(email: str) -> str:
    text = email.strip()
    if not text:
        raise InvalidData("email", "must not be empty")
    if "@" not in text or any(c.isspace() for c in text):
        raise InvalidData("email", f"{text!r} is not an email address")
    return text
