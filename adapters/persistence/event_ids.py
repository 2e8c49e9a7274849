"""Event ids on SQLite: the user's event_counter row, bumped inside the writer's transaction.

PostgreSQL does the same inside single statements (migrations/m0003, signal_lifecycle.py).
Why ids are dense and visible in order: docs/lifecycle.md.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from piccolo.engine.base import Engine
from piccolo.querystring import QueryString

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


async def run(engine: Engine[Any], sql: str, *args: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] | None = await engine.run_querystring(QueryString(sql, *args))
    return rows or []


async def next_event_id(engine: Engine[Any], user_id: UUID) -> int:
    """Call inside a SQLite write transaction, as its last step before the event insert."""
    rows = await run(engine, _NEXT_EVENT_ID, user_id)
    return int(rows[0]["last_id"])


async def insert_event(engine: Engine[Any], event: SignalEvent) -> None:
    await run(
        engine,
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
