"""Exports of a user's signals (SPEC §12): the formats, the spreadsheet rule and the port."""

from domain.exports.ports import SignalExportSource, SignalRecord
from domain.exports.rules import (
    EXPORT_COLUMNS,
    FORMULA_TRIGGERS,
    FREE_TEXT_COLUMNS,
    ExportFormat,
    defuse_formula,
    parse_export_format,
)

__all__ = [
    "EXPORT_COLUMNS",
    "FORMULA_TRIGGERS",
    "FREE_TEXT_COLUMNS",
    "ExportFormat",
    "SignalExportSource",
    "SignalRecord",
    "defuse_formula",
    "parse_export_format",
]
