"""Reading the feed, on both engines: the lifecycle's numbered events, each with its signal."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from adapters.persistence.engine import Database
from adapters.persistence.signal_repository import signal_from_row
from adapters.persistence.tables import SignalTable
from domain.lifecycle.ports import SignalEventLog
from domain.stream.ports import FeedItem
from domain.stream.rules import as_after

# PostgreSQL: number what waits, answer the user's last id (migrations/m0003).
_PG_LAST_ID = "SELECT signal_event_assign_ids($1)"
_SQLITE_LAST_ID = 'SELECT "last_id" FROM "event_counter" WHERE "user_id" = {}'


class FeedReads:
    def __init__(self, events: SignalEventLog, database: Database) -> None:
        self._events = events
        self._database = database

    async def last_id(self, user_id: UUID) -> int:
        if self._database.dialect == "postgres":
            return int(await self._database.pool.fetchval(_PG_LAST_ID, user_id))
        rows = await self._database.run(_SQLITE_LAST_ID, user_id)
        return int(rows[0]["last_id"]) if rows else 0

    async def after(self, user_id: UUID, after_id: int, limit: int) -> Sequence[FeedItem]:
        # for_user_after sees numbered events only, and numbers waiting ones first under the
        # user's counter row: an id it returns has no smaller id still to come.
        events = await self._events.for_user_after(user_id, after_id, limit)
        if not events:
            return []
        ids = list({e.signal_id for e in events})
        rows = await SignalTable.select().where(SignalTable.id.is_in(ids))
        signals = {s.id: s for s in map(signal_from_row, rows)}
        # A signal gone since (deleted with its user) takes its events with it.
        return [
            FeedItem(e, as_after(signals[e.signal_id], e)) for e in events if e.signal_id in signals
        ]
