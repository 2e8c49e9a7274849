"""The equity rule of SPEC §12 against a hand computation."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from domain.errors import Unprocessable
from domain.media.charts import EquityPoint
from domain.reports.equity import (
    MAX_CLOSED,
    ClosedTrade,
    equity_series,
    in_close_order,
    returns_in_percent,
)
from tests.support.entities import T0


def trade(n: int, fill_s: int, close_s: int, ratio: float) -> ClosedTrade:
    return ClosedTrade(
        signal_id=UUID(int=n),
        executed_at=T0 + timedelta(seconds=fill_s),
        closed_at=T0 + timedelta(seconds=close_s),
        return_ratio=ratio,
    )


# created 1, 2, 3; closed 2, 3, 1
ONE, TWO, THREE = trade(1, 5, 90, 0.10), trade(2, 10, 30, -0.05), trade(3, 20, 60, -0.10)


def test_returns_compound_in_close_order_from_start_at_the_first_fill() -> None:
    # By hand: 10000 -> x0.95 = 9500 -> x0.90 = 8550 -> x1.10 = 9405.
    points = equity_series([ONE, TWO, THREE], 10_000.0)
    assert [p.t for p in points] == [T0 + timedelta(seconds=s) for s in (5, 30, 60, 90)]
    assert [p.equity for p in points] == pytest.approx([10_000.0, 9_500.0, 8_550.0, 9_405.0])
    assert points[0] == EquityPoint(T0 + timedelta(seconds=5), 10_000.0)
    # the order they come in does not matter
    assert equity_series([THREE, ONE, TWO], 10_000.0) == points
    assert equity_series([ONE, TWO, THREE], 1.0)[-1].equity == pytest.approx(0.9405)


def test_closes_at_the_same_moment_go_in_signal_id_order() -> None:
    a, b = trade(7, 0, 50, 0.5), trade(4, 0, 50, -0.5)
    assert in_close_order([a, b]) == [b, a]
    assert [p.equity for p in equity_series([a, b], 100.0)] == pytest.approx([100, 50, 75])


def test_returns_in_percent_in_close_order() -> None:
    assert returns_in_percent([ONE, TWO, THREE]) == pytest.approx([-5.0, -10.0, 10.0])


def test_fewer_than_two_or_more_than_a_chart_holds_is_unprocessable() -> None:
    for few in ([], [ONE]):
        with pytest.raises(Unprocessable, match="at least 2 closed signals"):
            equity_series(few, 10_000.0)
        with pytest.raises(Unprocessable, match="at least 2 closed signals"):
            returns_in_percent(few)
    many = [trade(i, 0, i, 0.0) for i in range(MAX_CLOSED + 1)]
    with pytest.raises(Unprocessable, match="narrow them"):
        equity_series(many, 10_000.0)
    assert len(equity_series(many[:MAX_CLOSED], 10_000.0)) == MAX_CLOSED + 1


def test_an_equity_past_float_range_is_unprocessable_not_a_bad_field() -> None:
    huge = [trade(i, 0, i, 1e300) for i in range(3)]
    with pytest.raises(Unprocessable, match="past what a chart can draw"):
        equity_series(huge, 10_000.0)


def test_a_loss_past_100_percent_goes_below_zero() -> None:
    # a sell whose exit is 2.5x the fill loses 150 %: the rule compounds it as it is
    points = equity_series([trade(1, 0, 1, -1.5), trade(2, 0, 2, 0.1)], 1000.0)
    assert [p.equity for p in points] == pytest.approx([1000.0, -500.0, -550.0])
