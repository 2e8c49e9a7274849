"""Which process delivers webhooks on SQLite: the one holding an exclusive flock on
`<database>.webhooks.lock` (released by the kernel when the process dies, so another
process of the host takes over). PostgreSQL needs none: every process delivers, leases
keep them apart."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class FileDeliveryLock:
    def __init__(self, database_path: Path) -> None:
        self._path = database_path.with_name(database_path.name + ".webhooks.lock")
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        if self._fd is not None:
            return True
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class EveryProcess:
    def try_acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass
