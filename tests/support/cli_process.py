"""The tests' side of the `signalhub` fork server (tests/support/cli_runner.py).

One runner per test process, started on first use and stopped when the process exits.
`run` answers like `subprocess.run(..., capture_output=True, text=True)`: a CompletedProcess
with the child's exit status, stdout and stderr, or TimeoutExpired after killing a child that
ran too long. `start` gives a ForkedProcess, which answers the part of `subprocess.Popen`
the tests use (pid, poll, wait, send_signal, terminate, kill, returncode).
"""

from __future__ import annotations

import atexit
import itertools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALL_TIMEOUT_SECONDS = 120.0


class ForkServer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._answers = -1  # the read end of the runner's answer pipe
        self._pending = b""  # answer bytes read but not yet taken
        self._started: dict[int, int] = {}  # request id -> pid
        self._exits: dict[int, int] = {}  # pid -> exit status
        self._ids = itertools.count(1)
        self._calls = itertools.count(1)  # names the output files of a CLI call
        self._outputs = Path(tempfile.mkdtemp(prefix="signalhub-cli-"))
        atexit.register(self.close)

    def run(
        self, argv: list[str], env: dict[str, str], cwd: Path
    ) -> subprocess.CompletedProcess[str]:
        """A CLI call, to its end (calls from several threads run side by side)."""
        call = next(self._calls)
        stdout, stderr = self._outputs / f"{call}.out", self._outputs / f"{call}.err"
        child = self.start(argv, env, cwd, stdout, stderr, new_session=False)
        try:
            code = child.wait(CALL_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(10)
            raise subprocess.TimeoutExpired(["signalhub", *argv], CALL_TIMEOUT_SECONDS) from None
        try:
            return subprocess.CompletedProcess(
                ["signalhub", *argv],
                code,
                stdout.read_text(errors="replace"),
                stderr.read_text(errors="replace"),
            )
        finally:
            stdout.unlink(missing_ok=True)
            stderr.unlink(missing_ok=True)

    def start(
        self,
        argv: list[str],
        env: dict[str, str],
        cwd: Path,
        stdout: Path,
        stderr: Path,
        *,
        new_session: bool,
    ) -> ForkedProcess:
        """A child running `signalhub *argv`, left running."""
        with self._lock:
            process = self._running()
            request_id = next(self._ids)
            request = {
                "id": request_id,
                "argv": argv,
                "env": env,
                "cwd": str(cwd),
                "stdout": str(stdout),
                "stderr": str(stderr),
                "new_session": new_session,
            }
            assert process.stdin is not None
            process.stdin.write(json.dumps(request).encode() + b"\n")
            process.stdin.flush()
            deadline = time.monotonic() + CALL_TIMEOUT_SECONDS
            while request_id not in self._started:
                if not self._read(deadline):
                    raise RuntimeError("the fork server did not start the child")
            return ForkedProcess(self, self._started.pop(request_id))

    def exit_status(self, pid: int, timeout: float | None) -> int | None:
        """The child's exit status, waiting at most `timeout` seconds (None: until it ends)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            # The lock is taken a slice at a time, so a long wait for one child does not hold
            # up another thread's call (whatever is read meanwhile is booked for its owner).
            with self._lock:
                if pid in self._exits:
                    return self._exits[pid]
                now = time.monotonic()
                if deadline is not None and now >= deadline:
                    return None
                self._read(now + 0.05 if deadline is None else min(deadline, now + 0.05))

    def _read(self, deadline: float | None) -> bool:
        """Take one answer into the books; False if none came before the deadline."""
        while b"\n" not in self._pending:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self._answers], [], [], left)
            if not ready:
                return False
            chunk = os.read(self._answers, 65536)
            if not chunk:
                raise RuntimeError("the fork server exited (its stderr is the test's)")
            self._pending += chunk
        line, self._pending = self._pending.split(b"\n", 1)
        answer = json.loads(line)
        if "exited" in answer:
            self._exits[answer["exited"]] = answer["returncode"]
        else:
            self._started[answer["id"]] = answer["pid"]
        return True

    def _running(self) -> subprocess.Popen[bytes]:
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

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            assert self._process.stdin is not None
            self._process.stdin.close()  # the runner kills what still runs, then exits
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        if self._answers >= 0:
            os.close(self._answers)
            self._answers = -1
        shutil.rmtree(self._outputs, ignore_errors=True)


class ForkedProcess:
    """A child of the fork server, driven like a `subprocess.Popen`."""

    def __init__(self, server: ForkServer, pid: int) -> None:
        self._server = server
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            self.returncode = self._server.exit_status(self.pid, 0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self.returncode = self._server.exit_status(self.pid, timeout)
            if self.returncode is None:
                raise subprocess.TimeoutExpired(f"signalhub (pid {self.pid})", timeout or 0)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


FORK_SERVER = ForkServer()
