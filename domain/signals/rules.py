"""Validation of an incoming signal document and the dedup rule (SPEC §3)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.errors import InvalidInput
from domain.signals.model import Side, Signal

ALLOWED_FIELDS = frozenset(
    {"instrument", "side", "price", "time", "version", "external_id", "payload"}
)
DEFAULT_VERSION = "1"
INSTRUMENT_MIN_LENGTH, INSTRUMENT_MAX_LENGTH = 2, 32
# Anchored so that JSON Schema (a search) and fullmatch agree.
# `:` so that exchange-prefixed tickers (BINANCE:BTCUSDT, as TradingView sends them) fit.
INSTRUMENT_PATTERN = rf"^[A-Za-z0-9._/:-]{{{INSTRUMENT_MIN_LENGTH},{INSTRUMENT_MAX_LENGTH}}}$"
VERSION_MAX_LENGTH = 32
EXTERNAL_ID_MAX_LENGTH = 128

_INSTRUMENT = re.compile(INSTRUMENT_PATTERN)
# RFC 3339 date-time; the offset is mandatory. 't'/'z' and a space separator are allowed by it.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


@dataclass(frozen=True, slots=True)
class SignalFields:
    """The validated, normalised body of `POST /api/v1/signals`."""

    instrument: str
    side: Side
    price: float
    time: datetime
    version: str
    external_id: str | None
    payload: dict[str, Any]


def parse_signal_fields(document: object, received_at: datetime) -> SignalFields:
    """Check a decoded JSON document against SPEC §3; raise InvalidInput naming the field."""
    if not isinstance(document, dict):
        raise InvalidInput("body", "must be a JSON object")
    for name in document:
        if name not in ALLOWED_FIELDS:
            raise InvalidInput(str(name), "unknown field")
    return SignalFields(
        instrument=normalise_instrument(document.get("instrument")),
        side=_side(document.get("side")),
        price=_price(document.get("price")),
        time=_time(document.get("time"), received_at),
        version=_text(document.get("version"), "version", VERSION_MAX_LENGTH) or DEFAULT_VERSION,
        external_id=_text(document.get("external_id"), "external_id", EXTERNAL_ID_MAX_LENGTH),
        payload=_payload(document.get("payload")),
    )


def normalise_instrument(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidInput("instrument", "required string")
    if not _INSTRUMENT.fullmatch(value):
        raise InvalidInput(
            "instrument",
            f"must be {INSTRUMENT_MIN_LENGTH}-{INSTRUMENT_MAX_LENGTH} characters of "
            "A-Z 0-9 . _ - / :",
        )
    return value.upper()


def _side(value: object) -> Side:
    if value == "buy":
        return Side.BUY
    if value == "sell":
        return Side.SELL
    raise InvalidInput("side", "must be 'buy' or 'sell'")


def _price(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput("price", "required number")
    try:
        price = float(value)
    except OverflowError:
        raise InvalidInput("price", "must be finite") from None
    if not math.isfinite(price):
        raise InvalidInput("price", "must be finite")
    if price <= 0:
        raise InvalidInput("price", "must be greater than 0")
    return price


def _time(value: object, received_at: datetime) -> datetime:
    if value is None:
        return received_at.astimezone(UTC)
    return parse_rfc3339(value, "time")


def parse_rfc3339(value: object, field: str) -> datetime:
    """An RFC 3339 date-time with an offset, in UTC; raise InvalidInput naming `field`."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise InvalidInput(field, "must be an RFC 3339 date-time with an offset")
    text = value[:10] + "T" + value[11:]
    if text[-1] in "Zz":
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(field, "not a valid date-time") from None
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(field, "out of range") from None


def _text(value: object, name: str, max_length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(name, "must be a string")
    if not 1 <= len(value) <= max_length:
        raise InvalidInput(name, f"must be 1-{max_length} characters")
    # Control characters and lone surrogates cannot be stored faithfully (Postgres refuses NUL).
    if not value.isprintable():
        raise InvalidInput(name, "must contain only printable characters")
    return value


def _payload(value: object) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("payload", "must be a JSON object")
    # Walk it (iteratively: nesting may be deep) for what JSON storage cannot round-trip.
    pending: list[object] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            for key, inner in item.items():
                _storable_text(key)
                pending.append(inner)
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            _storable_text(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise InvalidInput("payload", "numbers must be finite")
    return value


def _storable_text(text: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidInput("payload", "strings must be valid Unicode") from None


def within_dedup_window(a: datetime, b: datetime, window_seconds: int) -> bool:
    """Two signals with the same dedup key are duplicates when their times are this close.

    The bound is strict so a producer sending exactly every `window` seconds is not deduped;
    a window of 0 turns the rule off.
    """
    return window_seconds > 0 and abs((a - b).total_seconds()) < window_seconds


def duplicate_reason(existing: Signal, candidate: Signal, window_seconds: int) -> str | None:
    """Why `candidate` duplicates `existing` (for the same owner), or None."""
    if existing.user_id != candidate.user_id:
        return None
    if existing.dedup_key == candidate.dedup_key and within_dedup_window(
        existing.time, candidate.time, window_seconds
    ):
        return DUPLICATE_IN_WINDOW
    if candidate.external_id is not None and existing.external_id == candidate.external_id:
        return DUPLICATE_EXTERNAL_ID
    return None


DUPLICATE_EXTERNAL_ID = "a signal with this external_id already exists"
DUPLICATE_IN_WINDOW = (
    "a signal with the same instrument, side and version exists within the dedup window"
)
