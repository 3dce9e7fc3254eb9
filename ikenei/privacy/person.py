"""The one person a GDPR export or erasure acts on (``ikenei.privacy.gdpr``).

An email is reused when an account is soft-deleted and another is made with
the same address; the two accounts are two people. So:

- by email, the person is the account that holds the address now (the one
  not soft-deleted), together with the invitations the address received as
  an external rater; an address that no account holds now is the person of
  those invitations alone. Former accounts of the address are never
  included: their ids are named (``Person.former_accounts``) so that an
  operator can reach each with ``--user-id``;
- by id, the person is that account (soft-deleted or not). The invitations
  sent to its address as an external rater are theirs only while no other
  account shares the address; a former holder gets none of the current
  holder's.

``Person.reference`` is what ``data_processing_log`` keeps instead of the
person (``subject_reference``): the salted hash of the email, or, for an
account reached by id that does not hold its address alone, of its id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from ikenei.db.queries import Executor, Q
from ikenei.errors import InvalidData, NotFound
from ikenei.repositories.privacy import subject_reference

__all__ = ["Person", "find_person", "former_accounts_note"]


@dataclass(frozen=True, slots=True)
class _Account:
    id: UUID
    email: str
    deleted_at: datetime | None


@dataclass(frozen=True, slots=True)
class Person:
    """Who an export or erasure acts on (see the module doc).

    ``user_id``: their account, or None for an external rater known only by
    email. ``email``: the address whose external-rater invitations are theirs,
    or None. ``described``: how messages name them.
    """

    user_id: UUID | None
    email: str | None
    reference: str
    described: str
    former_accounts: tuple[UUID, ...]
    rater_invitations: int

    @property
    def user_ids(self) -> list[UUID]:
        return [self.user_id] if self.user_id is not None else []

    @property
    def known(self) -> bool:
        return self.user_id is not None or self.rater_invitations > 0


async def find_person(
    x: Executor, *, email: str | None, user_id: UUID | None, salt: bytes, lock: bool = False
) -> Person:
    """The person of ``email`` or of ``user_id`` (exactly one of them).

    ``lock``: their account and invitations stay locked until the transaction
    ends (an erasure). ``NotFound`` for an id no account has; an email nothing
    is held under gives a person that is not ``known``.
    """
    if (email is None) == (user_id is None):
        raise InvalidData("person", "give either an email or a user id")
    accounts = Q.lock_gdpr_accounts if lock else Q.find_gdpr_accounts
    invitations = Q.lock_gdpr_rater_invitations if lock else Q.count_gdpr_rater_invitations
    if user_id is not None:
        found = await x.all(accounts, _Account, email=None, user_id=user_id)
        if not found:
            raise NotFound("account", user_id)
        account = found[0]
        sharing = await x.all(accounts, _Account, email=account.email, user_id=None)
        others = tuple(a.id for a in sharing if a.id != account.id)
        # The current account holds its address; a former one only if nobody else ever used it.
        if account.deleted_at is None or not others:
            return Person(
                account.id, account.email, subject_reference(account.email, salt),
                f"account {account.id}", others, await x.value(invitations, email=account.email),
            )
        return Person(
            account.id, None, subject_reference(f"user:{account.id}", salt),
            f"account {account.id}", (), 0,
        )
    assert email is not None
    found = await x.all(accounts, _Account, email=email, user_id=None)
    current = [a.id for a in found if a.deleted_at is None]
    former = tuple(a.id for a in found if a.deleted_at is not None)
    return Person(
        current[0] if current else None, email, subject_reference(email, salt), email,
        former, await x.value(invitations, email=email),
    )


def former_accounts_note(person: Person) -> str | None:
    """A line naming the former accounts of the person's address, which were left out; or None."""
    if not person.former_accounts:
        return None
    ids = ", ".join(str(i) for i in person.former_accounts)
    return (
        f"note: {len(person.former_accounts)} former account(s) used {person.email} before and "
        f"were not included (another person's data): reach them with --user-id {ids}"
    )
