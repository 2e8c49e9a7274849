"""Helpers of bench/render.py: chart data, mplfinance, a signalhub server of any git ref, RSS."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WIDTH, HEIGHT, CANDLES = 1200, 700, 500
# Runs the CLI of whatever tree is first on PYTHONPATH (this one, or a baseline's export).
CLI = [sys.executable, "-c", "import sys; from entrypoints.cli.main import main; sys.exit(main())"]


def ohlcv(n: int, seed: int) -> list[dict[str, Any]]:
    import random

    rng = random.Random(seed)
    t0 = datetime(2026, 1, 5, tzinfo=UTC)
    price = 1950.0
    rows = []
    for i in range(n):
        o = price
        c = max(1.0, o + rng.gauss(0, 4))
        h = max(o, c) + abs(rng.gauss(0, 2))
        low = min(o, c) - abs(rng.gauss(0, 2))
        rows.append(
            {
                "t": (t0 + timedelta(hours=i)).isoformat().replace("+00:00", "Z"),
                "o": o,
                "h": h,
                "l": low,
                "c": c,
                "v": float(rng.randint(100, 5000)),
            }
        )
        price = c
    return rows


def quiet_matplotlib() -> None:
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    # mplfinance's styles ask for font weights DejaVu lacks; matplotlib logs each fallback.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)


def mplfinance_png(rows: list[dict[str, Any]]) -> bytes:
    """The same chart drawn by mplfinance, in this process, as PNG bytes."""
    import mplfinance as mpf
    import pandas as pd

    frame = pd.DataFrame(
        {
            "Open": [r["o"] for r in rows],
            "High": [r["h"] for r in rows],
            "Low": [r["l"] for r in rows],
            "Close": [r["c"] for r in rows],
            "Volume": [r["v"] for r in rows],
        },
        index=pd.DatetimeIndex([r["t"] for r in rows]),
    )
    out = io.BytesIO()
    mpf.plot(
        frame,
        type="candle",
        mav=(20, 50, 200),
        volume=True,
        figsize=(WIDTH / 100, HEIGHT / 100),
        savefig={"fname": out, "dpi": 100, "format": "png"},
        closefig=True,
    )
    return out.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    name: str
    url: str
    token: str
    pid: int


@contextmanager
def exported(ref: str) -> Iterator[Path]:
    """The tree of git `ref` in a temporary folder (`git archive`: no worktree, no checkout)."""
    folder = Path(tempfile.mkdtemp(prefix="signalhub-bench-ref-"))
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def server(name: str, tree: Path, render_workers: int) -> Iterator[Running]:
    """`signalhub serve` of the code in `tree` (SQLite, 1 worker, its own media cache)."""
    workdir = Path(tempfile.mkdtemp(prefix="signalhub-bench-render-"))
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MEDIA_", "PROMETHEUS_", "RENDER_", "CHARTS_"))
        },
        "PYTHONPATH": str(tree),
        "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
        "MEDIA_DIR": str(workdir / "media"),
        "RENDER_WORKERS": str(render_workers),
        "LOG_LEVEL": "warning",
    }
    made = subprocess.run(
        [*CLI, "users", "create", "bench", "--json"],
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    token = json.loads(made.stdout)["token"]
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield Running(name, url, token, process.pid)
    finally:
        try:
            os.killpg(process.pid, signal.SIGINT)
            process.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("server did not start")
        time.sleep(0.2)


def percentile(values: list[float], pct: int) -> float:
    """The pct-th percentile in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] * 1000


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def memory(pid: int) -> tuple[int, int]:
    """(server process RSS, server + all its descendants RSS) in MiB."""
    own = rss_kib(pid)
    total = own + sum(rss_kib(p) for p in descendants(pid))
    return own // 1024, total // 1024
