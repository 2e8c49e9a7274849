"""Chart and media endpoints (SPEC §6): the one place that knows their wire format."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.params import Parameter
from litestar.response import Stream

from application.media.use_cases import RenderedChart
from domain.errors import InvalidInput, TooLarge
from domain.identity import Caller
from domain.media.charts import CandlestickSpec, ChartSpec, EquitySpec, HistogramSpec
from domain.media.ports import MediaStream
from entrypoints.bootstrap import Container
from entrypoints.http.auth import SECURITY
from entrypoints.http.body import read_capped
from entrypoints.http.errors import error_responses

T = TypeVar("T")

# Bodies past this size are validated in a thread, so a 1M-value histogram does not stall
# other requests on the event loop while it is checked and hashed.
THREAD_VALIDATION_BYTES = 256 * 1024


# --- wire format ---------------------------------------------------------------------------


class CandleIn(msgspec.Struct, forbid_unknown_fields=True):
    t: datetime
    o: float
    h: float
    l: float  # noqa: E741 - the wire name of the low price
    c: float
    v: float | None = None


class CandlestickIn(msgspec.Struct, forbid_unknown_fields=True):
    candles: list[CandleIn] | None = None
    sma: list[int] | None = None
    title: str | None = None
    width: int | None = None
    height: int | None = None


class EquityPointIn(msgspec.Struct, forbid_unknown_fields=True):
    t: datetime
    equity: float


class EquityIn(msgspec.Struct, forbid_unknown_fields=True):
    points: list[EquityPointIn] | None = None
    title: str | None = None
    width: int | None = None
    height: int | None = None


class HistogramIn(msgspec.Struct, forbid_unknown_fields=True):
    values: list[float] | None = None
    bins: int | None = None
    color: str | None = None
    title: str | None = None
    width: int | None = None
    height: int | None = None


_DECODERS: dict[type[Any], msgspec.json.Decoder[Any]] = {
    kind: msgspec.json.Decoder(kind) for kind in (CandlestickIn, EquityIn, HistogramIn)
}

_AT_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_NAMED = re.compile(r"field `(?P<name>[^`]+)`")


def _decode(raw: bytes, kind: type[T]) -> T:
    try:
        return _DECODERS[kind].decode(raw)  # type: ignore[no-any-return]
    except msgspec.ValidationError as exc:
        message = str(exc)
        at = _AT_PATH.search(message)
        path = at.group("path").lstrip(".") if at else ""
        detail = _AT_PATH.sub("", message)
        named = _NAMED.search(detail)
        if named and ("unknown field" in detail or "missing required field" in detail):
            path = f"{path}.{named.group('name')}" if path else named.group("name")
        raise InvalidInput(path or "body", detail) from None
    except msgspec.DecodeError as exc:
        raise InvalidInput("body", f"invalid JSON: {exc}") from None


def _candlestick(raw: bytes) -> ChartSpec:
    body = _decode(raw, CandlestickIn)
    return CandlestickSpec.create(
        body.candles, sma=body.sma, title=body.title, width=body.width, height=body.height
    )


def _equity(raw: bytes) -> ChartSpec:
    body = _decode(raw, EquityIn)
    return EquitySpec.create(body.points, title=body.title, width=body.width, height=body.height)


def _histogram(raw: bytes) -> ChartSpec:
    body = _decode(raw, HistogramIn)
    return HistogramSpec.create(
        body.values,
        bins=body.bins,
        color=body.color,
        title=body.title,
        width=body.width,
        height=body.height,
    )


# --- OpenAPI (bodies are read raw, with our own size cap, so they are described by hand) ----


def _obj(required: list[str], **properties: Schema) -> Schema:
    return Schema(
        type=OpenAPIType.OBJECT,
        required=required or None,
        additional_properties=False,
        properties=properties,
    )


def _num(**extra: Any) -> Schema:
    return Schema(type=OpenAPIType.NUMBER, **extra)


def _int(minimum: int, maximum: int, default: int | None = None) -> Schema:
    return Schema(type=OpenAPIType.INTEGER, minimum=minimum, maximum=maximum, default=default)


_TIME = Schema(type=OpenAPIType.STRING, format="date-time")  # type: ignore[arg-type]
_CANVAS = {
    "title": Schema(type=OpenAPIType.STRING, max_length=120, default=""),
    "width": _int(320, 3840, 1200),
    "height": _int(240, 2160, 700),
}
_SCHEMAS = {
    "candlestick": _obj(
        ["candles"],
        candles=Schema(
            type=OpenAPIType.ARRAY,
            min_items=2,
            max_items=10_000,
            description="t strictly increasing; h >= max(o, c); l <= min(o, c); v on all or none",
            items=_obj(
                ["t", "o", "h", "l", "c"],
                t=_TIME,
                o=_num(),
                h=_num(),
                l=_num(),
                c=_num(),
                v=_num(minimum=0),
            ),
        ),
        sma=Schema(
            type=OpenAPIType.ARRAY,
            max_items=5,
            items=_int(2, 500),
            default=[20, 50, 200],
            description="SMA periods; a period longer than the series draws nothing",
        ),
        **_CANVAS,
    ),
    "equity": _obj(
        ["points"],
        points=Schema(
            type=OpenAPIType.ARRAY,
            min_items=2,
            max_items=100_000,
            description="t must not decrease",
            items=_obj(["t", "equity"], t=_TIME, equity=_num()),
        ),
        **_CANVAS,
    ),
    "histogram": _obj(
        ["values"],
        values=Schema(type=OpenAPIType.ARRAY, min_items=1, max_items=1_000_000, items=_num()),
        bins=_int(1, 200, 30),
        color=Schema(type=OpenAPIType.STRING, pattern="^#[0-9a-fA-F]{6}$", default="#1f77b4"),
        **_CANVAS,
    ),
}


def _operation(chart: str) -> type[Operation]:
    @dataclass
    class ChartOperation(Operation):
        def __post_init__(self) -> None:
            self.request_body = RequestBody(
                required=True,
                description=f"The {chart} chart to draw (JSON).",
                content={"application/json": OpenAPIMediaType(schema=_SCHEMAS[chart])},
            )

    return ChartOperation


# --- responses -----------------------------------------------------------------------------


def _png(key: str, data: bytes, hit: bool, ttl: int) -> Response[bytes]:
    return Response(
        content=data,
        status_code=200,
        media_type="image/png",
        headers=_media_headers(key, hit, ttl),
    )


def _media_headers(key: str, hit: bool, ttl: int) -> dict[str, str]:
    return {
        "ETag": f'"{key}"',
        "X-Media-Key": key,
        "X-Cache": "HIT" if hit else "MISS",
        "Cache-Control": f"private, max-age={ttl}",
    }


def _etag_matches(if_none_match: str | None, key: str) -> bool:
    if not if_none_match:
        return False
    for tag in if_none_match.split(","):
        tag = tag.strip()
        if tag == "*":
            return True
        if tag.startswith("W/"):
            tag = tag[2:]
        if tag.strip('"') == key and tag.startswith('"'):
            return True
    return False


async def _render(
    request: Request[Any, Any, Any], container: Container, parse: Callable[[bytes], ChartSpec]
) -> Response[bytes]:
    settings = container.settings
    raw = await read_capped(request, settings.charts_max_request_bytes)
    if raw is None:
        raise TooLarge(f"request body is larger than {settings.charts_max_request_bytes} bytes")
    if len(raw) > THREAD_VALIDATION_BYTES:
        spec = await asyncio.to_thread(parse, raw)
    else:
        spec = parse(raw)
    rendered: RenderedChart = await container.render_chart(spec)
    return _png(rendered.key.value, rendered.data, rendered.cache_hit, settings.media_ttl_seconds)


_HEADERS_DOC = [
    ResponseHeader(name="ETag", documentation_only=True, description='"<key>"'),
    ResponseHeader(name="X-Media-Key", documentation_only=True, description="64 hex chars"),
    ResponseHeader(name="X-Cache", documentation_only=True, description="HIT or MISS"),
    ResponseHeader(
        name="Cache-Control",
        documentation_only=True,
        description="private, max-age=<MEDIA_TTL_SECONDS>",
    ),
]
_PNG_RESPONSE = {
    "description": "The chart, image/png, exactly width x height pixels",
}
_CHART_ERRORS = error_responses(400, 401, 413, 422, 503)


def _chart_route(kind: str, summary: str) -> Any:
    """POST /api/v1/charts/{kind}: a PNG, our own body cap (CHARTS_MAX_REQUEST_BYTES)."""
    return post(
        f"/{kind}",
        summary=summary,
        status_code=200,
        media_type="image/png",
        operation_class=_operation(kind),
        request_max_body_size=None,
        security=SECURITY,
        responses=_CHART_ERRORS,
        response_description=_PNG_RESPONSE["description"],
        response_headers=_HEADERS_DOC,
    )


class ChartsController(Controller):
    path = "/api/v1/charts"
    tags = ["charts"]

    @_chart_route("candlestick", "Candlestick chart with SMA lines and a volume panel")
    async def candlestick(
        self, request: Request[Any, Any, Any], caller: Caller, container: Container
    ) -> Response[bytes]:
        return await _render(request, container, _candlestick)

    @_chart_route("equity", "Equity curve with a drawdown panel and the maximum drawdown marked")
    async def equity(
        self, request: Request[Any, Any, Any], caller: Caller, container: Container
    ) -> Response[bytes]:
        return await _render(request, container, _equity)

    @_chart_route("histogram", "Histogram with labelled mean and median lines")
    async def histogram(
        self, request: Request[Any, Any, Any], caller: Caller, container: Container
    ) -> Response[bytes]:
        return await _render(request, container, _histogram)


class MediaController(Controller):
    path = "/api/v1/media"
    tags = ["charts"]

    @get(
        "/{key:str}",
        summary="A cached chart by its key",
        media_type="image/png",
        security=SECURITY,
        responses={
            304: ResponseSpec(
                data_container=None,
                description="Not modified: If-None-Match holds this media's ETag",
                generate_examples=False,
            ),
            **error_responses(401, 404),
        },
        response_description="The cached PNG (304 when If-None-Match holds its ETag)",
        response_headers=_HEADERS_DOC,
    )
    async def get_media(
        self,
        key: str,
        caller: Caller,
        container: Container,
        if_none_match: Annotated[
            str | None, Parameter(header="If-None-Match", description='"<key>" from ETag')
        ] = None,
    ) -> Response[Any]:
        opened: MediaStream = await container.get_media(key)  # NotFound: malformed/unknown/expired
        ttl = container.settings.media_ttl_seconds
        headers = _media_headers(opened.key.value, True, ttl)
        if _etag_matches(if_none_match, opened.key.value):
            await opened.chunks.aclose()
            return Response(content=b"", status_code=304, headers=headers)
        # Streamed: memory stays flat whatever the file size and the number of downloads.
        headers["Content-Length"] = str(opened.size)
        return Stream(opened.chunks, media_type="image/png", headers=headers)
