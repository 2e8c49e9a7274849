"""EquityReport and ReturnsReport: the caller's closed signals drawn as §6 charts (SPEC §12).

They build an ordinary chart spec and hand it to RenderChart, so a report shares the render
pool, the cache (its key follows the data: a new close is another chart), single flight and
the media metrics with the chart endpoints.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from application.media.use_cases import RenderChart, RenderedChart
from domain.identity import Caller
from domain.media.charts import EquitySpec, HistogramSpec
from domain.reports.equity import (
    MAX_CLOSED,
    START_DEFAULT,
    ClosedTrade,
    equity_series,
    returns_in_percent,
)
from domain.reports.ports import ClosedFilter, ClosedSignals


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """The query of a report, checked by the wire (ranges) and normalised (instrument)."""

    instrument: str | None = None
    since: datetime | None = None  # on closed_at, inclusive
    until: datetime | None = None  # on closed_at, exclusive
    width: int | None = None
    height: int | None = None
    start: float = START_DEFAULT  # equity only
    bins: int | None = None  # returns only


async def _closed(reader: ClosedSignals, caller: Caller, r: ReportRequest) -> list[ClosedTrade]:
    query = ClosedFilter(caller.user_id, r.instrument, r.since, r.until)
    # One more than a chart holds, so "too many" is told apart from "exactly the limit".
    return list(await reader.closed(query, MAX_CLOSED + 1))


def _scope(count: int, instrument: str | None) -> str:
    return f"{count} closed {instrument + ' ' if instrument else ''}signals"


class EquityReport:
    def __init__(self, closed: ClosedSignals, render_chart: RenderChart) -> None:
        self._closed, self._render = closed, render_chart

    async def __call__(self, caller: Caller, request: ReportRequest) -> RenderedChart:
        trades = await _closed(self._closed, caller, request)
        points = equity_series(trades, request.start)
        spec = EquitySpec.create(
            points,
            title=f"Equity of {_scope(len(trades), request.instrument)}, from {request.start:g}",
            width=request.width,
            height=request.height,
        )
        return await self._render(spec)


class ReturnsReport:
    def __init__(self, closed: ClosedSignals, render_chart: RenderChart) -> None:
        self._closed, self._render = closed, render_chart

    async def __call__(self, caller: Caller, request: ReportRequest) -> RenderedChart:
        trades = await _closed(self._closed, caller, request)
        spec = HistogramSpec.create(
            returns_in_percent(trades),
            bins=request.bins,
            title=f"Returns of {_scope(len(trades), request.instrument)} (%)",
            width=request.width,
            height=request.height,
        )
        return await self._render(spec)
