"""PostgreSQL ingestion: a batch of signals in one autocommitted call of signal_insert_batch
(migrations/m0008, in the form of m0009), i.e. one round trip, one transaction, one commit;
each signal gets its own outcome. It is the `flush` of the repository's GroupCommit
(group_commit.py).

If the call fails as a whole (an error raised by one signal aborts the transaction, so
nothing of the batch was kept), each signal is tried again alone, so one bad signal fails
only itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from operator import attrgetter
from typing import Any

from adapters.persistence.engine import Database
from adapters.persistence.row_values import as_uuid
from adapters.persistence.signal_writes import Outcome, Pending, duplicate, encode_payload

INSERT_BATCH = (
    "SELECT ord, existing_id, reason FROM signal_insert_batch("
    "$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
)

# A signal's columns in signal_insert_batch's parameter order (m0009), read in C; the
# StrEnums (side, status) are sent as the strings they are.
_COLUMNS = attrgetter(
    "id",
    "user_id",
    "producer_id",
    "instrument",
    "side",
    "price",
    "time",
    "version",
    "external_id",
    "status",
    "created_at",
)


def _arguments(pending: Pending) -> tuple[Any, ...]:
    """One signal's elements of signal_insert_batch's 13 arrays: its columns, its payload's
    JSON text, its producer's dedup window (the function derives the bounds and the locks)."""
    signal, window_seconds = pending
    return (*_COLUMNS(signal), encode_payload(signal.payload), window_seconds)


class PostgresSignalInserts:
    """The flush: `await inserts(batch)` -> one Outcome per pending signal, in order.

    `more_coming()` is asked after each call: when it says another flush follows at once (the
    group commit has signals waiting), the pool connection is kept for it instead of being
    released and acquired again; otherwise, and after any error, it goes back to the pool,
    which replaces a broken one. So it is only ever held between back-to-back groups: an idle
    server holds nothing, and closing the pool never waits for it."""

    def __init__(self, db: Database, more_coming: Callable[[], bool] = lambda: False) -> None:
        self._db = db
        self._more_coming = more_coming
        self._kept: Any = None  # the pool connection kept for the next flush
        self._busy = False  # a call is using it (calls overlap only with grouping off)

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
        # One tuple a signal, turned into the 13 array parameters by zip (in C).
        rows = await self._fetch(zip(*map(_arguments, batch), strict=True))
        # A row names a refused signal; every other one was stored.
        outcomes: list[Outcome] = [None] * len(batch)
        for row in rows:
            i = row["ord"] - 1
            existing = row["existing_id"]
            if as_uuid(existing) != batch[i][0].id:
                # (its own id: a retry after a commit whose answer was lost — stored)
                outcomes[i] = duplicate(row["reason"], existing)
        return outcomes

    async def _fetch(self, columns: Iterable[Sequence[Any]]) -> list[Any]:
        if self._busy:
            rows: list[Any] = await self._db.pool.fetch(INSERT_BATCH, *columns)
            return rows
        self._busy = True
        pool = self._db.pool
        connection, self._kept = self._kept, None
        try:
            if connection is None:
                connection = await pool.acquire()
            rows = await connection.fetch(INSERT_BATCH, *columns)
        except BaseException:
            if connection is not None:
                await pool.release(connection)
            raise
        finally:
            self._busy = False
        if self._more_coming():
            self._kept = connection
        else:
            await pool.release(connection)
        return rows
