"""Ports the operations use cases need; adapters implement them."""

from __future__ import annotations

from typing import Protocol


class ReadinessProbe(Protocol):
    async def ready(self) -> bool:
        """True when the outside thing this probe watches can serve requests; never raises."""
        ...
