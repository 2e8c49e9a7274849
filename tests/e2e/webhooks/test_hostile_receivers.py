"""SPEC §15: a receiver that answers slowly, drips its answer, answers a huge body or a
redirect neither stalls the other subscriptions nor crashes the worker; no redirect is
followed, at most a few KiB of an answer are read, an attempt gives up after 10 s."""

from __future__ import annotations

import time

from tests.support.signalhub import Cli
from tests.support.signals import account, producer
from tests.support.stream import wait_until
from tests.support.webhooks import (
    Receiver,
    deliveries,
    new_signals,
    settle,
    subscribed,
    user_events,
)

HUGE = 100_000_000
TIMEOUT = 10.0  # SPEC §15
LATE = 15.0  # generous: a loaded machine


def test_hostile_receivers_stall_no_other_subscription_and_crash_no_worker(
    cli: Cli, hub_on, receiver: Receiver
) -> None:
    hub = hub_on(cli)
    subscribed(hub.http, receiver, hub.owner, "slow", [{"status": 200, "delay": 120}])
    subscribed(hub.http, receiver, hub.owner, "drip", [{"status": 200, "drip": 1}])
    huge = subscribed(hub.http, receiver, hub.owner, "huge", [{"status": 200, "body_bytes": HUGE}])
    target = receiver.url("redirect-target")
    redirect = subscribed(
        hub.http, receiver, hub.owner, "redirect", [{"status": 307, "location": target}]
    )
    receiver.configure("redirect-target", {"redirected": redirect["secret"]})
    subscribed(hub.http, receiver, hub.owner, "healthy")
    first = new_signals(hub.http, hub.relay, 3)
    events = user_events(hub.http, hub.owner, first)

    got = receiver.wait_for("healthy", len(events))
    # The slow receiver may not even have been called yet (the subscriptions are claimed in
    # no set order); what must not have happened is an abandoned attempt: that would mean the
    # healthy one waited out the slow one's timeout.
    assert all(r["client_gone_at"] is None for r in receiver.records("slow")), (
        "the healthy subscription waited for the slow receiver's attempt to time out"
    )
    assert [r["event_id"] for r in got] == [e["id"] for e in events]

    # the slow attempt is given up after the timeout, not waited out
    wait_until(lambda: bool(receiver.records("slow"))
               and receiver.records("slow")[0]["client_gone_at"] is not None,
               "the slow attempt was abandoned", TIMEOUT + LATE)  # fmt: skip
    abandoned = receiver.records("slow")[0]
    assert abandoned["client_gone_at"] - abandoned["received_at"] >= TIMEOUT - 0.5

    # a dripping answer does not hold the connection for its whole (endless) length
    wait_until(lambda: receiver.records("drip") and receiver.records("drip")[0]["answered_at"],
               "the dripping answer was dropped", TIMEOUT + LATE)  # fmt: skip
    assert receiver.records("drip")[0]["bytes_sent"] < 1_000_000

    # a 2xx with a huge body is delivered, and the body is not read to its end
    wait_until(
        lambda: len(deliveries(hub.http, hub.owner, huge["id"], "delivered")) >= len(events),
        "the huge-answer subscription got every event",
        LATE,
    )
    assert all(r["bytes_sent"] < HUGE for r in receiver.records("huge"))

    # a redirect is an answer that is not 2xx: retried, never followed
    wait_until(lambda: len(receiver.records("redirect")) >= 2, "the redirect was retried", LATE)
    settle(1.0)
    assert receiver.records("redirect-target") == []
    rows = deliveries(hub.http, hub.owner, redirect["id"])
    assert rows and all(d["status"] != "delivered" for d in rows)
    assert {d["response_status"] for d in rows if d["response_status"] is not None} == {307}

    # the worker still works
    later = new_signals(hub.http, hub.relay, 1)
    receiver.wait_for("healthy", len(events) + len(user_events(hub.http, hub.owner, later)))
    assert hub.server.process.poll() is None
    assert hub.http.get("/healthz").status_code == 200
    assert receiver.rejections() == []


def test_one_users_slow_receivers_do_not_stall_another_users_subscription(
    cli: Cli, hub_on, receiver: Receiver
) -> None:
    """The per-user maximum of slow subscriptions (WEBHOOKS_MAX_PER_USER, default 10), all
    busy at once, still leaves room for another user's healthy one (default settings)."""
    hub = hub_on(cli)
    stranger = account(cli, "stranger")
    stranger_relay = producer(cli, stranger, "stranger-relay")
    slow = [f"slow-{i}" for i in range(10)]
    for name in slow:
        subscribed(hub.http, receiver, stranger, name, [{"status": 200, "delay": 120}])
    subscribed(hub.http, receiver, hub.owner, "healthy")
    new_signals(hub.http, stranger_relay, 1)
    taken = busy_slots(receiver, slow)

    mine = new_signals(hub.http, hub.relay, 2)
    got = receiver.wait_for("healthy", len(user_events(hub.http, hub.owner, mine)), TIMEOUT + LATE)

    abandoned = [r for n in slow for r in receiver.records(n) if r["client_gone_at"] is not None]
    assert abandoned == [], (
        f"the healthy subscription waited for {len(abandoned)} slow attempts to time out"
    )
    assert len(got) == 2
    print(f"slow receivers busy before the healthy events: {taken} of {len(slow)}")


def busy_slots(receiver: Receiver, names: list[str]) -> int:
    """Wait until as many of these receivers as the server will take are busy (all of them,
    or a count that has not grown for 1 s); return it."""
    count, since = 0, time.monotonic()
    while True:
        now = sum(1 for n in names if receiver.records(n))
        if now != count:
            count, since = now, time.monotonic()
        if count == len(names) or (count and time.monotonic() - since > 1.0):
            return count
        assert time.monotonic() - since < LATE, "no slow receiver got a request"
        time.sleep(0.05)
