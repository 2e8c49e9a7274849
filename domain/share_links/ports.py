"""Where share-link keys live: one store that every server instance reads (SPEC §12)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol


class LinkKeys(Protocol):
    async def signing_key(self, new_secret: str, now: datetime) -> str:
        """The key that signs new links; made from `new_secret` when there is none yet, so
        that instances asking at the same moment all get the same one."""
        ...

    async def verifying_keys(self, now: datetime) -> Sequence[str]:
        """The signing key and every older key still in its rotation grace at `now`."""
        ...

    async def rotate(self, new_secret: str, now: datetime, grace_seconds: int) -> None:
        """`new_secret` signs from now on; the keys valid until now stay valid until
        now + grace_seconds (0: they stop at once). Serialised against other rotations."""
        ...
