"""ExportSignals: every one of the caller's signals matching the list filters, as pages:
CSV cells for a CSV export (the source formats them), records for NDJSON."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from application.signals.criteria import parse_criteria
from domain.exports.ports import CsvCell, SignalExportSource, SignalRecord
from domain.exports.rules import ExportFormat, parse_export_format
from domain.identity import Caller

# Rows read per keyset page (docs/exports.md): large enough that the per-query cost vanishes,
# small enough that one page stays a few MB.
EXPORT_PAGE_SIZE = 5000


@dataclass(frozen=True, slots=True)
class ExportSignalsRequest:
    """Query parameters as received; ExportSignals checks them before anything is sent."""

    format: str | None = None
    status: str | None = None
    instrument: str | None = None
    since: str | None = None
    until: str | None = None


@dataclass(frozen=True, slots=True)
class CsvExport:
    rows: AsyncIterator[Sequence[Sequence[CsvCell]]]  # read lazily, as every export's pages
    format: ExportFormat = ExportFormat.CSV


@dataclass(frozen=True, slots=True)
class NdjsonExport:
    records: AsyncIterator[Sequence[SignalRecord]]
    format: ExportFormat = ExportFormat.NDJSON


SignalExport = CsvExport | NdjsonExport


class ExportSignals:
    def __init__(self, *, source: SignalExportSource, page_size: int = EXPORT_PAGE_SIZE) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._source = source
        self._page_size = page_size

    async def __call__(self, caller: Caller, request: ExportSignalsRequest) -> SignalExport:
        """Raise InvalidInput naming the first bad parameter; else the export, unread."""
        export_format = parse_export_format(request.format)
        criteria = parse_criteria(
            caller.user_id,
            status=request.status,
            instrument=request.instrument,
            since=request.since,
            until=request.until,
        )
        if export_format is ExportFormat.CSV:
            return CsvExport(self._source.csv_pages(criteria, self._page_size))
        return NdjsonExport(self._source.pages(criteria, self._page_size))
