"""Plain file I/O for the file-system media cache, each done in one trip to a thread:
writing a new file whole, and reading an open file back in pieces."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncGenerator
from io import FileIO
from pathlib import Path
from typing import Any

STREAM_CHUNK_BYTES = 64 * 1024


def write_new(folder: Path, temp: Path, data: bytes) -> None:
    """Write `data` to a new file `temp` in `folder` (created if missing)."""
    for attempt in (1, 2):
        folder.mkdir(parents=True, exist_ok=True)
        try:
            with FileIO(temp, "xb") as f:
                view = memoryview(data)
                while view:
                    view = view[f.write(view) :]
            return
        except FileNotFoundError:
            if attempt == 2:  # the shard folder vanished twice under us
                raise


class FileChunks(AsyncGenerator[bytes, None]):
    """The file's bytes in order, exactly `size` of them or an error; closed after the last
    piece, on error, or by `aclose()` even before the first piece (a plain async generator
    that never started would leave the file to the garbage collector).

    One trip to a thread per piece; `first`, the first piece, may come read already (by the
    trip that opened the file), so a chart of one piece costs no further trip."""

    def __init__(self, f: FileIO, size: int, first: bytes | None = None) -> None:
        self._f, self._size, self._sent, self._first = f, size, 0, first

    async def asend(self, value: None) -> bytes:
        if self._sent >= self._size or (self._f.closed and self._first is None):
            self._f.close()
            raise StopAsyncIteration
        chunk, self._first = self._first, None
        try:
            if chunk is None:
                want = min(STREAM_CHUNK_BYTES, self._size - self._sent)
                loop = asyncio.get_running_loop()
                fd = self._f.fileno()
                chunk = await loop.run_in_executor(None, os.pread, fd, want, self._sent)
            if not chunk:
                raise OSError(f"media file shorter than {self._size} bytes")  # cannot happen
        except BaseException:
            self._f.close()
            raise
        self._sent += len(chunk)
        if self._sent >= self._size:
            self._f.close()  # a regular file: closing does not block
        return chunk

    async def athrow(self, typ: Any, val: Any = None, tb: Any = None) -> bytes:
        self._f.close()
        self._first = None
        if isinstance(typ, BaseException):
            raise typ
        raise typ if val is None else val

    async def aclose(self) -> None:
        self._f.close()
        self._first = None


def read_first(f: FileIO, size: int) -> bytes:
    """The first piece of an open file, closing it if that is all of it."""
    first = os.pread(f.fileno(), min(STREAM_CHUNK_BYTES, size), 0)
    if len(first) >= size:
        f.close()
    return first
