"""What only the S3 store must do (on a real S3-compatible server): layout, the delayed budget
sweep, the cross-host render lock, readiness, and reads racing a purge."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator, Callable

import obstore
import pytest

from adapters.media.s3 import Bucket, S3MediaStore, open_bucket
from adapters.media.s3_lock import S3RenderLock
from domain.errors import Overloaded
from domain.media.keys import MediaKey
from domain.media.ports import PurgeMode
from tests.support.s3server import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, S3Server
from tests.fakes.clock import FakeClock

BucketFactory = Callable[..., Bucket]


def key(name: str) -> MediaKey:
    return MediaKey(hashlib.sha256(name.encode()).hexdigest())


@pytest.fixture
async def connect(s3_server: S3Server) -> AsyncIterator[BucketFactory]:
    """`connect(name=None, endpoint=None)` -> a client (a fresh bucket unless named); each
    call is a separate client, as on separate hosts."""
    opened: list[Bucket] = []
    fresh = s3_server.create_bucket()

    def make(name: str | None = None, endpoint: str | None = None) -> Bucket:
        bucket = open_bucket(
            name or fresh,
            endpoint=endpoint or s3_server.endpoint,
            region=REGION,
            access_key_id=ACCESS_KEY_ID,
            secret_access_key=SECRET_ACCESS_KEY,
        )
        opened.append(bucket)
        return bucket

    yield make
    for bucket in opened:
        bucket.close()
    await asyncio.sleep(0.1)


async def test_sharded_layout_under_the_prefix_and_metadata(connect: BucketFactory) -> None:
    clock = FakeClock()
    bucket = connect()
    store = S3MediaStore(bucket, "tenant/media/", 100, 10**6, clock, sweep_delay_seconds=0)
    k = key("a")
    await store.put(k, b"png")
    path = f"tenant/media/{k.value[:2]}/{k.value[2:4]}/{k.value}.png"
    assert store.path_for(k) == path
    got = await obstore.get_async(bucket.client, path)
    assert bytes(await got.bytes_async()) == b"png"
    assert got.attributes["Content-Type"] == "image/png"
    assert float(got.attributes["created-at"]) == clock()
    # Objects beside the layout (another app's, a lock) are neither counted nor purged.
    await obstore.put_async(bucket.client, "tenant/media/readme.txt", b"not a chart")
    await obstore.put_async(bucket.client, "tenant/media/.locks/" + k.value, b"lock")
    await obstore.put_async(bucket.client, f"other/{k.value[:2]}/{k.value[2:4]}/{k.value}.png", b"x")
    assert (await store.usage()).files == 1
    assert (await store.purge(PurgeMode.ALL, dry_run=False)).deleted_files == 1
    await obstore.head_async(bucket.client, "tenant/media/readme.txt")  # still there


async def test_the_budget_is_enforced_by_a_delayed_sweep(connect: BucketFactory) -> None:
    clock = FakeClock()
    store = S3MediaStore(connect(), "media/", 100, 1000, clock, sweep_delay_seconds=0.2)
    for name in "abcd":
        await store.put(key(name), b"z" * 300)
        clock.advance(1)
    # Over budget until the sweep runs (no ledger: a few seconds late at most).
    assert (await store.usage()).bytes == 1200
    await store.wait_for_sweep()
    usage = await store.usage()
    assert (usage.files, usage.bytes) == (3, 900)
    assert await store.get(key("a")) is None  # the least recently used went first
    await store.close()


async def test_two_hosts_sweeping_together_evict_the_same_charts(connect: BucketFactory) -> None:
    clock = FakeClock()
    one = S3MediaStore(connect(), "media/", 100, 3000, clock, sweep_delay_seconds=0)
    two = S3MediaStore(connect(), "media/", 100, 3000, clock, sweep_delay_seconds=0)
    for i in range(10):
        await (one if i % 2 else two).put(key(str(i)), b"q" * 300)
        clock.advance(1)
    await asyncio.gather(one.put(key("x"), b"q" * 300), two.put(key("y"), b"q" * 300))
    usage = await one.usage()
    assert usage.bytes <= 3000
    assert usage.bytes >= 2700 - 300  # both hosts chose the same victims: no over-eviction
    assert await one.get(key("9")) is not None


async def test_reads_during_purge_are_whole_or_absent(connect: BucketFactory) -> None:
    store = S3MediaStore(connect(), "media/", 100, 10**8, sweep_delay_seconds=0)
    blobs = {key(str(i)): os.urandom(300_000) for i in range(8)}
    for k, blob in blobs.items():
        await store.put(k, blob)
    bad: list[str] = []

    async def reader() -> None:
        for _ in range(3):
            for k, blob in blobs.items():
                got = await store.get(k)
                if got is not None and got.data != blob:
                    bad.append(k.value)

    await asyncio.gather(reader(), reader(), store.purge(PurgeMode.ALL, dry_run=False))
    assert bad == []
    assert (await store.usage()).files == 0


async def test_the_render_lock_excludes_across_clients(connect: BucketFactory) -> None:
    first, second = S3RenderLock(connect(), "media/"), S3RenderLock(connect(), "media/")
    inside: list[str] = []
    overlaps: list[int] = []

    async def work(lock: S3RenderLock, name: str) -> None:
        async with lock.hold(key("chart")):
            inside.append(name)
            overlaps.append(len(inside))
            await asyncio.sleep(0.05)
            inside.remove(name)

    await asyncio.gather(*(work(lock, str(i)) for i, lock in enumerate([first, second] * 3)))
    assert overlaps == [1] * 6
    # Different keys do not wait for each other.
    async with first.hold(key("a")), second.hold(key("b")):
        pass


async def test_a_stale_lock_of_a_dead_holder_is_broken(connect: BucketFactory) -> None:
    clock = FakeClock()
    bucket = connect()
    dead = S3RenderLock(bucket, "media/", lease_seconds=30, clock=clock)
    await obstore.put_async(
        bucket.client,
        dead.path_for(key("c")),
        b"someone-else",
        attributes={"expires-at": f"{clock() + 30:.3f}"},
    )
    waiter = S3RenderLock(bucket, "media/", timeout_seconds=0.3, clock=clock)
    with pytest.raises(Overloaded):  # a live holder: wait, then give up with 503
        async with waiter.hold(key("c")):
            pass
    clock.advance(31)  # the holder's lease ran out: it died
    async with waiter.hold(key("c")):
        head = await obstore.get_async(bucket.client, dead.path_for(key("c")))
        assert bytes(await head.bytes_async()) != b"someone-else"
    with pytest.raises(FileNotFoundError):  # released
        await obstore.head_async(bucket.client, dead.path_for(key("c")))


async def test_ready_only_when_the_bucket_answers(connect: BucketFactory) -> None:
    assert await S3MediaStore(connect(), "media/", 100, 10**6).ready() is True
    missing = S3MediaStore(connect(name="no-such-bucket"), "media/", 100, 10**6)
    assert await missing.ready() is False
    closed_port = S3MediaStore(connect(endpoint="http://127.0.0.1:9"), "media/", 100, 10**6)
    assert await closed_port.ready() is False
    with pytest.raises(Overloaded):  # an unreachable store is a 503, not a miss
        await closed_port.get(key("a"))
