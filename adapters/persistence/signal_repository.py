"""The signal store on Piccolo (SQLite and PostgreSQL), with dedup guaranteed by the database.

PostgreSQL: concurrent adds are grouped (group_commit.py) and each group is one autocommitted
call of signal_insert_batch (migrations/m0008, in m0009's form; signal_insert_postgres.py,
which keeps its pool connection while groups follow back to back): the advisory locks of the
whole group — dedup key (owner, instrument, side, version) and (owner, external_id) — in one
sorted order, then for each signal the time-window check and the insert (the UNIQUE
(user_id, external_id) index as its conflict arbiter), then the stored signals'
`signal.created` events in one statement.
SQLite: concurrent adds are grouped the same way; a group is one BEGIN IMMEDIATE transaction,
which holds the database write lock across every check, insert and event of the group.
When both rules match different signals, both engines name the one in the window.
Either way it holds across server processes; nothing relies on an in-process lock.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

import msgspec
from piccolo.custom_types import Combinable

from adapters.persistence.engine import Database
from adapters.persistence.event_ids import insert_event, next_event_id
from adapters.persistence.group_commit import GroupCommit
from adapters.persistence.row_values import as_utc, as_uuid, float_or_none, utc_or_none
from adapters.persistence.signal_insert_postgres import PostgresSignalInserts
from adapters.persistence.signal_writes import (
    Outcome,
    Pending,
    duplicate,
    encode_payload,
    window,
)
from adapters.persistence.tables import SignalTable
from domain.lifecycle.events import EventType, SignalEvent, producer_actor
from domain.signals.model import Side, Signal, SignalStatus
from domain.signals.ports import SignalCriteria, SignalFilter, SignalPage


def signal_from_row(row: Mapping[str, Any]) -> Signal:
    payload = row["payload"]
    return Signal(
        id=as_uuid(row["id"]),
        user_id=as_uuid(row["user_id"]),
        producer_id=row["producer_id"],
        instrument=row["instrument"],
        side=Side(row["side"]),
        price=float(row["price"]),
        time=as_utc(row["time"]),
        version=row["version"],
        external_id=row["external_id"],
        status=SignalStatus(row["status"]),
        payload=msgspec.json.decode(payload) if isinstance(payload, str | bytes) else payload,
        created_at=as_utc(row["created_at"]),
        updated_at=as_utc(row["updated_at"]),
        revision=int(row["revision"]),
        executed_price=float_or_none(row["executed_price"]),
        executed_at=utc_or_none(row["executed_at"]),
        closed_price=float_or_none(row["closed_price"]),
        closed_at=utc_or_none(row["closed_at"]),
        pnl=float_or_none(row["pnl"]),
        return_ratio=float_or_none(row["return_ratio"]),
    )


# The largest group one commit takes (SIGNALS_COMMIT_BATCH_MAX; 1 = no grouping).
DEFAULT_COMMIT_BATCH_MAX = 64


class PiccoloSignalRepository:
    def __init__(
        self,
        db: Database,
        *,
        commit_batch_max: int = DEFAULT_COMMIT_BATCH_MAX,
        on_commit: Callable[[int], None] | None = None,
    ) -> None:
        """`on_commit(n)` is told the size of every group handed to PostgreSQL.

        `commit_batch_max=1` turns grouping off: every add is its own call, concurrently on
        the pool, as before group commit."""
        self._db = db
        self._grouped = commit_batch_max > 1
        self._flush: Callable[[Sequence[Pending]], Awaitable[list[Outcome]]] = (
            PostgresSignalInserts(db, more_coming=lambda: self._group.waiting > 0)
            if db.dialect == "postgres"
            else self._sqlite_batch
        )
        self._group: GroupCommit[Pending, None] = GroupCommit(
            self._flush, max_batch=commit_batch_max, on_flush=on_commit
        )

    @property
    def group_commit(self) -> GroupCommit[Pending, None]:
        """The group commit (for tests and diagnostics)."""
        return self._group

    async def add(self, signal: Signal, dedup_window_seconds: int) -> Signal:
        if self._grouped:
            await self._group.submit((signal, dedup_window_seconds))
        else:
            outcome = (await self._flush([(signal, dedup_window_seconds)]))[0]
            if outcome is not None:
                raise outcome
        return signal

    async def _sqlite_batch(self, batch: Sequence[Pending]) -> list[Outcome]:
        """One BEGIN IMMEDIATE transaction for the whole group: SQLite's write lock (this
        process's and every other's writers wait) is taken once and the commit is one WAL
        flush. If a signal raises, the transaction is rolled back and each is tried alone."""
        try:
            async with self._db.write_transaction():
                return [await self._store_sqlite(signal, window) for signal, window in batch]
        except Exception:
            if len(batch) == 1:
                raise
        outcomes: list[Outcome] = []
        for pending in batch:
            try:
                outcomes += await self._sqlite_batch([pending])
            except Exception as exc:
                outcomes.append(exc)
        return outcomes

    async def _store_sqlite(self, signal: Signal, window_seconds: int) -> Outcome:
        """Inside the write transaction: the checks, then the insert and its event. Every
        statement sees what the earlier signals of the group wrote."""
        if window_seconds > 0:
            lower, upper = window(signal, window_seconds)
            row = (
                await SignalTable.select(SignalTable.id)
                .where(
                    (SignalTable.user_id == signal.user_id)
                    & (SignalTable.instrument == signal.instrument)
                    & (SignalTable.side == signal.side.value)
                    & (SignalTable.version == signal.version)
                    & (SignalTable.time > lower)
                    & (SignalTable.time < upper)
                )
                .first()
            )
            if row is not None:
                return duplicate("window", row["id"])
        if signal.external_id is not None:
            row = (
                await SignalTable.select(SignalTable.id)
                .where(
                    (SignalTable.user_id == signal.user_id)
                    & (SignalTable.external_id == signal.external_id)
                )
                .first()
            )
            if row is not None:
                return duplicate("external_id", row["id"])
        await SignalTable.insert(
            SignalTable(
                id=signal.id,
                user_id=signal.user_id,
                producer_id=signal.producer_id,
                instrument=signal.instrument,
                side=signal.side.value,
                price=signal.price,
                time=signal.time,
                version=signal.version,
                external_id=signal.external_id,
                status=signal.status.value,
                payload=encode_payload(signal.payload),
                created_at=signal.created_at,
                updated_at=signal.updated_at,
            )
        )
        event_id = await next_event_id(self._db, signal.user_id)
        await insert_event(self._db, _created_event(signal, event_id))
        return None

    async def get(self, signal_id: UUID) -> Signal | None:
        row = await SignalTable.select().where(SignalTable.id == signal_id).first()
        return signal_from_row(row) if row is not None else None

    async def list(self, query: SignalFilter) -> SignalPage:
        where = matching(query)
        rows = (
            await SignalTable.select()
            .where(where)
            .order_by(SignalTable.created_at, SignalTable.id, ascending=False)
            .offset(query.offset)
            .limit(query.limit)
        )
        total = await SignalTable.count().where(where)
        return SignalPage(items=[signal_from_row(r) for r in rows], total=int(total))


def _created_event(signal: Signal, event_id: int) -> SignalEvent:
    return SignalEvent(
        id=event_id,
        user_id=signal.user_id,
        signal_id=signal.id,
        type=EventType.CREATED,
        at=signal.created_at,
        actor=producer_actor(signal.producer_id),
        from_status=None,
        to_status=signal.status,
        note=None,
    )


def matching(query: SignalCriteria | SignalFilter) -> Combinable:
    """The §4/§9 filters as a Piccolo WHERE clause (the list and the export's SQLite pages)."""
    where: Combinable = SignalTable.user_id == query.user_id
    if query.status is not None:
        where &= SignalTable.status == query.status.value
    if query.instrument is not None:
        where &= SignalTable.instrument == query.instrument
    if query.since is not None:
        where &= SignalTable.time >= query.since
    if query.until is not None:
        where &= SignalTable.time < query.until
    return where
