"""Report endpoints (SPEC §12): the caller's closed signals as §6 charts; wire in wire/reports.py.

Same answers as the chart endpoints (entrypoints/http/media.py: PNG, ETag, X-Cache,
Cache-Control, 304 on If-None-Match), because the same RenderChart draws them.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency

from application.reports import EquityReport, ReportRequest, ReturnsReport
from domain.identity import Caller
from entrypoints.http.auth import SECURITY
from entrypoints.http.errors import error_responses
from entrypoints.http.media import MEDIA_HEADERS_DOC, NOT_MODIFIED, IfNoneMatch, rendered_answer
from entrypoints.http.wire.decoding import convert_query
from entrypoints.http.wire.openapi import query_operation
from entrypoints.http.wire.reports import EquityReportQuery, ReportQuery, ReturnsReportQuery
from entrypoints.settings import Settings

_ANSWERS = {
    422: "Fewer than 2 closed signals match (or more than one chart holds), or the render is "
    "larger than MEDIA_MAX_BYTES",
}


def _query(request: Request[Any, Any, Any], kind: type[ReportQuery]) -> ReportRequest:
    params = request.query_params
    return convert_query({name: params.getall(name) for name in params}, kind).to_request()


def _report_route(path: str, kind: type[ReportQuery], summary: str) -> get:
    return get(
        path,
        summary=summary,
        media_type="image/png",
        operation_class=query_operation(kind),
        security=SECURITY,
        responses={**NOT_MODIFIED, **error_responses(400, 401, 422, 503, described=_ANSWERS)},
        response_description="The chart, image/png (304 when If-None-Match holds its ETag)",
        response_headers=MEDIA_HEADERS_DOC,
    )


class ReportsController(Controller):
    path = "/api/v1/reports"
    tags = ["reports"]

    @_report_route(
        "/equity.png",
        EquityReportQuery,
        "Equity curve of the caller's closed signals, each return compounded in close order",
    )
    async def equity(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        equity_report: NamedDependency[EquityReport],
        settings: NamedDependency[Settings],
        if_none_match: IfNoneMatch = None,
    ) -> Response[bytes]:
        rendered = await equity_report(caller, _query(request, EquityReportQuery))
        return await rendered_answer(rendered, settings.media_ttl_seconds, if_none_match)

    @_report_route(
        "/returns.png", ReturnsReportQuery, "Histogram of the caller's closed returns in percent"
    )
    async def returns(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        returns_report: NamedDependency[ReturnsReport],
        settings: NamedDependency[Settings],
        if_none_match: IfNoneMatch = None,
    ) -> Response[bytes]:
        rendered = await returns_report(caller, _query(request, ReturnsReportQuery))
        return await rendered_answer(rendered, settings.media_ttl_seconds, if_none_match)
