"""Counting what analysed plans read (``EXPLAIN (ANALYZE, FORMAT JSON)`` plans,
as ``ikenei.monitoring.plans`` returns them and auto_explain logs them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ikenei.monitoring.plans import nodes


def lookups(plans: Iterable[dict[str, Any]], *tables: str) -> dict[str, int]:
    """How many times the plans read each table (their scans' loops, summed)."""
    plans = list(plans)
    return {table: sum(n.get("Actual Loops", 1) for p in plans for n in nodes(p) if n.get("Relation Name") == table)
            for table in tables}


def rows_read(plans: Iterable[dict[str, Any]], table: str) -> float:
    """Rows the plans' scans of ``table`` returned, over all their loops."""
    return sum(n.get("Actual Rows", 0) * n.get("Actual Loops", 1)
               for p in plans for n in nodes(p) if n.get("Relation Name") == table)
