"""Transitions and the audit trail on Piccolo (SQLite and PostgreSQL), SPEC §9.

A transition is one conditional update (status and revision as read) plus its event, in one
transaction: PostgreSQL in one call of the signal_transition function (migrations/m0003),
SQLite inside BEGIN IMMEDIATE. Event ids come from the user's event_counter row, held until
commit; on PostgreSQL ingestion leaves its event's id null and readers number waiting events
before they read (docs/lifecycle.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from adapters.persistence.engine import Database
from adapters.persistence.event_ids import insert_event, next_event_id
from adapters.persistence.row_values import as_utc, as_uuid
from adapters.persistence.signal_repository import signal_from_row
from adapters.persistence.tables import SignalEventTable, SignalTable
from domain.lifecycle.events import EventType, SignalEvent
from domain.lifecycle.ports import Applied, Refused, Transition
from domain.signals.model import Signal, SignalStatus

# migrations/m0003: the conditional update, the numbering of the user's earlier events and
# the transition's own event, in one autocommitted call; null when the row was not as read.
_PG_TRANSITION = (
    "SELECT signal_transition($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    " AS event_id"
)
# Gives ids to the user's committed events still waiting for one (created by ingestion).
_PG_ASSIGN_IDS = "SELECT signal_event_assign_ids($1)"
_PG_ASSIGN_IDS_OF_SIGNAL = "SELECT signal_event_assign_ids(user_id) FROM signal WHERE id = $1"

_SQLITE_UPDATE = (
    'UPDATE "signal" SET "status" = {}, "revision" = {}, "executed_price" = {}, '
    '"executed_at" = {}, "closed_price" = {}, "closed_at" = {}, "pnl" = {}, '
    '"return_ratio" = {}, "updated_at" = {} '
    'WHERE "id" = {} AND "status" = {} AND "revision" = {} RETURNING "user_id"'
)


def event_from_row(row: Mapping[str, Any]) -> SignalEvent:
    from_status = row["from_status"]
    return SignalEvent(
        id=int(row["id"]),
        user_id=as_uuid(row["user_id"]),
        signal_id=as_uuid(row["signal_id"]),
        type=EventType(row["type"]),
        at=as_utc(row["at"]),
        actor=row["actor"],
        from_status=SignalStatus(from_status) if from_status is not None else None,
        to_status=SignalStatus(row["to_status"]),
        note=row["note"],
    )


def _transition_event(transition: Transition, event_id: int) -> SignalEvent:
    return SignalEvent(
        id=event_id,
        user_id=transition.after.user_id,
        signal_id=transition.after.id,
        type=EventType.TRANSITIONED,
        at=transition.at,
        actor=transition.actor,
        from_status=transition.before.status,
        to_status=transition.after.status,
        note=transition.note,
    )


def _changes(after: Signal) -> tuple[Any, ...]:
    return (
        after.status.value,
        after.revision,
        after.executed_price,
        after.executed_at,
        after.closed_price,
        after.closed_at,
        after.pnl,
        after.return_ratio,
        after.updated_at,
    )


class PiccoloSignalLifecycle:
    """SignalTransitions and SignalEventLog on the tables of migrations/m0003."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def apply(self, transition: Transition) -> Applied | Refused:
        if self._db.dialect == "postgres":
            event_id = await self._apply_postgres(transition)
        else:
            event_id = await self._apply_sqlite(transition)
        if event_id is None:
            # One read tells the caller why: gone, or moved on by someone else.
            return Refused(await self._current(transition.before.id))
        return Applied(transition.after, _transition_event(transition, event_id))

    async def _apply_postgres(self, t: Transition) -> int | None:
        before, after = t.before, t.after
        event_id = await self._db.pool.fetchval(
            _PG_TRANSITION,
            before.id,
            before.status.value,
            before.revision,
            *_changes(after)[:-1],  # updated_at is the moment, passed once as `at`
            t.at,
            t.actor,
            t.note,
        )
        return None if event_id is None else int(event_id)

    async def _apply_sqlite(self, t: Transition) -> int | None:
        before, after = t.before, t.after
        async with self._db.write_transaction():
            moved = await self._db.run(
                _SQLITE_UPDATE,
                *_changes(after),
                before.id,
                before.status.value,
                before.revision,
            )
            if not moved:
                return None
            event_id = await next_event_id(self._db, after.user_id)
            await insert_event(self._db, _transition_event(t, event_id))
        return event_id

    async def _current(self, signal_id: UUID) -> Signal | None:
        row = await SignalTable.select().where(SignalTable.id == signal_id).first()
        return signal_from_row(row) if row is not None else None

    async def for_signal(self, signal_id: UUID) -> Sequence[SignalEvent]:
        if self._db.dialect == "postgres":
            await self._db.pool.execute(_PG_ASSIGN_IDS_OF_SIGNAL, signal_id)
        rows = (
            await SignalEventTable.select()
            .where((SignalEventTable.signal_id == signal_id) & SignalEventTable.id.is_not_null())
            .order_by(SignalEventTable.id)
        )
        return [event_from_row(r) for r in rows]

    async def for_user_after(
        self, user_id: UUID, after_id: int, limit: int
    ) -> Sequence[SignalEvent]:
        if self._db.dialect == "postgres":
            await self._db.pool.execute(_PG_ASSIGN_IDS, user_id)
        rows = (
            await SignalEventTable.select()
            .where((SignalEventTable.user_id == user_id) & (SignalEventTable.id > after_id))
            .order_by(SignalEventTable.id)
            .limit(limit)
        )
        return [event_from_row(r) for r in rows]
