"""The signed ways in over HTTP, with fakes behind them: the handlers read their credential
headers from the scope themselves and answer with a pre-encoded body (entrypoints/http/ingest.py,
entrypoints/http/encoded.py), so what Litestar used to do for them is checked here: the header
names and values that reach IngestSignal, the 201 bytes, and what the OpenAPI document says."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import msgspec
import pytest
from litestar import Litestar, Request
from litestar.di import Provide
from litestar.testing import TestClient

from application.signals import IngestPolicy, IngestSignal
from domain.accounts.model import Producer
from domain.signals import UNAUTHENTICATED_DETAIL, signature_for
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.ingest import SIGNED_HEADERS, IngestController, SignedHeaders
from entrypoints.http.signals import SignalsController
from entrypoints.http.wire.signals import SignalOut
from tests.fakes.clock import FakeClock
from tests.fakes.signals import FakeProducerDirectory, FakeSignalMetrics, FakeSignalRepository

SECRET = "s3cret"
BODY = b'{"instrument":"xauusd","side":"buy","price":1950.25,"external_id":"e-1"}'


READ_DEPENDENCIES = ("caller", "get_signal", "list_signals")


def _not_used(name: str) -> Callable[[], object]:
    def provide() -> object:
        raise AssertionError(f"{name}: these tests call only the ways in")

    return provide


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        producer = Producer("relay-1", uuid4(), True, 300, SECRET, None, None, self.clock.now())
        self.signals = FakeSignalRepository()
        ingest = IngestSignal(
            producers=FakeProducerDirectory(producer),
            signals=self.signals,
            metrics=FakeSignalMetrics(),
            clock=self.clock,
            decode_json=json.loads,
            policy=IngestPolicy(max_payload_bytes=1024),
        )
        # SignalsController's read routes are not exercised here; their dependencies are
        # declared so that Litestar does not take them for query parameters.
        unused = {
            name: Provide(_not_used(name), sync_to_thread=False) for name in READ_DEPENDENCIES
        }
        self.app = Litestar(
            [SignalsController, IngestController],
            dependencies={"ingest_signal": Provide(lambda: ingest, sync_to_thread=False), **unused},
            exception_handlers=EXCEPTION_HANDLERS,
        )

    def stamp(self) -> str:
        return str(int(self.clock.now().timestamp()))


@pytest.fixture
def world() -> World:
    return World()


def test_a_signed_post_is_stored_and_answered_with_the_signal_s_bytes(world: World) -> None:
    stamp = world.stamp()
    headers = {
        "X-Producer-Id": "relay-1",
        "X-Timestamp": stamp,
        "X-Signature": signature_for(SECRET, stamp, BODY),
        "Content-Type": "application/json",
    }
    with TestClient(world.app) as http:
        answer = http.post("/api/v1/signals", content=BODY, headers=headers)
    assert answer.status_code == 201, answer.text
    (stored,) = world.signals.signals.values()
    assert (stored.producer_id, stored.instrument, stored.external_id) == (
        "relay-1",
        "XAUUSD",
        "e-1",
    )
    # The bytes Litestar sent for the struct before: msgspec's encoding of SignalOut.
    assert answer.content == msgspec.json.encode(SignalOut.of(stored))
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["content-length"] == str(len(answer.content))


def test_the_headers_are_read_whatever_their_case_and_the_first_of_a_repeat_counts() -> None:
    raw = [
        (b"X-Producer-ID", b"relay-1"),
        (b"x-timestamp", b"1700000000"),
        (b"x-signature", b"first"),
        (b"x-signature", b"second"),
        (b"webhook-id", b"msg-\xe9"),  # not ASCII: Latin-1, as Litestar decoded it
        (b"content-type", b"application/json"),
    ]
    headers = SignedHeaders.of(Request(scope={"type": "http", "headers": raw}))  # type: ignore[arg-type]
    assert headers == SignedHeaders("relay-1", "1700000000", "first", "msg-\xe9", None, None)


def test_a_missing_header_is_the_uniform_401_not_a_400(world: World) -> None:
    with TestClient(world.app) as http:
        unsigned = http.post("/api/v1/signals", content=b"{", headers={"X-Producer-Id": "relay-1"})
    assert unsigned.status_code == 401
    assert unsigned.json()["detail"] == UNAUTHENTICATED_DETAIL
    assert world.signals.signals == {}


def test_the_path_names_the_producer_and_the_answer_is_the_same(world: World) -> None:
    stamp = world.stamp()
    signed = {"X-Timestamp": stamp, "X-Signature": signature_for(SECRET, stamp, BODY)}
    with TestClient(world.app) as http:
        answer = http.post("/api/v1/producers/relay-1/signals", content=BODY, headers=signed)
        again = http.post("/api/v1/producers/relay-1/signals", content=BODY, headers=signed)
    assert answer.status_code == 201
    assert json.loads(answer.content)["producer_id"] == "relay-1"
    assert again.status_code == 409  # the error path is Litestar's, as before
    assert again.json()["existing_id"] == json.loads(answer.content)["id"]


@pytest.mark.parametrize(
    ("content_length", "status"), [("2048", 413), ("12x", 400)], ids=["over-the-cap", "nonsense"]
)
def test_the_announced_length_is_checked_before_the_body_is_read(
    world: World, content_length: str, status: int
) -> None:
    def app_answer() -> Any:
        with TestClient(world.app) as http:
            return http.post(
                "/api/v1/signals",
                content=BODY,
                headers={"X-Producer-Id": "relay-1", "Content-Length": content_length},
            )

    assert app_answer().status_code == status
    assert world.signals.signals == {}


@pytest.mark.parametrize("path", ["/api/v1/signals", "/api/v1/producers/{producer_id}/signals"])
def test_the_openapi_document_names_the_headers_and_the_created_signal(
    world: World, path: str
) -> None:
    operation = world.app.openapi_schema.to_schema()["paths"][path]["post"]
    headers = [p for p in operation["parameters"] if p["in"] == "header"]
    assert [(p["name"], p["description"]) for p in headers] == list(SIGNED_HEADERS)
    assert all(p["required"] is False for p in headers)
    assert all({"type": "string"} in p["schema"]["oneOf"] for p in headers)
    created = operation["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"$ref": "#/components/schemas/SignalOut"}
    assert "SignalOut" in world.app.openapi_schema.to_schema()["components"]["schemas"]
