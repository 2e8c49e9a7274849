"""Driving a real signalhub from tests: CLI runs, server processes on free ports, signed requests."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.cli_process import FORK_SERVER, ForkedProcess

SIGNALHUB = shutil.which("signalhub", path=str(Path(sys.executable).parent)) or "signalhub"
STARTUP_TIMEOUT_SECONDS = 30.0


def signed_headers(
    producer_id: str, secret: str, body: bytes, *, timestamp: int | None = None
) -> dict[str, str]:
    """The headers of SPEC §3: HMAC-SHA256(secret, "{X-Timestamp}." + body) in lowercase hex."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    return {
        "X-Producer-Id": producer_id,
        "X-Timestamp": stamp,
        "X-Signature": mac.hexdigest(),
        "Content-Type": "application/json",
    }


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def base_env(database_url: str, workdir: Path, **overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SIGNALS_", "MEDIA_", "CHARTS_", "RENDER_", "PROMETHEUS_", "AWS_"))
        and k not in ("DATABASE_URL", "HOST", "PORT", "LOG_LEVEL", "LOG_FORMAT", "TRUSTED_PROXIES")
    }
    env.update(
        DATABASE_URL=database_url,
        MEDIA_DIR=str(workdir / "media"),
        LOG_FORMAT="json",
        RENDER_WORKERS="1",
        # Render processes start on the first chart: most tests draw none, and starting them
        # costs every server start seconds of CPU (tests/e2e/test_charts.py keeps the default).
        RENDER_WARM_UP="false",
    )
    env.update(overrides)
    return env


@dataclass
class Cli:
    env: dict[str, str]
    cwd: Path

    def run(
        self, *args: str, env: dict[str, str] | None = None, executable: bool = False
    ) -> subprocess.CompletedProcess[str]:
        """`signalhub *args` as a process of its own: forked from the fork server
        (tests/support/cli_runner.py: the same `main(argv)`, without the start-up), except
        `serve` to its end and `executable=True`, which run the installed script."""
        merged = {**self.env, **(env or {})}
        if not executable and args[:1] != ("serve",):
            return FORK_SERVER.run(list(args), merged, self.cwd)
        return subprocess.run(
            [SIGNALHUB, *args],
            env=merged,
            cwd=self.cwd,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def json(self, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
        done = self.run(*args, "--json", env=env)
        assert done.returncode == 0, f"signalhub {' '.join(args)} failed: {done.stderr}"
        parsed: dict[str, Any] = json.loads(done.stdout)
        return parsed


@dataclass
class Server:
    process: subprocess.Popen[bytes] | ForkedProcess
    port: int
    log_path: Path
    host: str = "127.0.0.1"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, **kwargs)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL the server and every worker it started (they share its process group)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def launch(
    cli: Cli, *, workers: int = 1, env: dict[str, str] | None = None, executable: bool = False
) -> Server:
    """`signalhub serve` on a free port, in a session of its own, answering /healthz.

    One worker is forked from the fork server (tests/support/cli_runner.py) unless
    `executable` asks for the installed script; several workers, or a
    PROMETHEUS_MULTIPROC_DIR (read when prometheus_client is imported), always use it.
    """
    port = free_port()
    log_path = cli.cwd / f"server-{port}.log"
    argv = ["serve", "--port", str(port), "--workers", str(workers)]
    merged = {**cli.env, **(env or {})}
    process: subprocess.Popen[bytes] | ForkedProcess
    if executable or workers > 1 or "PROMETHEUS_MULTIPROC_DIR" in merged:
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [SIGNALHUB, *argv],
                env=merged,
                cwd=cli.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    else:
        process = FORK_SERVER.start(argv, merged, cli.cwd, log_path, log_path, new_session=True)
    server = Server(process, port, log_path)
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{server.logs()}")
        try:
            if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.kill()
    raise AssertionError(
        f"server did not answer within {STARTUP_TIMEOUT_SECONDS}s:\n{server.logs()}"
    )


def media_counters(http: httpx.Client) -> dict[str, float]:
    text = http.get("/metrics").text
    found: dict[str, float] = {}
    for name in ("media_render_total", "media_cache_hits_total"):
        found[name] = sum(
            float(m.group(1)) for m in re.finditer(rf'^{name}{{type="\w+"}} (\S+)$', text, re.M)
        )
    return found
