"""The export formats of SPEC §12, written the way the list endpoint writes a signal.

Cells and lines come from the domain's `SignalRecord`, whose fields are `SignalOut`'s
(wire/signals.py), in order (checked when this module loads), so an exported value is
written exactly as `GET /api/v1/signals` writes it: ids, RFC 3339 times with `Z`, enum
values and numbers through msgspec, with the list's rules (unit tests hold every cell and
line to `SignalOut`).
CSV: the standard library's writer (RFC 4180: `,`, `"` doubled inside quoted cells, CRLF), a
header row of the §5 names, `payload` as its stored JSON text, `null` as an empty cell, the
free-text columns through the domain's formula rule. NDJSON: one §5 object a line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Sequence
from typing import Any

import msgspec

from domain.exports.ports import SignalRecord
from domain.exports.rules import EXPORT_COLUMNS, FREE_TEXT_COLUMNS, ExportFormat, defuse_formula
from domain.signals.model import SignalStatus
from entrypoints.http.wire.signals import SignalOut

_FIELDS = msgspec.structs.fields(SignalOut)
if tuple(f.encode_name for f in _FIELDS) != EXPORT_COLUMNS or tuple(
    f.name for f in _FIELDS
) != tuple(SignalRecord._fields):
    raise RuntimeError("SignalOut and SignalRecord must have the §5 fields, in order")
_FREE_TEXT = tuple(EXPORT_COLUMNS.index(name) for name in FREE_TEXT_COLUMNS)
_PAYLOAD = EXPORT_COLUMNS.index("payload")

_json = msgspec.json.Encoder()
_decode_payload = msgspec.json.Decoder(dict[str, Any]).decode


def csv_header() -> bytes:
    return _csv_text([list(EXPORT_COLUMNS)]).encode("utf-8")


def csv_rows(page: Sequence[SignalRecord]) -> bytes:
    """One chunk: every record of the page as a CSV record.

    The hot path of a large export: one `msgspec.to_builtins` call turns the page's ids,
    times and numbers into the list's text, the formula rule runs on the free-text columns,
    and one `writerows` call writes the page.
    """
    records: list[list[Any]] = []
    append = records.append
    for record in page:
        cells: list[Any] = list(record)
        for i in _FREE_TEXT:
            text = cells[i]
            if text is not None:
                cells[i] = defuse_formula(text)
        append(cells)
    return _csv_text(msgspec.to_builtins(records)).encode("utf-8")


def ndjson_rows(page: Sequence[SignalRecord]) -> bytes:
    """One chunk: every record of the page as one JSON object a line, as the list writes it."""
    return _json.encode_lines([signal_out(r) for r in page])


def signal_out(r: SignalRecord) -> SignalOut:
    """The list's wire object of a record (the payload decoded, so re-encoded as the list does)."""
    return SignalOut(
        id=r.id,
        user_id=r.user_id,
        producer_id=r.producer_id,
        instrument=r.instrument,
        side=r.side,
        price=r.price,
        time=r.time,
        version=r.version,
        external_id=r.external_id,
        status=SignalStatus(r.status),
        revision=r.revision,
        payload=_decode_payload(r.payload),
        executed_price=r.executed_price,
        executed_at=r.executed_at,
        closed_price=r.closed_price,
        closed_at=r.closed_at,
        pnl=r.pnl,
        return_ratio=r.return_ratio,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


async def encode(
    export_format: ExportFormat, pages: AsyncIterator[Sequence[SignalRecord]]
) -> AsyncIterator[bytes]:
    """The body of an export: one chunk per page (and the CSV header first)."""
    if export_format is ExportFormat.CSV:
        yield csv_header()
        async for page in pages:
            yield csv_rows(page)
    else:
        async for page in pages:
            yield ndjson_rows(page)


def _csv_text(records: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, dialect="excel", lineterminator="\r\n").writerows(records)
    return buffer.getvalue()
