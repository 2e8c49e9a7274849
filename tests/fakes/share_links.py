"""In-memory fakes of the §12 ports (link keys, closed signals), held to the same contract
tests as the database adapters (tests/integration/share_links/test_link_keys.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from domain.reports.equity import ClosedTrade
from domain.reports.ports import ClosedFilter


@dataclass
class _Key:
    generation: int
    secret: str
    valid_until: datetime | None = None


class InMemoryLinkKeys:
    def __init__(self) -> None:
        self.keys: list[_Key] = []

    async def signing_key(self, new_secret: str, now: datetime) -> str:
        current = [k for k in self.keys if k.valid_until is None]
        if not current:
            self.keys.append(_Key(1, new_secret))
            return new_secret
        return max(current, key=lambda k: k.generation).secret

    async def verifying_keys(self, now: datetime) -> Sequence[str]:
        return [k.secret for k in self.keys if k.valid_until is None or k.valid_until > now]

    async def rotate(self, new_secret: str, now: datetime, grace_seconds: int) -> None:
        self.keys = [k for k in self.keys if k.valid_until is None or k.valid_until > now]
        for k in self.keys:
            if k.valid_until is None:
                k.valid_until = now + timedelta(seconds=grace_seconds)
        newest = max((k.generation for k in self.keys), default=0)
        self.keys.append(_Key(newest + 1, new_secret))


@dataclass
class InMemoryClosedSignals:
    """Closed trades per user, with each one's instrument."""

    trades: dict[UUID, list[tuple[str, ClosedTrade]]] = field(default_factory=dict)

    def add(self, user_id: UUID, instrument: str, trade: ClosedTrade) -> None:
        self.trades.setdefault(user_id, []).append((instrument, trade))

    async def closed(self, query: ClosedFilter, limit: int) -> Sequence[ClosedTrade]:
        found = [
            trade
            for instrument, trade in self.trades.get(query.user_id, [])
            if (query.instrument is None or instrument == query.instrument)
            and (query.since is None or trade.closed_at >= query.since)
            and (query.until is None or trade.closed_at < query.until)
        ]
        return found[:limit]
