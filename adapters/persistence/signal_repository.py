"""The signal store on Piccolo (SQLite and PostgreSQL), with dedup guaranteed by the database.

PostgreSQL: the function signal_insert_unless_duplicate (migrations/m0002, m0003) takes an
advisory lock on the dedup key (owner, instrument, side, version), checks the time window,
inserts and appends the `signal.created` event, in one autocommitted statement; the UNIQUE
(user_id, external_id) index, as the insert's conflict arbiter, catches an equal external_id
under any key.
SQLite: a BEGIN IMMEDIATE transaction holds the database write lock across checks, insert and
the event.
When both rules match different signals, both engines name the one in the window.
Either way it holds across server processes; nothing relies on an in-process lock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import msgspec
from piccolo.custom_types import Combinable

from adapters.persistence.account_repositories import as_utc, as_uuid
from adapters.persistence.engine import Database
from adapters.persistence.event_ids import insert_event, next_event_id
from adapters.persistence.tables import SignalTable
from domain.errors import AlreadyExists
from domain.lifecycle.events import EventType, SignalEvent, producer_actor
from domain.signals.model import Side, Signal, SignalStatus
from domain.signals.ports import SignalFilter, SignalPage
from domain.signals.rules import DUPLICATE_EXTERNAL_ID, DUPLICATE_IN_WINDOW

# migrations/m0002: advisory lock on the dedup key, both checks and the insert, one round trip.
_PG_INSERT_UNLESS_DUPLICATE = (
    "SELECT existing_id, reason FROM signal_insert_unless_duplicate("
    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
)


def _lock_key(signal: Signal) -> int:
    """A signed 32-bit hash of the dedup key; a collision only serialises two inserts."""
    key = f"{signal.user_id}|{signal.instrument}|{signal.side.value}|{signal.version}"
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def _window(signal: Signal, seconds: int) -> tuple[datetime, datetime]:
    """The open interval of times that duplicate `signal`, clamped to what datetime holds."""
    span = timedelta(seconds=max(seconds, 0))
    lower = signal.time - span if signal.time - _EARLIEST > span else _EARLIEST
    upper = signal.time + span if _LATEST - signal.time > span else _LATEST
    return lower, upper


def _encode_payload(payload: Mapping[str, Any]) -> str:
    return msgspec.json.encode(payload).decode("utf-8")


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
        executed_price=_float_or_none(row["executed_price"]),
        executed_at=_utc_or_none(row["executed_at"]),
        closed_price=_float_or_none(row["closed_price"]),
        closed_at=_utc_or_none(row["closed_at"]),
        pnl=_float_or_none(row["pnl"]),
        return_ratio=_float_or_none(row["return_ratio"]),
    )


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _utc_or_none(value: Any) -> datetime | None:
    return None if value is None else as_utc(value)


class PiccoloSignalRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, signal: Signal, dedup_window_seconds: int) -> Signal:
        if self._db.dialect == "postgres":
            await self._add_postgres(signal, dedup_window_seconds)
        else:
            await self._add_sqlite(signal, dedup_window_seconds)
        return signal

    async def _add_postgres(self, signal: Signal, window_seconds: int) -> None:
        # The hot path: one autocommitted call on Piccolo's asyncpg pool, no query building.
        lower, upper = _window(signal, window_seconds)
        row = await self._db.pool.fetchrow(
            _PG_INSERT_UNLESS_DUPLICATE,
            signal.id,
            signal.user_id,
            signal.producer_id,
            signal.instrument,
            signal.side.value,
            signal.price,
            signal.time,
            signal.version,
            signal.external_id,
            signal.status.value,
            _encode_payload(signal.payload),
            signal.created_at,
            lower,
            upper,
            _lock_key(signal),
        )
        if row["existing_id"] is not None:
            raise _duplicate(row["reason"], row["existing_id"])

    async def _add_sqlite(self, signal: Signal, window_seconds: int) -> None:
        # BEGIN IMMEDIATE takes SQLite's write lock up front: check and insert cannot interleave
        # with another writer, in this process or another.
        async with self._db.write_transaction():
            if window_seconds > 0:
                lower, upper = _window(signal, window_seconds)
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
                    raise _duplicate("window", row["id"])
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
                    raise _duplicate("external_id", row["id"])
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
                    payload=_encode_payload(signal.payload),
                    created_at=signal.created_at,
                    updated_at=signal.updated_at,
                )
            )
            event_id = await next_event_id(self._db, signal.user_id)
            await insert_event(self._db, _created_event(signal, event_id))

    async def get(self, signal_id: UUID) -> Signal | None:
        row = await SignalTable.select().where(SignalTable.id == signal_id).first()
        return signal_from_row(row) if row is not None else None

    async def list(self, query: SignalFilter) -> SignalPage:
        where: Combinable = SignalTable.user_id == query.user_id
        if query.status is not None:
            where &= SignalTable.status == query.status.value
        if query.instrument is not None:
            where &= SignalTable.instrument == query.instrument
        if query.since is not None:
            where &= SignalTable.time >= query.since
        if query.until is not None:
            where &= SignalTable.time < query.until
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


def _duplicate(reason: str, existing_id: Any) -> AlreadyExists:
    detail = DUPLICATE_EXTERNAL_ID if reason == "external_id" else DUPLICATE_IN_WINDOW
    return AlreadyExists(detail, existing_id=str(as_uuid(existing_id)))
