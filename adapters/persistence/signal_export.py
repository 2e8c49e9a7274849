"""SignalExportSource on both engines: keyset pages on (`created_at`, `id`), oldest first.

Each page is one short query that starts after the last row of the previous one, so nothing
holds a connection or a transaction between pages, and memory holds two pages at most: the
one being written out and the next, read meanwhile (docs/exports.md).
PostgreSQL: raw SQL on Piccolo's asyncpg pool (the export's hot path), each record taken as
a SignalRecord as asyncpg decodes it (UUIDs, UTC-aware datetimes, floats, the `json` column's
text); `created_at >= $k` next to the row comparison lets the (user_id, created_at) index
bound every page.
SQLite: Piccolo's query builder, which stores and compares values the way every other query
of the table does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

import msgspec

from adapters.persistence.engine import Database
from adapters.persistence.row_values import as_utc, as_uuid, float_or_none, utc_or_none
from adapters.persistence.signal_repository import matching
from adapters.persistence.tables import SignalTable
from domain.exports.ports import SignalRecord
from domain.signals.ports import SignalCriteria

# SignalRecord's fields, in its order (the table's `return_ratio` is the wire's `return`).
_COLUMNS = ", ".join(SignalRecord._fields)

After = tuple[datetime, UUID] | None
PageReader = Callable[[SignalCriteria, After, int], Awaitable[list[SignalRecord]]]


class PiccoloSignalExport:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def pages(
        self, criteria: SignalCriteria, page_size: int
    ) -> AsyncIterator[Sequence[SignalRecord]]:
        read: PageReader = (
            self._postgres_page if self._db.dialect == "postgres" else self._sqlite_page
        )
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
        self, criteria: SignalCriteria, after: After, limit: int
    ) -> list[SignalRecord]:
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
        make = SignalRecord._make
        return [make(row) for row in await self._db.pool.fetch(sql, *args)]

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
