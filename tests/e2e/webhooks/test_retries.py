"""SPEC §15 failures: the retry schedule with one webhook-id, the deliveries endpoint, manual
retry of a failed delivery, 410 Gone, and secret rotation (two signatures in the overlap)."""

from __future__ import annotations

from itertools import pairwise

from tests.support.producers import sample
from tests.support.signalhub import Cli
from tests.support.stream import wait_until
from tests.support.webhooks import (
    SUBSCRIPTIONS,
    Receiver,
    deliveries,
    new_signals,
    settle,
    subscribed,
    user_events,
)

SCHEDULE = (1.0, 2.0)  # the first gaps of WEBHOOKS_RETRY_SCHEDULE=1,2,4
CLOCK_SLACK = 0.05  # the server may count from the start of the attempt it sent
LATE = 10.0  # generous: a loaded machine


def test_failing_twice_then_ok_is_three_attempts_spaced_by_the_schedule_one_webhook_id(
    cli: Cli, hub_on, receiver: Receiver
) -> None:
    hub = hub_on(cli)
    plan = [{"status": 500, "times": 2}, {"status": 200}]
    sub = subscribed(hub.http, receiver, hub.owner, "flaky", plan)
    [signal_id] = new_signals(hub.http, hub.relay, 1)
    [event] = user_events(hub.http, hub.owner, [signal_id])

    receiver.wait_for("flaky", 1)

    attempts = receiver.records("flaky")
    assert [r["answered"] for r in attempts] == [500, 500, 200]
    assert {r["webhook_id"] for r in attempts} == {attempts[0]["webhook_id"]}
    assert {r["event_id"] for r in attempts} == {event["id"]}
    gaps = [b["received_at"] - a["received_at"] for a, b in pairwise(attempts)]
    for gap, wanted in zip(gaps, SCHEDULE, strict=True):
        assert wanted - CLOCK_SLACK <= gap <= wanted + LATE, gaps

    wait_until(
        lambda: any(d["status"] == "delivered" for d in deliveries(hub.http, hub.owner, sub["id"])),
        "the deliveries endpoint shows the delivery",
    )
    rows = [d for d in deliveries(hub.http, hub.owner, sub["id"]) if d["event_id"] == event["id"]]
    by_attempt = {d["attempt"]: d for d in rows}
    assert sorted(by_attempt) == [1, 2, 3], rows
    assert [by_attempt[n]["response_status"] for n in (1, 2, 3)] == [500, 500, 200]
    assert by_attempt[3]["status"] == "delivered"
    assert all(by_attempt[n]["status"] != "delivered" for n in (1, 2))
    delivered = deliveries(hub.http, hub.owner, sub["id"], "delivered")
    assert [(d["event_id"], d["attempt"]) for d in delivered] == [(event["id"], 3)]
    # delivered: nothing of it is pending any more (whatever attempts 1 and 2 left it in then)
    assert deliveries(hub.http, hub.owner, sub["id"], "pending") == []
    metrics = hub.http.get("/metrics").text
    assert sample(metrics, 'webhook_deliveries_total{result="retry"}') == 2
    assert sample(metrics, 'webhook_deliveries_total{result="delivered"}') == 1
    assert sample(metrics, "webhook_delivery_seconds_count") == 3
    wait_until(
        lambda: sample(hub.http.get("/metrics").text, "webhook_pending") == 0,
        "webhook_pending back to 0",
    )


def test_manual_retry_requeues_a_failed_delivery(cli: Cli, hub_on, receiver: Receiver) -> None:
    hub = hub_on(cli, WEBHOOKS_RETRY_SCHEDULE="1")
    sub = subscribed(hub.http, receiver, hub.owner, "down-then-fixed", [{"status": 503}])
    [signal_id] = new_signals(hub.http, hub.relay, 1)
    [event] = user_events(hub.http, hub.owner, [signal_id])
    wait_until(
        lambda: deliveries(hub.http, hub.owner, sub["id"], "failed") != [],
        "the delivery failed for good",
    )
    assert [r["answered"] for r in receiver.records("down-then-fixed")] == [503, 503]
    failed = deliveries(hub.http, hub.owner, sub["id"], "failed")
    assert [(d["event_id"], d["attempt"], d["response_status"]) for d in failed] == [
        (event["id"], 2, 503)
    ]
    assert failed[0]["next_attempt_at"] is None

    receiver.configure("down-then-fixed", {"current": sub["secret"]}, [{"status": 200}])
    retry = f"{SUBSCRIPTIONS}/{sub['id']}/deliveries/{event['id']}/retry"
    stranger = hub.cli.json("users", "create", "stranger")
    foreign = hub.http.post(retry, headers={"Authorization": f"Bearer {stranger['token']}"})
    assert foreign.status_code == 404, foreign.text
    answer = hub.http.post(retry, headers=hub.owner.auth)
    assert 200 <= answer.status_code < 300, answer.text

    got = receiver.wait_for("down-then-fixed", 1)
    assert [r["event_id"] for r in got] == [event["id"]]
    assert {r["webhook_id"] for r in receiver.records("down-then-fixed")} == {got[0]["webhook_id"]}
    wait_until(
        lambda: deliveries(hub.http, hub.owner, sub["id"], "delivered") != [],
        "the deliveries endpoint shows it delivered",
    )
    delivered = deliveries(hub.http, hub.owner, sub["id"], "delivered")
    assert [(d["event_id"], d["response_status"]) for d in delivered] == [(event["id"], 200)]
    # docs/webhooks.md: `?status=failed` lists exactly the deliveries that need a manual retry
    assert deliveries(hub.http, hub.owner, sub["id"], "failed") == []
    again = hub.http.post(retry, headers=hub.owner.auth)
    assert again.status_code == 409, again.text  # delivered: nothing to retry


def test_410_gone_disables_the_subscription(cli: Cli, hub_on, receiver: Receiver) -> None:
    hub = hub_on(cli)
    gone = subscribed(hub.http, receiver, hub.owner, "gone", [{"status": 410}])
    subscribed(hub.http, receiver, hub.owner, "steady")
    first = new_signals(hub.http, hub.relay, 1)
    [gone_event] = user_events(hub.http, hub.owner, first)

    def enabled() -> bool:
        answer = hub.http.get(f"{SUBSCRIPTIONS}/{gone['id']}", headers=hub.owner.auth)
        assert answer.status_code == 200, answer.text
        return bool(answer.json()["enabled"])

    wait_until(lambda: not enabled(), "the 410 disabled the subscription")
    listed = hub.http.get(SUBSCRIPTIONS, headers=hub.owner.auth).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    assert [s["enabled"] for s in items if s["id"] == gone["id"]] == [False]
    later = new_signals(hub.http, hub.relay, 2)
    receiver.wait_for("steady", len(user_events(hub.http, hub.owner, first + later)))
    settle(1.5)

    assert [r["answered"] for r in receiver.records("gone")] == [410]
    rows = deliveries(hub.http, hub.owner, gone["id"])
    assert [d["response_status"] for d in rows if d["event_id"] == gone_event["id"]] == [410]


def test_rotation_signs_with_both_secrets_during_the_overlap(
    cli: Cli, hub_on, receiver: Receiver
) -> None:
    hub = hub_on(cli)
    sub = subscribed(hub.http, receiver, hub.owner, "rotating")
    old = sub["secret"]
    new_signals(hub.http, hub.relay, 1)
    [before] = receiver.wait_for("rotating", 1)
    assert before["verified_by"] == ["current"]

    rotated = hub.http.post(f"{SUBSCRIPTIONS}/{sub['id']}/rotate-secret", headers=hub.owner.auth)
    assert 200 <= rotated.status_code < 300, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_") and new != old
    receiver.configure("rotating", {"old": old, "new": new})
    new_signals(hub.http, hub.relay, 1)
    after = receiver.wait_for("rotating", 2)[-1]

    assert after["verified_by"] == ["new", "old"]  # each secret alone verifies it
    entries = after["signature"].split(" ")
    assert len(entries) == 2 and all(e.startswith("v1,") for e in entries)
    assert receiver.rejections() == []


def test_a_deleted_subscription_gets_nothing_more(cli: Cli, hub_on, receiver: Receiver) -> None:
    hub = hub_on(cli)
    dropped = subscribed(hub.http, receiver, hub.owner, "dropped")
    subscribed(hub.http, receiver, hub.owner, "kept")
    first = new_signals(hub.http, hub.relay, 1)
    receiver.wait_for("dropped", 1)

    gone = hub.http.delete(f"{SUBSCRIPTIONS}/{dropped['id']}", headers=hub.owner.auth)
    assert gone.status_code in (200, 204), gone.text
    assert (
        hub.http.get(f"{SUBSCRIPTIONS}/{dropped['id']}", headers=hub.owner.auth).status_code == 404
    )
    later = new_signals(hub.http, hub.relay, 2)
    receiver.wait_for("kept", len(user_events(hub.http, hub.owner, first + later)))
    settle(1.5)

    assert len(receiver.records("dropped")) == 1
