"""Exports of the caller's signals (SPEC §12)."""

from application.exports.export import (
    EXPORT_PAGE_SIZE,
    CsvExport,
    ExportSignals,
    ExportSignalsRequest,
    NdjsonExport,
    SignalExport,
)

__all__ = [
    "EXPORT_PAGE_SIZE",
    "CsvExport",
    "ExportSignals",
    "ExportSignalsRequest",
    "NdjsonExport",
    "SignalExport",
]
