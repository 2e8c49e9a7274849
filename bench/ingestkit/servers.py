"""The contenders' processes: `signalhub serve`, the bare endpoint, the CLI, their CPU."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SIGNALHUB = shutil.which("signalhub", path=str(BIN)) or "signalhub"
BARE_SECRET = "bench-bare-secret"


# --- the bare endpoint: HMAC + msgspec decode, no database --------------------------------


def bare_app() -> Any:
    import msgspec
    from litestar import Litestar, Request, post

    decode = msgspec.json.Decoder().decode
    key = BARE_SECRET.encode()

    @post("/api/v1/signals", status_code=201)
    async def ingest(request: Request[Any, Any, Any]) -> dict[str, Any]:
        body = await request.body()
        stamp = request.headers.get("x-timestamp", "")
        given = request.headers.get("x-signature", "").encode()
        expected = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), given):
            return {"detail": "bad signature"}  # counted as a failure by the client
        document = decode(body)
        return {"id": str(uuid.uuid4()), "instrument": document["instrument"]}

    return Litestar([ingest], logging_config=None, debug=False)


def serve_bare(port: int, coalesced: bool = False) -> None:
    """uvicorn as it comes ("auto": httptools here), or with `coalesced` on signalhub's
    protocol (entrypoints/cli/http_transport.py: a response's writes sent together)."""
    import uvicorn

    http: Any = "auto"
    if coalesced:
        from entrypoints.cli.http_transport import CoalescingHttpToolsProtocol

        http = CoalescingHttpToolsProtocol
    uvicorn.run(
        "ingestkit.servers:bare_app",
        factory=True,
        app_dir=str(BENCH),
        host="127.0.0.1",
        port=port,
        workers=1,
        log_config=None,
        access_log=False,
        lifespan="on",
        http=http,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(port: int, process: subprocess.Popen[bytes], path: str) -> None:
    deadline = time.monotonic() + 120  # a loaded machine starts several servers slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
                if s.recv(64).startswith(b"HTTP/1.1"):
                    return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def cli(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [SIGNALHUB, *args, "--json"], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"signalhub {' '.join(args)} failed: {done.stderr}")
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


def process_tree_cpu(root: int) -> float:
    """User + system CPU seconds of `root` and its descendants (Linux /proc): a figure of
    work per request that the machine's background load hardly moves."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    cpu: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry)
        children.setdefault(int(fields[1]), []).append(pid)
        cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += cpu.get(pid, 0.0)
        todo += children.get(pid, [])
    return total


def postgres_cpu(database: str) -> dict[int, float]:
    """User + system CPU seconds of each PostgreSQL process working for `database`: its
    backends and autovacuum workers (their titles name it). The shared processes (walwriter,
    checkpointer, ...) are left out: other databases' work moves them too; a backend writes and
    flushes its own WAL at commit, so the bulk is in the backends. Pass two of these to
    `cpu_delta`."""
    ticks = os.sysconf("SC_CLK_TCK")
    found: dict[int, float] = {}
    if not database:  # the bare endpoint has none
        return found
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                title = " ".join(f.read().decode(errors="replace").split()) + " "
        except OSError:
            continue
        if stat.split(" ", 2)[1] != "(postgres)" or f" {database} " not in title:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        found[int(entry)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two `postgres_cpu` readings by the processes alive at the
    second (one that ended in between is lost, never counted negative)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def own_cpu() -> float:
    """User + system CPU seconds of this process (the load generator) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def start_signalhub(env: dict[str, str], workdir: Path, port: int, workers: int, tag: str) -> Any:
    with open(workdir / f"server-{tag}.log", "wb") as log:
        return subprocess.Popen(
            [SIGNALHUB, "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
