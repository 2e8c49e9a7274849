"""Deterministic chart data: as domain objects, and as the JSON bodies of the chart endpoints."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from domain.media.charts import Candle, EquityPoint

T0 = datetime(2026, 1, 5, tzinfo=UTC)


def random_walk_candles(n: int, seed: int = 7, volume: bool = True) -> list[Candle]:
    rng = random.Random(seed)
    price = 1950.0
    out = []
    for i in range(n):
        o = price
        c = max(1.0, o + rng.gauss(0, 4))
        h = max(o, c) + abs(rng.gauss(0, 2))
        low = min(o, c) - abs(rng.gauss(0, 2))
        v = float(rng.randint(100, 5000)) if volume else None
        out.append(Candle(T0 + timedelta(hours=i), o, h, low, c, v))
        price = c
    return out


def equity_curve(n: int, seed: int = 3) -> list[EquityPoint]:
    rng = random.Random(seed)
    equity = 10_000.0
    out = []
    for i in range(n):
        equity *= 1 + rng.gauss(0.0008, 0.01)
        out.append(EquityPoint(T0 + timedelta(hours=4 * i), equity))
    return out


def pnl_values(n: int, seed: int = 5) -> list[float]:
    rng = random.Random(seed)
    return [
        rng.gauss(12.0, 80.0) + (rng.expovariate(0.01) if rng.random() < 0.1 else 0.0)
        for _ in range(n)
    ]


def candle_body(n: int = 120, seed: int = 7, **extra: Any) -> dict[str, Any]:
    candles = []
    for c in random_walk_candles(n, seed=seed):
        candles.append(
            {
                "t": c.t.isoformat().replace("+00:00", "Z"),
                "o": c.o,
                "h": c.h,
                "l": c.l,
                "c": c.c,
                "v": c.v,
            }
        )
    return {"candles": candles, **extra}


def equity_body(n: int = 400, **extra: Any) -> dict[str, Any]:
    points = [{"t": p.t.isoformat(), "equity": p.equity} for p in equity_curve(n)]
    return {"points": points, **extra}


def histogram_body(n: int = 2000, **extra: Any) -> dict[str, Any]:
    return {"values": pnl_values(n), **extra}
