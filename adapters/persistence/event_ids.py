"""Event ids on SQLite: the user's event_counter row, bumped inside the writer's transaction.

PostgreSQL does the same inside single statements (migrations/m0003, signal_lifecycle.py).
Why ids are dense and visible in order: docs/lifecycle.md.
"""

from __future__ import annotations

from uuid import UUID

from adapters.persistence.engine import Database
from domain.lifecycle.events import SignalEvent

# BEGIN IMMEDIATE holds the database write lock for the whole transaction, so this only counts.
_NEXT_EVENT_ID = (
    'INSERT INTO "event_counter" ("user_id", "last_id") VALUES ({}, 1) '
    'ON CONFLICT ("user_id") DO UPDATE SET "last_id" = "last_id" + 1 RETURNING "last_id"'
)
_INSERT_EVENT = (
    'INSERT INTO "signal_event" ("user_id", "id", "signal_id", "type", "at", "actor", '
    '"from_status", "to_status", "note") VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})'
)


async def next_event_id(db: Database, user_id: UUID) -> int:
    """Call inside a SQLite write transaction, as its last step before the event insert."""
    rows = await db.run(_NEXT_EVENT_ID, user_id)
    return int(rows[0]["last_id"])


async def insert_event(db: Database, event: SignalEvent) -> None:
    await db.run(
        _INSERT_EVENT,
        event.user_id,
        event.id,
        event.signal_id,
        event.type.value,
        event.at,
        event.actor,
        event.from_status.value if event.from_status is not None else None,
        event.to_status.value,
        event.note,
    )
