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

import msgspec

from domain.exports.rules import EXPORT_COLUMNS, ExportFormat, defuse_formula
from domain.signals.model import Signal
from entrypoints.http.wire.signals import SignalOut

_json = msgspec.json.Encoder()

if tuple(f.encode_name for f in msgspec.structs.fields(SignalOut)) != EXPORT_COLUMNS:
    raise RuntimeError("SignalOut's fields must be the §5 columns, in order")


def csv_header() -> bytes:
    return _csv_text([list(EXPORT_COLUMNS)]).encode("utf-8")


def csv_rows(page: Sequence[Signal]) -> bytes:
    """One chunk: every signal of the page as a CSV record."""
    records: list[list[object]] = []
    append = records.append
    for signal, item in zip(page, _builtins(page), strict=True):
        item["payload"] = _json.encode(signal.payload).decode("utf-8")
        append([defuse_formula(v) if type(v) is str else v for v in item.values()])
    return _csv_text(records).encode("utf-8")


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


def _builtins(page: Sequence[Signal]) -> list[dict[str, object]]:
    converted: list[dict[str, object]] = msgspec.to_builtins([SignalOut.of(s) for s in page])
    return converted


def _csv_text(records: list[list[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, dialect="excel", lineterminator="\r\n").writerows(records)
    return buffer.getvalue()
