"""The read port of the reports: a user's closed signals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.reports.equity import ClosedTrade


@dataclass(frozen=True, slots=True)
class ClosedFilter:
    user_id: UUID
    instrument: str | None = None  # normalised (upper case)
    since: datetime | None = None  # on `closed_at`, inclusive
    until: datetime | None = None  # on `closed_at`, exclusive


class ClosedSignals(Protocol):
    async def closed(self, query: ClosedFilter, limit: int) -> Sequence[ClosedTrade]:
        """The owner's closed signals matching the filter, at most `limit` of them (any order:
        the domain sorts them)."""
        ...
