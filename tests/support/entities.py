"""Domain entities with plausible defaults, for unit and integration tests: change only
what a test is about (`a_signal(status=S.APPROVED)`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from domain.signals.model import Side, Signal, SignalStatus

T0 = datetime(2026, 11, 28, 1, 0, 0, tzinfo=UTC)


def a_signal(**changes: Any) -> Signal:
    """A NEW XAUUSD buy from `relay-1`, created at T0, for a fresh user unless `user_id` is
    given; `time`/`created_at`/`updated_at` follow `at` when it is given."""
    at = changes.pop("at", T0)
    base = Signal(
        id=uuid4(),
        user_id=uuid4(),
        producer_id="relay-1",
        instrument="XAUUSD",
        side=Side.BUY,
        price=1950.25,
        time=at,
        version="1",
        external_id=None,
        status=SignalStatus.NEW,
        payload={},
        created_at=at,
        updated_at=at,
    )
    return replace(base, **changes)
