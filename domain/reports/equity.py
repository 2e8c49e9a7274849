"""The equity and returns series of closed signals (SPEC §12), as pure functions.

Each closed signal's `return` (pnl / fill, a fraction) is compounded in `closed_at` order
(ties broken by signal id, so the order never depends on the database): equity after a close
is the equity before it times (1 + return). The curve starts at `start` at the earliest fill
of the signals shown, so a first trade that loses is drawn as a drawdown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

from domain.errors import Unprocessable
from domain.media.charts import POINTS_MAX, EquityPoint

MIN_CLOSED: Final = 2
# One point per close plus the start point: what one equity chart holds (SPEC §6).
MAX_CLOSED: Final = POINTS_MAX - 1
START_DEFAULT: Final = 10_000.0
START_MAX: Final = 1e12


@dataclass(frozen=True, slots=True)
class ClosedTrade:
    """What a report needs of one closed signal."""

    signal_id: UUID
    executed_at: datetime
    closed_at: datetime
    return_ratio: float  # the wire's `return`


def in_close_order(trades: Sequence[ClosedTrade]) -> list[ClosedTrade]:
    """Oldest close first; the checks every report shares (2 ≤ count ≤ MAX_CLOSED)."""
    if len(trades) < MIN_CLOSED:
        raise Unprocessable(
            f"a report needs at least {MIN_CLOSED} closed signals; {len(trades)} match"
        )
    if len(trades) > MAX_CLOSED:
        raise Unprocessable(
            f"more than {MAX_CLOSED} closed signals match; narrow them with "
            "instrument, since or until"
        )
    return sorted(trades, key=lambda t: (t.closed_at, t.signal_id))


def equity_series(trades: Sequence[ClosedTrade], start: float) -> list[EquityPoint]:
    """`start` at the earliest fill, then the compounded equity at each close."""
    ordered = in_close_order(trades)
    if not (math.isfinite(start) and 0 < start <= START_MAX):
        raise ValueError("start is checked at the boundary: 0 < start <= START_MAX")
    equity = start
    points = [EquityPoint(min(t.executed_at for t in ordered), start)]
    for trade in ordered:
        equity *= 1.0 + trade.return_ratio
        if not math.isfinite(equity):
            raise Unprocessable("the compounded equity grows past what a chart can draw")
        points.append(EquityPoint(trade.closed_at, equity))
    return points


def returns_in_percent(trades: Sequence[ClosedTrade]) -> list[float]:
    """Each closed signal's return in percent, in close order."""
    return [t.return_ratio * 100.0 for t in in_close_order(trades)]
