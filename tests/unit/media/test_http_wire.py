"""The chart endpoints' wire: error field names, If-None-Match parsing, OpenAPI limits."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.media.charts import (
    CANDLES_MAX,
    CANDLES_MIN,
    COLOR_PATTERN,
    VALUES_MAX,
    WIDTH_DEFAULT,
    WIDTH_MAX,
    WIDTH_MIN,
)
from entrypoints.http.media import etag_matches
from entrypoints.http.wire.charts import CandlestickIn, HistogramIn
from entrypoints.http.wire.decoding import decode_struct
from entrypoints.http.wire.openapi import struct_schema

KEY = "ab" * 32


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        (None, False),
        ("", False),
        (f'"{KEY}"', True),
        (f'W/"{KEY}"', True),
        (f'"other", "{KEY}"', True),
        ("*", True),
        (KEY, False),  # an ETag is quoted
        ('"other"', False),
    ],
)
def test_if_none_match(header: str | None, matches: bool) -> None:
    assert etag_matches(header, KEY) is matches


@pytest.mark.parametrize(
    ("raw", "kind", "field"),
    [
        (b'{"values": [1, "x"]}', HistogramIn, "values[1]"),
        (b'{"values": [1], "colour": "#000000"}', HistogramIn, "colour"),
        (b'{"values": 1}', HistogramIn, "values"),
        (b'{"values": [1e400]}', HistogramIn, "values[0]"),
        (b'{"values": [1]', HistogramIn, "body"),
        (b"[]", HistogramIn, "body"),
        (b'{"candles": [{"t": "2026-01-01T00:00:00Z", "o": 1}]}', CandlestickIn, "candles[0].h"),
        (
            b'{"candles": [{"t": "nope", "o": 1, "h": 1, "l": 1, "c": 1}]}',
            CandlestickIn,
            "candles[0].t",
        ),
        (b'{"values": [1], "width": 1.5}', HistogramIn, "width"),
        (b'{"values": [1], "width": 319}', HistogramIn, "width"),
        (b"{}", HistogramIn, "values"),
        (
            b'{"candles": [{"t": "2026-01-01T00:00:00Z", "o": 1, "h": 1, "l": 1, "c": 1, "x": 2}]}',
            CandlestickIn,
            "candles[0].x",
        ),
    ],
)
def test_decode_errors_name_the_field(raw: bytes, kind: type, field: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        decode_struct(raw, kind)
    assert excinfo.value.field == field


def test_the_openapi_bodies_carry_the_domain_limits() -> None:
    candlestick = struct_schema(CandlestickIn).to_schema()["properties"]
    assert (candlestick["candles"]["minItems"], candlestick["candles"]["maxItems"]) == (
        CANDLES_MIN,
        CANDLES_MAX,
    )
    width = candlestick["width"]["anyOf"][0]
    assert (width["minimum"], width["maximum"], width["default"]) == (
        WIDTH_MIN,
        WIDTH_MAX,
        WIDTH_DEFAULT,
    )
    histogram = struct_schema(HistogramIn).to_schema()
    assert histogram["properties"]["values"]["maxItems"] == VALUES_MAX
    assert histogram["properties"]["color"]["anyOf"][0]["pattern"] == COLOR_PATTERN
    assert histogram["required"] == ["values"] and histogram["additionalProperties"] is False
