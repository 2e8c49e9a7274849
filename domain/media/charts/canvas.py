"""What every chart spec shares: the canvas (title, pixel size), the kinds of chart, and the
checks and packing their fields use. Series are stored column-wise (tuples of floats, times as
UTC epoch microseconds) so a spec pickles compactly to a render process and hashes quickly into
its `MediaKey`."""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal

from domain.errors import InvalidInput

ChartType = Literal["candlestick", "equity", "histogram"]
CHART_TYPES: Final[tuple[ChartType, ...]] = ("candlestick", "equity", "histogram")

TITLE_MAX_CHARS: Final = 120
WIDTH_MIN, WIDTH_MAX, WIDTH_DEFAULT = 320, 3840, 1200
HEIGHT_MIN, HEIGHT_MAX, HEIGHT_DEFAULT = 240, 2160, 700

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Canvas:
    """What every chart shares: title and pixel size."""

    title: str
    width: int
    height: int

    @classmethod
    def create(cls, title: str | None, width: int | None, height: int | None) -> Canvas:
        title = "" if title is None else title
        if len(title) > TITLE_MAX_CHARS:
            raise InvalidInput("title", f"at most {TITLE_MAX_CHARS} characters")
        try:
            title.encode("utf-8")
        except UnicodeEncodeError:  # JSON can carry a lone surrogate ("\ud800"); no font can
            raise InvalidInput("title", "must be valid Unicode text") from None
        # One line of text: newlines/tabs would overflow the title area; same text, same key.
        title = _WHITESPACE.sub(" ", title).strip()
        return cls(
            title=title,
            width=int_in("width", width, WIDTH_DEFAULT, WIDTH_MIN, WIDTH_MAX),
            height=int_in("height", height, HEIGHT_DEFAULT, HEIGHT_MIN, HEIGHT_MAX),
        )

    def header(self) -> str:
        return f"title={self.title!r};width={self.width};height={self.height}"


def int_in(field: str, value: int | None, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, "must be an integer")
    if not low <= value <= high:
        raise InvalidInput(field, f"must be between {low} and {high}")
    return value


def micros(field: str, t: datetime) -> int:
    if not isinstance(t, datetime):
        raise InvalidInput(field, "must be an RFC 3339 date-time")
    if t.tzinfo is None or t.utcoffset() is None:
        raise InvalidInput(field, "must be an RFC 3339 date-time with a UTC offset")
    return (t - _EPOCH) // _MICROSECOND  # exact integer arithmetic, in C


def pack_floats(values: tuple[float, ...]) -> bytes:
    return struct.pack(f"<{len(values)}d", *values)


def pack_ints(values: tuple[int, ...]) -> bytes:
    return struct.pack(f"<{len(values)}q", *values)
