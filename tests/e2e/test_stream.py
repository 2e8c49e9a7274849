"""SPEC §10 black-box: `GET /api/v1/stream` over real servers, read with httpx-sse.

PostgreSQL: two `signalhub serve` processes on one database (a stream on one sees what is
written through the other, deterministically) and `--workers 2`; SQLite: the basics.
Transitions are committed by this test process straight through the lifecycle's database
function (a third writer), until the transitions route is wired on this branch.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.signalhub import Cli, Server
from tests.support.signals import Account, Producer, account, post, producer
from tests.support.stream import DeafClient, Listener, ids_in, wait_until


def ingest(
    http: httpx.Client, relay: Producer, n: int, instrument: str = "XAUUSD", pad: int = 0
) -> list[str]:
    """n signals; `pad` characters of payload make each message that much larger."""
    ids = []
    for _ in range(n):
        version = uuid.uuid4().hex[:16]  # outside every dedup rule
        doc = {"instrument": instrument, "side": "buy", "price": 1.5, "version": version}
        if pad:
            doc["payload"] = {"pad": "x" * pad}
        answer = post(http, relay, doc)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    return ids


def approve(dsn: str, signal_id: str) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            got = await conn.fetchval(
                "SELECT signal_transition($1, 'new', 1, 'approved', 2, NULL, NULL, NULL, NULL,"
                " NULL, NULL, now(), 'user:test', 'ok')",
                uuid.UUID(signal_id),
            )
            assert got is not None
        finally:
            await conn.close()

    asyncio.run(run())


def metric(server: Server, name: str) -> float:
    text = httpx.get(server.url + "/metrics", timeout=10).text
    found = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
def pg_pair(pg_cli: Cli, start_server: Callable[..., Server]) -> dict[str, Any]:
    alice = account(pg_cli, "alice")
    relay = producer(pg_cli, alice, "relay-1")
    a = start_server(pg_cli)
    b = start_server(pg_cli)
    return {"cli": pg_cli, "a": a, "b": b, "alice": alice, "relay": relay}


def test_a_stream_on_one_server_sees_what_another_commits_in_order(pg_pair: dict[str, Any]) -> None:
    a, b, alice, relay = pg_pair["a"], pg_pair["b"], pg_pair["alice"], pg_pair["relay"]
    on_a = Listener(a.url, alice.token)
    on_b = Listener(b.url, alice.token)
    with b.client() as http:
        signal_ids = ingest(http, relay, 3)
    approve(pg_pair["cli"].env["DATABASE_URL"], signal_ids[0])
    for listener in (on_a, on_b):
        got = listener.wait_for(4)
        assert [m.id for m in got] == [1, 2, 3, 4]
        assert [m.event for m in got] == ["signal.created"] * 3 + ["signal.transitioned"]
        created, moved = got[0].data, got[3].data
        assert created["event"]["type"] == "signal.created"
        assert created["event"]["signal_id"] == signal_ids[0] == created["signal"]["id"]
        assert created["event"]["from"] is None and created["event"]["to"] == "new"
        assert created["signal"]["status"] == "new"  # as it was after the event, not now
        assert moved["event"]["from"] == "new" and moved["event"]["to"] == "approved"
        assert moved["event"]["note"] == "ok" and moved["signal"]["status"] == "approved"
        assert moved["event"]["actor"] == "user:test"
    assert metric(a, "stream_events_sent_total") >= 4


def test_reconnect_with_last_event_id_gets_exactly_the_missed_events(
    pg_pair: dict[str, Any],
) -> None:
    a, b, alice, relay = pg_pair["a"], pg_pair["b"], pg_pair["alice"], pg_pair["relay"]
    with b.client() as http:
        ingest(http, relay, 2)
        first = Listener(a.url, alice.token, stop_after=2)
        first.wait_for(2)
        first.ended.wait(10)
        ingest(http, relay, 3)  # missed while away
        again = Listener(b.url, alice.token, last_event_id=first.ids[-1])
        assert again.wait_for(3) and again.ids == [3, 4, 5]
        ingest(http, relay, 1)
        again.wait_for(4)
        by_query = Listener(a.url, alice.token, params={"last_event_id": "4"})
        by_query.wait_for(1)
    assert again.ids == [3, 4, 5, 6] and by_query.ids[:1] == [5]


def test_instrument_filter(pg_pair: dict[str, Any]) -> None:
    a, b, alice, relay = pg_pair["a"], pg_pair["b"], pg_pair["alice"], pg_pair["relay"]
    gold = Listener(a.url, alice.token, params={"instrument": "xauusd"})
    with b.client() as http:
        ingest(http, relay, 1, "EURUSD")
        ingest(http, relay, 1, "XAUUSD")
        ingest(http, relay, 1, "EURUSD")
        ingest(http, relay, 1, "XAUUSD")
    gold.wait_for(2)
    assert gold.ids == [2, 4]
    assert {m.data["signal"]["instrument"] for m in gold.messages} == {"XAUUSD"}


def test_more_than_the_limit_across_servers_is_429_and_a_closed_one_frees_its_slot(
    pg_pair: dict[str, Any],
) -> None:
    a, b, alice = pg_pair["a"], pg_pair["b"], pg_pair["alice"]
    # The first one leaves after its first message.
    open_ = [
        Listener((a if i % 2 else b).url, alice.token, stop_after=1 if i == 0 else None)
        for i in range(10)
    ]
    assert {s.status for s in open_} == {200}
    for server in (a, b):
        refused = Listener(server.url, alice.token)
        assert refused.status == 429
        assert refused.body["status_code"] == 429 and "10" in refused.body["detail"]
    bob = account(pg_pair["cli"], "bob")
    assert Listener(a.url, bob.token).status == 200  # another user has slots of their own
    with b.client() as http:
        ingest(http, pg_pair["relay"], 1)
    assert open_[0].ended.wait(10)
    wait_until(lambda: Listener(a.url, alice.token).status == 200, "the slot came back")
    assert Listener(b.url, alice.token).status == 429


def test_bad_input_and_no_token(pg_pair: dict[str, Any]) -> None:
    a, alice = pg_pair["a"], pg_pair["alice"]
    with a.client() as http:
        assert http.get("/api/v1/stream").status_code == 401
        auth = alice.auth
        bad = http.get("/api/v1/stream", headers={**auth, "Last-Event-ID": "x"})
        assert bad.status_code == 400 and bad.json()["status_code"] == 400
        bad = http.get("/api/v1/stream", params={"instrument": "x"}, headers=auth)
        assert bad.status_code == 400


def test_heartbeat(pg_cli: Cli, start_server: Callable[..., Server]) -> None:
    alice = account(pg_cli, "alice")
    server = start_server(pg_cli, env={"STREAM_HEARTBEAT_SECONDS": "1"})
    with (
        httpx.Client(base_url=server.url, timeout=httpx.Timeout(30, read=10)) as http,
        http.stream("GET", "/api/v1/stream", headers=alice.auth) as answer,
    ):
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        pings = 0
        for line in answer.iter_lines():
            if line == ": ping":
                pings += 1
                if pings == 2:
                    break
    assert pings == 2


def test_a_client_that_does_not_read_is_cut_and_loses_nothing_on_resume(
    pg_cli: Cli, start_server: Callable[..., Server]
) -> None:
    alice = account(pg_cli, "alice")
    relay = producer(pg_cli, alice, "relay-1")
    server = start_server(pg_cli, env={"STREAM_BUFFER_EVENTS": "20"})
    deaf = DeafClient(server.host, server.port, alice.token)
    reader = Listener(server.url, alice.token)
    wait_until(lambda: metric(server, "stream_connections") == 2, "two streams open")
    total = 0
    with server.client() as http:
        # Until the deaf one is cut (the reader keeps up: it is never 20 behind).
        while metric(server, "stream_connections") > 1 and not reader.ended.is_set():
            ingest(http, relay, 10, pad=30_000)  # large messages fill the socket buffers
            total += 10
            assert total <= 2000, "never cut"
        assert not reader.ended.is_set(), f"the reading stream was cut: {reader.ids[-1:]}"
        ingest(http, relay, 5)  # ingestion goes on, the reading stream gets everything
        total += 5
    reader.wait_for(total)
    assert reader.ids == list(range(1, total + 1))
    seen = ids_in(deaf.drain())
    assert seen == list(range(1, len(seen) + 1))
    resumed = Listener(server.url, alice.token, last_event_id=seen[-1] if seen else 0)
    resumed.wait_for(total - len(seen))
    assert seen + resumed.ids == list(range(1, total + 1))


def test_serve_stops_within_seconds_with_streams_open(
    pg_cli: Cli, start_server: Callable[..., Server]
) -> None:
    alice = account(pg_cli, "alice")
    server = start_server(pg_cli, workers=2)
    readers = [Listener(server.url, alice.token) for _ in range(3)]
    deaf = DeafClient(server.host, server.port, alice.token)
    wait_until(lambda: metric(server, "stream_connections") == 4, "four streams open")
    started = time.monotonic()
    os.killpg(server.process.pid, 0)  # still there
    server.process.send_signal(signal.SIGINT)
    server.process.wait(timeout=8)  # uvicorn alone would wait 10 s for the streams
    for r in readers:
        assert r.ended.wait(5)
    deaf.sock.close()
    assert server.process.returncode == 0, server.logs()
    assert time.monotonic() - started < 8


def test_sqlite_basics_with_two_workers(
    sqlite_cli: Cli, start_server: Callable[..., Server]
) -> None:
    alice: Account = account(sqlite_cli, "alice")
    relay = producer(sqlite_cli, alice, "relay-1")
    server = start_server(sqlite_cli, workers=2, env={"STREAM_MAX_PER_USER": "3"})
    streams = [Listener(server.url, alice.token) for _ in range(2)]
    gold = Listener(server.url, alice.token, params={"instrument": "XAUUSD"})
    assert Listener(server.url, alice.token).status == 429
    with server.client() as http:
        ingest(http, relay, 2, "EURUSD")
        ingest(http, relay, 1, "XAUUSD")
        for s in streams:
            assert [m.id for m in s.wait_for(3)] == [1, 2, 3]
        assert gold.wait_for(1)[0].data["signal"]["instrument"] == "XAUUSD"
        dropped = Listener(server.url, alice.token, last_event_id=1)  # slot of gold? no: 429
        assert dropped.status == 429
    assert streams[0].messages[0].data["signal"]["status"] == "new"


def test_two_workers_every_stream_gets_every_event_once_in_order(
    pg_cli: Cli, start_server: Callable[..., Server]
) -> None:
    """`--workers 2`: streams and ingestion requests land on either worker (each on its own
    connection); every stream gets every event exactly once, in id order."""
    alice = account(pg_cli, "alice")
    relay = producer(pg_cli, alice, "relay-1")
    server = start_server(pg_cli, workers=2)
    streams = [Listener(server.url, alice.token) for _ in range(6)]
    signal_ids = []
    for _ in range(6):
        with server.client() as http:  # a new connection each time
            signal_ids += ingest(http, relay, 1)
    approve(pg_cli.env["DATABASE_URL"], signal_ids[-1])
    for s in streams:
        s.wait_for(7)
    assert {tuple(s.ids) for s in streams} == {tuple(range(1, 8))}
    wait_until(lambda: metric(server, "stream_events_sent_total") >= 42, "42 sent, all workers")
    assert metric(server, "stream_connections") == 6
