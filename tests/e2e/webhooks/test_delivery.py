"""SPEC §15: every §9 event reaches a subscriber once, in event order, signed as Standard
Webhooks (checked by the receiver process with the `standardwebhooks` library)."""

from __future__ import annotations

from tests.e2e.webhooks.conftest import Hub
from tests.support.lifecycle import transition
from tests.support.signalhub import Cli
from tests.support.signals import account, producer
from tests.support.webhooks import (
    Receiver,
    duplicates,
    new_signals,
    settle,
    subscribed,
    user_events,
)


def moves(hub: Hub, xau: list[str], eur: list[str]) -> None:
    """approve/execute/close one signal, reject one, approve then cancel another."""
    steps = [
        (xau[0], {"to": "approved"}),
        (xau[0], {"to": "executed", "price": 1951.0}),
        (xau[0], {"to": "closed", "price": 1960.5}),
        (xau[1], {"to": "rejected", "note": "no"}),
        (eur[0], {"to": "approved"}),
        (eur[0], {"to": "cancelled"}),
    ]
    for signal_id, body in steps:
        answer = transition(hub.http, hub.owner, signal_id, body)
        assert answer.status_code == 200, answer.text


def test_every_created_and_transitioned_signal_arrives_once_in_event_order_signed(
    cli: Cli, hub_on, receiver: Receiver
) -> None:
    hub = hub_on(cli)
    subscribed(hub.http, receiver, hub.owner, "all")
    stranger = account(cli, "stranger")
    new_signals(hub.http, producer(cli, stranger, "stranger-relay"), 2)  # not the owner's
    xau = new_signals(hub.http, hub.relay, 3)
    eur = new_signals(hub.http, hub.relay, 2, "EURUSD")
    moves(hub, xau, eur)
    events = user_events(hub.http, hub.owner, xau + eur)
    assert len(events) == 5 + 6

    got = receiver.wait_for("all", len(events))

    assert [r["event_id"] for r in got] == [e["id"] for e in events]
    assert duplicates(got) == {}
    assert len({r["webhook_id"] for r in got}) == len(events)
    for record, event in zip(got, events, strict=True):
        assert record["verified_by"] == ["current"]
        assert record["content_type"].startswith("application/json")
        body = record["body"]
        assert set(body) == {"type", "timestamp", "data"}
        assert body["type"] == event["type"]
        assert body["data"]["event"] == event
        assert body["data"]["signal"]["id"] == event["signal_id"]
        assert body["data"]["signal"]["status"] == event["to"]
        assert record["signature"].startswith("v1,")
        assert " " not in record["signature"]  # one secret, one signature
    assert receiver.rejections() == []


def test_a_subscription_gets_only_its_event_types_and_instrument(
    cli: Cli, hub_on, receiver: Receiver
) -> None:
    hub = hub_on(cli)
    subscribed(
        hub.http,
        receiver,
        hub.owner,
        "xau-moves",
        events=["signal.transitioned"],
        instrument="XAUUSD",
    )
    subscribed(hub.http, receiver, hub.owner, "all")
    xau = new_signals(hub.http, hub.relay, 2)
    eur = new_signals(hub.http, hub.relay, 1, "EURUSD")
    moves(hub, xau, eur)
    events = user_events(hub.http, hub.owner, xau + eur)
    wanted = [e for e in events if e["type"] == "signal.transitioned" and e["signal_id"] in xau]

    receiver.wait_for("all", len(events))  # the server has handled every event by now
    got = receiver.wait_for("xau-moves", len(wanted))
    settle(1.0)

    assert [r["event_id"] for r in receiver.records("xau-moves")] == [e["id"] for e in wanted]
    assert [r["event_id"] for r in got] == [e["id"] for e in wanted]
