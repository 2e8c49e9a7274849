"""The chart endpoints' wire helpers: error field names and If-None-Match parsing."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from entrypoints.http.charts import CandlestickIn, HistogramIn, _decode, _etag_matches

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
    assert _etag_matches(header, KEY) is matches


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
        (b'{"candles": [], "width": 1.5}', CandlestickIn, "width"),
    ],
)
def test_decode_errors_name_the_field(raw: bytes, kind: type, field: str) -> None:
    with pytest.raises(InvalidInput) as excinfo:
        _decode(raw, kind)
    assert excinfo.value.field == field
