"""A fork server for the admin CLI: `signalhub <verb>` without paying Python's start-up and
the CLI's imports (about a second on the test machine) on every call.

The tests make hundreds of CLI calls (every user, producer and token of the e2e tests comes
from one), and most of their time was the new interpreter importing the CLI. This process
imports `entrypoints.cli.main` once, then forks one child per call: the child takes the
call's environment, working directory and output files and runs the same `main(argv)` the
`signalhub` console script runs, so every call is still a process of its own with its own
exit status, stdout and stderr, its own event loop and database connections, and nothing a
call does (settings, engines, logging) outlives it. The runner itself never runs a verb, so
each child starts from freshly imported modules.

`signalhub serve` never goes through here (tests start servers with `launch`), and
tests/e2e/test_cli_process.py runs the installed `signalhub` executable itself.

Protocol, one JSON object a line: the runner reads {"argv", "env", "cwd", "stdout",
"stderr"} on stdin and answers {"pid"} when the child starts and {"returncode"} when it
ends, on the file descriptor named by its first argument.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

from entrypoints.cli.main import main as cli_main


def _child(request: dict[str, object]) -> int:
    env = request["env"]
    assert isinstance(env, dict)
    os.environ.clear()
    os.environ.update(env)
    os.chdir(str(request["cwd"]))
    for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
        target = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
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
    with os.fdopen(answers_fd, "w", buffering=1) as answers:
        for line in sys.stdin:
            request = json.loads(line)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    code = _child(request)
                finally:
                    os._exit(code)
            answers.write(json.dumps({"pid": pid}) + "\n")
            _, status = os.waitpid(pid, 0)
            answers.write(json.dumps({"returncode": os.waitstatus_to_exitcode(status)}) + "\n")


if __name__ == "__main__":
    serve(int(sys.argv[1]))
