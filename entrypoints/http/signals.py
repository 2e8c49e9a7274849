"""Signal endpoints (SPEC §3, §4); their wire format is entrypoints/http/wire/signals.py.
The ways in (§3 here, §11 too) share entrypoints/http/ingest.py."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from application.signals import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    GetSignal,
    IngestSignal,
    ListSignals,
    ListSignalsRequest,
)
from domain.identity import Caller
from entrypoints.http.auth import SECURITY
from entrypoints.http.encoded import EncodedJson
from entrypoints.http.errors import error_responses
from entrypoints.http.ingest import SIGNED_ANSWERS, SIGNED_BODY, ingest_signed
from entrypoints.http.options import allow_options
from entrypoints.http.preconditions import ETAG_DOC, etag
from entrypoints.http.signal_filters import (
    InstrumentQuery,
    SinceQuery,
    StatusQuery,
    UntilQuery,
    query_schema,
)
from entrypoints.http.wire.signals import SignalList, SignalOut

_PAGE = query_schema(type="integer", minimum=1, maximum=MAX_PAGE, default=1)
_PAGE_SIZE = query_schema(
    type="integer", minimum=1, maximum=MAX_PAGE_SIZE, default=DEFAULT_PAGE_SIZE
)


class SignalsController(Controller):
    path = "/api/v1/signals"
    tags = ["signals"]

    options = allow_options("/")  # GET and POST share the path (see entrypoints/http/options.py)

    @post(
        "/",
        summary="Ingest a signed signal (producers)",
        status_code=201,
        operation_class=SIGNED_BODY,
        request_max_body_size=None,  # our own cap, SIGNALS_MAX_PAYLOAD_BYTES, applies
        responses=SIGNED_ANSWERS,
    )
    async def ingest(
        self, request: Request[Any, Any, Any], ingest_signal: NamedDependency[IngestSignal]
    ) -> EncodedJson:
        return await ingest_signed(request, ingest_signal)

    @get(
        "/{signal_id:str}",
        summary="One of the caller's signals",
        security=SECURITY,
        responses=error_responses(401, 403, 404),
        response_headers=ETAG_DOC,
    )
    async def get_one(
        self,
        signal_id: FromPath[str],
        caller: NamedDependency[Caller],
        get_signal: NamedDependency[GetSignal],
    ) -> Response[SignalOut]:
        signal = await get_signal(caller, signal_id)
        return Response(SignalOut.of(signal), headers=etag(signal.revision))

    @get(
        "/",
        summary="The caller's signals, newest first",
        security=SECURITY,
        responses=error_responses(400, 401),
    )
    async def list_signals(
        self,
        caller: NamedDependency[Caller],
        list_signals: NamedDependency[ListSignals],
        status: StatusQuery = None,
        instrument: InstrumentQuery = None,
        page: Annotated[str | None, Parameter(description="1-based", schema_extra=_PAGE)] = None,
        page_size: Annotated[str | None, Parameter(schema_extra=_PAGE_SIZE)] = None,
        since: SinceQuery = None,
        until: UntilQuery = None,
    ) -> SignalList:
        listing = await list_signals(
            caller, ListSignalsRequest(status, instrument, page, page_size, since, until)
        )
        return SignalList(
            items=[SignalOut.of(s) for s in listing.items],
            total=listing.total,
            page=listing.page,
            page_size=listing.page_size,
        )
