"""IngestSignal's short-lived producer cache: hits skip the read, revocations act within the
bound, and a new secret (or anything that fails) is decided on a fresh read."""

from __future__ import annotations

import json
from dataclasses import replace
from uuid import uuid4

import pytest

from application.signals import IngestPolicy, IngestSignal, IngestSignalRequest
from domain.accounts.model import Producer
from domain.errors import Unauthenticated
from domain.signals import signature_for
from tests.fakes.clock import FakeClock
from tests.fakes.signals import (
    FakeProducerDirectory,
    FakeSignalMetrics,
    FakeSignalRepository,
)

TTL = 0.5


class CountingDirectory(FakeProducerDirectory):
    reads = 0

    async def get(self, producer_id: str) -> Producer | None:
        self.reads += 1
        return await super().get(producer_id)


class World:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.tick = 0.0
        self.producer = Producer(
            id="relay-1",
            user_id=uuid4(),
            enabled=True,
            dedup_window_seconds=0,
            secret="s1",
            previous_secret=None,
            previous_secret_valid_until=None,
            created_at=self.clock.now(),
        )
        self.producers = CountingDirectory(self.producer)
        self.ingest = IngestSignal(
            producers=self.producers,
            signals=FakeSignalRepository(),
            metrics=FakeSignalMetrics(),
            clock=self.clock,
            decode_json=json.loads,
            policy=IngestPolicy(producer_cache_seconds=TTL),
            monotonic=lambda: self.tick,
        )
        self.n = 0

    def request(self, secret: str, producer_id: str = "relay-1") -> IngestSignalRequest:
        self.n += 1
        body = json.dumps(
            {"instrument": "XAUUSD", "side": "buy", "price": 1.5, "external_id": f"e{self.n}"}
        ).encode()
        ts = str(int(self.clock.now().timestamp()))
        return IngestSignalRequest(producer_id, ts, signature_for(secret, ts, body), body)

    def store(self, **changes: object) -> None:
        self.producers.producers["relay-1"] = replace(self.producer, **changes)  # type: ignore[arg-type]


async def test_hits_skip_the_read_until_the_bound() -> None:
    w = World()
    for _ in range(5):
        await w.ingest(w.request("s1"))
    assert w.producers.reads == 1
    w.tick += TTL
    await w.ingest(w.request("s1"))
    assert w.producers.reads == 2


async def test_disable_takes_effect_within_the_bound() -> None:
    w = World()
    await w.ingest(w.request("s1"))
    w.store(enabled=False)
    w.tick += TTL - 0.01
    await w.ingest(w.request("s1"))  # still within the documented staleness bound
    w.tick += 0.01
    with pytest.raises(Unauthenticated):
        await w.ingest(w.request("s1"))


async def test_a_new_secret_works_at_once_and_the_old_one_goes_within_the_bound() -> None:
    w = World()
    await w.ingest(w.request("s1"))
    w.store(secret="s2")  # rotation with no grace
    await w.ingest(w.request("s2"))  # the cached row fails it: a fresh read decides
    assert w.producers.reads == 2
    with pytest.raises(Unauthenticated):
        await w.ingest(w.request("s1"))  # the fresh read replaced the cached producer


async def test_failures_are_not_cached() -> None:
    w = World()
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            await w.ingest(w.request("wrong"))
    with pytest.raises(Unauthenticated):
        await w.ingest(w.request("s1", producer_id="nobody"))
    assert w.producers.reads == 4
    await w.ingest(w.request("s1"))
    await w.ingest(w.request("s1"))
    assert w.producers.reads == 5
