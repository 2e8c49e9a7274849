"""One contract, two MediaStores: the in-memory fake and the real file-system cache."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.media.filesystem import FilesystemMediaCache
from domain.media.keys import MediaKey
from domain.media.ports import MediaStore, PurgeMode
from tests.fakes.clock import FakeClock
from tests.fakes.media import InMemoryMediaStore

TTL = 100
StoreFactory = Callable[[int], MediaStore]


def key(name: str) -> MediaKey:
    return MediaKey(hashlib.sha256(name.encode()).hexdigest())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["fake", "filesystem"])
def make_store(request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock) -> StoreFactory:
    def make(budget: int = 1_000_000) -> MediaStore:
        if request.param == "fake":
            return InMemoryMediaStore(TTL, budget, clock)
        return FilesystemMediaCache(tmp_path / "media", TTL, budget, clock=clock)

    return make


async def test_missing_is_none(make_store: StoreFactory) -> None:
    assert await make_store(1_000_000).get(key("a")) is None


async def test_put_then_get(make_store: StoreFactory, clock: FakeClock) -> None:
    store = make_store(1_000_000)
    await store.put(key("a"), b"png-a")
    got = await store.get(key("a"))
    assert got is not None
    assert (got.key, got.data) == (key("a"), b"png-a")
    assert abs(got.created_at - clock()) < 1.5


async def test_overwrite_keeps_one_file(make_store: StoreFactory) -> None:
    store = make_store(1_000_000)
    await store.put(key("a"), b"one")
    await store.put(key("a"), b"second")
    assert (await store.get(key("a"))).data == b"second"  # type: ignore[union-attr]
    usage = await store.usage()
    assert (usage.files, usage.bytes) == (1, 6)


async def test_expiry_by_age(make_store: StoreFactory, clock: FakeClock) -> None:
    store = make_store(1_000_000)
    await store.put(key("old"), b"x" * 10)
    clock.advance(TTL - 1)
    assert await store.get(key("old")) is not None  # a read does not extend the TTL
    await store.put(key("new"), b"y" * 20)
    clock.advance(2)
    assert await store.get(key("old")) is None
    assert await store.get(key("new")) is not None
    usage = await store.usage()
    assert (usage.files, usage.bytes, usage.expired_files) == (2, 30, 1)


async def test_purge_expired_and_dry_run(make_store: StoreFactory, clock: FakeClock) -> None:
    store = make_store(1_000_000)
    await store.put(key("old"), b"x" * 10)
    clock.advance(TTL + 1)
    await store.put(key("new"), b"y" * 20)
    dry = await store.purge(PurgeMode.EXPIRED, dry_run=True)
    assert (dry.deleted_files, dry.freed_bytes, dry.dry_run) == (1, 10, True)
    assert (await store.usage()).files == 2
    done = await store.purge(PurgeMode.EXPIRED, dry_run=False)
    assert (done.deleted_files, done.freed_bytes, done.dry_run) == (1, 10, False)
    usage = await store.usage()
    assert (usage.files, usage.bytes, usage.expired_files) == (1, 20, 0)


async def test_purge_all(make_store: StoreFactory) -> None:
    store = make_store(1_000_000)
    for name in "abc":
        await store.put(key(name), name.encode() * 5)
    report = await store.purge(PurgeMode.ALL, dry_run=False)
    assert (report.deleted_files, report.freed_bytes) == (3, 15)
    assert await store.get(key("a")) is None
    usage = await store.usage()
    assert (usage.files, usage.bytes) == (0, 0)


async def test_budget_evicts_least_recently_used(
    make_store: StoreFactory, clock: FakeClock
) -> None:
    store = make_store(1000)
    for name in "abc":
        await store.put(key(name), b"z" * 300)
        clock.advance(5)
    assert await store.get(key("a")) is not None  # a is now the most recently used
    clock.advance(5)
    await store.put(key("d"), b"z" * 300)  # 1200 > 1000: evict down to <= 900
    assert await store.get(key("b")) is None
    for name in "acd":
        assert await store.get(key(name)) is not None, name
    usage = await store.usage()
    assert usage.bytes <= 1000
    assert (usage.files, usage.bytes) == (3, 900)


async def test_budget_evicts_expired_first(make_store: StoreFactory, clock: FakeClock) -> None:
    store = make_store(1000)
    await store.put(key("expired"), b"z" * 300)
    clock.advance(TTL + 1)
    await store.put(key("b"), b"z" * 300)
    clock.advance(1)
    await store.put(key("c"), b"z" * 300)
    await store.get(key("expired"))  # reading an expired file does not save it
    await store.put(key("d"), b"z" * 300)
    assert (await store.usage()).expired_files == 0
    for name in "bcd":
        assert await store.get(key(name)) is not None, name


async def test_budget_holds_over_many_writes(make_store: StoreFactory, clock: FakeClock) -> None:
    store = make_store(5000)
    for i in range(60):
        await store.put(key(str(i)), b"q" * (100 + i * 7))
        clock.advance(1)
        assert (await store.usage()).bytes <= 5000
    assert await store.get(key("59")) is not None
