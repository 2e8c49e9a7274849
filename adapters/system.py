"""The real clock, the CSPRNG behind tokens and secrets, and a writable-folder probe."""

from __future__ import annotations

import asyncio
import os
import secrets
import tempfile
from datetime import UTC, datetime
from pathlib import Path


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class UrlSafeSecrets:
    """API tokens, HMAC secrets and URL tokens from the OS CSPRNG (256 bits each)."""

    def new_token(self) -> str:
        return "sh_" + secrets.token_urlsafe(32)

    def new_secret(self) -> str:
        return secrets.token_hex(32)

    def new_key(self, size: int) -> bytes:
        return secrets.token_bytes(size)

    def new_url_token(self) -> str:
        # url-safe base64: A-Z a-z 0-9 - _ only, nothing to escape in a path segment.
        return "tv_" + secrets.token_urlsafe(32)


class WritableDirectory:
    """Readiness probe: the folder exists (or can be made) and a file can be created in it."""

    def __init__(self, path: Path) -> None:
        self._path = path

    async def ready(self) -> bool:
        return await asyncio.to_thread(self._try_write)

    def _try_write(self) -> bool:
        try:
            self._path.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=self._path, prefix=".ready-")
            os.close(fd)
            os.unlink(name)
        except OSError:
            return False
        return True
