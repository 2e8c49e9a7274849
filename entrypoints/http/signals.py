"""Signal endpoints (SPEC §3, §4): the one place that knows their wire format."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, get, post
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import Parameter

from application.signals import IngestSignalRequest, ListSignalsRequest
from domain.identity import Caller
from domain.signals.model import Signal
from entrypoints.bootstrap import Container
from entrypoints.http.auth import SECURITY
from entrypoints.http.body import read_capped
from entrypoints.http.errors import error_responses

_msgspec_decode = msgspec.json.Decoder().decode


def decode_json_body(raw: bytes) -> object:
    """msgspec on the hot path; the stdlib for what msgspec refuses but JSON allows (1e400),
    so that such a price is reported as a bad `price`, not as bad JSON."""
    try:
        return _msgspec_decode(raw)
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None
    except msgspec.DecodeError:
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise ValueError("invalid JSON") from None


class SignalOut(msgspec.Struct):
    """The signal object (SPEC §5)."""

    id: UUID
    user_id: UUID
    producer_id: str
    instrument: str
    side: str
    price: float
    time: datetime
    version: str
    external_id: str | None
    status: str
    payload: dict[str, Any]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, s: Signal) -> SignalOut:
        return cls(
            id=s.id,
            user_id=s.user_id,
            producer_id=s.producer_id,
            instrument=s.instrument,
            side=s.side.value,
            price=s.price,
            time=s.time,
            version=s.version,
            external_id=s.external_id,
            status=s.status.value,
            payload=dict(s.payload),
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


class SignalList(msgspec.Struct):
    items: list[SignalOut]
    total: int
    page: int
    page_size: int


def _string(max_length: int, **extra: Any) -> Schema:
    return Schema(type=OpenAPIType.STRING, max_length=max_length, **extra)


_SIGNAL_IN_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["instrument", "side", "price"],
    additional_properties=False,
    properties={
        "instrument": _string(32, min_length=2, pattern=r"^[A-Za-z0-9._/-]{2,32}$"),
        "side": Schema(type=OpenAPIType.STRING, enum=["buy", "sell"]),
        "price": Schema(type=OpenAPIType.NUMBER, exclusive_minimum=0),
        "time": Schema(type=OpenAPIType.STRING, format="date-time"),  # type: ignore[arg-type]
        "version": _string(32, min_length=1, default="1"),
        "external_id": _string(128, min_length=1),
        "payload": Schema(type=OpenAPIType.OBJECT, default={}),
    },
)


@dataclass
class _IngestOperation(Operation):
    """The body is read raw (it is signed), so describe it by hand for the OpenAPI document."""

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            required=True,
            description="The signal; X-Signature signs these exact bytes.",
            content={"application/json": OpenAPIMediaType(schema=_SIGNAL_IN_SCHEMA)},
        )


class SignalsController(Controller):
    path = "/api/v1/signals"
    tags = ["signals"]

    @post(
        "/",
        summary="Ingest a signed signal (producers)",
        status_code=201,
        operation_class=_IngestOperation,
        request_max_body_size=None,  # our own cap, SIGNALS_MAX_PAYLOAD_BYTES, applies
        responses=error_responses(400, 401, 409, 413),
    )
    async def ingest(
        self,
        request: Request[Any, Any, Any],
        container: Container,
        producer_id: Annotated[
            str | None, Parameter(header="X-Producer-Id", description="The producer's id")
        ] = None,
        timestamp: Annotated[
            str | None, Parameter(header="X-Timestamp", description="Unix seconds, integer")
        ] = None,
        signature: Annotated[
            str | None,
            Parameter(
                header="X-Signature",
                description='Lowercase hex HMAC-SHA256(secret, "{X-Timestamp}." + raw body)',
            ),
        ] = None,
    ) -> SignalOut:
        ingest = container.ingest_signal
        body = await read_capped(request, ingest.policy.max_payload_bytes)
        if body is None:
            raise ingest.too_large()
        signal = await ingest(IngestSignalRequest(producer_id, timestamp, signature, body))
        return SignalOut.of(signal)

    @get(
        "/{signal_id:str}",
        summary="One of the caller's signals",
        security=SECURITY,
        responses=error_responses(401, 403, 404),
    )
    async def get_one(self, signal_id: str, caller: Caller, container: Container) -> SignalOut:
        return SignalOut.of(await container.get_signal(caller, signal_id))

    @get(
        "/",
        summary="The caller's signals, newest first",
        security=SECURITY,
        responses=error_responses(400, 401),
    )
    async def list_signals(
        self,
        caller: Caller,
        container: Container,
        status: Annotated[
            str | None,
            Parameter(description="new|approved|rejected|executed|closed|cancelled"),
        ] = None,
        instrument: str | None = None,
        page: Annotated[str | None, Parameter(description="1-based page, default 1")] = None,
        page_size: Annotated[str | None, Parameter(description="1-200, default 50")] = None,
    ) -> SignalList:
        listing = await container.list_signals(
            caller, ListSignalsRequest(status, instrument, page, page_size)
        )
        return SignalList(
            items=[SignalOut.of(s) for s in listing.items],
            total=listing.total,
            page=listing.page,
            page_size=listing.page_size,
        )
