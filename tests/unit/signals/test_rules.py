"""SPEC §3 field rules and the dedup rule, on the pure domain functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.errors import InvalidInput
from domain.signals import Side, parse_signal_fields, within_dedup_window

RECEIVED = datetime(2026, 11, 28, 1, 0, 0, tzinfo=UTC)
VALID: dict[str, Any] = {"instrument": "xau/usd", "side": "buy", "price": 1950.25}


def parse(**changes: Any) -> Any:
    return parse_signal_fields({**VALID, **changes}, RECEIVED)


def test_minimal_document_gets_the_defaults() -> None:
    fields = parse()
    assert fields.instrument == "XAU/USD"
    assert fields.side is Side.BUY
    assert fields.price == 1950.25
    assert fields.time == RECEIVED
    assert fields.version == "1"
    assert fields.external_id is None
    assert fields.payload == {}


def test_full_document() -> None:
    fields = parse(
        time="2026-11-28T03:00:00.5+02:00",
        version="v2.1",
        external_id="abc-1",
        payload={"k": [1]},
        side="sell",
        price=3,
    )
    assert fields.time == datetime(2026, 11, 28, 1, 0, 0, 500000, tzinfo=UTC)
    assert fields.time.tzinfo is UTC
    assert (fields.version, fields.external_id, fields.payload) == ("v2.1", "abc-1", {"k": [1]})
    assert fields.side is Side.SELL and fields.price == 3.0


@pytest.mark.parametrize(
    "value", ["AB", "A" * 32, "eur.usd_1-x/y", "12", "BINANCE:BTCUSDT", "oanda:xau_usd", "::"]
)
def test_instrument_accepted(value: str) -> None:
    assert parse(instrument=value).instrument == value.upper()


@pytest.mark.parametrize(
    "value", ["A", "A" * 33, "EUR USD", "XAU$", "", None, 12, "XAUUSD\u0131", "XAU\n", ["XAU"]]
)
def test_instrument_refused(value: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(instrument=value)
    assert caught.value.field == "instrument"


@pytest.mark.parametrize("value", ["BUY", "Sell", "hold", "", None, 1])
def test_side_refused(value: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(side=value)
    assert caught.value.field == "side"


@pytest.mark.parametrize(
    "value", [0, -1, 0.0, -0.0, float("nan"), float("inf"), float("-inf"), True, "1", None, 10**400]
)
def test_price_refused(value: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(price=value)
    assert caught.value.field == "price"


@pytest.mark.parametrize(
    "value",
    [
        "2026-11-28T01:00:00",  # no offset
        "2026-11-28",
        "2026-11-28T01:00Z",
        "2026-13-28T01:00:00Z",
        "2026-11-28T25:00:00Z",
        "2026-11-28T01:00:00+0100",
        "yesterday",
        1764291600,
        "",
    ],
)
def test_time_refused(value: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(time=value)
    assert caught.value.field == "time"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-28T01:00:00Z", RECEIVED),
        ("2026-11-28t01:00:00z", RECEIVED),
        ("2026-11-28 02:00:00+01:00", RECEIVED),
        ("2026-11-27T20:00:00-05:00", RECEIVED),
        ("2026-11-28T01:00:00.123456789Z", RECEIVED + timedelta(microseconds=123456)),
    ],
)
def test_time_accepted(value: str, expected: datetime) -> None:
    assert parse(time=value).time == expected


def test_time_is_kept_as_an_instant_in_utc() -> None:
    fields = parse(time="2026-11-28T06:30:00+05:30")
    assert fields.time.utcoffset() == timedelta(0)


@pytest.mark.parametrize(("name", "limit"), [("version", 32), ("external_id", 128)])
def test_text_lengths(name: str, limit: int) -> None:
    assert getattr(parse(**{name: "x" * limit}), name) == "x" * limit
    for bad in ("", "x" * (limit + 1), 5, "a\u0000b", "tab\there"):
        with pytest.raises(InvalidInput) as caught:
            parse(**{name: bad})
        assert caught.value.field == name


@pytest.mark.parametrize("value", [[], "x", 1, True])
def test_payload_must_be_an_object(value: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(payload=value)
    assert caught.value.field == "payload"


@pytest.mark.parametrize(
    "value",
    [
        {"x": float("nan")},
        {"x": [1, {"y": float("inf")}]},
        {"x": "\ud800"},
        {"\udfff": 1},
        {"deep": [[[[{"z": float("-inf")}]]]]},
    ],
)
def test_payload_must_round_trip_as_json(value: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(payload=value)
    assert caught.value.field == "payload"


def test_deeply_nested_payload_is_fine() -> None:
    deep: Any = {"leaf": "ünïcode ✓"}
    for _ in range(5000):
        deep = {"d": [deep]}
    assert parse(payload=deep).payload is deep


def test_unknown_field_is_named() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse(qty=1)
    assert caught.value.field == "qty"


@pytest.mark.parametrize("document", [[], "x", 1, None])
def test_body_must_be_an_object(document: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_signal_fields(document, RECEIVED)
    assert caught.value.field == "body"


@pytest.mark.parametrize(
    ("seconds", "window", "expected"),
    [
        (0, 300, True),
        (299.9, 300, True),
        (-299.9, 300, True),
        (300, 300, False),
        (-300, 300, False),
        (0, 0, False),
        (5, 10, True),
    ],
)
def test_dedup_window(seconds: float, window: int, expected: bool) -> None:
    later = RECEIVED + timedelta(seconds=seconds)
    assert within_dedup_window(RECEIVED, later, window) is expected
