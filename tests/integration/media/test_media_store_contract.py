"""One contract, three MediaStores: the in-memory fake, the file-system cache and the S3 store
(on a real S3-compatible server, a fresh bucket per test)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from adapters.media.filesystem import FilesystemMediaCache
from adapters.media.s3 import S3MediaStore, open_bucket
from domain.media.keys import MediaKey
from domain.media.ports import MediaStore, PurgeMode
from tests.fakes.clock import FakeClock
from tests.fakes.media import InMemoryMediaStore
from tests.support.s3server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

TTL = 100
StoreFactory = Callable[[int], MediaStore]


def key(name: str) -> MediaKey:
    return MediaKey(hashlib.sha256(name.encode()).hexdigest())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["fake", "filesystem", "s3"])
async def make_store(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[StoreFactory]:
    opened: list[S3MediaStore] = []

    def make(budget: int = 1_000_000) -> MediaStore:
        if request.param == "fake":
            return InMemoryMediaStore(TTL, budget, clock)
        if request.param == "s3":
            opened.append(s3_store(request, clock, budget))
            return opened[-1]
        return FilesystemMediaCache(tmp_path / "media", TTL, budget, clock=clock)

    yield make
    for store in opened:
        await store.close()


def s3_store(request: pytest.FixtureRequest, clock: FakeClock, budget: int) -> S3MediaStore:
    server = request.getfixturevalue("s3_server")
    bucket = open_bucket(
        server.create_bucket(),
        endpoint=server.endpoint,
        region=REGION,
        access_key_id=ACCESS_KEY_ID,
        secret_access_key=SECRET_ACCESS_KEY,
    )
    # The budget sweep runs inside put and a hit always records its use, so the contract's
    # immediate expectations hold; the delayed sweep has tests of its own (test_s3_store.py).
    return S3MediaStore(
        bucket, "media/", TTL, budget, clock, sweep_delay_seconds=0, touch_every_seconds=0
    )


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


async def read_all(store: MediaStore, k: MediaKey) -> bytes | None:
    opened = await store.open(k)
    if opened is None:
        return None
    assert opened.key == k
    data = b"".join([piece async for piece in opened.chunks])
    assert len(data) == opened.size
    return data


async def test_open_streams_the_whole_file_in_pieces(
    make_store: StoreFactory, clock: FakeClock
) -> None:
    store = make_store(10**7)
    blob = bytes(range(256)) * 1200  # 300 KiB: several pieces
    await store.put(key("big"), blob)
    opened = await store.open(key("big"))
    assert opened is not None
    assert (opened.size, abs(opened.created_at - clock()) < 1.5) == (len(blob), True)
    pieces = [piece async for piece in opened.chunks]
    assert len(pieces) > 1
    assert max(len(p) for p in pieces) < len(blob)
    assert b"".join(pieces) == blob


async def test_open_is_none_when_missing_or_expired(
    make_store: StoreFactory, clock: FakeClock
) -> None:
    store = make_store(1_000_000)
    assert await store.open(key("none")) is None
    await store.put(key("old"), b"x" * 10)
    clock.advance(TTL + 1)
    assert await store.open(key("old")) is None


async def test_a_download_that_started_survives_a_purge(make_store: StoreFactory) -> None:
    store = make_store(10**7)
    blob = bytes(range(256)) * 1200
    await store.put(key("a"), blob)
    opened = await store.open(key("a"))
    assert opened is not None
    first = await anext(opened.chunks)
    await store.purge(PurgeMode.ALL, dry_run=False)
    rest = b"".join([piece async for piece in opened.chunks])
    assert first + rest == blob
    assert await read_all(store, key("a")) is None


async def test_an_unread_download_can_be_closed(make_store: StoreFactory) -> None:
    store = make_store(1_000_000)
    await store.put(key("a"), b"abc")
    opened = await store.open(key("a"))
    assert opened is not None
    await opened.chunks.aclose()
    assert await read_all(store, key("a")) == b"abc"
