"""The receiver the §15 tests rely on, checked against a sender made with `standardwebhooks`:
it records what verifies, rejects what does not, follows its plan, and can be down."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks import Webhook

from tests.support.stream import wait_until
from tests.support.webhooks import Receiver


def whsec() -> str:
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()


def send(receiver: Receiver, name: str, secret: str, event_id: int, tamper: bool = False):
    body = json.dumps(
        {"type": "signal.created", "timestamp": "now", "data": {"event": {"id": event_id}}}
    )
    msg_id = f"evt_{event_id}"
    headers = {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(datetime.now(UTC).timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, datetime.now(UTC), body),
        "Content-Type": "application/json",
    }
    sent = body.replace("created", "transitioned") if tamper else body
    return httpx.post(receiver.url(name), content=sent, headers=headers, timeout=10)


def test_the_receiver_verifies_with_each_secret_and_follows_its_plan(receiver: Receiver) -> None:
    old, new = whsec(), whsec()
    receiver.configure(
        "a", {"old": old, "new": new}, [{"status": 500, "times": 2}, {"status": 200}]
    )

    assert [send(receiver, "a", new, 1).status_code for _ in range(3)] == [500, 500, 200]
    assert send(receiver, "a", old, 2).status_code == 200
    assert send(receiver, "a", new, 3, tamper=True).status_code == 401
    assert send(receiver, "a", whsec(), 4).status_code == 401
    assert send(receiver, "nobody", new, 5).status_code == 404

    records = receiver.records()
    assert [(r["event_id"], r["verified_by"]) for r in records[:4]] == [
        (1, ["new"]),
        (1, ["new"]),
        (1, ["new"]),
        (2, ["old"]),
    ]
    assert [r["webhook_id"] for r in receiver.delivered("a")] == ["evt_1", "evt_2"]
    assert len(receiver.rejections()) == 3


def test_the_receiver_can_be_down_and_up_again(receiver: Receiver) -> None:
    secret = whsec()
    receiver.configure("a", {"current": secret})
    receiver.down()
    with pytest.raises(httpx.ConnectError):
        send(receiver, "a", secret, 1)
    receiver.up()
    assert send(receiver, "a", secret, 1).status_code == 200


def test_hostile_answers(receiver: Receiver) -> None:
    secret = whsec()
    receiver.configure("huge", {"s": secret}, [{"status": 200, "body_bytes": 50_000_000}])
    receiver.configure("moved", {"s": secret}, [{"status": 307, "location": "http://x/y"}])
    receiver.configure("slow", {"s": secret}, [{"status": 200, "delay": 30}])
    body = json.dumps({"type": "t", "timestamp": "now", "data": {"event": {"id": 1}}})
    stamp = datetime.now(UTC)
    headers = {
        "webhook-id": "m1",
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": Webhook(secret).sign("m1", stamp, body),
    }
    with httpx.Client(timeout=10) as http:
        with http.stream("POST", receiver.url("huge"), content=body, headers=headers) as answer:
            assert answer.status_code == 200
            assert len(next(answer.iter_raw(4096))) <= 4096
        moved = http.post(receiver.url("moved"), content=body, headers=headers)
        assert (moved.status_code, moved.headers["location"]) == (307, "http://x/y")
        with pytest.raises(httpx.ReadTimeout):
            http.post(receiver.url("slow"), content=body, headers=headers, timeout=1)
    wait_until(
        lambda: receiver.records("slow")[0]["client_gone_at"] is not None,
        "the slow answer noticed the client hang up",
    )
    wait_until(lambda: receiver.records("huge")[0]["answered_at"], "the huge answer ended")
    assert receiver.records("huge")[0]["bytes_sent"] < 50_000_000
    assert receiver.records("huge")[0]["write_error"] is not None
