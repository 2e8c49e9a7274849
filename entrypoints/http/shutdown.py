"""Tell the streams that the server stops, before uvicorn waits for open responses to end.

uvicorn runs the app's shutdown hooks only after every response has finished (or after
`timeout_graceful_shutdown`), and an SSE response never finishes by itself. So at start-up
the worker chains its own handler in front of uvicorn's for SIGINT and SIGTERM: on the
signal it lets uvicorn begin its shutdown as before and ends every stream. uvicorn puts its
original handlers back when it exits, so nothing of ours outlives the server.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import Any

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def on_shutdown_signal(stop: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Call from the event loop's thread (the app's startup hook)."""
    if threading.current_thread() is not threading.main_thread():
        return  # signals reach the main thread only (an app run by a test client)
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()

    def begin() -> None:
        if not tasks:
            tasks.add(loop.create_task(stop()))

    for sig in _SIGNALS:
        previous = signal.getsignal(sig)
        if not callable(previous):
            continue  # not under a server that handles it (tests calling the app directly)

        def handler(
            signum: int,
            frame: FrameType | None,
            previous: Callable[[int, FrameType | None], Any] = previous,
        ) -> None:
            loop.call_soon_threadsafe(begin)
            previous(signum, frame)

        signal.signal(sig, handler)
