"""Chart endpoints (SPEC §6); their wire format is entrypoints/http/wire/charts.py."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Controller, Request, Response, post
from litestar.di import NamedDependency

from application.media.use_cases import RenderChart
from domain.errors import TooLarge
from domain.identity import Caller
from domain.media.charts import ChartSpec
from entrypoints.http.auth import SECURITY
from entrypoints.http.body import read_capped
from entrypoints.http.errors import error_responses
from entrypoints.http.media import MEDIA_HEADERS_DOC, rendered_answer
from entrypoints.http.wire.charts import CandlestickIn, ChartIn, EquityIn, HistogramIn
from entrypoints.http.wire.decoding import decode_struct
from entrypoints.http.wire.openapi import raw_body_operation
from entrypoints.settings import Settings

# Bodies past this size are validated in a thread, so a 1M-value histogram does not stall
# other requests on the event loop while it is checked and hashed.
THREAD_VALIDATION_BYTES = 256 * 1024


def parse_chart(raw: bytes, kind: type[ChartIn]) -> ChartSpec:
    """Wire checks (msgspec), then the domain's: InvalidInput naming the field either way."""
    return decode_struct(raw, kind).to_spec()


async def _render(
    request: Request[Any, Any, Any],
    kind: type[ChartIn],
    render_chart: RenderChart,
    settings: Settings,
) -> Response[Any]:
    limit = settings.charts_max_request_bytes
    raw = await read_capped(request, limit)
    if raw is None:
        raise TooLarge(f"request body is larger than {limit} bytes")
    if len(raw) > THREAD_VALIDATION_BYTES:
        spec = await asyncio.to_thread(parse_chart, raw, kind)
    else:
        spec = parse_chart(raw, kind)
    rendered = await render_chart(spec)
    return await rendered_answer(rendered, settings.media_ttl_seconds)


def _chart_route(path: str, kind: type[ChartIn], summary: str) -> post:
    """POST /api/v1/charts/{path}: a PNG, our own body cap (CHARTS_MAX_REQUEST_BYTES)."""
    chart = path.strip("/")
    return post(
        path,
        summary=summary,
        status_code=200,
        media_type="image/png",
        operation_class=raw_body_operation(kind, f"The {chart} chart to draw (JSON)."),
        request_max_body_size=None,
        security=SECURITY,
        responses=error_responses(400, 401, 413, 422, 503),
        response_description="The chart, image/png, exactly width x height pixels",
        response_headers=MEDIA_HEADERS_DOC,
    )


class ChartsController(Controller):
    path = "/api/v1/charts"
    tags = ["charts"]

    @_chart_route(
        "/candlestick", CandlestickIn, "Candlestick chart with SMA lines and a volume panel"
    )
    async def candlestick(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        render_chart: NamedDependency[RenderChart],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        return await _render(request, CandlestickIn, render_chart, settings)

    @_chart_route(
        "/equity", EquityIn, "Equity curve with a drawdown panel and the maximum drawdown marked"
    )
    async def equity(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        render_chart: NamedDependency[RenderChart],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        return await _render(request, EquityIn, render_chart, settings)

    @_chart_route("/histogram", HistogramIn, "Histogram with labelled mean and median lines")
    async def histogram(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        render_chart: NamedDependency[RenderChart],
        settings: NamedDependency[Settings],
    ) -> Response[Any]:
        return await _render(request, HistogramIn, render_chart, settings)
