"""The report queries (SPEC §12) as structs: constraints from the domain, the chart fields'
types from wire/charts.py, so nothing is written twice. Read with decoding.convert_query;
documented with openapi.query_operation. A parameter left out takes its default; one given
empty is refused like any other value outside its schema (as on `GET /api/v1/signals`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, TypeVar

import msgspec
from msgspec import Meta

from application.reports import ReportRequest
from domain.reports.equity import START_DEFAULT, START_MAX
from domain.signals.rules import (
    INSTRUMENT_MAX_LENGTH,
    INSTRUMENT_MIN_LENGTH,
    INSTRUMENT_PATTERN,
    normalise_instrument,
    parse_rfc3339,
)
from entrypoints.http.wire.charts import Bins, Height, Width

T = TypeVar("T")
R = TypeVar("R")


def _given(value: T | msgspec.UnsetType, read: Callable[[T], R]) -> R | None:
    return None if isinstance(value, msgspec.UnsetType) else read(value)


Instrument = Annotated[
    str,
    Meta(
        min_length=INSTRUMENT_MIN_LENGTH,
        max_length=INSTRUMENT_MAX_LENGTH,
        pattern=INSTRUMENT_PATTERN,
        description="Only this instrument's closed signals (case-insensitive)",
    ),
]
# Text checked by the domain's RFC 3339 parser (as on `GET /api/v1/signals`): msgspec's lax
# mode would also read a number as unix seconds.
Since = Annotated[
    str,
    Meta(
        description="RFC 3339 with an offset: signals closed at or after it",
        extra_json_schema={"format": "date-time"},
    ),
]
Until = Annotated[
    str,
    Meta(
        description="RFC 3339 with an offset: signals closed before it",
        extra_json_schema={"format": "date-time"},
    ),
]
Start = Annotated[
    float,
    Meta(gt=0, le=START_MAX, description="Equity before the first close, compounded after"),
]


class ReportQuery(msgspec.Struct):
    instrument: Instrument | msgspec.UnsetType = msgspec.UNSET
    since: Since | msgspec.UnsetType = msgspec.UNSET
    until: Until | msgspec.UnsetType = msgspec.UNSET
    width: Width | msgspec.UnsetType = msgspec.UNSET
    height: Height | msgspec.UnsetType = msgspec.UNSET

    def to_request(self) -> ReportRequest:
        return ReportRequest(
            instrument=_given(self.instrument, normalise_instrument),
            since=_given(self.since, lambda t: parse_rfc3339(t, "since")),
            until=_given(self.until, lambda t: parse_rfc3339(t, "until")),
            width=_given(self.width, int),
            height=_given(self.height, int),
        )


class EquityReportQuery(ReportQuery):
    start: Start = START_DEFAULT

    def to_request(self) -> ReportRequest:
        return replace(super().to_request(), start=self.start)


class ReturnsReportQuery(ReportQuery):
    bins: Bins | msgspec.UnsetType = msgspec.UNSET

    def to_request(self) -> ReportRequest:
        return replace(super().to_request(), bins=_given(self.bins, int))
