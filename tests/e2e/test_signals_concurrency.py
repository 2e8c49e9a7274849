"""SPEC §3: dedup holds under concurrency, with two server processes."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.signalhub import Cli, Server
from tests.support.signals import SIGNALS, XAU, account, producer, sign

N = 20


def fire_at_once(
    server: Server, requests: list[tuple[bytes, dict[str, str]]]
) -> list[httpx.Response]:
    """One warmed connection per request, released together by a barrier."""
    clients = [server.client() for _ in requests]
    for client in clients:
        assert client.get("/healthz").status_code == 200  # open the connection now
    barrier = threading.Barrier(len(requests))

    def send(i: int) -> httpx.Response:
        body, headers = requests[i]
        barrier.wait()
        return clients[i].post(SIGNALS, content=body, headers=headers)

    try:
        with ThreadPoolExecutor(len(requests)) as pool:
            return list(pool.map(send, range(len(requests))))
    finally:
        for client in clients:
            client.close()


def assert_one_created(answers: list[httpx.Response]) -> None:
    created = [a for a in answers if a.status_code == 201]
    refused = [a for a in answers if a.status_code == 409]
    assert len(created) == 1 and len(refused) == N - 1, [(a.status_code, a.text) for a in answers]
    stored_id = created[0].json()["id"]
    assert {a.json()["existing_id"] for a in refused} == {stored_id}


@pytest.mark.slow
def test_identical_requests_at_once_create_exactly_one(
    cli: Cli, start_server: Callable[..., Server]
) -> None:
    alice = account(cli, "alice")
    relay = producer(cli, alice, "relay-a")
    relay_b = producer(cli, alice, "relay-b")  # a redundant relay of the same owner
    server = start_server(cli, workers=2)

    body = json.dumps({**XAU, "external_id": "storm-1"}).encode()
    headers = sign(relay, body)
    assert_one_created(fire_at_once(server, [(body, headers)] * N))

    # the time-window rule: same key, different external_ids, from two relays
    requests = []
    for i in range(N):
        doc = {
            **XAU,
            "instrument": "BTCUSD",
            "external_id": f"w-{i}",
            "time": f"2026-11-28T01:00:{i:02d}Z",
        }
        raw = json.dumps(doc).encode()
        requests.append((raw, sign(relay if i % 2 else relay_b, raw)))
    assert_one_created(fire_at_once(server, requests))

    with server.client() as http:
        listing = http.get(SIGNALS, headers={"Authorization": f"Bearer {alice.token}"}).json()
        assert listing["total"] == 2
        metrics = http.get("/metrics").text
    assert f'signals_rejected_total{{reason="duplicate"}} {float(2 * (N - 1))}' in metrics
