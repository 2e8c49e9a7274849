"""What the render processes run: the warm-up when one starts, then one chart per call.

`draw_in_worker(spec)` is a plain module-level function so the process pool can name it.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
import warnings
from datetime import UTC, datetime

import numpy as np

from adapters.rendering.charts.draw import draw_png
from domain.media.charts import (
    Candle,
    CandlestickSpec,
    ChartSpec,
    EquityPoint,
    EquitySpec,
    HistogramSpec,
)


def draw_in_worker(spec: ChartSpec) -> tuple[bytes | None, str | None]:
    """(png, None), or (None, why) if it cannot be drawn.

    A reason string crosses the process boundary safely where arbitrary exceptions may not.
    """
    try:
        with np.errstate(all="ignore"):
            return draw_png(spec), None
    except (ValueError, OverflowError, FloatingPointError, TypeError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:300]


def warm_up(server_pid: int | None = None) -> None:
    """Pool initializer: loads fonts and caches before the first request."""
    if server_pid is not None:
        exit_when_gone(server_pid)

    # Tick locators warn about odd ranges (e.g. two points a second apart); not a client error.
    warnings.filterwarnings("ignore", message="AutoDateLocator was unable", category=UserWarning)
    # Ctrl-C reaches the whole process group; the parent decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    candles = [Candle(t0.replace(hour=i), 1.0, 2.0, 0.5, 1.5, 10.0) for i in range(3)]
    draw_png(CandlestickSpec.create(candles, title="warm", width=320, height=240))
    points = [EquityPoint(t0.replace(hour=i), float(i % 2)) for i in range(3)]
    draw_png(EquitySpec.create(points, title="warm", width=320, height=240))
    draw_png(HistogramSpec.create([1.0, 2.0, 2.5], title="warm", width=320, height=240))


def exit_when_gone(pid: int) -> None:
    """Exit this worker when the server process that owns the pool dies, even by SIGKILL.

    Workers are children of the forkserver, not of the server, and block reading a queue whose
    write end they hold themselves: without this they would outlive a killed server forever.
    """

    def watch() -> None:
        try:
            fd = os.pidfd_open(pid)  # Linux >= 5.3: readable once the process has exited
        except ProcessLookupError:
            os._exit(0)
        except (OSError, AttributeError):
            while True:  # no pidfd: poll (a reused pid could keep us alive; rare, harmless)
                time.sleep(2.0)
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    os._exit(0)
                except PermissionError:
                    pass
        select.select([fd], [], [])
        os._exit(0)

    threading.Thread(target=watch, name="server-watch", daemon=True).start()
