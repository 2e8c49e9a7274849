"""ExportSignals with fakes, the formula rule, and the CSV/NDJSON writers of the wire."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from uuid import uuid4

import msgspec
import pytest

from application.exports import (
    EXPORT_PAGE_SIZE,
    CsvExport,
    ExportSignals,
    ExportSignalsRequest,
    NdjsonExport,
)
from domain.errors import InvalidInput
from domain.exports import (
    EXPORT_COLUMNS,
    CsvCell,
    ExportFormat,
    SignalRecord,
    csv_cells,
    defuse_formula,
    export_time,
)
from domain.identity import Caller
from domain.signals.model import SignalStatus
from domain.signals.ports import SignalCriteria
from entrypoints.http.wire.exports import CHUNK_ROWS, csv_header, csv_rows, encode, ndjson_rows
from entrypoints.http.wire.signals import SignalOut
from tests.fakes.exports import FakeSignalExport, record_of
from tests.fakes.signals import FakeSignalRepository
from tests.support.entities import T0, a_signal

CALLER = Caller(uuid4())


def world(page_size: int = 2) -> tuple[FakeSignalRepository, FakeSignalExport, ExportSignals]:
    store = FakeSignalRepository()
    source = FakeSignalExport(store)
    return store, source, ExportSignals(source=source, page_size=page_size)


async def test_checks_every_parameter_before_reading_anything() -> None:
    _, source, export = world()
    bad = [
        (ExportSignalsRequest(format="xml"), "format"),
        (ExportSignalsRequest(format=""), "format"),
        (ExportSignalsRequest(format="csv", status="open"), "status"),
        (ExportSignalsRequest(instrument="a"), "instrument"),
        (ExportSignalsRequest(since="2026-11-28"), "since"),
        (ExportSignalsRequest(until=""), "until"),
    ]
    for request, field in bad:
        with pytest.raises(InvalidInput) as caught:
            await export(CALLER, request)
        assert caught.value.field == field
    assert source.asked == []


async def test_reads_the_callers_normalised_filters_in_pages() -> None:
    store, source, export = world(page_size=2)
    mine = [
        a_signal(user_id=CALLER.user_id, created_at=T0 + timedelta(seconds=i)) for i in range(5)
    ]
    for signal in [*mine, a_signal()]:
        await store.add(signal, 0)
    result = await export(
        CALLER,
        ExportSignalsRequest(
            format="ndjson", status="new", instrument="xauusd", since="2026-11-28T03:00:00+02:00"
        ),
    )
    assert isinstance(result, NdjsonExport)
    assert result.format is ExportFormat.NDJSON
    assert source.asked == []  # nothing read until the pages are iterated
    pages = [list(page) async for page in result.records]
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [r for p in pages for r in p] == [record_of(s) for s in mine]
    expected = SignalCriteria(
        user_id=CALLER.user_id,
        status=SignalStatus.NEW,
        instrument="XAUUSD",
        since=datetime(2026, 11, 28, 1, 0, tzinfo=UTC),
    )
    assert source.asked == [(expected, 2)]


async def test_csv_is_the_default_and_the_page_size_is_the_documented_one() -> None:
    store = FakeSignalRepository()
    source = FakeSignalExport(store)
    result = await ExportSignals(source=source)(CALLER, ExportSignalsRequest())
    assert isinstance(result, CsvExport)
    assert result.format is ExportFormat.CSV
    assert [p async for p in result.rows] == []
    assert source.asked[0][1] == EXPORT_PAGE_SIZE


async def test_a_csv_export_reads_the_sources_cells() -> None:
    store, _, export = world(page_size=2)
    mine = [a_signal(user_id=CALLER.user_id, external_id=f"=x{i}") for i in range(3)]
    for signal in mine:
        await store.add(signal, 0)
    result = await export(CALLER, ExportSignalsRequest(format="csv"))
    assert isinstance(result, CsvExport)
    rows = [row async for page in result.rows for row in page]
    assert rows == [
        csv_cells(record_of(s)) for s in sorted(mine, key=lambda s: (s.created_at, str(s.id)))
    ]
    assert {row[EXPORT_COLUMNS.index("external_id")] for row in rows} == {"'=x0", "'=x1", "'=x2"}


@pytest.mark.parametrize(
    ("text", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+41", "'+41"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("", ""),
        ("a=1", "a=1"),
        ("'=1", "'=1"),
        (" =1", " =1"),
        ('{"a": 1}', '{"a": 1}'),
    ],
)
def test_formula_rule(text: str, cell: str) -> None:
    assert defuse_formula(text) == cell


def test_columns_are_the_signal_objects_fields_in_order() -> None:
    assert list(EXPORT_COLUMNS) == [f.encode_name for f in msgspec.structs.fields(SignalOut)]
    assert next(csv.reader(io.StringIO(csv_header().decode()))) == list(EXPORT_COLUMNS)


def test_every_csv_cell_is_the_list_items_value() -> None:
    payload = {"s": 'a "b", c\r\nd', "n": [1, None, 2.5], "f": "=x"}
    at = datetime(2026, 11, 28, 1, 2, 3, 4500, tzinfo=UTC)
    signal = a_signal(
        payload=payload,
        external_id="=cmd",
        version="-1",
        producer_id="@relay",
        instrument="+X",
        status=SignalStatus.CLOSED,
        revision=4,
        price=0.000123,
        time=at,
        executed_price=1e16,
        executed_at=at,
        closed_price=1950.25,
        closed_at=at + timedelta(days=1),
        pnl=-2.5,
        return_ratio=-1 / 3,
    )
    text = csv_rows([csv_cells(record_of(s)) for s in (signal, a_signal())]).decode("utf-8")
    assert text.endswith("\r\n")
    row, plain = list(csv.reader(io.StringIO(text, newline="")))
    item = msgspec.to_builtins(SignalOut.of(signal))
    cells = dict(zip(EXPORT_COLUMNS, row, strict=True))
    assert json.loads(cells.pop("payload")) == payload
    for name, cell in cells.items():
        value = item[name]
        if isinstance(value, float):
            assert float(cell) == value, name
        elif name in ("producer_id", "instrument", "version", "external_id"):
            assert cell == "'" + value, name  # every one of them starts with a trigger here
        else:
            assert cell == ("" if value is None else str(value)), name
    assert (cells["pnl"], cells["time"]) == ("-2.5", "2026-11-28T01:02:03.004500Z")
    assert plain[EXPORT_COLUMNS.index("external_id")] == ""  # null is an empty cell


def test_an_ndjson_line_is_the_list_item_byte_for_byte() -> None:
    payload = {"s": 'a "b",\nc ünï', "n": [1, 2.5, None, True], "o": {}}
    signals = [a_signal(payload=payload, pnl=-1.5, status=SignalStatus.CLOSED), a_signal()]
    lines = ndjson_rows([record_of(s) for s in signals]).split(b"\n")
    assert lines == [msgspec.json.encode(SignalOut.of(s)) for s in signals] + [b""]


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 11, 28, 1, 2, 3, tzinfo=UTC),
        datetime(2026, 11, 28, 1, 2, 3, 1, tzinfo=UTC),
        datetime(2026, 11, 28, 1, 2, 3, 4500, tzinfo=UTC),
        datetime(2026, 11, 28, 1, 2, 3, 999999, tzinfo=UTC),
        datetime(2026, 11, 28, 3, 2, 3, 120000, tzinfo=timezone(timedelta(hours=2))),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 10, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_an_export_time_is_the_lists_text(at: datetime) -> None:
    assert export_time(at) == msgspec.to_builtins(at.astimezone(UTC))
    assert export_time(at) == msgspec.json.decode(msgspec.json.encode(at.astimezone(UTC)))


async def test_the_body_is_the_header_then_each_page_in_chunks_of_at_most_chunk_rows() -> None:
    big = [record_of(a_signal(external_id=f"=e{i}")) for i in range(2 * CHUNK_ROWS + 3)]
    small = [record_of(a_signal())]

    async def pages() -> AsyncIterator[list[SignalRecord]]:
        yield big
        yield small

    async def rows() -> AsyncIterator[list[tuple[CsvCell, ...]]]:
        async for page in pages():
            yield [csv_cells(r) for r in page]

    def cut(page: list[SignalRecord]) -> list[list[SignalRecord]]:
        return [page[i : i + CHUNK_ROWS] for i in range(0, len(page), CHUNK_ROWS)]

    chunks = [c async for c in encode(CsvExport(rows()))]
    expected = [csv_rows([csv_cells(r) for r in part]) for p in (big, small) for part in cut(p)]
    assert chunks == [csv_header(), *expected]
    assert [len(c.splitlines()) for c in chunks] == [1, CHUNK_ROWS, CHUNK_ROWS, 3, 1]
    text = b"".join(chunks).decode()
    parsed = list(csv.reader(io.StringIO(text, newline="")))
    assert [r[EXPORT_COLUMNS.index("id")] for r in parsed[1:]] == [str(r.id) for r in big + small]
    lines = [c async for c in encode(NdjsonExport(pages()))]
    assert lines == [ndjson_rows(part) for p in (big, small) for part in cut(p)]
    ids = [json.loads(x)["id"] for c in lines for x in c.splitlines()]
    assert ids == [str(r.id) for r in big + small]
