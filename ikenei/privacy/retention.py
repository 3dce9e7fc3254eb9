"""The retention run: deletes what its retention policy no longer lets us keep.

``ikenei retention run`` calls :func:`run_async` with the configured database's DSN.
Every policy of ``retention_policies`` is applied by its own query
(``sql/queries/retention.sql``), all in one transaction on one connection as
the DSN's role (the tables' owner): either every policy is applied and the run
is recorded in ``data_processing_log``, or nothing changes. The transaction
sets ``ikenei.privacy.retention = 'on'`` for itself alone, the one sanctioned way past
the append-only guard of the logs, and names its actor ``retention`` for the
audit trail (the expired invitations it deletes are audited).

A period comes from ``retention_policies.period_days`` unless overridden, by
``overrides`` or else by the ``RETENTION_OVERRIDES`` setting. A second run
right after the first deletes nothing, and still reports and records itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ikenei.config.settings import RETENTION_KINDS, load_settings, parse_retention_overrides
from ikenei.db.connections import owner_connection
from ikenei.db.queries import Q, Query
from ikenei.errors import ConfigError, DatabaseError
from ikenei.repositories.privacy import PrivacyRepository

__all__ = ["ACTOR", "run_async"]

Out = Callable[[str], Any]

#: The actor of the run in audit_log and data_processing_log.
ACTOR = "retention"

# Applied in this order: the leftovers of erased people first, while the
# erasure entries that name them are certainly still there.
_PURGES: dict[str, Query] = {
    "erased_person_leftovers": Q.purge_erased_person_leftovers,
    "expired_feedback_invitations": Q.purge_expired_feedback_invitations,
    "analytics_events": Q.purge_analytics_events,
    "data_access_log": Q.purge_data_access_log,
    "audit_log": Q.purge_audit_log,
    "data_processing_log": Q.purge_data_processing_log,
}
assert set(_PURGES) == set(RETENTION_KINDS)


async def run_async(
    dsn: str, *, out: Out = print, overrides: Mapping[str, int] | None = None
) -> dict[str, int]:
    """Applies every retention policy once; the rows each kind deleted (or, for
    ``erased_person_leftovers``, deleted or cleared), by kind.

    ``overrides`` (``{kind: days}``) win over the stored periods; without it
    the ``RETENTION_OVERRIDES`` setting does. An unknown kind or a period that
    is not a positive number of days is a ``ConfigError``.
    """
    periods_override = _checked(overrides)
    async with owner_connection(dsn, "the database of the retention run") as conn, conn.transaction() as x:
        await x.value(Q.set_actor, actor=ACTOR)
        await x.value(Q.enable_retention_purge)
        stored = {p.kind: p.period_days for p in await PrivacyRepository(x).list_retention_policies()}
        missing = [kind for kind in RETENTION_KINDS if kind not in stored]
        if missing:
            raise DatabaseError(f"retention_policies has no row for {', '.join(missing)}")
        periods = {kind: periods_override.get(kind, stored[kind]) for kind in _PURGES}
        counts = {
            kind: int(await x.value(
                query, period_days=periods[kind],
            )) for kind, query in _PURGES.items()
        }
        await PrivacyRepository(x).log_processing(
            "retention", None, None, ACTOR, {"rows": counts, "period_days": periods}
        )
    for kind in _PURGES:
        out(f"{kind}: {counts[kind]} row(s) (period {periods[kind]} days)")
    out(f"retention run done: {sum(counts.values())} row(s) in all")
    return counts


def _checked(overrides: Mapping[str, int] | None) -> dict[str, int]:
    if overrides is None:
        return load_settings().retention_overrides
    try:
        return parse_retention_overrides(dict(overrides))
    except ValueError as exc:
        raise ConfigError(f"invalid retention override: {exc}") from None
