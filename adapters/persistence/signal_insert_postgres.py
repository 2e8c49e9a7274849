"""PostgreSQL ingestion: a batch of signals in one autocommitted call of signal_insert_batch
(migrations/m0008), i.e. one round trip, one transaction, one commit; each signal gets its
own outcome. It is the `flush` of the repository's GroupCommit (group_commit.py).

If the call fails as a whole (an error raised by one signal aborts the transaction, so
nothing of the batch was kept), each signal is tried again alone, so one bad signal fails
only itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from adapters.persistence.engine import Database
from adapters.persistence.row_values import as_uuid
from adapters.persistence.signal_writes import (
    Outcome,
    Pending,
    duplicate,
    encode_payload,
    window,
)
from domain.signals.model import Signal

INSERT_BATCH = (
    "SELECT ord, existing_id, reason FROM signal_insert_batch("
    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
)


def _hash32(text: str) -> int:
    """A signed 32-bit hash; a collision only serialises two inserts."""
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_key(signal: Signal) -> int:
    """The advisory lock of the dedup key (owner, instrument, side, version)."""
    return _hash32(f"{signal.user_id}|{signal.instrument}|{signal.side.value}|{signal.version}")


def external_key(signal: Signal) -> int | None:
    """The advisory lock of (owner, external_id), None without an external_id."""
    if signal.external_id is None:
        return None
    return _hash32(f"{signal.user_id}|{signal.external_id}")


def _arguments(pending: Pending) -> tuple[Any, ...]:
    """One signal's elements of signal_insert_batch's 16 arrays, in its parameter order."""
    signal, window_seconds = pending
    lower, upper = window(signal, window_seconds)
    return (
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
        encode_payload(signal.payload),
        signal.created_at,
        lower,
        upper,
        lock_key(signal),
        external_key(signal),
    )


class PostgresSignalInserts:
    """The flush: `await inserts(batch)` -> one Outcome per pending signal, in order."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, batch: Sequence[Pending]) -> list[Outcome]:
        if len(batch) == 1:
            return await self._call(batch)
        try:
            return await self._call(batch)
        except Exception:
            # Nothing of the batch was committed (or, if the connection broke after the
            # commit, every signal is found under its own id below): each one alone.
            outcomes: list[Outcome] = []
            for pending in batch:
                try:
                    outcomes += await self._call([pending])
                except Exception as exc:
                    outcomes.append(exc)
            return outcomes

    async def _call(self, batch: Sequence[Pending]) -> list[Outcome]:
        # One tuple a signal, turned into the 16 array parameters by zip (in C).
        columns = [list(column) for column in zip(*map(_arguments, batch), strict=True)]
        rows = await self._db.pool.fetch(INSERT_BATCH, *columns)
        outcomes: list[Outcome] = [RuntimeError("no outcome for this signal")] * len(batch)
        for row in rows:
            i = row["ord"] - 1
            existing = row["existing_id"]
            if existing is None or as_uuid(existing) == batch[i][0].id:
                # Stored (its own id: a retry after a commit whose answer was lost).
                outcomes[i] = None
            else:
                outcomes[i] = duplicate(row["reason"], existing)
        return outcomes
