"""A JSON answer whose body the handler has already encoded, for the hot ingestion path.

Litestar turns a returned struct into a `Response`, then an `ASGIResponse` with a mutable
header list, per request; for `POST /api/v1/signals` that was about a fifth of the HTTP layer's
CPU per request (docs/ingest-performance.md, "Where the server's CPU goes"). A handler that
returns `EncodedJson` is sent as is: the same bytes (msgspec, the encoder Litestar uses), the
same two headers. The route documents its body with `documented_as` (the struct, as a 2xx
`responses` entry), so the OpenAPI document still comes from the wire struct.
"""

from __future__ import annotations

from http import HTTPStatus

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.response.base import ASGIResponse
from litestar.types import Receive, Scope, Send

_encode = msgspec.json.Encoder().encode
_JSON = (b"content-type", b"application/json")


class EncodedJson(ASGIResponse):
    """`status` with `msgspec.json.encode(value)` as an application/json body.

    ASGIResponse's constructor is not run (it builds a mutable header list): there are no
    cookies, background tasks or extra headers, and no `headers` attribute; `encode_headers()`
    gives the two headers sent. Only for routes without response headers, cookies or
    after-request hooks (the ways in have none)."""

    def __init__(self, value: object, status: int) -> None:
        self.body = _encode(value)
        self.status_code = status
        self.background = None
        self.is_head_response = False

    def encode_headers(self) -> list[tuple[bytes, bytes]]:
        return [_JSON, (b"content-length", str(len(self.body)).encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": self.encode_headers(),
            }
        )
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


def documented_as(kind: type[msgspec.Struct], status: int) -> dict[int, ResponseSpec]:
    """The OpenAPI answer of a route returning EncodedJson of `kind` with `status` (the
    description Litestar gives a struct-returning route)."""
    return {
        status: ResponseSpec(
            data_container=kind,
            description=HTTPStatus(status).description,
            generate_examples=False,
        )
    }
