"""IngestSignal's three ways in (SPEC §11) with fakes: Standard Webhooks headers, the
per-producer path, TradingView URL tokens; all end in the same signal rules."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from standardwebhooks import Webhook

from application.signals import IngestPolicy, IngestSignal, IngestSignalRequest, TradingViewAlert
from domain.accounts.model import Producer
from domain.errors import AlreadyExists, InvalidInput, Unauthenticated
from domain.producer_auth import (
    SignalSource,
    hash_url_token,
    parse_networks,
    standard_webhooks_secret,
)
from domain.signals import UNAUTHENTICATED_DETAIL, signature_for
from tests.fakes.clock import FakeClock
from tests.fakes.signals import (
    FakeProducerDirectory,
    FakeSignalMetrics,
    FakeSignalRepository,
)

USER = uuid4()
TOKEN = "tv_" + "k" * 43
SIGNAL = {"instrument": "BINANCE:BTCUSDT", "side": "buy", "price": 97000.5}


class World:
    def __init__(
        self, *, window: int = 300, hmac_enabled: bool = True, cache_seconds: float = 0.0
    ) -> None:
        self.clock = FakeClock()
        self.producer = Producer(
            id="relay-1",
            user_id=USER,
            enabled=True,
            dedup_window_seconds=window,
            secret="new-secret",
            previous_secret="old-secret",
            previous_secret_valid_until=self.clock.now() + timedelta(hours=1),
            created_at=self.clock.now(),
            tradingview_token_hash=hash_url_token(TOKEN),
        )
        self.other = Producer(
            "relay-2", USER, True, window, "other-secret", None, None, self.clock.now()
        )
        self.producers = FakeProducerDirectory(self.producer, self.other)
        self.signals = FakeSignalRepository()
        self.metrics = FakeSignalMetrics()
        self.ingest = IngestSignal(
            producers=self.producers,
            signals=self.signals,
            metrics=self.metrics,
            clock=self.clock,
            decode_json=json.loads,
            policy=IngestPolicy(
                hmac_enabled=hmac_enabled,
                timestamp_tolerance_seconds=300,
                producer_cache_seconds=cache_seconds,
                trusted_proxies=parse_networks(["10.0.0.0/8"], "TRUSTED_PROXIES"),
            ),
            monotonic=lambda: 0.0,
        )

    def update(self, **changes: Any) -> None:
        self.producer = replace(self.producer, **changes)
        self.producers.producers["relay-1"] = self.producer

    def webhook(
        self,
        document: Any = None,
        *,
        secret: str = "new-secret",  # noqa: S107
        msg_id: str = "msg_1",
        skew: int = 0,
        producer_id: str | None = "relay-1",
        path_producer_id: str | None = None,
    ) -> IngestSignalRequest:
        """Signed by the reference library, as a Standard Webhooks sender does."""
        body = json.dumps(SIGNAL if document is None else document)
        at = datetime.fromtimestamp(int(self.clock.now().timestamp()) + skew, tz=UTC)
        signature = Webhook(standard_webhooks_secret(secret)).sign(msg_id, at, body)
        return IngestSignalRequest(
            producer_id,
            None,
            None,
            body.encode(),
            webhook_id=msg_id,
            webhook_timestamp=str(int(at.timestamp())),
            webhook_signature=signature,
            path_producer_id=path_producer_id,
        )

    def hmac(
        self,
        document: Any = None,
        *,
        secret: str = "new-secret",  # noqa: S107
        producer_id: str | None = "relay-1",
        path_producer_id: str | None = None,
    ) -> IngestSignalRequest:
        body = json.dumps(SIGNAL if document is None else document).encode()
        ts = str(int(self.clock.now().timestamp()))
        return IngestSignalRequest(
            producer_id,
            ts,
            signature_for(secret, ts, body),
            body,
            path_producer_id=path_producer_id,
        )

    def alert(
        self,
        body: bytes | None = None,
        *,
        token: str = TOKEN,
        peer: str | None = "52.89.214.238",
        forwarded_for: str | None = None,
    ) -> TradingViewAlert:
        return TradingViewAlert(
            token, json.dumps(SIGNAL).encode() if body is None else body, peer, forwarded_for
        )


async def refused(world: World, request: IngestSignalRequest | TradingViewAlert) -> None:
    with pytest.raises(Unauthenticated) as caught:
        await world.ingest(request)
    assert caught.value.detail == UNAUTHENTICATED_DETAIL


# --- Standard Webhooks -------------------------------------------------------------------


async def test_standard_webhooks_accepted_and_the_webhook_id_is_the_external_id() -> None:
    world = World()
    signal = await world.ingest(world.webhook(msg_id="msg_abc"))
    assert signal.instrument == "BINANCE:BTCUSDT" and signal.producer_id == "relay-1"
    assert signal.external_id == "msg_abc"
    assert world.metrics.ingested_by_source == {"standard_webhooks": 1}
    assert world.metrics.ingested_by == {("BINANCE:BTCUSDT", "buy"): 1}


async def test_the_bodys_external_id_wins_over_the_webhook_id() -> None:
    world = World()
    signal = await world.ingest(world.webhook({**SIGNAL, "external_id": "mine"}, msg_id="m"))
    assert signal.external_id == "mine"


async def test_a_senders_retry_is_a_duplicate_by_webhook_id() -> None:
    world = World(window=0)  # only the external_id rule can catch it
    first = await world.ingest(world.webhook(msg_id="msg_retry"))
    world.clock.advance(30)
    with pytest.raises(AlreadyExists) as caught:
        await world.ingest(world.webhook(msg_id="msg_retry"))
    assert caught.value.existing_id == str(first.id)
    assert world.metrics.rejected_by_source == {("standard_webhooks", "duplicate"): 1}
    await world.ingest(world.webhook(msg_id="msg_next"))
    assert len(world.signals.signals) == 2


async def test_standard_webhooks_rotation_grace() -> None:
    world = World(window=0)
    await world.ingest(world.webhook(secret="old-secret", msg_id="a"))
    world.clock.advance(3601)
    await refused(world, world.webhook(secret="old-secret", msg_id="b"))
    await world.ingest(world.webhook(secret="new-secret", msg_id="c"))


@pytest.mark.parametrize(
    "kind", ["bad_secret", "stale", "long_id", "unknown", "disabled", "no_signature", "tampered"]
)
async def test_every_standard_webhooks_failure_is_the_same_401(kind: str) -> None:
    world = World()
    request = world.webhook()
    if kind == "bad_secret":
        request = world.webhook(secret="guess")
    elif kind == "stale":
        request = world.webhook(skew=-301)
    elif kind == "long_id":
        request = world.webhook(msg_id="x" * 129)
    elif kind == "unknown":
        request = world.webhook(producer_id="nobody")
    elif kind == "disabled":
        world.update(enabled=False)
    elif kind == "no_signature":
        request = replace(request, webhook_signature=None)
    elif kind == "tampered":
        request = replace(request, body=request.body.replace(b"97000.5", b"1"))
    await refused(world, request)
    # Without webhook-signature nothing says Standard Webhooks: it is a §3 request missing its headers.
    source = "hmac" if kind == "no_signature" else "standard_webhooks"
    assert world.metrics.rejected_by_source == {(source, "signature"): 1}
    assert world.metrics.rejected_by == {"signature": 1}
    assert world.signals.signals == {}


async def test_x_signature_takes_precedence_over_webhook_headers() -> None:
    world = World()
    request = replace(world.hmac(), webhook_id="m", webhook_timestamp="1", webhook_signature="v1,x")
    signal = await world.ingest(request)
    assert signal.external_id is None  # the §3 scheme was used: no webhook-id as external_id
    assert world.metrics.ingested_by_source == {"hmac": 1}


async def test_standard_webhooks_through_the_producer_cache() -> None:
    world = World(window=0, cache_seconds=0.5)
    await world.ingest(world.webhook(msg_id="a"))
    await world.ingest(world.webhook(msg_id="b"))
    await refused(world, world.webhook(secret="guess", msg_id="c"))


async def test_without_hmac_the_webhook_id_must_still_be_a_valid_external_id() -> None:
    world = World(hmac_enabled=False)
    unsigned = replace(world.webhook(msg_id="m1"), webhook_signature="v1,whatever")
    assert (await world.ingest(unsigned)).external_id == "m1"
    await refused(world, replace(unsigned, webhook_id="x" * 129))


# --- The per-producer path ---------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "relay-1"])
async def test_the_path_names_the_producer(header: str | None) -> None:
    world = World(window=0)
    for request in (
        world.hmac(producer_id=header, path_producer_id="relay-1"),
        world.webhook(producer_id=header, path_producer_id="relay-1"),
    ):
        assert (await world.ingest(request)).producer_id == "relay-1"


async def test_a_header_that_differs_from_the_path_is_401() -> None:
    world = World()
    # Correctly signed for the header's producer, and for the path's: still refused.
    await refused(world, world.hmac(producer_id="relay-1", path_producer_id="relay-2"))
    await refused(
        world,
        world.hmac(secret="other-secret", producer_id="relay-1", path_producer_id="relay-2"),
    )
    await refused(world, world.webhook(producer_id="relay-2", path_producer_id="relay-1"))
    assert world.signals.signals == {}


async def test_an_unknown_or_malformed_path_producer_is_401() -> None:
    world = World()
    await refused(world, world.hmac(producer_id=None, path_producer_id="nobody"))
    await refused(world, world.hmac(producer_id=None, path_producer_id="bad id!"))


# --- TradingView -------------------------------------------------------------------------


async def test_tradingview_alert_accepted() -> None:
    world = World()
    body = b'{"instrument": "BINANCE:BTCUSDT", "side": "buy", "price": 97000.5, "time": "2026-11-28T00:59:00Z"}\n'
    signal = await world.ingest(world.alert(body))
    assert signal.producer_id == "relay-1" and signal.user_id == USER
    assert signal.instrument == "BINANCE:BTCUSDT" and signal.external_id is None
    assert world.metrics.ingested_by_source == {"tradingview": 1}


@pytest.mark.parametrize("token", ["tv_unknown", "", "x" * 300, TOKEN + "x", TOKEN[:-1]])
async def test_unknown_tokens_are_401(token: str) -> None:
    world = World()
    await refused(world, world.alert(token=token))
    assert world.metrics.rejected_by_source == {("tradingview", "signature"): 1}


async def test_a_disabled_producers_token_is_401() -> None:
    world = World()
    world.update(enabled=False)
    await refused(world, world.alert())


async def test_a_rotated_token_stops_at_once() -> None:
    world = World(window=0)
    await world.ingest(world.alert())
    world.update(tradingview_token_hash=hash_url_token("tv_new"))
    await refused(world, world.alert())
    await world.ingest(world.alert(token="tv_new"))


async def test_allow_list_uses_the_peer_or_a_trusted_proxys_last_hop() -> None:
    world = World(window=0)
    world.update(allowed_cidrs=("52.89.214.238/32", "34.212.75.30/32"))
    await world.ingest(world.alert(peer="52.89.214.238"))
    await world.ingest(world.alert(peer="::ffff:34.212.75.30"))
    await refused(world, world.alert(peer="203.0.113.9"))
    await refused(world, world.alert(peer=None))
    # Behind a trusted proxy (10.0.0.0/8): the last X-Forwarded-For hop is the client.
    await world.ingest(world.alert(peer="10.0.0.2", forwarded_for="1.1.1.1, 52.89.214.238"))
    await refused(world, world.alert(peer="10.0.0.2", forwarded_for="52.89.214.238, 1.1.1.1"))
    # From an untrusted peer the header is ignored, whatever it claims.
    await refused(world, world.alert(peer="203.0.113.9", forwarded_for="52.89.214.238"))
    assert world.metrics.rejected_by_source == {("tradingview", "signature"): 4}
    assert len(world.signals.signals) == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"BUY BTCUSDT now", "body"),
        (b"", "body"),
        (b'["buy"]', "body"),
        (b'"text"', "body"),
        (b'{"instrument": "BTCUSDT", "side": "long", "price": 1}', "side"),
        (b'{"instrument": "BTCUSDT", "side": "buy", "price": 1, "secret": "x"}', "secret"),
    ],
)
async def test_tradingview_bad_bodies_are_400(body: bytes, field: str) -> None:
    world = World()
    with pytest.raises(InvalidInput) as caught:
        await world.ingest(world.alert(body))
    assert caught.value.field == field
    assert world.metrics.rejected_by_source == {("tradingview", "invalid"): 1}


async def test_tradingview_checks_the_token_before_the_body() -> None:
    world = World()
    await refused(world, world.alert(b"not json", token="tv_unknown"))


async def test_tradingview_ignores_the_hmac_switch_it_still_needs_its_token() -> None:
    world = World(hmac_enabled=False)
    await refused(world, world.alert(token="tv_unknown"))
    await world.ingest(world.alert())


async def test_dedup_holds_across_the_ways_in() -> None:
    world = World()
    first = await world.ingest(world.alert())
    for request in (world.hmac(), world.webhook(msg_id="m-9"), world.alert()):
        world.clock.advance(1)
        with pytest.raises(AlreadyExists) as caught:
            await world.ingest(request)
        assert caught.value.existing_id == str(first.id)
    assert world.metrics.rejected_by_source == {
        ("hmac", "duplicate"): 1,
        ("standard_webhooks", "duplicate"): 1,
        ("tradingview", "duplicate"): 1,
    }


async def test_too_large_is_counted_by_source() -> None:
    world = World()
    world.ingest.too_large()
    world.ingest.too_large(SignalSource.TRADINGVIEW)
    assert world.metrics.rejected_by_source == {
        ("hmac", "too_large"): 1,
        ("tradingview", "too_large"): 1,
    }


def test_the_url_token_is_not_in_the_requests_repr() -> None:
    assert TOKEN not in repr(World().alert())
