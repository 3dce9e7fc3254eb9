"""Results across cycles and people: a person's trend, the team or department heatmap,
blind spots and hidden strengths, and the weighted score.

Each counts only the ratings by others that ``feedback.results_by_group``
shows: a rater group below the form's anonymity threshold is folded into
``others``, which is dropped while still too small, and self-assessment stands
apart. So no result here can be subtracted from another (or from a person's
own results) to uncover a hidden group. The heatmap also suppresses every
cell below the threshold and, where a row or column would then have exactly
one hidden cell, the smallest shown one beside it (complementary
suppression). Every read is logged in ``data_access_log``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from ikenei.db.queries import Q
from ikenei.errors import Conflict, NotFound
from ikenei.repositories.base import Repository


@dataclass(frozen=True, slots=True)
class TrendPoint:
    """A person's results for one competency in one closed cycle."""

    competency_id: UUID
    competency_name: str
    cycle_id: UUID
    cycle_name: str
    closed_at: datetime
    others_average: Decimal | None  # None while too few submissions are shown
    others_count: int
    self_rating: Decimal | None


@dataclass(frozen=True, slots=True)
class HeatmapCell:
    """One competency x team (or department) cell; a suppressed cell has neither count nor average."""

    competency_id: UUID
    competency_name: str
    group_key: str  # the manager's id (by team), the department in lower case, or "none"
    group_label: str
    people_count: int | None  # people rated in the cell
    submission_count: int | None
    average_rating: Decimal | None
    suppressed: bool


@dataclass(frozen=True, slots=True)
class BlindSpot:
    """Self against others for one competency: blind_spot, hidden_strength, aligned or unknown."""

    competency_id: UUID
    competency_name: str
    self_rating: Decimal | None
    others_average: Decimal | None
    others_count: int
    gap: Decimal | None  # self minus others
    margin: Decimal  # the form's "blind_spot_margin" setting (default 1)
    classification: str


@dataclass(frozen=True, slots=True)
class WeightedCompetency:
    competency_id: UUID
    competency_name: str
    weight: Decimal  # competencies.weight
    weighted_percent: Decimal  # question-weighted average, as % of each question's scale
    answer_count: int


@dataclass(frozen=True, slots=True)
class WeightedScore:
    """The competency-weighted mean of the competencies' percentages (None: nothing shown)."""

    overall_score: Decimal | None
    competencies: tuple[WeightedCompetency, ...]


@dataclass(frozen=True, slots=True)
class _WeightedRow:
    competency_id: UUID
    competency_name: str
    weight: Decimal
    weighted_percent: Decimal
    answer_count: int
    overall_score: Decimal


class ResultsRepository(Repository):
    """Results that cross cycles (trend) or people (heatmap), and per-person derived scores."""

    __slots__ = ()

    async def trend(self, target_user_id: UUID) -> list[TrendPoint]:
        """Per competency, the person's results in each closed cycle, oldest first."""
        return await self._x.all(Q.get_feedback_trend, TrendPoint, target_user_id=target_user_id)

    async def heatmap(self, cycle_id: UUID, *, by: str = "team") -> list[HeatmapCell]:
        """The competency x team (``by="team"``) or x department (``by="department"``) table of a cycle.

        Cells by competency name, then group label. ``InvalidData`` (``by``)
        for another grouping; ``NotFound`` for an unknown cycle.
        """
        return await self._x.all(Q.get_feedback_heatmap, HeatmapCell, cycle_id=cycle_id, by=by)

    async def blind_spots(self, target_user_id: UUID, cycle_id: UUID) -> list[BlindSpot]:
        """Each competency classified by self against others, for a closed cycle.

        ``Conflict`` naming the cycle's status while it is not closed;
        ``NotFound`` for an unknown cycle.
        """
        found = await self._x.all(
            Q.get_feedback_blind_spots, BlindSpot, target_user_id=target_user_id, cycle_id=cycle_id,
        )
        if not found:
            status = await self._x.value(Q.get_feedback_cycle_status, cycle_id=cycle_id)
            if status is None:
                raise NotFound("feedback cycle", cycle_id)
            if status != "closed":
                raise Conflict(f"feedback cycle {cycle_id} is {status}: blind spots need a closed cycle", status)
        return found

    async def weighted_score(self, target_user_id: UUID, cycle_id: UUID) -> WeightedScore:
        """The person's weighted score in a cycle, with each competency's part.

        A rating counts as a percentage of its question's scale, weighted by
        the question's ``weight`` within its competency; competencies count by
        ``competencies.weight``. The seed's analysis (``feedback.analyze``)
        stays unweighted.
        """
        rows = await self._x.all(
            Q.get_feedback_weighted_score, _WeightedRow, target_user_id=target_user_id,
            cycle_id=cycle_id,
        )
        return WeightedScore(
            rows[0].overall_score if rows else None,
            tuple(WeightedCompetency(r.competency_id, r.competency_name, r.weight, r.weighted_percent,
                                     r.answer_count) for r in rows),
        )
