"""Exports of a user's signals (SPEC §12): the formats, the spreadsheet rule and the port."""

from domain.exports.ports import CsvCell, SignalExportSource, SignalRecord
from domain.exports.rules import (
    EXPORT_COLUMNS,
    FORMULA_TRIGGERS,
    FREE_TEXT_COLUMNS,
    ExportFormat,
    csv_cells,
    defuse_formula,
    export_time,
    parse_export_format,
)

__all__ = [
    "EXPORT_COLUMNS",
    "FORMULA_TRIGGERS",
    "FREE_TEXT_COLUMNS",
    "CsvCell",
    "ExportFormat",
    "SignalExportSource",
    "SignalRecord",
    "csv_cells",
    "defuse_formula",
    "export_time",
    "parse_export_format",
]
