"""SignalExportSource on both engines: keyset pages on (`created_at`, `id`), oldest first.

Each page is one short query that starts after the last row of the previous one, so nothing
holds a connection or a transaction between pages, and memory holds two pages at most: the
one being written out and the next, read meanwhile (docs/exports.md).
PostgreSQL: raw SQL on Piccolo's asyncpg pool (the export's hot path). `pages` takes each
record as a SignalRecord as asyncpg decodes it (UUIDs, UTC-aware datetimes, floats, the
`json` column's text); `csv_pages` has PostgreSQL format the cells (`csv_cells` in SQL: ids
and times as text, the formula rule) and hands asyncpg's records on as they are.
`created_at >= $k` next to the row comparison lets the (user_id, created_at) index bound
every page.
SQLite: Piccolo's query builder, which stores and compares values the way every other query
of the table does; its CSV cells are `csv_cells` of its records.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from adapters.persistence.engine import Database
from adapters.persistence.row_values import as_utc, as_uuid, float_or_none, utc_or_none
from adapters.persistence.signal_repository import matching
from adapters.persistence.tables import SignalTable
from domain.exports.ports import CsvCell, SignalRecord
from domain.exports.rules import FORMULA_TRIGGERS, FREE_TEXT_COLUMNS, csv_cells
from domain.signals.ports import SignalCriteria

# SignalRecord's fields, in its order (the table's `return_ratio` is the wire's `return`).
_COLUMNS = ", ".join(SignalRecord._fields)

After = tuple[datetime, UUID] | None
PageReader = Callable[[SignalCriteria, After, int], Awaitable[list[Any]]]


def _time_text(column: str) -> str:
    """`export_time` in SQL: RFC 3339 in UTC, `.ffffff` only when there are microseconds."""
    utc = f"({column} AT TIME ZONE 'UTC')"
    whole, fraction = 'YYYY-MM-DD"T"HH24:MI:SS"Z"', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'
    return (
        f"to_char({utc}, CASE WHEN date_part('microseconds', {utc})::bigint % 1000000 = 0"
        f" THEN '{whole}' ELSE '{fraction}' END)"
    )


def _defused(column: str) -> str:
    """`defuse_formula` in SQL; the domain's triggers are bound as $1."""
    return f"CASE WHEN left({column}, 1) = ANY($1::text[]) THEN '''' || {column} ELSE {column} END"


# `csv_cells` as PostgreSQL computes it, cell for cell in EXPORT_COLUMNS' order: ids and
# times as text, the free-text columns through the formula rule, numbers as they are (asyncpg
# decodes them and the CSV writer writes them as Python does), NULL for null. The contract
# tests hold these to `csv_cells`.
_IDS = ("id", "user_id")
_TIMES = ("time", "executed_at", "closed_at", "created_at", "updated_at")


def _cell_sql(name: str) -> str:
    if name in FREE_TEXT_COLUMNS:
        return _defused(name)
    if name in _TIMES:
        return _time_text(name)
    if name in _IDS or name == "payload":
        return f"{name}::text"
    return name


_CSV_COLUMNS = ", ".join(_cell_sql(name) for name in SignalRecord._fields)
_ID, _CREATED_AT = SignalRecord._fields.index("id"), SignalRecord._fields.index("created_at")


class PiccoloSignalExport:
    def __init__(self, db: Database) -> None:
        self._db = db

    def pages(
        self, criteria: SignalCriteria, page_size: int
    ) -> AsyncGenerator[Sequence[SignalRecord], None]:
        if self._db.dialect == "postgres":
            read = functools.partial(self._postgres_page, _COLUMNS, (), SignalRecord._make)
            return _keyset_pages(read, _record_key, criteria, page_size)
        return _keyset_pages(self._sqlite_page, _record_key, criteria, page_size)

    def csv_pages(
        self, criteria: SignalCriteria, page_size: int
    ) -> AsyncIterator[Sequence[Sequence[CsvCell]]]:
        if self._db.dialect != "postgres":
            return _cells_of(self.pages(criteria, page_size))
        # PostgreSQL formats the cells; asyncpg's records are the rows as they are.
        triggers = (list(FORMULA_TRIGGERS),)  # $1 of _defused
        read = functools.partial(self._postgres_page, _CSV_COLUMNS, triggers, None)
        return _keyset_pages(read, _cells_key, criteria, page_size)

    async def _postgres_page(
        self,
        columns: str,
        column_args: tuple[Any, ...],
        make: Callable[[Any], Any] | None,
        criteria: SignalCriteria,
        after: After,
        limit: int,
    ) -> list[Any]:
        args: list[Any] = list(column_args)  # the parameters `columns` refers to come first

        def bind(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

        clauses = [f"user_id = {bind(criteria.user_id)}"]
        if criteria.status is not None:
            clauses.append(f"status = {bind(criteria.status.value)}")
        if criteria.instrument is not None:
            clauses.append(f"instrument = {bind(criteria.instrument)}")
        if criteria.since is not None:
            clauses.append(f"time >= {bind(criteria.since)}")
        if criteria.until is not None:
            clauses.append(f"time < {bind(criteria.until)}")
        if after is not None:
            at, last_id = bind(after[0]), bind(after[1])
            clauses.append(f"created_at >= {at} AND (created_at, id) > ({at}, {last_id})")
        sql = (
            f"SELECT {columns} FROM signal WHERE {' AND '.join(clauses)}"
            f" ORDER BY signal.created_at, signal.id LIMIT {int(limit)}"
        )
        rows = await self._db.pool.fetch(sql, *args)
        return rows if make is None else [make(row) for row in rows]

    async def _sqlite_page(
        self, criteria: SignalCriteria, after: After, limit: int
    ) -> list[SignalRecord]:
        where = matching(criteria)
        if after is not None:
            at, last_id = after
            where &= (SignalTable.created_at >= at) & (
                (SignalTable.created_at > at) | (SignalTable.id > last_id)
            )
        rows = (
            await SignalTable.select()
            .where(where)
            .order_by(SignalTable.created_at, SignalTable.id)
            .limit(limit)
        )
        return [_record_from_row(row) for row in rows]


async def _keyset_pages(
    read: PageReader,
    key: Callable[[Any], tuple[datetime, UUID]],
    criteria: SignalCriteria,
    page_size: int,
) -> AsyncGenerator[Sequence[Any], None]:
    # The next page is asked for as soon as a page arrives, so the database works on it
    # while the caller writes this one out: two pages at most are held.
    pending = asyncio.ensure_future(read(criteria, None, page_size))
    after: After = None
    try:
        while True:
            page = await pending
            if len(page) == page_size:
                last = key(page[-1])
                if after is not None and last <= after:  # a key read back wrong: never loop
                    raise RuntimeError(f"export keyset did not advance past {after}")
                after = last
                pending = asyncio.ensure_future(read(criteria, after, page_size))
            if page:
                yield page
            if len(page) < page_size:
                return
    finally:
        if not pending.done():
            pending.cancel()


async def _cells_of(
    pages: AsyncGenerator[Sequence[SignalRecord], None],
) -> AsyncIterator[Sequence[Sequence[CsvCell]]]:
    async with contextlib.aclosing(pages):  # a download cut short stops the read-ahead too
        async for page in pages:
            yield [csv_cells(record) for record in page]


def _record_key(record: SignalRecord) -> tuple[datetime, UUID]:
    return record.created_at, record.id


def _cells_key(row: Sequence[Any]) -> tuple[datetime, UUID]:
    """The keyset position of a row of CSV cells (its `created_at` and `id` text)."""
    return datetime.fromisoformat(row[_CREATED_AT]), UUID(row[_ID])


def _record_from_row(row: Mapping[str, Any]) -> SignalRecord:
    """A Piccolo row on SQLite (ids and times may come back as text or naive)."""
    payload = row["payload"]
    return SignalRecord(
        id=as_uuid(row["id"]),
        user_id=as_uuid(row["user_id"]),
        producer_id=row["producer_id"],
        instrument=row["instrument"],
        side=row["side"],
        price=float(row["price"]),
        time=as_utc(row["time"]),
        version=row["version"],
        external_id=row["external_id"],
        status=row["status"],
        revision=int(row["revision"]),
        payload=payload if isinstance(payload, str) else msgspec.json.encode(payload).decode(),
        executed_price=float_or_none(row["executed_price"]),
        executed_at=utc_or_none(row["executed_at"]),
        closed_price=float_or_none(row["closed_price"]),
        closed_at=utc_or_none(row["closed_at"]),
        pnl=float_or_none(row["pnl"]),
        return_ratio=float_or_none(row["return_ratio"]),
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
    )
