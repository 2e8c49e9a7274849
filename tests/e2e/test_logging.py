"""Logs: one structured line per request with its id; no token, secret or signature, ever."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.support.signalhub import Cli, Server, signed_headers


def test_no_secret_token_or_signature_reaches_the_logs(
    sqlite_cli: Cli, start_server: Callable[..., Server]
) -> None:
    user = sqlite_cli.json("users", "create", "logged")
    producer = sqlite_cli.json("producers", "create", "log-relay", "--user", user["user_id"])
    server = start_server(sqlite_cli, env={"LOG_LEVEL": "debug"})
    body = b'{"instrument":"XAUUSD","side":"buy","price":1950.5,"external_id":"log-1"}'
    headers = signed_headers(producer["producer_id"], producer["secret"], body)
    bad = {**headers, "X-Signature": "0" * 64}
    with server.client() as http:
        assert http.post("/api/v1/signals", content=body, headers=headers).status_code == 201
        assert http.post("/api/v1/signals", content=body, headers=bad).status_code == 401
        auth = {"Authorization": f"Bearer {user['token']}", "X-Request-ID": "find-me"}
        assert http.get("/api/v1/signals", headers=auth).status_code == 200
        wrong = {"Authorization": "Bearer sh_not-a-real-token-but-secret-looking"}
        assert http.get("/api/v1/signals", headers=wrong).status_code == 401
    server.stop()
    logs = server.logs()
    for secret in (
        producer["secret"],
        user["token"],
        headers["X-Signature"],
        "sh_not-a-real-token-but-secret-looking",
    ):
        assert secret not in logs
    events = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    requests = [e for e in events if e.get("event") == "request"]
    assert len(requests) >= 4
    assert all(e["request_id"] for e in requests)
    assert [e["status"] for e in requests if e["request_id"] == "find-me"] == [200]
    # Ours is the only access line: uvicorn's own (its logger is silenced, not propagated).
    assert not [e for e in events if e.get("logger") == "uvicorn.access"]


def test_console_format_for_humans(sqlite_cli: Cli, start_server: Callable[..., Server]) -> None:
    server = start_server(sqlite_cli, env={"LOG_FORMAT": "console"})
    with server.client() as http:
        assert http.get("/healthz", headers={"X-Request-ID": "human-1"}).status_code == 200
    server.stop()
    lines = [line for line in server.logs().splitlines() if "human-1" in line]
    assert len(lines) == 1
    assert not lines[0].startswith("{") and "request" in lines[0] and "/healthz" in lines[0]
