"""The audit trail of a signal (SPEC §9) and the events of the live stream (SPEC §10)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.signals.model import SignalStatus


class EventType(enum.StrEnum):
    CREATED = "signal.created"
    TRANSITIONED = "signal.transitioned"


@dataclass(frozen=True, slots=True)
class SignalEvent:
    """One entry of the trail. `id` is per user, dense, never visible before a smaller one
    (docs/lifecycle.md); `from_status` is None for a creation."""

    id: int
    user_id: UUID
    signal_id: UUID
    type: EventType
    at: datetime
    actor: str
    from_status: SignalStatus | None
    to_status: SignalStatus
    note: str | None


def producer_actor(producer_id: str) -> str:
    return f"producer:{producer_id}"


def user_actor(user_id: UUID) -> str:
    return f"user:{user_id}"
