"""The rules of outbound webhooks (domain/webhooks): URLs and the SSRF classification, event
matching, the retry schedule and what an attempt leads to, signing as the reference
`standardwebhooks` verifier checks it."""

from __future__ import annotations

import ipaddress
import json
import time
import uuid
from datetime import timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from domain.errors import InvalidInput
from domain.lifecycle.events import EventType
from domain.webhooks.model import DEFAULT_RETRY_SCHEDULE, DeliveryStatus, SendResult, Subscription
from domain.webhooks.rules import (
    check_addresses,
    matches,
    normalise_events,
    outcome,
    parse_schedule,
    parse_url,
    refused_address,
    webhook_id,
)
from domain.webhooks.signing import secret_from_key, signature_header
from tests.fakes.clock import START
from tests.fakes.stream import item


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.1", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped: judged as the IPv4 address
        ("::ffff:10.0.0.1", "private"),
        ("0.0.0.0", "private"),  # noqa: S104 - an address under test, not a bind
        ("100.64.0.1", "not globally routable"),  # carrier-grade NAT
        ("240.0.0.1", "private"),
    ],
)
def test_addresses_that_may_not_receive_webhooks(address: str, reason: str) -> None:
    assert refused_address(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_may(address: str) -> None:
    assert refused_address(ipaddress.ip_address(address)) is None


def test_every_resolved_address_must_pass() -> None:
    assert check_addresses("h", ["8.8.8.8", "1.1.1.1"]) == ["8.8.8.8", "1.1.1.1"]
    with pytest.raises(InvalidInput, match="private"):
        check_addresses("h", ["8.8.8.8", "10.0.0.1"])
    with pytest.raises(InvalidInput, match="does not resolve"):
        check_addresses("h", [])


@pytest.mark.parametrize(
    "url",
    ["ftp://example.com/x", "file:///etc/passwd", "example.com/x", "http://", "https://a b.com/",
     "http://example.com:99999/", "https://example.com/" + "a" * 2048],
)  # fmt: skip
def test_urls_that_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_url(url)
    assert refused.value.field == "url"


def test_a_url_is_taken_apart() -> None:
    assert parse_url("https://Example.com/hook").port == 443
    assert parse_url("HTTP://example.com/hook").scheme == "http"
    target = parse_url("http://[2606:4700::1]:8080/x")
    assert (target.host, target.port) == ("2606:4700::1", 8080)
    assert target.literal == ipaddress.ip_address("2606:4700::1")
    assert parse_url("https://example.com/" + "a" * (2048 - 20)).literal is None


def test_event_types_default_to_all_and_unknown_ones_are_refused() -> None:
    assert normalise_events(None) == (EventType.CREATED, EventType.TRANSITIONED)
    assert normalise_events(["signal.transitioned", "signal.created", "signal.created"]) == (
        EventType.CREATED,
        EventType.TRANSITIONED,
    )
    with pytest.raises(InvalidInput, match=r"signal\.deleted"):
        normalise_events(["signal.deleted"])
    with pytest.raises(InvalidInput):
        normalise_events([])


def _subscription(events: tuple[EventType, ...], instrument: str | None) -> Subscription:
    return Subscription(
        id=uuid.uuid4(), user_id=uuid.uuid4(), url="https://example.com/", events=events,
        instrument=instrument, enabled=True, secret="whsec_AAAA", previous_secret=None,
        previous_secret_until=None, created_at=START,
    )  # fmt: skip


def test_matching_is_by_event_type_and_instrument() -> None:
    created = item(uuid.uuid4(), 1, instrument="XAUUSD")
    assert created.event.type is EventType.CREATED
    everything = _subscription(tuple(EventType), None)
    assert matches(everything, created.event, created.signal)
    assert matches(_subscription(tuple(EventType), "XAUUSD"), created.event, created.signal)
    assert not matches(_subscription(tuple(EventType), "EURUSD"), created.event, created.signal)
    only_moves = _subscription((EventType.TRANSITIONED,), None)
    assert not matches(only_moves, created.event, created.signal)


def test_the_schedule_setting() -> None:
    assert parse_schedule("5,300,1800,7200,18000,36000,36000") == DEFAULT_RETRY_SCHEDULE
    assert parse_schedule(" 1, 2 ,4") == (1, 2, 4)
    assert parse_schedule("") == ()
    for bad in ("1,,2", "a", "0", "-1", "604801", ",".join(["1"] * 51)):
        with pytest.raises(ValueError):
            parse_schedule(bad)


def _result(status: int | None) -> SendResult:
    return SendResult(status, None if status == 200 else "x", 0.01)


def test_what_an_attempt_leads_to() -> None:
    schedule = (5, 300)
    assert outcome(_result(200), 1, schedule, START).status is DeliveryStatus.DELIVERED
    assert outcome(_result(204), 3, schedule, START).status is DeliveryStatus.DELIVERED
    first = outcome(_result(500), 1, schedule, START)
    assert (first.status, first.next_attempt_at) == (
        DeliveryStatus.PENDING,
        START + timedelta(seconds=5),
    )
    second = outcome(_result(None), 2, schedule, START)  # timeout, refused connection
    assert second.next_attempt_at == START + timedelta(seconds=300)
    last = outcome(_result(302), 3, schedule, START)  # a redirect is not followed: a failure
    assert (last.status, last.next_attempt_at) == (DeliveryStatus.FAILED, None)
    gone = outcome(_result(410), 1, schedule, START)
    assert (gone.status, gone.disable_subscription) == (DeliveryStatus.FAILED, True)
    assert outcome(_result(500), 1, (), START).status is DeliveryStatus.FAILED


def test_the_webhook_id_is_stable_per_event_and_subscription() -> None:
    sub = uuid.uuid4()
    assert webhook_id(sub, 7) == webhook_id(sub, 7)
    assert webhook_id(sub, 7) != webhook_id(sub, 8)
    assert webhook_id(sub, 7) != webhook_id(uuid.uuid4(), 7)


def test_signatures_verify_with_the_reference_library() -> None:
    old, new = secret_from_key(b"\x01" * 24), secret_from_key(b"\x02" * 24)
    body = json.dumps({"type": "signal.created"}).encode()
    ts = int(time.time())  # the verifier checks it against its own clock
    header = signature_header([new, old], "msg_1", ts, body)
    assert header.count("v1,") == 2
    headers = {"webhook-id": "msg_1", "webhook-timestamp": str(ts), "webhook-signature": header}
    for secret in (old, new):  # each receiver's secret verifies during the overlap
        assert Webhook(secret).verify(body, headers) == {"type": "signal.created"}
    verifier = Webhook(secret_from_key(b"\x03" * 24))
    with pytest.raises(WebhookVerificationError):
        verifier.verify(body, headers)


def test_the_previous_secret_signs_only_during_the_overlap() -> None:
    sub = _subscription(tuple(EventType), None)
    rotated = Subscription(
        **{
            **{f: getattr(sub, f) for f in sub.__slots__},  # type: ignore[attr-defined]
            "secret": "whsec_NEW",
            "previous_secret": "whsec_OLD",
            "previous_secret_until": START + timedelta(hours=24),
        }
    )
    assert rotated.signing_secrets(START) == ("whsec_NEW", "whsec_OLD")
    assert rotated.signing_secrets(START + timedelta(hours=24)) == ("whsec_NEW",)
    assert sub.signing_secrets(START) == ("whsec_AAAA",)


def test_a_receiver_failing_as_a_whole_holds_the_subscription_until_the_retry() -> None:
    for status in (None, 500, 503, 408, 429):
        held = outcome(_result(status), 1, (5,), START)
        assert held.hold_until == START + timedelta(seconds=5) == held.next_attempt_at
    for status in (400, 404, 422, 302):  # this message refused: the next ones go on
        assert outcome(_result(status), 1, (5,), START).hold_until is None
    assert outcome(_result(500), 2, (5,), START).hold_until is None  # failed for good
    assert outcome(_result(200), 1, (5,), START).hold_until is None
