"""The rules of an export (SPEC §12) that need no I/O."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from uuid import UUID

from domain.errors import InvalidInput
from domain.exports.ports import CsvCell, SignalRecord


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    NDJSON = "ndjson"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def filename(self) -> str:
        return f"signals.{self.value}"


_MEDIA_TYPES = {ExportFormat.CSV: "text/csv", ExportFormat.NDJSON: "application/x-ndjson"}

DEFAULT_EXPORT_FORMAT = ExportFormat.CSV

# The signal object's fields in SPEC §5's order: the CSV header and the order of its cells.
EXPORT_COLUMNS: tuple[str, ...] = (
    "id",
    "user_id",
    "producer_id",
    "instrument",
    "side",
    "price",
    "time",
    "version",
    "external_id",
    "status",
    "revision",
    "payload",
    "executed_price",
    "executed_at",
    "closed_price",
    "closed_at",
    "pnl",
    "return",
    "created_at",
    "updated_at",
)

# The columns whose text comes from outside (producer ids, tickers, the producer's own
# strings): the only ones a formula can start in. Every other text cell is an id, a time, a
# status or side, or `payload`'s JSON object text, which by construction starts with a digit,
# a letter or `{` (docs/exports.md).
FREE_TEXT_COLUMNS: tuple[str, ...] = ("producer_id", "instrument", "version", "external_id")

# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def defuse_formula(text: str) -> str:
    """A text cell as a spreadsheet must show it: prefixed with `'` when it would be a formula.

    Only text cells: a number (a negative `pnl`) stays a number (docs/exports.md).
    """
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def export_time(at: datetime) -> str:
    """A time as the list writes it (msgspec's RFC 3339): UTC, `.ffffff` only when there are
    microseconds, `Z` (a unit test holds this to the list's encoder)."""
    u = at.astimezone(UTC)
    text = f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
    return f"{text}.{u.microsecond:06d}Z" if u.microsecond else f"{text}Z"


def csv_cells(r: SignalRecord) -> tuple[CsvCell, ...]:
    """A record's CSV cells in EXPORT_COLUMNS' order: ids and times as the list writes them,
    the free-text columns through the formula rule, `payload` as its stored JSON text,
    numbers as numbers, None for null. The reference every adapter's `csv_pages` matches."""
    return tuple(_cell(name, value) for name, value in zip(EXPORT_COLUMNS, r, strict=True))


def _cell(name: str, value: object) -> CsvCell:
    if value is None:
        return None
    if name in FREE_TEXT_COLUMNS:
        return defuse_formula(str(value))
    if isinstance(value, datetime):
        return export_time(value)
    if isinstance(value, UUID):
        return str(value)
    assert isinstance(value, str | float | int), name
    return value


def parse_export_format(value: str | None) -> ExportFormat:
    """`?format=`: csv (the default when left out) or ndjson; anything else names `format`."""
    if value is None:
        return DEFAULT_EXPORT_FORMAT
    try:
        return ExportFormat(value)
    except ValueError:
        allowed = ", ".join(f.value for f in ExportFormat)
        raise InvalidInput("format", f"must be one of {allowed}") from None
