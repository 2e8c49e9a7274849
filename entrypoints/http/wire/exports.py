"""The export formats of SPEC §12, written the way the list endpoint writes a signal.

The domain's `SignalRecord` has `SignalOut`'s fields (wire/signals.py), in order (checked
when this module loads), so an exported value is written exactly as `GET /api/v1/signals`
writes it (unit tests hold every cell and line to `SignalOut`).
CSV: the rows arrive as cells (the domain's `csv_cells`: ids and RFC 3339 times as text, the
formula rule applied, `payload` as its stored JSON text, numbers as numbers, None for null)
and go through the standard library's writer (RFC 4180: `,`, `"` doubled inside quoted
cells, CRLF) under a header row of the §5 names. NDJSON: one §5 object a line, from records.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Sequence
from typing import Any

import msgspec

from application.exports import CsvExport, SignalExport
from domain.exports.ports import CsvCell, SignalRecord
from domain.exports.rules import EXPORT_COLUMNS
from domain.signals.model import SignalStatus
from entrypoints.http.wire.signals import SignalOut

_FIELDS = msgspec.structs.fields(SignalOut)
if tuple(f.encode_name for f in _FIELDS) != EXPORT_COLUMNS or tuple(
    f.name for f in _FIELDS
) != tuple(SignalRecord._fields):
    raise RuntimeError("SignalOut and SignalRecord must have the §5 fields, in order")

_json = msgspec.json.Encoder()
_decode_payload = msgspec.json.Decoder(dict[str, Any]).decode


def csv_header() -> bytes:
    return _csv_text([EXPORT_COLUMNS]).encode("utf-8")


def csv_rows(rows: Sequence[Sequence[CsvCell]]) -> bytes:
    """One chunk: a page of cell rows as CSV records, in one `writerows` call (the hot path of
    a large export: no Python work per row here)."""
    return _csv_text(rows).encode("utf-8")


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


# Rows written per chunk. A page (5000 rows) is written as several chunks, and the event loop
# runs between them: it reads the next page as PostgreSQL sends it (the adapter asked for it
# ahead) instead of leaving the database blocked on a full socket while a whole page is
# formatted, and other requests on this worker are not held up for a page's time
# (docs/exports.md, "Performance").
CHUNK_ROWS = 250


async def encode(export: SignalExport) -> AsyncIterator[bytes]:
    """The body of an export: the CSV header first, then chunks of at most CHUNK_ROWS rows."""
    if isinstance(export, CsvExport):
        yield csv_header()
        async for rows in export.rows:
            for start in range(0, len(rows), CHUNK_ROWS):
                yield csv_rows(rows[start : start + CHUNK_ROWS])
                await asyncio.sleep(0)  # the loop's turn (see CHUNK_ROWS)
    else:
        async for records in export.records:
            for start in range(0, len(records), CHUNK_ROWS):
                yield ndjson_rows(records[start : start + CHUNK_ROWS])
                await asyncio.sleep(0)


def _csv_text(rows: Sequence[Sequence[CsvCell]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, dialect="excel", lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()
