"""A 201 means stored: SIGKILL the server mid-stream, restart, retry, lose nothing, double nothing.

Runs on PostgreSQL with two workers. Producers retry every request that did not get an
answer, with the same external_id, as a real relay would.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable

import httpx
import pytest

from tests.support.signalhub import Cli, Server, signed_headers

TOTAL = 600
CONNECTIONS = 24
KILL_AFTER_ANSWERS = 150


def body_for(n: int) -> bytes:
    document = {
        "instrument": random.choice(["XAUUSD", "EURUSD", "BTC/USD"]),
        "side": random.choice(["buy", "sell"]),
        "price": round(random.uniform(1, 3000), 2),
        "external_id": f"crash-{n:05d}",
        "payload": {"n": n},
    }
    return json.dumps(document).encode()


async def send_all(
    url: str, producer: dict[str, str], bodies: dict[int, bytes], on_answer: Callable[[], None]
) -> tuple[dict[int, httpx.Response], set[int]]:
    """POST every body over CONNECTIONS connections; return answers and the unanswered."""
    answers: dict[int, httpx.Response] = {}
    unanswered: set[int] = set()
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in bodies:
        queue.put_nowait(n)
    limits = httpx.Limits(max_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:

        async def worker() -> None:
            while not queue.empty():
                n = queue.get_nowait()
                headers = signed_headers(producer["producer_id"], producer["secret"], bodies[n])
                try:
                    answers[n] = await http.post(
                        "/api/v1/signals", content=bodies[n], headers=headers
                    )
                    on_answer()
                except httpx.HTTPError:
                    unanswered.add(n)

        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
    return answers, unanswered


@pytest.mark.slow
def test_sigkill_mid_stream_loses_no_acknowledged_signal(
    pg_cli: Cli, start_server: Callable[..., Server]
) -> None:
    random.seed(7)
    user = pg_cli.json("users", "create", "crash-owner")
    producer = pg_cli.json(
        "producers", "create", "crash-relay", "--user", user["user_id"], "--dedup-window", "0"
    )
    bodies = {n: body_for(n) for n in range(TOTAL)}
    server = start_server(pg_cli, workers=2)
    answered = 0

    def count_and_maybe_kill() -> None:
        nonlocal answered
        answered += 1
        if answered == KILL_AFTER_ANSWERS:
            server.kill()  # SIGKILL to the whole process group, mid-stream

    first, unanswered = asyncio.run(send_all(server.url, producer, bodies, count_and_maybe_kill))
    assert server.process.poll() is not None, "the server was supposed to be killed"
    assert unanswered, "the kill should have cut some requests off"
    assert all(r.status_code == 201 for r in first.values()), {
        r.status_code for r in first.values()
    }
    acknowledged = {n: r.json()["id"] for n, r in first.items()}

    restarted = start_server(pg_cli, workers=2)
    retry_bodies = {n: bodies[n] for n in unanswered}
    second, still_unanswered = asyncio.run(
        send_all(restarted.url, producer, retry_bodies, lambda: None)
    )
    assert not still_unanswered
    for n, response in second.items():
        # Stored before the kill but the answer was lost -> 409 naming the stored signal.
        assert response.status_code in (201, 409), response.text
        acknowledged[n] = (
            response.json()["id"]
            if response.status_code == 201
            else (response.json()["existing_id"])
        )

    auth = {"Authorization": f"Bearer {user['token']}"}
    with restarted.client(headers=auth) as http:
        stored: dict[str, str] = {}
        page = 1
        while True:
            listing = http.get("/api/v1/signals", params={"page": page, "page_size": 200}).json()
            stored.update({item["external_id"]: item["id"] for item in listing["items"]})
            if page * 200 >= listing["total"]:
                break
            page += 1
        assert listing["total"] == TOTAL, "each signal stored exactly once"
        for n, signal_id in acknowledged.items():
            assert stored[f"crash-{n:05d}"] == signal_id
        sample = random.sample(sorted(acknowledged), 20)
        for n in sample:
            assert http.get(f"/api/v1/signals/{acknowledged[n]}").status_code == 200

    recovered_409 = sum(1 for r in second.values() if r.status_code == 409)
    print(
        f"\ncrash figures: sent={TOTAL + len(unanswered)} acknowledged_before_kill={len(first)}"
        f" cut_off={len(unanswered)} stored_but_unanswered={recovered_409}"
        f" faults=1xSIGKILL lost=0 doubled=0"
    )
