"""Periods written as ``30d``, ``24h``, ``15m`` or ``90s`` (``--since``, ``--keep``)."""

from __future__ import annotations

import re
from datetime import timedelta

from ikenei.errors import InvalidData

_PERIOD = re.compile(r"\s*(\d+)\s*([smhdw])\s*")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_period(text: str, field: str = "period") -> timedelta:
    """``'30d'`` -> 30 days; ``InvalidData`` naming ``field`` for anything else."""
    match = _PERIOD.fullmatch(text or "")
    if match is None or int(match.group(1)) == 0:
        raise InvalidData(field, f"{text!r} is not a period such as 30d, 24h, 15m or 90s")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])
