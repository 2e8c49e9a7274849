"""EquityReport and ReturnsReport against fakes: the spec they hand to RenderChart."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID, uuid4

import pytest

from application.media.use_cases import RenderChart
from application.reports import EquityReport, ReportRequest, ReturnsReport
from domain.errors import Unprocessable
from domain.identity import Caller
from domain.media.charts import EquitySpec, HistogramSpec
from domain.reports.equity import ClosedTrade
from tests.fakes.clock import FakeClock
from tests.fakes.media import AsyncioRenderLock, FakeMediaMetrics, FakeRenderer, InMemoryMediaStore
from tests.fakes.share_links import InMemoryClosedSignals
from tests.support.entities import T0

ALICE = Caller(uuid4())


def trade(n: int, close_s: int, ratio: float) -> ClosedTrade:
    return ClosedTrade(UUID(int=n), T0, T0 + timedelta(seconds=close_s), ratio)


class World:
    def __init__(self) -> None:
        self.closed = InMemoryClosedSignals()
        self.renderer = FakeRenderer()
        store = InMemoryMediaStore(60, 1_000_000, FakeClock())
        self.metrics = FakeMediaMetrics()
        render = RenderChart(self.renderer, store, AsyncioRenderLock(), self.metrics, 10_000)
        self.equity = EquityReport(self.closed, render)
        self.returns = ReturnsReport(self.closed, render)


async def test_equity_report_draws_the_compounded_curve_through_render_chart() -> None:
    w = World()
    w.closed.add(ALICE.user_id, "XAUUSD", trade(1, 20, 0.5))
    w.closed.add(ALICE.user_id, "EURUSD", trade(2, 10, -0.5))
    w.closed.add(uuid4(), "XAUUSD", trade(3, 5, 9.0))  # someone else's
    first = await w.equity(ALICE, ReportRequest(start=1000.0, width=800, height=400))
    (spec,) = w.renderer.calls
    assert isinstance(spec, EquitySpec)
    assert spec.equity == (1000.0, 500.0, 750.0)
    assert spec.canvas.title == "Equity of 2 closed signals, from 1000"
    assert (spec.canvas.width, spec.canvas.height) == (800, 400)
    again = await w.equity(ALICE, ReportRequest(start=1000.0, width=800, height=400))
    assert (first.cache_hit, again.cache_hit, again.key) == (False, True, first.key)
    assert w.metrics.renders == {"equity": 1} and w.metrics.hits == {"equity": 1}
    # a new close is new data: another key, another render
    w.closed.add(ALICE.user_id, "XAUUSD", trade(4, 30, 0.1))
    newer = await w.equity(ALICE, ReportRequest(start=1000.0, width=800, height=400))
    assert newer.key != first.key and not newer.cache_hit


async def test_returns_report_and_filters() -> None:
    w = World()
    for n, (instrument, close_s, ratio) in enumerate(
        [("XAUUSD", 10, 0.02), ("XAUUSD", 20, -0.01), ("EURUSD", 30, 0.03)]
    ):
        w.closed.add(ALICE.user_id, instrument, trade(n, close_s, ratio))
    await w.returns(ALICE, ReportRequest(instrument="XAUUSD", bins=7))
    (spec,) = w.renderer.calls
    assert isinstance(spec, HistogramSpec)
    assert spec.values == pytest.approx((2.0, -1.0)) and spec.bins == 7
    assert spec.canvas.title == "Returns of 2 closed XAUUSD signals (%)"
    with pytest.raises(Unprocessable):
        await w.returns(
            ALICE, ReportRequest(since=T0 + timedelta(seconds=15), until=T0 + timedelta(seconds=30))
        )
    with pytest.raises(Unprocessable):
        await w.equity(Caller(uuid4()), ReportRequest())
