"""Which stream bus (EventFeed + StreamSlots) a database gets: docs/stream.md."""

from __future__ import annotations

from adapters.persistence.engine import Database, DatabaseLocation
from adapters.stream.postgres import PostgresStreamBus
from adapters.stream.sqlite import SQLiteStreamBus
from domain.lifecycle.ports import SignalEventLog


def stream_bus(
    location: DatabaseLocation, database: Database, events: SignalEventLog
) -> PostgresStreamBus | SQLiteStreamBus:
    if location.sqlite_path is not None:
        return SQLiteStreamBus(events, database, location.sqlite_path)
    return PostgresStreamBus(events, database, location.url)
