"""The signal store on Piccolo (SQLite and PostgreSQL), with dedup guaranteed by the database.

PostgreSQL: one transaction takes an advisory lock on the dedup key (owner, instrument, side,
version), then a single statement checks both dedup rules and inserts; the UNIQUE
(user_id, external_id) index is the backstop for equal external_ids under different keys.
SQLite: a BEGIN IMMEDIATE transaction holds the database write lock across check and insert.
Either way it holds across server processes; nothing relies on an in-process lock.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from uuid import UUID

import msgspec
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import TransactionType

from adapters.persistence.account_repositories import as_utc, as_uuid
from adapters.persistence.tables import SignalTable
from domain.errors import AlreadyExists
from domain.signals.model import Side, Signal, SignalStatus
from domain.signals.ports import SignalFilter, SignalPage
from domain.signals.rules import DUPLICATE_EXTERNAL_ID, DUPLICATE_IN_WINDOW

# First half of the two-int advisory lock key: keeps signal locks apart from other users'.
_LOCK_NAMESPACE = 0x5167_4E01

_COLUMNS = (
    "id, user_id, producer_id, instrument, side, price, time, version, external_id, "
    "status, payload, created_at, updated_at"
)

# $13/$14 bound the time window (exclusive); an empty range when the window is off.
_PG_INSERT_UNLESS_DUPLICATE = f"""
WITH dup AS (
    (SELECT id, 'external_id' AS reason FROM signal
      WHERE user_id = $2 AND external_id = $9 LIMIT 1)
    UNION ALL
    (SELECT id, 'window' FROM signal
      WHERE user_id = $2 AND instrument = $4 AND side = $5 AND version = $8
        AND time > $13 AND time < $14 LIMIT 1)
    LIMIT 1
), ins AS (
    INSERT INTO signal ({_COLUMNS})
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12
    WHERE NOT EXISTS (SELECT 1 FROM dup)
    ON CONFLICT (user_id, external_id) DO NOTHING
    RETURNING id
)
SELECT (SELECT id FROM ins) AS inserted_id,
       (SELECT id FROM dup) AS existing_id,
       (SELECT reason FROM dup) AS reason
"""
_PG_BY_EXTERNAL_ID = "SELECT id FROM signal WHERE user_id = $1 AND external_id = $2"


def _lock_key(signal: Signal) -> int:
    """A signed 32-bit hash of the dedup key; a collision only serialises two inserts."""
    key = f"{signal.user_id}|{signal.instrument}|{signal.side.value}|{signal.version}"
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


def _window(signal: Signal, seconds: int) -> tuple[Any, Any]:
    span = timedelta(seconds=max(seconds, 0))
    return signal.time - span, signal.time + span


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
    )


class PiccoloSignalRepository:
    def __init__(self, engine: Engine[Any]) -> None:
        self._engine = engine
        self._postgres = isinstance(engine, PostgresEngine)

    async def add(self, signal: Signal, dedup_window_seconds: int) -> Signal:
        if self._postgres:
            await self._add_postgres(signal, dedup_window_seconds)
        else:
            await self._add_sqlite(signal, dedup_window_seconds)
        return signal

    async def _add_postgres(self, signal: Signal, window_seconds: int) -> None:
        # The hot path: raw asyncpg on Piccolo's pool, three round trips in all.
        lower, upper = _window(signal, window_seconds)
        args = (
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
        )
        pool = self._engine.pool
        async with pool.acquire() as conn:
            # Simple-protocol batch: BEGIN and the lock in one round trip (the key is an int).
            await conn.execute(
                f"BEGIN; SELECT pg_advisory_xact_lock({_LOCK_NAMESPACE}, {_lock_key(signal)})"
            )
            try:
                row = await conn.fetchrow(_PG_INSERT_UNLESS_DUPLICATE, *args)
                existing_id, reason = row["existing_id"], row["reason"]
                if row["inserted_id"] is None and existing_id is None:
                    # A concurrent insert with the same external_id (another dedup key) won.
                    existing_id = await conn.fetchval(
                        _PG_BY_EXTERNAL_ID, signal.user_id, signal.external_id
                    )
                    reason = "external_id"
            except BaseException:
                with contextlib.suppress(Exception):  # a broken connection is reset by the pool
                    await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")
        if existing_id is not None:
            raise _duplicate(reason, existing_id)

    async def _add_sqlite(self, signal: Signal, window_seconds: int) -> None:
        # BEGIN IMMEDIATE takes SQLite's write lock up front: check and insert cannot interleave
        # with another writer, in this process or another.
        async with self._engine.transaction(transaction_type=TransactionType.immediate):
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

    async def get(self, signal_id: UUID) -> Signal | None:
        row = await SignalTable.select().where(SignalTable.id == signal_id).first()
        return signal_from_row(row) if row is not None else None

    async def list(self, query: SignalFilter) -> SignalPage:
        where = SignalTable.user_id == query.user_id
        if query.status is not None:
            where &= SignalTable.status == query.status.value
        if query.instrument is not None:
            where &= SignalTable.instrument == query.instrument
        rows = (
            await SignalTable.select()
            .where(where)
            .order_by(SignalTable.created_at, SignalTable.id, ascending=False)
            .offset(query.offset)
            .limit(query.limit)
        )
        total = await SignalTable.count().where(where)
        return SignalPage(items=[signal_from_row(r) for r in rows], total=int(total))


def _duplicate(reason: str, existing_id: Any) -> AlreadyExists:
    detail = DUPLICATE_EXTERNAL_ID if reason == "external_id" else DUPLICATE_IN_WINDOW
    return AlreadyExists(detail, existing_id=str(as_uuid(existing_id)))
