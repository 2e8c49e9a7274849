"""The tests' side of the CLI fork server (tests/support/cli_runner.py).

One runner per test process, started on the first CLI call and stopped when the process
exits; calls are serialised (the runner runs one child at a time). A call answers like
`subprocess.run(..., capture_output=True, text=True)`: a CompletedProcess with the child's
exit status, stdout and stderr, or TimeoutExpired after killing a child that ran too long.
"""

from __future__ import annotations

import atexit
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALL_TIMEOUT_SECONDS = 120.0


class ForkedCli:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._answers = -1  # the read end of the runner's answer pipe
        self._pending = b""  # answer bytes read but not yet taken
        self._outputs = Path(tempfile.mkdtemp(prefix="signalhub-cli-"))
        atexit.register(self.close)

    def run(
        self, argv: list[str], env: dict[str, str], cwd: Path
    ) -> subprocess.CompletedProcess[str]:
        with self._lock:
            process = self._started()
            stdout, stderr = self._outputs / "stdout", self._outputs / "stderr"
            request = {
                "argv": argv,
                "env": env,
                "cwd": str(cwd),
                "stdout": str(stdout),
                "stderr": str(stderr),
            }
            assert process.stdin is not None
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
            deadline = time.monotonic() + CALL_TIMEOUT_SECONDS
            pid = self._answer(deadline)["pid"]
            try:
                code = self._answer(deadline)["returncode"]
            except subprocess.TimeoutExpired:
                os.kill(pid, signal.SIGKILL)
                self._answer(time.monotonic() + 10)
                raise subprocess.TimeoutExpired(
                    ["signalhub", *argv], CALL_TIMEOUT_SECONDS
                ) from None
            return subprocess.CompletedProcess(
                ["signalhub", *argv],
                code,
                stdout.read_text(errors="replace"),
                stderr.read_text(errors="replace"),
            )

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        read_fd, write_fd = os.pipe()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.cli_runner", str(write_fd)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            pass_fds=(write_fd,),
            cwd=ROOT,
        )
        os.close(write_fd)
        if self._answers >= 0:
            os.close(self._answers)
        self._answers, self._pending = read_fd, b""
        return self._process

    def _answer(self, deadline: float) -> dict[str, int]:
        while b"\n" not in self._pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise subprocess.TimeoutExpired("signalhub", CALL_TIMEOUT_SECONDS)
            ready, _, _ = select.select([self._answers], [], [], left)
            if ready:
                chunk = os.read(self._answers, 4096)
                if not chunk:
                    raise RuntimeError("the CLI runner exited (its stderr is the test's)")
                self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        answer: dict[str, int] = json.loads(line)
        return answer

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        if self._answers >= 0:
            os.close(self._answers)
            self._answers = -1


CLI_RUNNER = ForkedCli()
