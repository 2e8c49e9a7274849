"""FilesystemMediaCache: the media cache on disk, shared by every server process and the CLI.

Layout under MEDIA_DIR:
    ab/cd/<key>.png        one chart; sharded by the first 4 hex chars of its key
    ab/cd/.<key>.*.tmp     a file being written (renamed into place when complete)
    .locks/usage           the ledger: total bytes of all charts (guarded by flock)
    .locks/render-xyz.lock per-key-stripe render locks (FileRenderLock, render_lock.py)

- Writes go to a temporary file then `os.replace`: readers see the old file, no file, or the
  whole new file. A reader that opened a file keeps reading it after a purge unlinks it.
- TTL by age: a file's mtime is when it was rendered; older than the TTL -> expired.
- LRU: a read sets the file's atime (explicitly, so `noatime` mounts do not matter). When the
  ledger says the total is over budget, one scan under the lock evicts expired files first,
  then the least recently used, down to 90% of the budget (so scans stay rare).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import secrets
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import FileIO
from pathlib import Path

from adapters.media.files import FileChunks, read_first, write_new
from domain.media.keys import MediaKey
from domain.media.ports import CacheUsage, MediaStream, PurgeMode, PurgeReport, StoredMedia

LOW_WATERMARK = 0.9
TOUCH_EVERY_SECONDS = 1.0
STALE_TEMP_SECONDS = 3600.0
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class _Entry:
    path: Path
    size: int
    mtime: float
    atime: float


class FilesystemMediaCache:
    def __init__(
        self,
        root: Path,
        ttl_seconds: int,
        budget_bytes: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._root = Path(root).resolve()
        self._locks = self._root / ".locks"
        self._ttl = float(ttl_seconds)
        self._budget = budget_bytes
        self._clock = clock
        # Work under the ledger flock runs on one thread of its own: a long purge by another
        # process then blocks only this thread, not the shared pool that file reads use.
        self._locked_io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="media-ledger")

    @property
    def root(self) -> Path:
        return self._root

    def path_for(self, key: MediaKey) -> Path:
        k = key.value  # 64 hex chars, checked by MediaKey: the path cannot leave the root
        return self._root / k[:2] / k[2:4] / f"{k}.png"

    # --- reads -------------------------------------------------------------------------

    async def get(self, key: MediaKey) -> StoredMedia | None:
        # One trip to a thread (open, check, read, touch, close), not one per system call.
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self._read_whole, key)

    def _read_whole(self, key: MediaKey) -> StoredMedia | None:
        opened = self._open_fresh(key)
        if opened is None:
            return None
        f, st = opened
        with f:
            data = f.readall()
        if len(data) != st.st_size:  # cannot happen with atomic renames; never serve it
            return None
        return StoredMedia(key=key, data=data, created_at=st.st_mtime)

    async def open(self, key: MediaKey) -> MediaStream | None:
        """Streamed from one open descriptor: a purge that unlinks the file meanwhile does
        not cut the download short (POSIX keeps the inode until the descriptor closes)."""
        loop = asyncio.get_running_loop()
        opened = await loop.run_in_executor(None, self._open_with_first_piece, key)
        if opened is None:
            return None
        f, st, first = opened
        chunks = FileChunks(f, st.st_size, first)
        return MediaStream(key, st.st_size, st.st_mtime, chunks, path=str(self.path_for(key)))

    def _open_with_first_piece(self, key: MediaKey) -> tuple[FileIO, os.stat_result, bytes] | None:
        """`_open_fresh` and the first piece in the same trip (closed if that was all)."""
        opened = self._open_fresh(key)
        if opened is None:
            return None
        f, st = opened
        try:
            first = read_first(f, st.st_size)
        except BaseException:
            f.close()
            raise
        return f, st, first

    def _open_fresh(self, key: MediaKey) -> tuple[FileIO, os.stat_result] | None:
        """The chart opened for reading and its stat, touched for LRU; None if absent/expired."""
        try:
            f = FileIO(self.path_for(key), "rb")
        except (FileNotFoundError, NotADirectoryError):
            return None
        try:
            fd = f.fileno()
            st = os.fstat(fd)
            now = self._clock()
            if now - st.st_mtime > self._ttl:
                f.close()
                return None
            if now - st.st_atime >= TOUCH_EVERY_SECONDS:
                # On the open descriptor: a file replaced meanwhile keeps its own times.
                with contextlib.suppress(OSError):
                    os.utime(fd, ns=(int(now * 1e9), st.st_mtime_ns))
        except BaseException:
            f.close()
            raise
        return f, st

    async def usage(self) -> CacheUsage:
        entries = await asyncio.to_thread(self._scan)
        now = self._clock()
        return CacheUsage(
            files=len(entries),
            bytes=sum(e.size for e in entries),
            expired_files=sum(1 for e in entries if self._expired(e, now)),
        )

    # --- writes ------------------------------------------------------------------------

    async def put(self, key: MediaKey, data: bytes) -> None:
        # One trip to the ledger thread: write the temp file, then commit it (rename + ledger,
        # under the flock). Writes queue there anyway to commit; a chart is written in << 1 ms.
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._locked_io, self._write_and_commit, key, data)

    def _write_and_commit(self, key: MediaKey, data: bytes) -> None:
        final = self.path_for(key)
        temp = final.with_name(f".{key.value}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
        try:
            write_new(final.parent, temp, data)
            self._commit(temp, final, len(data))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def _commit(self, temp: Path, final: Path, size: int) -> None:
        now = self._clock()
        os.utime(temp, (now, now))
        with self._ledger() as ledger:
            try:
                old = final.stat().st_size
            except FileNotFoundError:
                old = 0
            os.replace(temp, final)
            total = ledger.total + size - old
            if total > self._budget:
                total = self._evict(keep=final, now=now)
            ledger.total = total

    async def purge(self, mode: PurgeMode, dry_run: bool) -> PurgeReport:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._locked_io, self._purge, mode, dry_run)

    async def close(self) -> None:
        """Nothing held open between calls."""

    def _purge(self, mode: PurgeMode, dry_run: bool) -> PurgeReport:
        now = self._clock()
        deleted = freed = 0
        with self._ledger() as ledger:
            entries, temps = self._survey()
            remaining = sum(e.size for e in entries)
            for entry in entries:
                if mode is PurgeMode.ALL or self._expired(entry, now):
                    if dry_run or self._unlink(entry.path):
                        deleted += 1
                        freed += entry.size
                        if not dry_run:
                            remaining -= entry.size
            if not dry_run:
                self._sweep_temp(temps, now)
            ledger.total = remaining
        return PurgeReport(deleted_files=deleted, freed_bytes=freed, dry_run=dry_run)

    # --- budget ------------------------------------------------------------------------

    def _evict(self, keep: Path, now: float) -> int:
        """Called under the ledger lock; returns the true total after eviction."""
        entries = self._scan()
        total = sum(e.size for e in entries)
        target = int(self._budget * LOW_WATERMARK)
        # Expired first, then least recently used.
        entries.sort(key=lambda e: (not self._expired(e, now), e.atime, e.mtime))
        for entry in entries:
            if total <= target:
                break
            if entry.path == keep:
                continue
            if self._unlink(entry.path):
                total -= entry.size
        return total

    def _expired(self, entry: _Entry, now: float) -> bool:
        return now - entry.mtime > self._ttl

    # --- file system helpers -----------------------------------------------------------

    def _scan(self) -> list[_Entry]:
        return self._survey()[0]

    def _survey(self) -> tuple[list[_Entry], list[os.DirEntry[str]]]:
        """One walk of the shard folders: the charts, and the temporary files beside them."""
        entries: list[_Entry] = []
        temps: list[os.DirEntry[str]] = []
        for first in _hex_dirs(self._root):
            for second in _hex_dirs(first):
                with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                    with os.scandir(second) as it:
                        for item in it:
                            name = item.name
                            if name.startswith(".") and name.endswith(".tmp"):
                                temps.append(item)
                                continue
                            if len(name) != 68 or not name.endswith(".png"):
                                continue
                            try:
                                st = item.stat(follow_symlinks=False)
                            except FileNotFoundError:
                                continue
                            entries.append(
                                _Entry(Path(item.path), st.st_size, st.st_mtime, st.st_atime)
                            )
        return entries, temps

    @staticmethod
    def _sweep_temp(temps: list[os.DirEntry[str]], now: float) -> None:
        """Remove temporary files left by a crashed writer (old enough to be dead)."""
        for item in temps:
            with contextlib.suppress(OSError):
                if now - item.stat().st_mtime > STALE_TEMP_SECONDS:
                    os.unlink(item.path)

    @staticmethod
    def _unlink(path: Path) -> bool:
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
        return True

    @contextlib.contextmanager
    def _ledger(self) -> Iterator[_Ledger]:
        """The usage ledger, held under an exclusive flock for the whole block."""
        self._locks.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._locks / "usage", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.pread(fd, 64, 0).strip()
            if raw.isdigit():
                ledger = _Ledger(int(raw))
            else:  # first use, or a damaged ledger: count what is there
                ledger = _Ledger(sum(e.size for e in self._scan()))
            start = ledger.total
            yield ledger
            if ledger.total != start or not raw.isdigit():
                encoded = str(max(0, ledger.total)).encode()
                os.ftruncate(fd, 0)
                os.pwrite(fd, encoded, 0)
        finally:
            os.close(fd)  # closing releases the flock


@dataclass
class _Ledger:
    total: int


def _hex_dirs(parent: Path) -> list[Path]:
    try:
        with os.scandir(parent) as it:
            return [
                Path(item.path)
                for item in it
                if len(item.name) == 2 and set(item.name) <= _HEX and item.is_dir()
            ]
    except (FileNotFoundError, NotADirectoryError):
        return []
