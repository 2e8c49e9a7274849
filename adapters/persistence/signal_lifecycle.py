"""Transitions and the audit trail on Piccolo (SQLite and PostgreSQL), SPEC §9.

A transition is one conditional update (status and revision as read) plus its event, in one
transaction: PostgreSQL runs both as a single autocommitted statement (data-modifying CTEs),
SQLite inside BEGIN IMMEDIATE. Event ids come from the user's event_counter row, taken last
in the transaction and held until commit (docs/lifecycle.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from uuid import UUID

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import TransactionType

from adapters.persistence.account_repositories import as_utc, as_uuid
from adapters.persistence.event_ids import insert_event, next_event_id, run
from adapters.persistence.signal_repository import pg_pool, signal_from_row
from adapters.persistence.tables import SignalEventTable, SignalTable
from domain.lifecycle.events import EventType, SignalEvent
from domain.lifecycle.ports import Applied, Refused, Transition
from domain.signals.model import Signal, SignalStatus

# The conditional update, the counter and the event in one statement: no matched row, no
# counter bump, no event. The counter is locked after the signal row and held to commit.
_PG_TRANSITION = """
WITH moved AS (
    UPDATE signal SET status = $4, revision = $5, executed_price = $6, executed_at = $7,
           closed_price = $8, closed_at = $9, pnl = $10, return_ratio = $11, updated_at = $12
     WHERE id = $1 AND status = $2 AND revision = $3
    RETURNING user_id
), counter AS (
    INSERT INTO event_counter AS c (user_id, last_id) SELECT user_id, 1 FROM moved
    ON CONFLICT (user_id) DO UPDATE SET last_id = c.last_id + 1
    RETURNING c.user_id, c.last_id
)
INSERT INTO signal_event (user_id, id, signal_id, type, at, actor, from_status, to_status, note)
SELECT user_id, last_id, $1, 'signal.transitioned', $12, $13, $2, $4, $14 FROM counter
RETURNING id
"""

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

    def __init__(self, engine: Engine[Any]) -> None:
        self._engine = engine
        self._postgres = isinstance(engine, PostgresEngine)

    async def apply(self, transition: Transition) -> Applied | Refused:
        if self._postgres:
            event_id = await self._apply_postgres(transition)
        else:
            event_id = await self._apply_sqlite(transition)
        if event_id is None:
            # One read tells the caller why: gone, or moved on by someone else.
            return Refused(await self._current(transition.before.id))
        return Applied(transition.after, _transition_event(transition, event_id))

    async def _apply_postgres(self, t: Transition) -> int | None:
        before, after = t.before, t.after
        row = await pg_pool(self._engine).fetchrow(
            _PG_TRANSITION,
            before.id,
            before.status.value,
            before.revision,
            *_changes(after),
            t.actor,
            t.note,
        )
        return None if row is None else int(row["id"])

    async def _apply_sqlite(self, t: Transition) -> int | None:
        before, after = t.before, t.after
        async with self._engine.transaction(transaction_type=TransactionType.immediate):
            moved = await run(
                self._engine,
                _SQLITE_UPDATE,
                *_changes(after),
                before.id,
                before.status.value,
                before.revision,
            )
            if not moved:
                return None
            event_id = await next_event_id(self._engine, after.user_id)
            await insert_event(self._engine, _transition_event(t, event_id))
        return event_id

    async def _current(self, signal_id: UUID) -> Signal | None:
        row = await SignalTable.select().where(SignalTable.id == signal_id).first()
        return signal_from_row(row) if row is not None else None

    async def for_signal(self, signal_id: UUID) -> Sequence[SignalEvent]:
        rows = (
            await SignalEventTable.select()
            .where(SignalEventTable.signal_id == signal_id)
            .order_by(SignalEventTable.id)
        )
        return [event_from_row(r) for r in rows]

    async def for_user_after(
        self, user_id: UUID, after_id: int, limit: int
    ) -> Sequence[SignalEvent]:
        rows = (
            await SignalEventTable.select()
            .where((SignalEventTable.user_id == user_id) & (SignalEventTable.id > after_id))
            .order_by(SignalEventTable.id)
            .limit(limit)
        )
        return [event_from_row(r) for r in rows]
