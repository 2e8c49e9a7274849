"""The producers a signed POST names, as IngestSignal reads them: a short-lived cache of the ones
that authenticated (SIGNALS_PRODUCER_CACHE_SECONDS), and one read at a time per producer.

The cache: a producer that authenticated may be reused for `ttl` seconds without reading it
again, so a revocation (disable, rotation with no grace) takes effect within that bound.

Shared reads: when a producer is not cached (or its entry has expired), the requests for it
that arrive while it is being read wait for that same read instead of each starting one.
Under load an entry expires while dozens of that producer's requests are in flight; each of
them used to read it, and all the server's requests stalled together at every expiry
(docs/ingest-performance.md, "Eighth pass").

A read that began before a request arrived may predate a rotation the request was signed
after; IngestSignal decides such a request's failure on a read of its own (`read_own`), as
it does a failure on a cached producer, so a new secret still works at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from domain.accounts.model import Producer
from domain.signals.ports import ProducerDirectory

# Past this many cached producers the cache starts over (only producers that authenticated
# are cached, so this is never reached by guessing ids).
CACHE_MAX = 10_000


@dataclass(frozen=True, slots=True)
class Read:
    """A producer as read (None: no such producer), the monotonic time the read began, and
    whether it began for this caller (False: a cached read, or one under way when the caller
    came, which may predate a rotation the caller was signed after)."""

    producer: Producer | None
    read_at: float
    own: bool


class ProducerCache:
    def __init__(
        self, directory: ProducerDirectory, ttl: float, monotonic: Callable[[], float]
    ) -> None:
        self._directory = directory
        self._ttl = ttl
        self._monotonic = monotonic
        # producer id -> its last read, for producers that authenticated (never `own`)
        self._cached: dict[str, Read] = {}
        # producer id -> (began at, the read under way)
        self._reading: dict[str, tuple[float, asyncio.Future[Producer | None]]] = {}

    def take(self, producer_id: str) -> Read | None:
        """The cached producer if read less than the bound ago, removed: `keep` puts back what
        still authenticates."""
        entry = self._cached.pop(producer_id, None)
        if entry is not None and self._monotonic() - entry.read_at < self._ttl:
            return entry
        return None

    def keep(self, producer_id: str, read: Read) -> None:
        """Cache the producer of `read`, which has just authenticated, as of when it was read."""
        if len(self._cached) >= CACHE_MAX:
            self._cached.clear()
        self._cached[producer_id] = (
            Read(read.producer, read.read_at, own=False) if read.own else read
        )

    async def read_shared(self, producer_id: str) -> Read:
        """The producer, from the read of it under way if there is one, else from a new one
        that later callers join. A caller that is cancelled leaves the read to the others."""
        under_way = self._reading.get(producer_id)
        if under_way is not None:
            began, future = under_way
            return Read(await asyncio.shield(future), began, own=False)
        began = self._monotonic()
        future = asyncio.ensure_future(self._directory.get(producer_id))
        self._reading[producer_id] = (began, future)
        future.add_done_callback(lambda done: self._finished(producer_id, done))
        return Read(await asyncio.shield(future), began, own=True)

    async def read_own(self, producer_id: str) -> Read:
        """The producer from a read that begins now (shared with nobody)."""
        began = self._monotonic()
        return Read(await self._directory.get(producer_id), began, own=True)

    def _finished(self, producer_id: str, done: asyncio.Future[Producer | None]) -> None:
        under_way = self._reading.get(producer_id)
        if under_way is not None and under_way[1] is done:
            del self._reading[producer_id]
        if not done.cancelled():
            done.exception()  # retrieved: its waiters, if any are left, have raised it
