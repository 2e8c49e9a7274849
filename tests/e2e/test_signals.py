"""SPEC §3-§5 black-box: a real `signalhub serve`, signed with the stdlib only."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.signalhub import Cli, Server
from tests.support.signals import (
    SIGNAL_FIELDS,
    SIGNALS,
    XAU,
    Producer,
    account,
    post,
    producer,
    sign,
)


@pytest.fixture
def world(cli: Cli, start_server: Callable[..., Server]) -> Iterator[dict[str, Any]]:
    alice, bob = account(cli, "alice"), account(cli, "bob")
    relay = producer(cli, alice, "tv-relay-1")
    server = start_server(cli, env={"SIGNALS_MAX_PAYLOAD_BYTES": "2048"})
    with server.client() as http:
        yield {"cli": cli, "http": http, "alice": alice, "bob": bob, "relay": relay}


def test_ingestion_answers_every_row_of_the_spec_table(world: dict[str, Any]) -> None:
    http, relay, alice = world["http"], world["relay"], world["alice"]

    # accepted -> 201, the signal object of SPEC §5
    before = time.time()
    created = post(http, relay, XAU)
    assert created.status_code == 201, created.text
    signal = created.json()
    assert list(signal) == SIGNAL_FIELDS  # every field, in §5 order
    assert signal["instrument"] == "XAUUSD" and signal["side"] == "buy"
    assert signal["price"] == 1950.25 and signal["version"] == "1"
    assert signal["user_id"] == alice.user_id and signal["producer_id"] == "tv-relay-1"
    assert signal["status"] == "new" and signal["payload"] == {}
    assert signal["external_id"] is None
    received = signal["time"]
    assert received.endswith("Z") and abs(_epoch(received) - before) < 5
    full = {
        "instrument": "eur/usd",
        "side": "sell",
        "price": 1.0845,
        "time": "2026-11-28T03:00:00+02:00",
        "version": "v2",
        "external_id": "abc-1",
        "payload": {"tf": "1h", "why": ["rsi", 71.5]},
    }
    created = post(http, relay, full)
    assert created.status_code == 201, created.text
    got = created.json()
    assert got["time"] == "2026-11-28T01:00:00Z"
    assert (got["instrument"], got["version"], got["external_id"]) == ("EUR/USD", "v2", "abc-1")
    assert got["payload"] == full["payload"]

    # body larger than SIGNALS_MAX_PAYLOAD_BYTES -> 413, with or without Content-Length
    big = json.dumps({**XAU, "payload": {"pad": "x" * 3000}}).encode()
    too_large = http.post(SIGNALS, content=big, headers=sign(relay, big))
    assert too_large.status_code == 413 and too_large.json()["status_code"] == 413

    def chunks() -> Iterator[bytes]:
        for i in range(0, len(big), 500):
            yield big[i : i + 500]

    chunked = http.post(SIGNALS, content=chunks(), headers=sign(relay, big))
    assert chunked.status_code == 413
    small_chunked = json.dumps({**XAU, "instrument": "CHUNKED"}).encode()
    ok = http.post(
        SIGNALS,
        content=iter([small_chunked[:10], small_chunked[10:]]),
        headers=sign(relay, small_chunked),
    )
    assert ok.status_code == 201, ok.text

    # every authentication failure -> 401 with the same detail
    body = json.dumps({**XAU, "instrument": "AUTH"}).encode()
    good = sign(relay, body)
    now = int(time.time())
    cases = [
        {k: v for k, v in good.items() if k != name}
        for name in ("X-Producer-Id", "X-Timestamp", "X-Signature")
    ]
    cases += [
        {**good, "X-Producer-Id": "no-such-producer"},
        {**good, "X-Signature": "0" * 64},
        {**good, "X-Signature": good["X-Signature"].upper()},
        sign(Producer(relay.id, "wrong-secret"), body),
        sign(relay, body, ts=now - 400),
        sign(relay, body, ts=now + 400),
        {**good, "X-Timestamp": "not-a-number"},
    ]
    details = set()
    for headers in cases:
        answer = http.post(SIGNALS, content=body, headers=headers)
        assert answer.status_code == 401, (headers, answer.text)
        details.add(answer.json()["detail"])
    assert len(details) == 1
    tampered = http.post(SIGNALS, content=body.replace(b"AUTH", b"AUTX"), headers=good)
    assert tampered.status_code == 401 and tampered.json()["detail"] in details

    # invalid JSON or a field breaking a rule -> 400 naming the field
    bad: list[tuple[Any, str]] = [
        (b"{not json", "body"),
        (b"[1, 2]", "body"),
        ({**XAU, "qty": 1}, "qty"),
        ({"side": "buy", "price": 1}, "instrument"),
        ({**XAU, "instrument": "X"}, "instrument"),
        ({**XAU, "instrument": "X" * 33}, "instrument"),
        ({**XAU, "instrument": "XAU USD"}, "instrument"),
        ({**XAU, "side": "hold"}, "side"),
        ({**XAU, "side": "BUY"}, "side"),
        ({**XAU, "price": 0}, "price"),
        ({**XAU, "price": -1}, "price"),
        ({**XAU, "price": "1.5"}, "price"),
        (b'{"instrument":"XAUUSD","side":"buy","price":1e999}', "price"),
        (b'{"instrument":"XAUUSD","side":"buy","price":NaN}', "price"),
        ({**XAU, "time": "2026-11-28T01:00:00"}, "time"),
        ({**XAU, "time": "yesterday"}, "time"),
        ({**XAU, "version": ""}, "version"),
        ({**XAU, "version": "v" * 33}, "version"),
        ({**XAU, "external_id": "e" * 129}, "external_id"),
        ({**XAU, "payload": [1]}, "payload"),
        (b'{"instrument":"XAUUSD","side":"buy","price":1,"payload":{"x":NaN}}', "payload"),
        (b'{"instrument":"XAUUSD","side":"buy","price":1,"payload":{"x":1e999}}', "payload"),
        (b'{"instrument":"XAUUSD","side":"buy","price":1,"payload":{"x":"\\ud800"}}', "payload"),
    ]
    for document, field in bad:
        answer = post(http, relay, document)
        assert answer.status_code == 400, (document, answer.text)
        assert answer.json()["field"] == field, (document, answer.json())
        assert field in answer.json()["detail"]

    # same external_id -> 409 with existing_id, whatever else differs
    dup = post(http, relay, {**XAU, "instrument": "GBPUSD", "external_id": "abc-1"})
    assert dup.status_code == 409, dup.text
    assert dup.json()["existing_id"] == got["id"]

    # same owner+instrument+side+version within the window -> 409 with existing_id
    near = post(http, relay, {**XAU, "time": received, "external_id": "another"})
    assert near.status_code == 409, near.text
    assert near.json()["existing_id"] == signal["id"]
    other_side = post(http, relay, {**XAU, "side": "sell"})
    assert other_side.status_code == 201

    metrics = http.get("/metrics").text
    assert 'signals_ingested_total{instrument="XAUUSD",side="buy"} 1.0' in metrics
    for reason in ("signature", "duplicate", "too_large", "invalid"):
        assert f'signals_rejected_total{{reason="{reason}"}}' in metrics
    assert _sample(metrics, 'signals_rejected_total{reason="too_large"}') == 2
    assert _sample(metrics, 'signals_rejected_total{reason="duplicate"}') == 2
    assert _sample(metrics, 'signals_rejected_total{reason="invalid"}') == len(bad)
    assert _sample(metrics, "signals_create_seconds_count") == 4


def test_dedup_window_is_per_producer(world: dict[str, Any]) -> None:
    http, cli, alice = world["http"], world["cli"], world["alice"]
    relay = world["relay"]
    no_window = producer(cli, alice, "no-window", "--dedup-window", "0")
    t = "2026-11-28T01:00:00Z"
    assert post(http, no_window, {**XAU, "time": t}).status_code == 201
    assert post(http, no_window, {**XAU, "time": t}).status_code == 201
    # dedup is per owner, across producers: the default window sees the two above
    assert post(http, relay, {**XAU, "time": "2026-11-28T01:04:59Z"}).status_code == 409
    assert post(http, relay, {**XAU, "time": "2026-11-28T01:05:00Z"}).status_code == 201
    disabled = producer(cli, alice, "to-disable")
    cli.json("producers", "disable", "to-disable")
    answer = post(http, disabled, {**XAU, "instrument": "DIS"})
    assert answer.status_code == 401


def test_reads_are_owned_paginated_and_filtered(world: dict[str, Any]) -> None:
    http, cli, alice, bob = world["http"], world["cli"], world["alice"], world["bob"]
    relay = world["relay"]
    bob_relay = producer(cli, bob, "bob-relay")
    ids = []
    for i in range(5):
        answer = post(
            http,
            relay,
            {
                **XAU,
                "instrument": "XAUUSD" if i % 2 else "EURUSD",
                "external_id": f"r-{i}",
                "time": f"2026-11-28T0{i}:00:00Z",
            },
        )
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    bobs = post(http, bob_relay, XAU).json()

    one = http.get(f"{SIGNALS}/{ids[0]}", headers=alice.auth)
    assert one.status_code == 200 and one.json()["id"] == ids[0]
    assert http.get(f"{SIGNALS}/{bobs['id']}", headers=alice.auth).status_code == 403
    assert http.get(f"{SIGNALS}/{uuid.uuid4()}", headers=alice.auth).status_code == 404
    assert http.get(f"{SIGNALS}/not-a-uuid", headers=alice.auth).status_code == 404
    assert http.get(f"{SIGNALS}/{ids[0]}").status_code == 401
    assert http.get(SIGNALS, headers={"Authorization": "Bearer nope"}).status_code == 401

    listing = http.get(SIGNALS, headers=alice.auth)
    assert listing.status_code == 200
    body = listing.json()
    assert (body["total"], body["page"], body["page_size"]) == (5, 1, 50)
    assert [s["id"] for s in body["items"]] == ids[::-1]
    page = http.get(SIGNALS, params={"page": 2, "page_size": 2}, headers=alice.auth).json()
    assert [s["id"] for s in page["items"]] == ids[::-1][2:4]
    assert (page["total"], page["page"], page["page_size"]) == (5, 2, 2)
    beyond = http.get(SIGNALS, params={"page": 9}, headers=alice.auth).json()
    assert beyond["items"] == [] and beyond["total"] == 5
    xau = http.get(
        SIGNALS, params={"instrument": "xauusd", "status": "new"}, headers=alice.auth
    ).json()
    assert [s["id"] for s in xau["items"]] == [ids[3], ids[1]]
    closed = http.get(SIGNALS, params={"status": "closed"}, headers=alice.auth).json()
    assert closed["total"] == 0
    only_bob = http.get(SIGNALS, headers=bob.auth).json()
    assert [s["id"] for s in only_bob["items"]] == [bobs["id"]]
    for params, field in [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 201}, "page_size"),
        ({"page": 0}, "page"),
        ({"page": "x"}, "page"),
        ({"status": "open"}, "status"),
    ]:
        answer = http.get(SIGNALS, params=params, headers=alice.auth)
        assert answer.status_code == 400, (params, answer.text)
        assert answer.json()["field"] == field
    assert http.get(SIGNALS, params={"page_size": 200}, headers=alice.auth).status_code == 200


def test_rotation_keeps_the_old_secret_for_the_grace(world: dict[str, Any]) -> None:
    http, cli, alice = world["http"], world["cli"], world["alice"]
    old = producer(cli, alice, "rotating")
    rotated = cli.json("producers", "rotate", "rotating")
    new = Producer("rotating", rotated["secret"])
    assert new.secret != old.secret
    assert post(http, old, {**XAU, "instrument": "OLD"}).status_code == 201
    assert post(http, new, {**XAU, "instrument": "NEW"}).status_code == 201
    gone = producer(cli, alice, "rotating-now")
    newer = Producer(gone.id, cli.json("producers", "rotate", gone.id, "--grace", "0")["secret"])
    assert post(http, gone, {**XAU, "instrument": "OLD2"}).status_code == 401
    assert post(http, newer, {**XAU, "instrument": "NEW2"}).status_code == 201


def test_hmac_disabled_still_needs_a_known_enabled_producer(
    cli: Cli, start_server: Callable[..., Server]
) -> None:
    alice = account(cli, "alice")
    relay = producer(cli, alice, "dev-relay")
    # No producer reuse: a disable must show on the very next request, however fast it comes.
    server = start_server(
        cli, env={"SIGNALS_HMAC_ENABLED": "false", "SIGNALS_PRODUCER_CACHE_SECONDS": "0"}
    )
    body = json.dumps(XAU).encode()
    with server.client() as http:
        ok = http.post(SIGNALS, content=body, headers={"X-Producer-Id": relay.id})
        assert ok.status_code == 201, ok.text
        for headers in ({}, {"X-Producer-Id": "nobody"}):
            assert http.post(SIGNALS, content=body, headers=headers).status_code == 401
        cli.json("producers", "disable", relay.id)
        assert (
            http.post(SIGNALS, content=body, headers={"X-Producer-Id": relay.id}).status_code == 401
        )


def _epoch(rfc3339: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def _sample(metrics: str, name: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in metrics")


def test_the_producer_example_script_signs_and_posts(
    sqlite_cli: Cli, start_server: Callable[..., Server]
) -> None:
    alice = account(sqlite_cli, "alice")
    relay = producer(sqlite_cli, alice, "tv-relay-1")
    server = start_server(sqlite_cli)
    script = Path(__file__).resolve().parents[2] / "scripts" / "sign_and_post.py"
    env = {"SIGNALHUB_PRODUCER_ID": relay.id, "SIGNALHUB_SECRET": relay.secret, "PATH": ""}
    signal = json.dumps({"instrument": "XAUUSD", "side": "buy", "price": 1950.25})

    def run_script() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), "--url", server.url, signal],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    first = run_script()
    assert first.returncode == 0, first.stdout + first.stderr
    status, _, body = first.stdout.partition(" ")
    assert status == "201" and json.loads(body)["instrument"] == "XAUUSD"
    again = run_script()
    assert again.returncode == 1 and again.stdout.startswith("409 ")
