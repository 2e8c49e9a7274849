"""The export formats of SPEC §12, written from the list endpoint's own wire struct.

Both formats encode `SignalOut` (wire/signals.py), so an exported value is written exactly as
`GET /api/v1/signals` writes it (ids, RFC 3339 times with `Z`, numbers, `return`).
CSV: the standard library's writer (RFC 4180: `,`, `"` doubled inside quoted cells, CRLF), a
header row of the §5 names, `payload` as its JSON text, `null` as an empty cell, every text
cell through the domain's formula rule. NDJSON: one §5 object a line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from operator import attrgetter
from typing import Any

import msgspec

from domain.exports.rules import EXPORT_COLUMNS, FREE_TEXT_COLUMNS, ExportFormat, defuse_formula
from domain.signals.model import Signal
from entrypoints.http.wire.signals import SignalOut

_json = msgspec.json.Encoder()

_FIELDS = msgspec.structs.fields(SignalOut)
if tuple(f.encode_name for f in _FIELDS) != EXPORT_COLUMNS:
    raise RuntimeError("SignalOut's fields must be the §5 columns, in order")
# SignalOut's attribute of each column (`return` is `return_ratio`): the Signal's, too.
_cells = attrgetter(*(f.name for f in _FIELDS))
_FREE_TEXT = tuple(EXPORT_COLUMNS.index(name) for name in FREE_TEXT_COLUMNS)
_PAYLOAD = EXPORT_COLUMNS.index("payload")


def csv_header() -> bytes:
    return _csv_text([list(EXPORT_COLUMNS)]).encode("utf-8")


def csv_rows(page: Sequence[Signal]) -> bytes:
    """One chunk: every signal of the page as a CSV record.

    The hot path of a large export: the cells are read from the signal in C (`attrgetter`)
    and turned into text by msgspec with the rules `SignalOut` is encoded with (a unit test
    holds every cell to `SignalOut`), the formula rule runs on the free-text columns only.
    """
    records: list[list[Any]] = []
    append = records.append
    for signal in page:
        cells = list(_cells(signal))
        for i in _FREE_TEXT:
            text = cells[i]
            if text is not None:
                cells[i] = defuse_formula(text)
        cells[_PAYLOAD] = _json.encode(signal.payload).decode("utf-8")
        append(cells)
    return _csv_text(msgspec.to_builtins(records)).encode("utf-8")


def ndjson_rows(page: Sequence[Signal]) -> bytes:
    """One chunk: every signal of the page as one JSON object a line."""
    return _json.encode_lines([SignalOut.of(s) for s in page])


async def encode(
    export_format: ExportFormat, pages: AsyncIterator[Sequence[Signal]]
) -> AsyncIterator[bytes]:
    """The body of an export: one chunk per page (and the CSV header first)."""
    if export_format is ExportFormat.CSV:
        yield csv_header()
        async for page in pages:
            yield csv_rows(page)
    else:
        async for page in pages:
            yield ndjson_rows(page)


def _csv_text(records: list[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, dialect="excel", lineterminator="\r\n").writerows(records)
    return buffer.getvalue()
