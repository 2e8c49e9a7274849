"""IngestSignal's short-lived producer cache: hits skip the read, revocations act within the
bound, a new secret (or anything that fails) is decided on a fresh read, and concurrent
requests for a producer that is not cached share one read."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any
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
    def __init__(self, directory: type[CountingDirectory] = CountingDirectory) -> None:
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
        self.producers = directory(self.producer)
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


class GatedDirectory(CountingDirectory):
    """Each read takes the stored row when it begins and answers when the gate opens."""

    def __init__(self, producer: Producer) -> None:
        super().__init__(producer)
        self.gate = asyncio.Event()
        self.fail_next: Exception | None = None

    async def get(self, producer_id: str) -> Producer | None:
        self.reads += 1
        row = self.producers.get(producer_id)
        failure, self.fail_next = self.fail_next, None
        await self.gate.wait()
        if failure is not None:
            raise failure
        return row


def gated_world() -> tuple[World, GatedDirectory]:
    w = World(GatedDirectory)
    assert isinstance(w.producers, GatedDirectory)
    return w, w.producers


async def started(*coroutines: Coroutine[Any, Any, Any]) -> list[asyncio.Task[Any]]:
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    for _ in range(3):
        await asyncio.sleep(0)  # each one runs up to its wait for the read
    return tasks


async def test_concurrent_requests_for_an_uncached_producer_share_one_read() -> None:
    w, directory = gated_world()
    tasks = await started(*(w.ingest(w.request("s1")) for _ in range(20)))
    assert directory.reads == 1
    directory.gate.set()
    stored = await asyncio.gather(*tasks)
    assert len({s.id for s in stored}) == 20
    assert directory.reads == 1
    w.tick += TTL  # expired: the next one reads again, once
    tasks = await started(*(w.ingest(w.request("s1")) for _ in range(5)))
    await asyncio.gather(*tasks)
    assert directory.reads == 2


async def test_a_request_that_joined_an_earlier_read_decides_a_failure_on_its_own() -> None:
    w, directory = gated_world()
    [first] = await started(w.ingest(w.request("s1")))  # its read sees secret s1
    w.store(secret="s2")  # rotated with no grace while that read is under way
    [joined] = await started(w.ingest(w.request("s2")))
    assert directory.reads == 1
    directory.gate.set()
    await first  # s1 was the secret when its read began
    assert (await joined).producer_id == "relay-1"  # its own read saw s2
    assert directory.reads == 2


async def test_a_failed_read_fails_its_waiters_and_is_not_kept() -> None:
    w, directory = gated_world()
    directory.fail_next = ConnectionError("database unreachable")
    tasks = await started(*(w.ingest(w.request("s1")) for _ in range(3)))
    directory.gate.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert [type(o) for o in outcomes] == [ConnectionError] * 3
    assert directory.reads == 1
    await w.ingest(w.request("s1"))
    assert directory.reads == 2


async def test_a_cancelled_request_leaves_the_read_to_the_others() -> None:
    w, directory = gated_world()
    first, second = await started(w.ingest(w.request("s1")), w.ingest(w.request("s1")))
    first.cancel()
    await asyncio.sleep(0)
    directory.gate.set()
    assert (await second).producer_id == "relay-1"
    assert first.cancelled()
    assert directory.reads == 1
