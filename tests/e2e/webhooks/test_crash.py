"""SPEC §15 durability: SIGKILL the server with deliveries pending and the receiver down,
restart it, bring the receiver up: every event is delivered, none lost. The only duplicates
allowed are attempts in flight at the kill, and the test counts them."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.support.signalhub import Cli, Server
from tests.support.stream import wait_until
from tests.support.webhooks import (
    WEBHOOK_ENV,
    Receiver,
    deliveries,
    duplicates,
    new_signals,
    subscribed,
    user_events,
)

# Long enough that nothing fails for good while the receiver is down (~20 s of retries).
PATIENT = {"WEBHOOKS_RETRY_SCHEDULE": ",".join(["1"] * 20)}
# An answer written this shortly before the kill may not have been recorded by the server.
RECORDING_GRACE_SECONDS = 0.25
# The killed process may hold the subscription's lease; SPEC §15 bounds no delay, so wait.
AFTER_RESTART_SECONDS = 120.0


@pytest.mark.slow
def test_sigkill_with_deliveries_pending_and_the_receiver_down_loses_no_event(
    cli: Cli, hub_on, start_server: Callable[..., Server], receiver: Receiver
) -> None:
    hub = hub_on(cli, **PATIENT)
    sub = subscribed(hub.http, receiver, hub.owner, "slow", [{"status": 200, "delay": 0.5}])
    signal_ids = new_signals(hub.http, hub.relay, 12)
    wait_until(lambda: len(receiver.records("slow")) >= 2, "the first deliveries are under way")

    killed_at = time.time()
    hub.server.kill()
    receiver.down()
    restarted = start_server(hub.cli, env={**WEBHOOK_ENV, **PATIENT})
    with restarted.client() as http:
        signal_ids += new_signals(http, hub.relay, 5)
        wait_until(
            lambda: any(d["error"] for d in deliveries(http, hub.owner, sub["id"])),
            "an attempt refused by the receiver is recorded",
            AFTER_RESTART_SECONDS,
        )
        receiver.configure("slow", {"current": sub["secret"]})
        receiver.up()
        events = user_events(http, hub.owner, signal_ids)
        assert len(events) == 17
        got = receiver.wait_for("slow", len(events), AFTER_RESTART_SECONDS)
        wait_until(
            lambda: (
                {d["event_id"] for d in deliveries(http, hub.owner, sub["id"], "delivered")}
                == {e["id"] for e in events}
            ),
            "the deliveries endpoint shows every event delivered",
            AFTER_RESTART_SECONDS,
        )

    assert {r["event_id"] for r in got} == {e["id"] for e in events}
    in_flight = {
        r["webhook_id"]
        for r in receiver.records("slow")
        if r["received_at"] < killed_at
        and (r["answered_at"] is None or r["answered_at"] > killed_at - RECORDING_GRACE_SECONDS)
    }
    twice = duplicates(got)
    print(f"in flight at the kill: {len(in_flight)}, delivered twice: {len(twice)}")
    assert set(twice) <= in_flight, (twice, in_flight)
    assert all(n == 2 for n in twice.values()), twice
    assert len(got) == len(events) + len(twice)
    assert receiver.rejections() == []
