"""What only the real file-system cache must do: layout, atomicity, processes, purge safety."""

from __future__ import annotations

import asyncio
import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable
from pathlib import Path

from adapters.media.filesystem import STALE_TEMP_SECONDS, FilesystemMediaCache
from adapters.media.render_lock import FileRenderLock
from domain.media.keys import MediaKey
from domain.media.ports import PurgeMode


def key(name: str) -> MediaKey:
    return MediaKey(hashlib.sha256(name.encode()).hexdigest())


async def test_sharded_layout_and_no_leftovers(tmp_path: Path) -> None:
    store = FilesystemMediaCache(tmp_path / "m", 100, 10**6)
    k = key("a")
    await store.put(k, b"data")
    path = tmp_path / "m" / k.value[:2] / k.value[2:4] / f"{k.value}.png"
    assert path.read_bytes() == b"data"
    assert store.path_for(k).resolve().is_relative_to((tmp_path / "m").resolve())
    leftovers = [p for p in (tmp_path / "m").rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


async def test_relative_media_dir_is_resolved_once(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    store = FilesystemMediaCache(Path("media"), 100, 10**6)
    monkeypatch.chdir("/")
    await store.put(key("a"), b"x")
    assert (tmp_path / "media").is_dir()


async def test_a_damaged_ledger_is_recounted(tmp_path: Path) -> None:
    store = FilesystemMediaCache(tmp_path, 100, 1000)
    await store.put(key("a"), b"z" * 400)
    (tmp_path / ".locks" / "usage").write_text("garbage")
    await store.put(key("b"), b"z" * 400)
    assert (tmp_path / ".locks" / "usage").read_text() == "800"
    await store.put(key("c"), b"z" * 400)
    assert (await store.usage()).bytes <= 1000


async def test_purge_sweeps_only_stale_temporary_files(tmp_path: Path) -> None:
    """A crashed writer's temp file goes once it is an hour old; one being written stays."""
    now = time.time()
    store = FilesystemMediaCache(tmp_path, 100, 10**6, clock=lambda: now)
    k = key("a")
    await store.put(k, b"chart")
    shard = store.path_for(k).parent
    stale, fresh = shard / f".{k.value}.1.dead.tmp", shard / f".{k.value}.2.live.tmp"
    for path, age in ((stale, STALE_TEMP_SECONDS + 60), (fresh, 60.0)):
        path.write_bytes(b"half")
        os.utime(path, (now - age, now - age))
    dry = await store.purge(PurgeMode.EXPIRED, dry_run=True)
    assert stale.exists() and fresh.exists()
    report = await store.purge(PurgeMode.EXPIRED, dry_run=False)
    assert (dry.deleted_files, report.deleted_files) == (0, 0)  # temp files are not charts
    assert not stale.exists()
    assert fresh.exists()
    assert (await store.get(k)) is not None
    assert (await store.usage()).files == 1


async def test_reads_during_purge_are_whole_or_absent(tmp_path: Path) -> None:
    store = FilesystemMediaCache(tmp_path, 100, 10**8)
    blobs = {key(str(i)): os.urandom(200_000) for i in range(10)}
    stop = asyncio.Event()
    bad: list[str] = []

    async def reader() -> None:
        while not stop.is_set():
            for k, blob in blobs.items():
                got = await store.get(k)
                if got is not None and got.data != blob:
                    bad.append(k.value)

    async def writer_purger() -> None:
        for _ in range(15):
            for k, blob in blobs.items():
                await store.put(k, blob)
            await store.purge(PurgeMode.ALL, dry_run=False)
        stop.set()

    await asyncio.gather(reader(), reader(), writer_purger())
    assert bad == []


async def test_an_open_file_survives_its_purge(tmp_path: Path) -> None:
    store = FilesystemMediaCache(tmp_path, 100, 10**6)
    k = key("a")
    await store.put(k, b"A" * 50_000)
    with open(store.path_for(k), "rb") as download:  # a download in flight
        first = download.read(1000)
        report = await store.purge(PurgeMode.ALL, dry_run=False)
        rest = download.read()
    assert report.deleted_files == 1
    assert first + rest == b"A" * 50_000
    assert await store.get(k) is None


def _write_many(root: str, offset: int, budget: int) -> None:
    async def run() -> None:
        store = FilesystemMediaCache(Path(root), 3600, budget)
        for i in range(40):
            await store.put(key(f"{offset}-{i}"), b"w" * 1000)

    asyncio.run(run())


def test_budget_holds_across_processes(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_many, args=(str(tmp_path), n, 20_000)) for n in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    store = FilesystemMediaCache(tmp_path, 3600, 20_000)
    usage = asyncio.run(store.usage())
    assert usage.bytes <= 20_000
    assert int((tmp_path / ".locks" / "usage").read_text()) == usage.bytes


async def test_render_lock_excludes_per_key(tmp_path: Path) -> None:
    a, b = FileRenderLock(tmp_path), FileRenderLock(tmp_path)  # as two processes would
    k = key("same")
    order: list[str] = []

    async def hold(lock: FileRenderLock, name: str) -> None:
        async with lock.hold(k):
            order.append(f"{name}-in")
            await asyncio.sleep(0.05)
            order.append(f"{name}-out")

    await asyncio.gather(hold(a, "a"), hold(b, "b"))
    assert order in (["a-in", "a-out", "b-in", "b-out"], ["b-in", "b-out", "a-in", "a-out"])


def _hold_lock_until_released(root: str, raw_key: str) -> None:
    """Take the lock, say so in `held`, keep it until `release` appears."""

    async def run() -> None:
        async with FileRenderLock(Path(root)).hold(MediaKey(raw_key)):
            Path(root, "held").write_text("yes")
            while not Path(root, "release").exists():
                await asyncio.sleep(0.01)

    asyncio.run(run())


async def wait_until(done: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_render_lock_excludes_another_process(tmp_path: Path) -> None:
    k = key("x")
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_hold_lock_until_released, args=(str(tmp_path), k.value))
    proc.start()
    try:
        await wait_until((tmp_path / "held").exists)
        acquired = asyncio.Event()

        async def take() -> None:
            async with FileRenderLock(tmp_path).hold(k):
                acquired.set()

        taking = asyncio.create_task(take())
        # The other process holds the lock for as long as we like: we must not get it ...
        for _ in range(20):
            await asyncio.sleep(0.01)
            assert not acquired.is_set()
        # ... until it lets go.
        (tmp_path / "release").write_text("go")
        await asyncio.wait_for(taking, 30)
        assert acquired.is_set()
    finally:
        (tmp_path / "release").write_text("go")
        proc.join(30)
    assert proc.exitcode == 0


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


async def test_an_opened_chart_closes_its_file_read_or_not(tmp_path: Path) -> None:
    cache = FilesystemMediaCache(tmp_path, ttl_seconds=60, budget_bytes=10**6)
    data = os.urandom(200_000)  # several pieces
    await cache.put(key("big"), data)
    before = open_descriptors()

    unread = await cache.open(key("big"))
    assert unread is not None and unread.size == len(data)
    assert unread.path == str(cache.path_for(key("big")))
    assert open_descriptors() == before + 1
    await unread.chunks.aclose()  # never started (e.g. a 304): still closed
    assert open_descriptors() == before

    read = await cache.open(key("big"))
    assert read is not None
    assert b"".join([piece async for piece in read.chunks]) == data
    assert open_descriptors() == before  # closed after the last piece

    half = await cache.open(key("big"))
    assert half is not None
    await anext(half.chunks)
    await half.chunks.aclose()
    assert open_descriptors() == before


async def test_a_chart_of_one_piece_is_read_in_the_trip_that_opens_it(tmp_path: Path) -> None:
    cache = FilesystemMediaCache(tmp_path, ttl_seconds=60, budget_bytes=10**6)
    data = os.urandom(5000)
    await cache.put(key("small"), data)
    before = open_descriptors()
    opened = await cache.open(key("small"))
    assert opened is not None
    assert open_descriptors() == before  # nothing left open: the piece is already read
    os.unlink(cache.path_for(key("small")))  # purged meanwhile: the answer still completes
    assert b"".join([piece async for piece in opened.chunks]) == data
    again = await cache.open(key("small"))
    assert again is None
