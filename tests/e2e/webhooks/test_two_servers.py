"""SPEC §15 with several processes: two `signalhub serve` on one PostgreSQL, 500 events,
nothing failing -> each delivered exactly once per subscription (no attempt claimed twice);
and one server with two workers on either engine."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.support.signalhub import Cli, Server
from tests.support.signals import account, producer
from tests.support.stream import wait_until
from tests.support.webhooks import (
    WEBHOOK_ENV,
    Receiver,
    deliveries,
    duplicates,
    new_signals,
    subscribed,
)

EVENTS = 500
SENDERS = 10  # 50 signals each


def delivered_count(http: httpx.Client) -> float:
    text = http.get("/metrics").text
    found = re.search(r'^webhook_deliveries_total\{result="delivered"\} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


@pytest.mark.slow
def test_two_servers_deliver_500_events_exactly_once(
    pg_cli: Cli, hub_on, start_server: Callable[..., Server], receiver: Receiver
) -> None:
    hub = hub_on(pg_cli)
    other = start_server(pg_cli, env=WEBHOOK_ENV)
    names = ["a", "b", "c", "d"]  # several, so that both processes have leases to take
    for name in names:
        subscribed(hub.http, receiver, hub.owner, name, events=["signal.created"])
    servers = [hub.server, other]

    def send(i: int) -> list[str]:
        with servers[i % 2].client() as http:
            return new_signals(http, hub.relay, EVENTS // SENDERS)

    with ThreadPoolExecutor(SENDERS) as pool:
        signal_ids = {s for batch in pool.map(send, range(SENDERS)) for s in batch}
    assert len(signal_ids) == EVENTS

    for name in names:
        got = receiver.wait_for(name, EVENTS, deadline=180)
        assert duplicates(got) == {}, name
        assert len(got) == EVENTS, name
        assert {r["body"]["data"]["signal"]["id"] for r in got} == signal_ids
        ids = [r["event_id"] for r in got]
        assert ids == sorted(ids, key=int), f"{name}: not in event-id order"
    assert len(receiver.records()) == len(names) * EVENTS  # not one attempt more nor refused
    with other.client() as http:
        counts = [delivered_count(hub.http), delivered_count(http)]
    print(f"delivered by each server: {counts}")
    assert sum(counts) == len(names) * EVENTS


def test_a_server_with_two_workers_delivers_each_event_once(
    cli: Cli, start_server: Callable[..., Server], receiver: Receiver
) -> None:
    """`serve --workers 2`: on SQLite one process delivers, on PostgreSQL both may; either
    way every event arrives once, in order."""
    owner = account(cli, "owner")
    relay = producer(cli, owner, "relay-1")
    server = start_server(cli, workers=2, env=WEBHOOK_ENV)
    with server.client() as http:
        subscribed(http, receiver, owner, "a")
        signal_ids = new_signals(http, relay, 60)
        got = receiver.wait_for("a", len(signal_ids), deadline=120)
    assert duplicates(got) == {}
    assert len(receiver.records("a")) == len(signal_ids)
    ids = [r["event_id"] for r in got]
    assert ids == sorted(ids, key=int)


def test_two_servers_never_send_one_attempt_twice_while_retrying(
    pg_cli: Cli, hub_on, start_server: Callable[..., Server], receiver: Receiver
) -> None:
    """The receiver fails the first 10 requests (whichever events they carry): every attempt
    the servers record reached the receiver once, and nothing else did."""
    patient = {"WEBHOOKS_RETRY_SCHEDULE": "1,1,1,1,1,1,1,1,1,1,1,1"}
    hub = hub_on(pg_cli, **patient)
    other = start_server(pg_cli, env={**WEBHOOK_ENV, **patient})
    sub = subscribed(
        hub.http, receiver, hub.owner, "flaky", [{"status": 500, "times": 10}, {"status": 200}]
    )
    with other.client() as http:
        signal_ids = new_signals(hub.http, hub.relay, 20) + new_signals(http, hub.relay, 20)

    got = receiver.wait_for("flaky", len(signal_ids), deadline=120)
    assert duplicates(got) == {}
    wait_until(
        lambda: len(deliveries(hub.http, hub.owner, sub["id"], "delivered")) == len(signal_ids),
        "every delivery recorded as delivered",
    )
    history = [d for d in deliveries(hub.http, hub.owner, sub["id"]) if d["attempt"] > 0]
    sent = receiver.records("flaky")
    assert len(sent) == len(signal_ids) + 10
    assert len(history) == len(sent), "an attempt the servers recorded is not one the receiver got"
    per_event = Counter(r["event_id"] for r in sent)
    assert per_event == Counter(d["event_id"] for d in history)
    assert sorted(Counter(d["response_status"] for d in history).items()) == [(200, 40), (500, 10)]
