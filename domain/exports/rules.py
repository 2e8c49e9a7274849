"""The rules of an export (SPEC §12) that need no I/O."""

from __future__ import annotations

import enum

from domain.errors import InvalidInput


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


def parse_export_format(value: str | None) -> ExportFormat:
    """`?format=`: csv (the default when left out) or ndjson; anything else names `format`."""
    if value is None:
        return DEFAULT_EXPORT_FORMAT
    try:
        return ExportFormat(value)
    except ValueError:
        allowed = ", ".join(f.value for f in ExportFormat)
        raise InvalidInput("format", f"must be one of {allowed}") from None
