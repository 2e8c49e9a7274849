"""`GET /api/v1/signals/export` (SPEC §12): the caller's signals as a streamed download.

The filters are the list's own parameters (signal_filters.py) checked by the same function;
the body is written page by page as the keyset pages arrive (wire/exports.py), so the
server's memory does not grow with the count. Every refusal (400, 401) happens before the
first byte; the formats' media types and file names come from `ExportFormat`, for the
answer and for its documentation alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.openapi.spec import (
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Schema,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import QueryParameter
from litestar.response import Stream

from application.exports import ExportSignals, ExportSignalsRequest
from domain.exports.rules import DEFAULT_EXPORT_FORMAT, ExportFormat
from domain.identity import Caller
from entrypoints.http.auth import SECURITY
from entrypoints.http.errors import error_responses
from entrypoints.http.signal_filters import (
    InstrumentQuery,
    SinceQuery,
    StatusQuery,
    UntilQuery,
    query_schema,
)
from entrypoints.http.wire.exports import encode

_FORMAT = query_schema(
    type="string", enum=[f.value for f in ExportFormat], default=DEFAULT_EXPORT_FORMAT.value
)
_DESCRIPTIONS = {
    ExportFormat.CSV: "RFC 4180, a header row, the columns of the signal object in its order; "
    "`payload` as JSON text, `null` as an empty cell; a text cell starting with = + - @, a "
    "tab or a carriage return is prefixed with '",
    ExportFormat.NDJSON: "One signal object a line, as in the list",
}


def content_disposition(export_format: ExportFormat) -> str:
    return f'attachment; filename="{export_format.filename}"'


@dataclass
class _ExportOperation(Operation):
    """The 200 answer documented once per format, from `ExportFormat`."""

    def __post_init__(self) -> None:
        assert self.responses is not None
        ok = self.responses["200"]
        assert isinstance(ok, OpenAPIResponse)
        ok.description = "The caller's matching signals, oldest first (`created_at`, then `id`)"
        ok.content = {
            f.media_type: OpenAPIMediaType(
                schema=Schema(type=OpenAPIType.STRING, description=_DESCRIPTIONS[f])
            )
            for f in ExportFormat
        }
        ok.headers = {
            "Content-Disposition": OpenAPIHeader(
                schema=Schema(
                    type=OpenAPIType.STRING,
                    enum=[content_disposition(f) for f in ExportFormat],
                ),
                required=True,
            )
        }


class ExportsController(Controller):
    path = "/api/v1/signals/export"
    tags = ["signals"]

    @get(
        "/",
        summary="Download the caller's signals (CSV or NDJSON), oldest first",
        security=SECURITY,
        responses=error_responses(400, 401),
        operation_class=_ExportOperation,
    )
    async def export(
        self,
        caller: NamedDependency[Caller],
        export_signals: NamedDependency[ExportSignals],
        export_format: Annotated[
            str | None, QueryParameter(name="format", schema_extra=_FORMAT)
        ] = None,
        status: StatusQuery = None,
        instrument: InstrumentQuery = None,
        since: SinceQuery = None,
        until: UntilQuery = None,
    ) -> Stream:
        export = await export_signals(
            caller, ExportSignalsRequest(export_format, status, instrument, since, until)
        )
        return Stream(
            encode(export),
            media_type=export.format.media_type,
            headers={"Content-Disposition": content_disposition(export.format)},
        )
