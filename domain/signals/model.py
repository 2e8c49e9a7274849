"""The signal entity (SPEC §5). Producers are accounts (domain.accounts.model.Producer)."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


class Side(enum.StrEnum):
    BUY = "buy"
    SELL = "sell"


class SignalStatus(enum.StrEnum):
    NEW = "new"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXECUTED = "executed"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Signal:
    id: UUID
    user_id: UUID
    producer_id: str
    instrument: str
    side: Side
    price: float
    time: datetime  # timezone-aware, UTC
    version: str
    external_id: str | None
    status: SignalStatus
    payload: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime
    # The lifecycle (SPEC §9): grows by one with every transition; null until that state.
    revision: int = 1
    executed_price: float | None = None
    executed_at: datetime | None = None
    closed_price: float | None = None
    closed_at: datetime | None = None
    pnl: float | None = None
    return_ratio: float | None = None  # the wire's `return`: pnl / fill

    @property
    def dedup_key(self) -> tuple[UUID, str, Side, str]:
        """Signals sharing this key are duplicates when their times are close (see dedup.py)."""
        return (self.user_id, self.instrument, self.side, self.version)
