"""Property-based fuzzing of every operation in /schema/openapi.json (schemathesis).

A real server (SQLite) is fuzzed over HTTP with a valid bearer token and, for
POST /api/v1/signals and the per-producer path, a session that signs whatever body was
generated (the TradingView hook gets generated tokens: 401s, never a 5xx). Every case of an
operation on `{signal_id}` names one of the fuzzer's real signals, so transitions and trails
are fuzzed past the 404. Every answer must be
non-5xx and conform to the document (status code declared, content type, body schema).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.signalhub import Cli, Server, base_env, launch
from tests.support.signals import XAU, Producer, post

MAX_EXAMPLES = 100
REAL_SIGNALS = 30


class SigningSession(requests.Session):
    """Signs the signed ways in exactly as a producer would: HMAC over the raw body bytes (on the
    per-producer path the path names the producer, so X-Producer-Id is left as generated)."""

    def __init__(self, producer_id: str, secret: str) -> None:
        super().__init__()
        self.producer_id, self.secret = producer_id, secret
        self.sent = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        path = request.path_url or ""
        if request.method == "POST" and path.startswith(("/api/v1/signals", "/api/v1/producers/")):
            body = request.body or b""
            raw = body.encode() if isinstance(body, str) else body
            stamp = str(int(time.time()))
            mac = hmac.new(self.secret.encode(), stamp.encode() + b"." + raw, hashlib.sha256)
            if path.startswith("/api/v1/signals"):
                request.headers["X-Producer-Id"] = self.producer_id
            request.headers["X-Timestamp"] = stamp
            request.headers["X-Signature"] = mac.hexdigest()
        self.sent += 1
        return super().send(request, **kwargs)


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir: Path = tmp_path_factory.mktemp("fuzz")
    cli = Cli(base_env(f"sqlite:///{workdir}/var/db.sqlite3", workdir), workdir)
    user = cli.json("users", "create", "fuzzer")
    producer = cli.json(
        "producers", "create", "fuzz-relay", "--user", user["user_id"], "--tradingview"
    )
    server: Server = launch(cli, env={"RENDER_WORKERS": "2"})
    try:
        # Real signals for the {signal_id} operations to move and read (else all are 404).
        with server.client() as http:
            signal_ids = [
                post(http, Producer(producer["producer_id"], producer["secret"]), doc).json()["id"]
                for doc in ({**XAU, "instrument": f"FUZZ{i}"} for i in range(REAL_SIGNALS))
            ]
        yield {
            "server": server,
            "token": user["token"],
            "producer": producer,
            "signal_ids": signal_ids,
        }
    finally:
        server.stop()


@pytest.fixture(scope="module")
def operations(fuzz_target: dict[str, Any]) -> list[Any]:
    server: Server = fuzz_target["server"]
    api = schemathesis.openapi.from_url(server.url + "/schema/openapi.json")
    return [result.ok() for result in api.get_all_operations()]


# SPEC §10: a 200 is an endless event stream, so it cannot be read to its end and checked
# whole; tests/e2e/test_stream.py reads its messages, the fuzz below its refusals.
STREAM = "GET /api/v1/stream"

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def test_the_document_lists_every_endpoint(operations: list[Any]) -> None:
    labels = {op.label for op in operations}
    assert {
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "POST /api/v1/signals",
        "POST /api/v1/producers/{producer_id}/signals",
        "POST /api/v1/hooks/tradingview/{token}",
        "GET /api/v1/signals",
        "GET /api/v1/signals/{signal_id}",
        "POST /api/v1/signals/{signal_id}/transitions",
        "GET /api/v1/signals/{signal_id}/events",
        "POST /api/v1/charts/candlestick",
        "POST /api/v1/charts/equity",
        "POST /api/v1/charts/histogram",
        "GET /api/v1/media/{key}",
        "GET /api/v1/reports/equity.png",
        "GET /api/v1/reports/returns.png",
        "POST /api/v1/media/{key}/links",
        "GET /m/{file}",
    } <= labels


def test_no_5xx_and_answers_conform(operations: list[Any], fuzz_target: dict[str, Any]) -> None:
    """One Hypothesis run per operation (schemathesis' pytest loader predates pytest 9)."""
    producer = fuzz_target["producer"]
    session = SigningSession(producer["producer_id"], producer["secret"])
    auth = {"Authorization": f"Bearer {fuzz_target['token']}"}
    base_url = fuzz_target["server"].url
    exercised: list[str] = []
    for operation in operations:
        if operation.label == STREAM:
            continue  # an accepted stream never ends; its answers: test_stream_refusals_conform

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case: Any) -> None:
            if "signal_id" in (case.path_parameters or {}) and session.sent % 2 == 0:
                ids = fuzz_target["signal_ids"]
                case.path_parameters["signal_id"] = ids[session.sent // 2 % len(ids)]
            case.call_and_validate(
                base_url=base_url, session=session, headers=auth, checks=CHECKS, timeout=60
            )

        fuzz()
        exercised.append(operation.label)
    assert len(exercised) == len([op for op in operations if op.label != STREAM]) >= 10
    assert session.sent >= len(operations)
    print(f"\nfuzz figures: operations={len(exercised)} requests={session.sent} 5xx=0")


def test_stream_refusals_conform(operations: list[Any], fuzz_target: dict[str, Any]) -> None:
    """GET /api/v1/stream fuzzed without a token: every answer is a documented refusal."""
    (operation,) = [op for op in operations if op.label == STREAM]
    base_url = fuzz_target["server"].url
    session = requests.Session()

    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def fuzz(case: Any) -> None:
        case.headers = {k: v for k, v in (case.headers or {}).items() if k != "Authorization"}
        response = case.call_and_validate(
            base_url=base_url, session=session, checks=CHECKS, timeout=60
        )
        assert response.status_code in (400, 401)

    fuzz()
