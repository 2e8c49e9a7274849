"""MatplotlibChartRenderer: draws charts in a pool of processes behind a bounded queue.

The event loop only submits and awaits; matplotlib runs in `workers` processes started by a
forkserver that has already imported the drawing code (`adapters.rendering.charts`), so a
(re)started worker is cheap.
More than `workers + queue_size` renders in flight -> Overloaded (HTTP 503 + Retry-After).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from adapters.rendering.version import RENDERER_VERSION
from domain.errors import Overloaded, Unprocessable
from domain.media.charts import ChartSpec

QUEUE_PER_WORKER = 8  # waiting renders allowed per worker beyond the ones running
WORKER_MODULE = "adapters.rendering.charts.worker"  # what the forkserver imports up front
MAX_TASKS_PER_CHILD = 500  # recycle workers so a slow leak in a C library cannot grow forever


class MatplotlibChartRenderer:
    def __init__(
        self,
        workers: int,
        queue_size: int | None = None,
        timeout_seconds: float = 120.0,
    ) -> None:
        self._workers = max(1, workers)
        self._capacity = self._workers + (
            QUEUE_PER_WORKER * self._workers if queue_size is None else queue_size
        )
        self._timeout = timeout_seconds
        self._pool: ProcessPoolExecutor | None = None
        self._in_flight = 0
        self._avg_seconds = 0.3  # moving average of one render, for Retry-After
        self._warming: asyncio.Future[None] | None = None

    @property
    def version(self) -> str:
        return RENDERER_VERSION

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def in_flight(self) -> int:
        return self._in_flight

    async def start(self, wait: bool = True) -> None:
        """Start the worker processes and have each draw its warm-up charts.

        wait=False returns at once (the server answers while workers warm up; a render
        that arrives meanwhile simply queues behind the warm-up).
        """
        warming = self._warm_once()
        if wait:
            await warming

    def _warm_once(self) -> asyncio.Future[None]:
        """The pool's start, begun once (by `start` or by the first render): processes
        started and pinged off the event loop."""
        if self._warming is None:
            self._warming = asyncio.ensure_future(self._warm())
            self._warming.add_done_callback(lambda f: f.cancelled() or f.exception())
        return self._warming

    async def _ready_pool(self) -> ProcessPoolExecutor:
        """The pool once started. A render waits for the start instead of submitting meanwhile:
        submitting while the processes start would hold the event loop until they are up."""
        with contextlib.suppress(Exception):  # a worker lost while starting: met below
            await asyncio.shield(self._warm_once())
        if self._pool is None:
            self._pool = self._new_pool()
        return self._pool

    async def _warm(self) -> None:
        if self._pool is None:
            self._pool = self._new_pool()
        pool = self._pool
        # Submitting starts the processes, and the first start waits for the forkserver to
        # import matplotlib (about a second): in a thread, so the event loop is not held.
        pings = await asyncio.to_thread(lambda: [pool.submit(_ping) for _ in range(self._workers)])
        await asyncio.gather(*(asyncio.wrap_future(ping) for ping in pings))

    async def stop(self) -> None:
        if self._warming is not None:
            self._warming.cancel()
            self._warming = None
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)

    async def render(self, spec: ChartSpec) -> bytes:
        if self._in_flight >= self._capacity:
            raise Overloaded(
                f"{self._in_flight} charts are rendering or queued; try again shortly",
                retry_after_seconds=self._retry_after(),
            )
        self._in_flight += 1
        started = time.perf_counter()
        try:
            data = await self._submit(spec)
        finally:
            self._in_flight -= 1
        self._avg_seconds = 0.8 * self._avg_seconds + 0.2 * (time.perf_counter() - started)
        return data

    async def _submit(self, spec: ChartSpec) -> bytes:
        # Imported here: the CLI builds this class too and should not pay for matplotlib.
        from adapters.rendering.charts.worker import draw_in_worker

        loop = asyncio.get_running_loop()
        for attempt in (1, 2):
            pool = await self._ready_pool()
            try:
                future = loop.run_in_executor(pool, draw_in_worker, spec)
                data, reason = await asyncio.wait_for(future, self._timeout)
                if data is None:
                    # Finite but absurd input, e.g. values spanning more than a float can hold.
                    raise Unprocessable(f"cannot draw this chart ({reason})")
                return data
            except BrokenProcessPool:
                # A worker died (OOM kill, crash): replace the pool once, then give up.
                if self._pool is pool:
                    self._pool, self._warming = None, None
                    pool.shutdown(wait=False, cancel_futures=True)
                if attempt == 2:
                    raise Overloaded("the renderer restarted; try again", 1) from None
            except TimeoutError:
                raise Overloaded("the chart took too long to render; try again", 5) from None
        raise AssertionError("unreachable")

    def _retry_after(self) -> int:
        waiting_rounds = self._in_flight / self._workers
        return max(1, min(60, math.ceil(waiting_rounds * self._avg_seconds)))

    def _new_pool(self) -> ProcessPoolExecutor:
        from adapters.rendering.charts.worker import warm_up

        context = multiprocessing.get_context("forkserver")
        # The forkserver imports matplotlib once; every worker forked from it starts warm.
        context.set_forkserver_preload([WORKER_MODULE])
        return ProcessPoolExecutor(
            max_workers=self._workers,
            mp_context=context,
            initializer=warm_up,
            initargs=(os.getpid(),),
            max_tasks_per_child=MAX_TASKS_PER_CHILD,
        )


def _ping() -> bool:
    return True
