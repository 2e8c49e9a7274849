"""The chart request bodies (SPEC §6): constraints from domain/media/charts.py, nothing typed twice.

msgspec checks what a JSON Schema can say (types, ranges, lengths, pattern, unknown fields);
the domain's `*Spec.create` then checks the rest (order of times, h/l against o/c, finiteness)
and applies the defaults. Optional fields also accept `null`, meaning the default.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from domain.media.charts import (
    BINS_DEFAULT,
    BINS_MAX,
    BINS_MIN,
    CANDLES_MAX,
    CANDLES_MIN,
    COLOR_DEFAULT,
    COLOR_PATTERN,
    HEIGHT_DEFAULT,
    HEIGHT_MAX,
    HEIGHT_MIN,
    POINTS_MAX,
    POINTS_MIN,
    SMA_DEFAULT,
    SMA_MAX_COUNT,
    SMA_MAX_PERIOD,
    SMA_MIN_PERIOD,
    TITLE_MAX_CHARS,
    VALUES_MAX,
    VALUES_MIN,
    WIDTH_DEFAULT,
    WIDTH_MAX,
    WIDTH_MIN,
    CandlestickSpec,
    EquitySpec,
    HistogramSpec,
)

# Whole numbers: JSON Schema's `integer` is any number without a fractional part, so 1200.0
# is as valid as 1200 (a client's JSON encoder may write either). msgspec's `int` refuses
# 1200.0, so these are floats that must be multiples of 1; wire/openapi.py documents
# `number` + `multipleOf: 1` as the equivalent `integer`, and `to_spec` passes ints on.
Time = Annotated[datetime, Meta(tz=True, description="RFC 3339 with an offset")]
Title = Annotated[
    str,
    Meta(
        max_length=TITLE_MAX_CHARS,
        description="Valid Unicode (no lone surrogates)",
        extra_json_schema={"default": ""},
    ),
]
Width = Annotated[
    float,
    Meta(ge=WIDTH_MIN, le=WIDTH_MAX, multiple_of=1, extra_json_schema={"default": WIDTH_DEFAULT}),
]
Height = Annotated[
    float,
    Meta(
        ge=HEIGHT_MIN, le=HEIGHT_MAX, multiple_of=1, extra_json_schema={"default": HEIGHT_DEFAULT}
    ),
]
Volume = Annotated[float, Meta(ge=0)]
SmaPeriod = Annotated[float, Meta(ge=SMA_MIN_PERIOD, le=SMA_MAX_PERIOD, multiple_of=1)]
SmaPeriods = Annotated[
    list[SmaPeriod],
    Meta(
        max_length=SMA_MAX_COUNT,
        description="SMA periods; a period longer than the series draws nothing",
        extra_json_schema={"default": list(SMA_DEFAULT)},
    ),
]
Bins = Annotated[
    float,
    Meta(ge=BINS_MIN, le=BINS_MAX, multiple_of=1, extra_json_schema={"default": BINS_DEFAULT}),
]
Color = Annotated[str, Meta(pattern=COLOR_PATTERN, extra_json_schema={"default": COLOR_DEFAULT})]


def _whole(value: float | None) -> int | None:
    """A whole-number field (checked by its Meta) as the int the domain takes."""
    return None if value is None else int(value)


class CandleIn(msgspec.Struct, forbid_unknown_fields=True):
    t: Time
    o: float
    h: float
    l: float  # noqa: E741 - the wire name of the low price
    c: float
    v: Volume | None = None


class CandlestickIn(msgspec.Struct, forbid_unknown_fields=True):
    candles: Annotated[
        list[CandleIn],
        Meta(
            min_length=CANDLES_MIN,
            max_length=CANDLES_MAX,
            description="t strictly increasing; h >= max(o, c); l <= min(o, c); v on all or none",
        ),
    ]
    sma: SmaPeriods | None = None
    title: Title | None = None
    width: Width | None = None
    height: Height | None = None

    def to_spec(self) -> CandlestickSpec:
        return CandlestickSpec.create(
            self.candles,
            sma=None if self.sma is None else [int(p) for p in self.sma],
            title=self.title,
            width=_whole(self.width),
            height=_whole(self.height),
        )


class EquityPointIn(msgspec.Struct, forbid_unknown_fields=True):
    t: Time
    equity: float


class EquityIn(msgspec.Struct, forbid_unknown_fields=True):
    points: Annotated[
        list[EquityPointIn],
        Meta(min_length=POINTS_MIN, max_length=POINTS_MAX, description="t must not decrease"),
    ]
    title: Title | None = None
    width: Width | None = None
    height: Height | None = None

    def to_spec(self) -> EquitySpec:
        return EquitySpec.create(
            self.points, title=self.title, width=_whole(self.width), height=_whole(self.height)
        )


class HistogramIn(msgspec.Struct, forbid_unknown_fields=True):
    values: Annotated[list[float], Meta(min_length=VALUES_MIN, max_length=VALUES_MAX)]
    bins: Bins | None = None
    color: Color | None = None
    title: Title | None = None
    width: Width | None = None
    height: Height | None = None

    def to_spec(self) -> HistogramSpec:
        return HistogramSpec.create(
            self.values,
            bins=_whole(self.bins),
            color=self.color,
            title=self.title,
            width=_whole(self.width),
            height=_whole(self.height),
        )


ChartIn = CandlestickIn | EquityIn | HistogramIn
