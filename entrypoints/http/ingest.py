"""The three ways a signal comes in (SPEC §3, §11); each one only names the producer and hands
the raw body to IngestSignal, which applies the same rules to all of them.

- `POST /api/v1/signals` (routed by SignalsController): §3 headers, or Standard Webhooks headers.
- `POST /api/v1/producers/{producer_id}/signals`: the same, the path names the producer.
- `POST /api/v1/hooks/tradingview/{token}`: a URL token, the alert message as the body.

Bodies are read raw with our own cap (SIGNALS_MAX_PAYLOAD_BYTES): the signatures cover the
exact bytes, and a TradingView alert is JSON whatever its Content-Type says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.params import Parameter

from application.signals import IngestSignal, IngestSignalRequest, TradingViewAlert
from domain.producer_auth import WEBHOOK_ID_MAX_LENGTH, SignalSource, signed_source
from entrypoints.http.body import read_capped
from entrypoints.http.encoded import EncodedJson, documented_as
from entrypoints.http.errors import error_responses
from entrypoints.http.wire.openapi import raw_body_operation
from entrypoints.http.wire.signals import SignalIn, SignalOut
from entrypoints.routes import TRADINGVIEW_HOOK_PREFIX

# The credential headers of a signed POST, in SignedHeaders' field order: what the handlers
# read (`SignedHeaders.of`) and what the OpenAPI document says (SIGNED_BODY), one list. Every
# header is optional to the framework: a missing or malformed one is the uniform 401 of
# IngestSignal, never a 400. They are read from the ASGI scope in one pass rather than as six
# Litestar header parameters (docs/ingest-performance.md, "Where the server's CPU goes").
SIGNED_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Producer-Id", "The producer's id (§3 and Standard Webhooks)"),
    ("X-Timestamp", "§3: unix seconds, integer"),
    ("X-Signature", '§3: lowercase hex HMAC-SHA256(secret, "{X-Timestamp}." + raw body)'),
    (
        "webhook-id",
        f"Standard Webhooks: 1-{WEBHOOK_ID_MAX_LENGTH} printable characters, the message id;"
        " the signal's external_id when the body has none",
    ),
    ("webhook-timestamp", "Standard Webhooks: unix seconds"),
    (
        "webhook-signature",
        'Standard Webhooks: space-separated "v1,<base64 HMAC-SHA256(key, '
        '"{webhook-id}.{webhook-timestamp}." + raw body)>"; one match is enough. Used when'
        " X-Signature is absent",
    ),
)
_POSITION = {name.lower().encode("latin-1"): i for i, (name, _) in enumerate(SIGNED_HEADERS)}

SIGNED_BODY = raw_body_operation(
    SignalIn,
    "The signal; X-Signature or webhook-signature signs these exact bytes.",
    headers=SIGNED_HEADERS,
)
# 201: the stored signal, sent pre-encoded (entrypoints/http/encoded.py), documented as SignalOut.
SIGNED_ANSWERS = {**documented_as(SignalOut, 201), **error_responses(400, 401, 409, 413)}


@dataclass(frozen=True, slots=True)
class SignedHeaders:
    """The credential headers of a signed POST, as sent (None when absent)."""

    producer_id: str | None
    timestamp: str | None
    signature: str | None
    webhook_id: str | None
    webhook_timestamp: str | None
    webhook_signature: str | None

    @classmethod
    def of(cls, request: Request[Any, Any, Any]) -> SignedHeaders:
        """The SIGNED_HEADERS of the request; a repeated header counts with its first value,
        decoded as Latin-1 (as Litestar's header parameters did)."""
        values: list[str | None] = [None] * len(SIGNED_HEADERS)
        for name, value in request.scope["headers"]:
            i = _POSITION.get(name.lower())
            if i is not None and values[i] is None:
                values[i] = value.decode("latin-1")
        return cls(*values)


async def ingest_signed(
    request: Request[Any, Any, Any],
    ingest_signal: IngestSignal,
    path_producer_id: str | None = None,
) -> EncodedJson:
    """A signed POST on either path: the capped body, then IngestSignal; 201 the signal."""
    headers = SignedHeaders.of(request)
    body = await read_capped(request, ingest_signal.policy.max_payload_bytes)
    if body is None:
        raise ingest_signal.too_large(signed_source(headers.signature, headers.webhook_signature))
    signal = await ingest_signal(
        IngestSignalRequest(
            headers.producer_id,
            headers.timestamp,
            headers.signature,
            body,
            headers.webhook_id,
            headers.webhook_timestamp,
            headers.webhook_signature,
            path_producer_id,
        )
    )
    return EncodedJson(SignalOut.of(signal), 201)


class IngestController(Controller):
    """The §11 ways in; `POST /api/v1/signals` is SignalsController's (one controller a path)."""

    tags = ["signals"]

    @post(
        "/api/v1/producers/{producer_id:str}/signals",
        summary="Ingest a signed signal for the producer named by the path",
        description="The same body, rules and answers as POST /api/v1/signals; an X-Producer-Id"
        " that names another producer is a 401.",
        status_code=201,
        operation_class=SIGNED_BODY,
        request_max_body_size=None,  # our own cap, SIGNALS_MAX_PAYLOAD_BYTES, applies
        responses=SIGNED_ANSWERS,
    )
    async def ingest_for_producer(
        self,
        request: Request[Any, Any, Any],
        ingest_signal: NamedDependency[IngestSignal],
        producer_id: Annotated[str, Parameter(description="The producer's id")],
    ) -> EncodedJson:
        return await ingest_signed(request, ingest_signal, producer_id)

    @post(
        TRADINGVIEW_HOOK_PREFIX + "{token:str}",
        summary="Ingest a TradingView alert (the URL token names the producer)",
        description="No headers, no signature: the token in the URL is the credential, and the"
        " producer's allowed addresses (producers create/rotate --allow-ip) limit who may use"
        " it. The client address is the peer's, or the last X-Forwarded-For hop when the peer"
        " is in TRUSTED_PROXIES.",
        status_code=201,
        operation_class=raw_body_operation(
            SignalIn,
            "The alert message: a JSON object with the signal's fields, whatever the"
            " Content-Type says.",
            text_plain="The same JSON object as text (what TradingView sends)",
        ),
        request_max_body_size=None,
        responses=SIGNED_ANSWERS,
    )
    async def tradingview(
        self,
        request: Request[Any, Any, Any],
        ingest_signal: NamedDependency[IngestSignal],
        token: Annotated[str, Parameter(description="The producer's TradingView URL token")],
    ) -> EncodedJson:
        body = await read_capped(request, ingest_signal.policy.max_payload_bytes)
        if body is None:
            raise ingest_signal.too_large(SignalSource.TRADINGVIEW)
        client = request.client
        forwarded_for = request.headers.getall("x-forwarded-for", [])
        alert = TradingViewAlert(
            token,
            body,
            peer=client.host if client is not None else None,
            forwarded_for=", ".join(forwarded_for) or None,
        )
        return EncodedJson(SignalOut.of(await ingest_signal(alert)), 201)
