"""Signal endpoints (SPEC §3, §4); their wire format is entrypoints/http/wire/signals.py.
The ways in (§3 here, §11 too) share entrypoints/http/ingest.py."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from application.signals import GetSignal, IngestSignal, ListSignals, ListSignalsRequest
from domain.identity import Caller
from entrypoints.http.auth import SECURITY
from entrypoints.http.errors import error_responses
from entrypoints.http.ingest import (
    SIGNED_ANSWERS,
    SIGNED_BODY,
    SignedHeaders,
    WebhookId,
    WebhookSignature,
    WebhookTimestamp,
    XProducerId,
    XSignature,
    XTimestamp,
    ingest_signed,
)
from entrypoints.http.preconditions import ETAG_DOC, etag
from entrypoints.http.wire.signals import SignalList, SignalOut

_DATE_TIME = {"format": "date-time"}
_SINCE = "RFC 3339 with an offset: only signals whose `time` is at or after it"
_UNTIL = "RFC 3339 with an offset: only signals whose `time` is before it"


class SignalsController(Controller):
    path = "/api/v1/signals"
    tags = ["signals"]

    @post(
        "/",
        summary="Ingest a signed signal (producers)",
        status_code=201,
        operation_class=SIGNED_BODY,
        request_max_body_size=None,  # our own cap, SIGNALS_MAX_PAYLOAD_BYTES, applies
        responses=SIGNED_ANSWERS,
    )
    async def ingest(
        self,
        request: Request[Any, Any, Any],
        ingest_signal: IngestSignal,
        producer_id: XProducerId = None,
        timestamp: XTimestamp = None,
        signature: XSignature = None,
        webhook_id: WebhookId = None,
        webhook_timestamp: WebhookTimestamp = None,
        webhook_signature: WebhookSignature = None,
    ) -> SignalOut:
        headers = SignedHeaders(
            producer_id, timestamp, signature, webhook_id, webhook_timestamp, webhook_signature
        )
        return await ingest_signed(request, ingest_signal, headers)

    @get(
        "/{signal_id:str}",
        summary="One of the caller's signals",
        security=SECURITY,
        responses=error_responses(401, 403, 404),
        response_headers=ETAG_DOC,
    )
    async def get_one(
        self, signal_id: str, caller: Caller, get_signal: GetSignal
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
        caller: Caller,
        list_signals: ListSignals,
        status: Annotated[
            str | None,
            Parameter(description="new|approved|rejected|executed|closed|cancelled"),
        ] = None,
        instrument: str | None = None,
        page: Annotated[str | None, Parameter(description="1-based page, default 1")] = None,
        page_size: Annotated[str | None, Parameter(description="1-200, default 50")] = None,
        since: Annotated[str | None, Parameter(description=_SINCE, schema_extra=_DATE_TIME)] = None,
        until: Annotated[str | None, Parameter(description=_UNTIL, schema_extra=_DATE_TIME)] = None,
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
