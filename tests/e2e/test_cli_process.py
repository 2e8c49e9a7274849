"""The installed `signalhub` executable itself, for the admin verbs and `serve`.

Every other test runs the CLI and one-worker servers through the fork server
(tests/support/cli_runner.py: the same `main(argv)` in a forked process, without Python's
start-up); these run the console script as an operator does, so the entry point, its
imports, its exit status and its shutdown are covered.
"""

from __future__ import annotations

import json
import signal
import subprocess

from tests.support.signalhub import Cli, launch, signed_headers


def _real(cli: Cli, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return cli.run(*args, env=env, executable=True)


def test_the_executable_runs_admin_verbs_as_the_runner_does(cli: Cli) -> None:
    migrated = _real(cli, "migrate", "--json")
    assert migrated.returncode == 0, migrated.stderr
    assert "0001_initial" in json.loads(migrated.stdout)["applied"]

    made = _real(cli, "users", "create", "alice", "--json")
    assert made.returncode == 0, made.stderr
    user = json.loads(made.stdout)
    assert user["token"].startswith("sh_")

    # What the executable wrote, the runner reads back: same database, same verbs.
    producer = cli.json("producers", "create", "relay-1", "--user", user["user_id"])
    listed = _real(cli, "producers", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert producer["producer_id"] in listed.stdout


def test_the_executable_fails_with_one_line_and_the_runner_says_the_same(cli: Cli) -> None:
    real = _real(cli, "users", "create", "x", "--json", PORT="abc")
    forked = cli.run("users", "create", "x", "--json", env={"PORT": "abc"})
    assert real.returncode == forked.returncode == 2
    assert real.stdout == forked.stdout == ""
    assert real.stderr == forked.stderr
    assert len(real.stderr.strip().splitlines()) == 1 and "PORT" in real.stderr


def test_the_executable_serves_and_stops_on_sigint(cli: Cli) -> None:
    user = cli.json("users", "create", "alice")
    producer = cli.json("producers", "create", "relay-1", "--user", user["user_id"])
    server = launch(cli, executable=True)
    try:
        assert isinstance(server.process, subprocess.Popen)
        body = json.dumps(
            {"instrument": "XAUUSD", "side": "buy", "price": 2400.5, "time": "2026-01-01T00:00:00Z"}
        ).encode()
        with server.client() as http:
            made = http.post(
                "/api/v1/signals",
                content=body,
                headers=signed_headers("relay-1", producer["secret"], body),
            )
            assert made.status_code == 201, made.text
            mine = http.get("/api/v1/signals", headers={"Authorization": f"Bearer {user['token']}"})
            assert [s["id"] for s in mine.json()["items"]] == [made.json()["id"]]
    finally:
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(timeout=20) == 0, server.logs()[-2000:]
