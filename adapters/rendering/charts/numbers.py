"""Numbers as tick and label text."""

from __future__ import annotations

import math


def number(v: float, span: float) -> str:
    """Enough decimals to tell ticks of this span apart, thousands separated."""
    if span <= 0 or not math.isfinite(span):
        span = abs(v) or 1.0
    decimals = min(8, max(0, 2 - math.floor(math.log10(span))))
    if abs(v) < 0.5 * 10.0**-decimals:
        v = 0.0  # no "-0.00" for a tick a rounding error below zero
    return f"{v:,.{decimals}f}"


def compact(v: float) -> str:
    a = abs(v)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= limit:
            return f"{v / limit:.3g}{suffix}"
    return f"{v:.3g}"
