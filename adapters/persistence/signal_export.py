"""SignalExportSource on both engines: keyset pages on (`created_at`, `id`), oldest first.

Each page is one short query that starts after the last row of the previous one, so nothing
holds a connection or a transaction between pages, and memory holds two pages at most: the
one being written out and the next, read meanwhile (docs/exports.md).
PostgreSQL: raw SQL on Piccolo's asyncpg pool (the export's hot path); `created_at >= $k`
next to the row comparison lets the (user_id, created_at) index bound every page.
SQLite: Piccolo's query builder, which stores and compares values the way every other query
of the table does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec
from piccolo.custom_types import Combinable

from adapters.persistence.engine import Database
from adapters.persistence.signal_repository import signal_from_row
from adapters.persistence.tables import SignalTable
from domain.signals.model import Side, Signal, SignalStatus
from domain.signals.ports import SignalCriteria

_COLUMNS = (
    "id, user_id, producer_id, instrument, side, price, time, version, external_id, status,"
    " payload, created_at, updated_at, revision, executed_price, executed_at, closed_price,"
    " closed_at, pnl, return_ratio"
)


_SIDES = {side.value: side for side in Side}
_STATUSES = {status.value: status for status in SignalStatus}
_decode_payload = msgspec.json.Decoder().decode


def _signal_from_record(r: Any) -> Signal:
    """An asyncpg record of `_COLUMNS` as a Signal: the columns' own types (UUIDs, UTC-aware
    datetimes, floats) are taken as asyncpg decodes them, without signal_from_row's
    conversions for SQLite's text values (a few microseconds a row, most of the hot path)."""
    return Signal(
        id=r[0],
        user_id=r[1],
        producer_id=r[2],
        instrument=r[3],
        side=_SIDES[r[4]],
        price=r[5],
        time=r[6],
        version=r[7],
        external_id=r[8],
        status=_STATUSES[r[9]],
        payload=_decode_payload(r[10]),
        created_at=r[11],
        updated_at=r[12],
        revision=r[13],
        executed_price=r[14],
        executed_at=r[15],
        closed_price=r[16],
        closed_at=r[17],
        pnl=r[18],
        return_ratio=r[19],
    )


class PiccoloSignalExport:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def pages(
        self, criteria: SignalCriteria, page_size: int
    ) -> AsyncIterator[Sequence[Signal]]:
        read = self._postgres_page if self._db.dialect == "postgres" else self._sqlite_page
        # The next page is asked for as soon as a page arrives, so the database works on it
        # while the caller writes this one out: two pages at most are held.
        pending = asyncio.ensure_future(read(criteria, None, page_size))
        try:
            while True:
                page = await pending
                if len(page) == page_size:
                    after = (page[-1].created_at, page[-1].id)
                    pending = asyncio.ensure_future(read(criteria, after, page_size))
                if page:
                    yield page
                if len(page) < page_size:
                    return
        finally:
            if not pending.done():
                pending.cancel()

    async def _postgres_page(
        self, criteria: SignalCriteria, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[Signal]:
        clauses = ["user_id = $1"]
        args: list[Any] = [criteria.user_id]

        def bind(value: Any) -> str:
            args.append(value)
            return f"${len(args)}"

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
            f"SELECT {_COLUMNS} FROM signal WHERE {' AND '.join(clauses)}"
            f" ORDER BY created_at, id LIMIT {int(limit)}"
        )
        rows = await self._db.pool.fetch(sql, *args)
        return [_signal_from_record(row) for row in rows]

    async def _sqlite_page(
        self, criteria: SignalCriteria, after: tuple[datetime, UUID] | None, limit: int
    ) -> list[Signal]:
        where: Combinable = SignalTable.user_id == criteria.user_id
        if criteria.status is not None:
            where &= SignalTable.status == criteria.status.value
        if criteria.instrument is not None:
            where &= SignalTable.instrument == criteria.instrument
        if criteria.since is not None:
            where &= SignalTable.time >= criteria.since
        if criteria.until is not None:
            where &= SignalTable.time < criteria.until
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
        return [signal_from_row(row) for row in rows]
