"""Group commit: concurrent writes share one flush (one transaction, one WAL flush), each
still gets its own outcome. docs/signals.md, "Group commit".

The rule, per process:
- An arrival that finds a free slot (fewer than `max_in_flight` flushes running) and nobody
  waiting is flushed at once, alone, by its own caller: a lone producer waits for nothing.
- An arrival that finds every slot busy waits. When a flush ends, the waiting items — up to
  `max_batch`, in arrival order — form the next flush.
So batches only form when the database is the bottleneck, and they grow with the load.

`flush` gets the items in arrival order and returns one outcome per item: a value, or an
exception for that item alone. If `flush` itself raises, every item of that flush gets the
exception (the flush decides how to keep one bad item from failing the others).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

Flush = Callable[[Sequence[T]], Awaitable[Sequence[R | BaseException]]]


class GroupCommit(Generic[T, R]):
    def __init__(
        self,
        flush: Flush[T, R],
        *,
        max_batch: int = 64,
        max_in_flight: int = 1,
        on_flush: Callable[[int], None] | None = None,
    ) -> None:
        if max_batch < 1 or max_in_flight < 1:
            raise ValueError("max_batch and max_in_flight must be >= 1")
        self._flush = flush
        self._max_batch = max_batch
        self._max_in_flight = max_in_flight
        self._on_flush = on_flush
        self._waiting: deque[tuple[T, asyncio.Future[R]]] = deque()
        self._in_flight = 0

    @property
    def waiting(self) -> int:
        """Items queued for the next flush (not yet handed to `flush`)."""
        return len(self._waiting)

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def submit(self, item: T) -> R:
        if self._in_flight < self._max_in_flight and not self._waiting:
            # Nobody ahead: flush this item alone, in the caller's own task.
            self._in_flight += 1
            try:
                outcome = (await self._guarded([item]))[0]
            finally:
                self._in_flight -= 1
                self._start_next()
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        return await future

    async def _guarded(self, items: Sequence[T]) -> Sequence[R | BaseException]:
        if self._on_flush is not None:
            self._on_flush(len(items))
        outcomes = await self._flush(items)
        if len(outcomes) != len(items):
            raise RuntimeError(f"flush returned {len(outcomes)} outcomes for {len(items)} items")
        return outcomes

    def _start_next(self) -> None:
        while self._waiting and self._in_flight < self._max_in_flight:
            batch = [
                self._waiting.popleft() for _ in range(min(self._max_batch, len(self._waiting)))
            ]
            self._in_flight += 1
            task = asyncio.get_running_loop().create_task(self._run(batch))
            _RUNNING.add(task)
            task.add_done_callback(_RUNNING.discard)

    async def _run(self, batch: list[tuple[T, asyncio.Future[R]]]) -> None:
        try:
            try:
                outcomes: Sequence[R | BaseException] = await self._guarded(
                    [item for item, _ in batch]
                )
            except Exception as exc:  # the whole flush failed: every item learns why
                outcomes = [exc] * len(batch)
            for (_, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # its caller was cancelled; the write stands
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
        finally:
            for _, future in batch:  # only when the flush task itself was cancelled
                if not future.done():
                    future.set_exception(ConnectionError("the flush was interrupted"))
            self._in_flight -= 1
            self._start_next()


# Flush tasks are kept referenced until they end (the loop holds only weak references).
_RUNNING: set[asyncio.Task[None]] = set()
