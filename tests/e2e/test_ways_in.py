"""SPEC §11 black-box: a real `signalhub serve`; Standard Webhooks senders signed by the real
`standardwebhooks` library, TradingView's exact request, the per-producer path, allow-lists
with and without a trusted proxy, the dedup rules across all three ways in."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from svix.webhooks import Webhook as SvixWebhook

from tests.support.producers import (
    TRADINGVIEW_TEXT,
    create_producer,
    sample,
    tradingview_message,
    webhook_headers,
)
from tests.support.signalhub import Cli, Server, signed_headers
from tests.support.signals import SIGNALS, account

BTC = {"instrument": "BINANCE:BTCUSDT", "side": "buy", "price": 97250.5}


def _body(document: Any) -> bytes:
    return json.dumps(document).encode()


def for_producer(producer_id: str) -> str:
    return f"/api/v1/producers/{producer_id}/signals"


@pytest.fixture
def world(cli: Cli, start_server: Callable[..., Server]) -> Iterator[dict[str, Any]]:
    alice = account(cli, "alice")
    relay = create_producer(cli, alice.user_id, "sw-relay")
    other = create_producer(cli, alice.user_id, "other-relay")
    tv = create_producer(cli, alice.user_id, "tv-alerts", "--tradingview")
    # No producer reuse: a rotation with --grace 0 shows on the very next request.
    server = start_server(
        cli, env={"SIGNALS_MAX_PAYLOAD_BYTES": "2048", "SIGNALS_PRODUCER_CACHE_SECONDS": "0"}
    )
    with server.client() as http:
        yield {
            "cli": cli,
            "http": http,
            "server": server,
            "alice": alice,
            "relay": relay,
            "other": other,
            "tv": tv,
        }


def test_standard_webhooks_senders_on_both_paths(world: dict[str, Any]) -> None:
    http: httpx.Client = world["http"]
    relay, other = world["relay"], world["other"]
    whsec = relay["standard_webhooks_secret"]
    assert whsec.startswith("whsec_") and other["standard_webhooks_secret"] != whsec

    # accepted on POST /api/v1/signals (X-Producer-Id names the producer)
    body = _body({**BTC, "instrument": "ETHUSDT"})
    headers = {"X-Producer-Id": relay["producer_id"], **webhook_headers(whsec, body, "msg_1")}
    created = http.post(SIGNALS, content=body, headers=headers)
    assert created.status_code == 201, created.text
    signal = created.json()
    assert signal["producer_id"] == "sw-relay" and signal["external_id"] == "msg_1"
    # the sender retries the same message: the webhook-id dedups it
    again = http.post(SIGNALS, content=body, headers=headers)
    assert again.status_code == 409 and again.json()["existing_id"] == signal["id"]

    # accepted on the per-producer path: no X-Producer-Id needed
    body = _body({**BTC, "instrument": "SOLUSDT", "external_id": "own-id"})
    on_path = http.post(
        for_producer("sw-relay"), content=body, headers=webhook_headers(whsec, body, "msg_2")
    )
    assert on_path.status_code == 201, on_path.text
    assert on_path.json()["external_id"] == "own-id"  # the body's own id wins
    # §3 headers work on the per-producer path too
    body = _body({**BTC, "instrument": "ADAUSDT"})
    hmac_on_path = signed_headers("sw-relay", relay["secret"], body)
    del hmac_on_path["X-Producer-Id"]
    assert (
        http.post(for_producer("sw-relay"), content=body, headers=hmac_on_path).status_code == 201
    )

    # every failure is the §3 401 with its one detail
    first_401 = http.post(SIGNALS, content=body, headers={}).json()["detail"]
    body = _body({**BTC, "instrument": "XRPUSDT"})
    good = webhook_headers(whsec, body, "msg_3")
    failures: list[tuple[str, dict[str, str], bytes]] = [
        (SIGNALS, good, body),  # no X-Producer-Id on the shared path
        (for_producer("sw-relay"), good, body.replace(b"XRP", b"XRQ")),  # tampered body
        (for_producer("sw-relay"), webhook_headers(whsec, body, age_seconds=400), body),  # stale
        (for_producer("sw-relay"), webhook_headers(whsec, body, "m" * 129), body),  # long id
        (for_producer("other-relay"), good, body),  # signed for another producer
        (for_producer("nobody"), good, body),
        # the path and X-Producer-Id disagree, whichever producer the signature is for
        (for_producer("sw-relay"), {**good, "X-Producer-Id": "other-relay"}, body),
        (
            for_producer("other-relay"),
            {
                **webhook_headers(other["standard_webhooks_secret"], body),
                "X-Producer-Id": "sw-relay",
            },
            body,
        ),
        (
            for_producer("other-relay"),
            {**signed_headers("sw-relay", relay["secret"], body)},
            body,
        ),
    ]
    for path, headers, sent in failures:
        answer = http.post(path, content=sent, headers=headers)
        assert answer.status_code == 401, (path, headers, answer.text)
        assert answer.json()["detail"] == first_401
    assert http.post(for_producer("sw-relay"), content=body, headers=good).status_code == 201

    metrics = http.get("/metrics").text
    by_source = "signals_ingested_by_source_total{source=%s}"
    assert sample(metrics, by_source % '"standard_webhooks"') == 3
    assert sample(metrics, by_source % '"hmac"') == 1
    rejected = 'signals_rejected_by_source_total{reason="%s",source="standard_webhooks"}'
    assert sample(metrics, rejected % "signature") == 8
    assert sample(metrics, rejected % "duplicate") == 1
    assert sample(metrics, 'signals_ingested_total{instrument="ETHUSDT",side="buy"}') == 1


def test_a_svix_sender_is_accepted_as_it_signs(world: dict[str, Any]) -> None:
    """svix (the other Standard Webhooks library) signs; we send exactly what it produced."""
    http: httpx.Client = world["http"]
    whsec = world["relay"]["standard_webhooks_secret"]
    body = _body({**BTC, "instrument": "DOTUSDT"})
    when = datetime.now(UTC)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": "svix_msg_1",
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": SvixWebhook(whsec).sign("svix_msg_1", when, body.decode()),
    }
    created = http.post(for_producer("sw-relay"), content=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["external_id"] == "svix_msg_1"
    retried = http.post(for_producer("sw-relay"), content=body, headers=headers)
    assert retried.status_code == 409 and retried.json()["existing_id"] == created.json()["id"]
    tampered = http.post(
        for_producer("sw-relay"), content=body.replace(b"DOT", b"DOG"), headers=headers
    )
    assert tampered.status_code == 401


def test_standard_webhooks_secret_rotation_has_the_grace(world: dict[str, Any]) -> None:
    http, cli = world["http"], world["cli"]
    old = create_producer(cli, world["alice"].user_id, "rotating")
    rotated = cli.json("producers", "rotate", "rotating")
    assert rotated["standard_webhooks_secret"] not in (None, old["standard_webhooks_secret"])
    assert "tradingview_url" not in rotated
    for whsec, instrument in [
        (old["standard_webhooks_secret"], "OLDUSD"),
        (rotated["standard_webhooks_secret"], "NEWUSD"),
    ]:
        body = _body({**BTC, "instrument": instrument})
        answer = http.post(
            for_producer("rotating"), content=body, headers=webhook_headers(whsec, body)
        )
        assert answer.status_code == 201, answer.text
    now = cli.json("producers", "rotate", "rotating", "--grace", "0")
    body = _body({**BTC, "instrument": "GONEUSD"})
    for whsec, status in [
        (rotated["standard_webhooks_secret"], 401),
        (now["standard_webhooks_secret"], 201),
    ]:
        answer = http.post(
            for_producer("rotating"), content=body, headers=webhook_headers(whsec, body)
        )
        assert answer.status_code == status, answer.text


def test_tradingview_alerts(world: dict[str, Any]) -> None:
    http: httpx.Client = world["http"]
    cli, server, tv = world["cli"], world["server"], world["tv"]
    url = tv["tradingview_url"]
    token = url.rsplit("/", 1)[-1]
    assert url == "/api/v1/hooks/tradingview/" + token and len(token) >= 40

    # the exact request TradingView sends: text/plain, no custom headers
    message = tradingview_message("BINANCE:BTCUSDT", "buy", "97250.5", "2026-11-28T20:00:00Z")
    created = http.post(url, content=message, headers=TRADINGVIEW_TEXT)
    assert created.status_code == 201, created.text
    signal = created.json()
    assert (signal["instrument"], signal["side"], signal["price"]) == (
        "BINANCE:BTCUSDT",
        "buy",
        97250.5,
    )
    assert signal["producer_id"] == "tv-alerts" and signal["time"] == "2026-11-28T20:00:00Z"
    as_json = tradingview_message("BINANCE:ETHUSDT", "sell", "3500", "2026-11-28T20:01:00Z")
    answer = http.post(url, content=as_json, headers={"Content-Type": "application/json"})
    assert answer.status_code == 201, answer.text

    # the dedup rules hold across the ways in: the same signal signed by a relay of the same
    # owner, inside the window -> 409 naming the alert's signal
    same = _body({**BTC, "time": "2026-11-28T20:00:30Z"})
    relay = world["relay"]
    dup = http.post(
        SIGNALS, content=same, headers=signed_headers("sw-relay", relay["secret"], same)
    )
    assert dup.status_code == 409 and dup.json()["existing_id"] == signal["id"]
    again = http.post(url, content=message, headers=TRADINGVIEW_TEXT)
    assert again.status_code == 409 and again.json()["existing_id"] == signal["id"]

    # not a JSON object -> 400 naming the body or the field; too large -> 413
    for sent, field in [(b"BTCUSDT buy", "body"), (b'{"instrument": "X"}', "instrument")]:
        bad = http.post(url, content=sent, headers=TRADINGVIEW_TEXT)
        assert bad.status_code == 400 and bad.json()["field"] == field, bad.text
    big = (
        b'{"instrument": "BTCUSDT", "side": "buy", "price": 1, "payload": {"x": "'
        + (b"y" * 3000)
        + b'"}}'
    )
    assert http.post(url, content=big, headers=TRADINGVIEW_TEXT).status_code == 413
    chunked = http.post(
        url, content=iter([big[:1000], big[1000:2000], big[2000:]]), headers=TRADINGVIEW_TEXT
    )
    assert chunked.status_code == 413

    # unknown and rotated tokens -> 401 with the one detail of every 401
    detail = http.post(SIGNALS, content=message).json()["detail"]
    rotated = cli.json("producers", "rotate", "tv-alerts", "--tradingview")
    assert set(rotated) == {"producer_id", "tradingview_url"}
    new_url = rotated["tradingview_url"]
    fresh = tradingview_message("BINANCE:BTCUSDT", "sell", "97000", "2026-11-28T21:00:00Z")
    for dead in (url, "/api/v1/hooks/tradingview/tv_unknown", "/api/v1/hooks/tradingview/x"):
        refused = http.post(dead, content=fresh, headers=TRADINGVIEW_TEXT)
        assert refused.status_code == 401 and refused.json()["detail"] == detail
    assert http.post(new_url, content=fresh, headers=TRADINGVIEW_TEXT).status_code == 201
    assert http.get(new_url).status_code == 405  # an unrouted method: still not logged

    metrics = http.get("/metrics").text
    assert sample(metrics, 'signals_ingested_by_source_total{source="tradingview"}') == 3
    tv_rejected = 'signals_rejected_by_source_total{reason="%s",source="tradingview"}'
    assert sample(metrics, tv_rejected % "signature") == 3
    assert sample(metrics, tv_rejected % "too_large") == 2
    assert sample(metrics, tv_rejected % "invalid") == 2
    assert sample(metrics, tv_rejected % "duplicate") == 1
    assert sample(metrics, 'signals_ingested_total{instrument="BINANCE:BTCUSDT",side="buy"}') == 1
    route = "/api/v1/hooks/tradingview/{token}"
    assert (
        sample(metrics, f'http_requests_total{{method="POST",route="{route}",status="201"}}') == 3
    )

    # no token in any log line or label, the access line names the route template
    server.stop()
    logs = server.logs()
    for secret in (token, new_url.rsplit("/", 1)[-1], "tv_unknown"):
        assert secret not in logs and secret not in metrics
    events = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    hooks = [e for e in events if e.get("event") == "request" and "hooks" in e["path"]]
    assert len(hooks) >= 12 and {e["path"] for e in hooks} <= {
        route,
        "/api/v1/hooks/tradingview/{redacted}",
    }


def test_allow_ip_with_and_without_a_trusted_proxy(
    sqlite_cli: Cli, start_server: Callable[..., Server]
) -> None:
    cli = sqlite_cli
    alice = account(cli, "alice")
    tv = create_producer(
        cli, alice.user_id, "tv-listed", "--tradingview", "--allow-ip", "203.0.113.7"
    )
    assert tv["allowed_ips"] == ["203.0.113.7/32"]
    listed = cli.json("producers", "list")["producers"]
    assert [(p["producer_id"], p["tradingview"], p["allowed_ips"]) for p in listed] == [
        ("tv-listed", True, ["203.0.113.7/32"])
    ]
    url = tv["tradingview_url"]
    alert = tradingview_message("BINANCE:BTCUSDT", "buy", "97250.5", "2026-11-28T20:00:00Z")

    def send_to(http: httpx.Client, to: str, forwarded_for: str | None, hour: int) -> int:
        # a new hour each time: outside the dedup window of the ones before
        message = alert.replace(b"20:00:00", f"{hour:02d}:00:00".encode())
        headers = dict(TRADINGVIEW_TEXT)
        if forwarded_for is not None:
            headers["X-Forwarded-For"] = forwarded_for
        return http.post(to, content=message, headers=headers).status_code

    def send(http: httpx.Client, forwarded_for: str | None, hour: int) -> int:
        return send_to(http, url, forwarded_for, hour)

    # no TRUSTED_PROXIES: the peer (127.0.0.1) is the client; its X-Forwarded-For is a claim
    direct = start_server(cli, env={"SIGNALS_PRODUCER_CACHE_SECONDS": "0"})
    with direct.client() as http:
        assert send(http, None, 10) == 401
        assert send(http, "203.0.113.7", 11) == 401
    # behind a trusted proxy: the last hop is the client
    proxied = start_server(
        cli,
        env={"TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.0/8", "SIGNALS_PRODUCER_CACHE_SECONDS": "0"},
    )
    with proxied.client() as http:
        assert send(http, "203.0.113.7", 12) == 201
        assert send(http, "198.51.100.1, 203.0.113.7", 13) == 201
        assert send(http, "203.0.113.7, 198.51.100.1", 14) == 401
        assert send(http, "not-an-address", 15) == 401
        assert send(http, None, 16) == 401  # the proxy itself is not listed
    # a trusted proxy elsewhere does not make this peer's header count
    elsewhere = start_server(cli, env={"TRUSTED_PROXIES": "10.0.0.0/8"})
    with elsewhere.client() as http:
        assert send(http, "203.0.113.7", 17) == 401
    # rotate --allow-ip replaces the list; signed requests are never address-checked
    changed = cli.json(
        "producers", "rotate", "tv-listed", "--tradingview", "--allow-ip", "127.0.0.1"
    )
    assert changed["allowed_ips"] == ["127.0.0.1/32"]
    with direct.client() as http:
        answer = http.post(changed["tradingview_url"], content=alert, headers=TRADINGVIEW_TEXT)
        assert answer.status_code == 201, answer.text
        assert send(http, None, 21) == 401  # the old URL stopped at once
    # --allow-any-ip empties the list: an address no list admitted is let in again
    with proxied.client() as http:
        assert send_to(http, changed["tradingview_url"], "203.0.113.7", 22) == 401
    opened = cli.json("producers", "rotate", "tv-listed", "--allow-any-ip")
    assert opened["allowed_ips"] == []
    with proxied.client() as http:
        assert send_to(http, changed["tradingview_url"], "203.0.113.7", 23) == 201
    both = cli.run("producers", "rotate", "tv-listed", "--allow-any-ip", "--allow-ip", "10.0.0.1")
    assert both.returncode != 0 and "--allow-any-ip" in both.stderr


def test_producer_verbs_print_the_new_credentials(sqlite_cli: Cli) -> None:
    cli = sqlite_cli
    alice = account(cli, "alice")
    text = cli.run("producers", "create", "tv-text", "--user", alice.user_id, "--tradingview")
    assert text.returncode == 0, text.stderr
    lines = dict(line.split(": ", 1) for line in text.stdout.strip().splitlines())
    assert lines["standard_webhooks_secret"].startswith("whsec_")
    assert lines["tradingview_url"].startswith("/api/v1/hooks/tradingview/tv_")
    assert lines["allowed_ips"] == "any"
    plain = cli.json("producers", "create", "plain", "--user", alice.user_id)
    assert set(plain) == {"producer_id", "secret", "standard_webhooks_secret", "allowed_ips"}
    rotated = cli.run("producers", "rotate", "tv-text", "--tradingview")
    assert (
        rotated.returncode == 0 and "tradingview_url: /api/v1/hooks/tradingview/" in rotated.stdout
    )
    assert "secret" not in rotated.stdout
    listed = cli.run("producers", "list")
    assert "tradingview=true\tallowed_ips=any" in listed.stdout
    for args in (
        ["producers", "create", "bad-cidr", "--user", alice.user_id, "--allow-ip", "10.0.0.1/8"],
        ["producers", "rotate", "plain", "--allow-ip", "nope"],
    ):
        done = cli.run(*args, "--json")
        lines_err = done.stderr.strip().splitlines()
        assert done.returncode != 0 and len(lines_err) == 1 and "allow_ip" in lines_err[0]
    # a refused --allow-ip changed nothing: the secret was not rotated
    assert cli.json("producers", "list")["producers"][0]["allowed_ips"] == []
