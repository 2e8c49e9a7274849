"""A fork server for `signalhub`: a CLI call or a server without paying Python's start-up
and the imports (1-2 s of CPU each on the test machine) every time.

The e2e tests make hundreds of CLI calls and start hundreds of servers, and most of that
time was new interpreters importing the same modules. This process imports the CLI and the
HTTP app once, then forks one child per call: the child takes the call's environment,
working directory and output files and runs the same `main(argv)` the `signalhub` console
script runs. Every call is still a process of its own, with its own exit status and
output, its own event loop, database connections, render pool and signal handlers; nothing
one call does outlives it, and the runner itself never runs a verb, so every child starts
from freshly imported modules. A server child gets a session of its own (its process group
is what the tests SIGKILL), as `start_new_session=True` gives a subprocess.

tests/e2e/test_cli_process.py runs the installed `signalhub` executable itself.

Protocol, one JSON object a line: requests on stdin {"id", "argv", "env", "cwd", "stdout",
"stderr", "new_session"}; answers on the file descriptor named by the first argument: {"id", "pid"}
when a child starts, {"exited": pid, "returncode"} when it ends. When stdin closes (the test
process ended) the children still running are killed with their process groups.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import traceback

import entrypoints.http.app  # noqa: F401  (imported once here, for every server child)
from entrypoints.cli.main import main as cli_main


def _child(request: dict[str, object], answers_fd: int) -> int:
    os.close(answers_fd)
    if request["new_session"]:
        os.setsid()
    env = request["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(str(request["cwd"]))
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    for fd in (1, 2):
        path = str(request["stdout" if fd == 1 else "stderr"])
        if fd == 2 and path == request["stdout"]:
            os.dup2(1, 2)  # one file for both, as stderr=STDOUT
            continue
        output = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(output, fd)
        os.close(output)
    argv = request["argv"]
    assert isinstance(argv, list)
    sys.argv = ["signalhub", *argv]
    try:
        cli_main(argv)
        code = 0
    except SystemExit as exc:  # what the interpreter would make of it
        if exc.code is None:
            code = 0
        elif isinstance(exc.code, int):
            code = exc.code
        else:
            print(exc.code, file=sys.stderr)
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    return code


def serve(answers_fd: int) -> None:
    children: set[int] = set()
    pending = b""
    open_input = True

    def answer(message: dict[str, object]) -> None:
        os.write(answers_fd, json.dumps(message).encode() + b"\n")

    while open_input or children:
        if not open_input:  # the test process is gone: nothing of ours may outlive it
            for pid in children:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
        ready, _, _ = select.select([0] if open_input else [], [], [], 0.02 if children else None)
        if ready:
            chunk = os.read(0, 65536)
            open_input = bool(chunk)
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                sys.stdout.flush()
                sys.stderr.flush()
                pid = os.fork()
                if pid == 0:
                    code = 1
                    try:
                        code = _child(request, answers_fd)
                    finally:
                        os._exit(code)
                children.add(pid)
                answer({"id": request["id"], "pid": pid})
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            children.discard(pid)
            answer({"exited": pid, "returncode": os.waitstatus_to_exitcode(status)})


if __name__ == "__main__":
    serve(int(sys.argv[1]))
