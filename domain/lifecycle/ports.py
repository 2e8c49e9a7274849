"""Ports of the lifecycle use cases; the persistence and telemetry adapters implement them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.lifecycle.events import SignalEvent
from domain.signals.model import Signal, SignalStatus


@dataclass(frozen=True, slots=True)
class Transition:
    """Move `before` (the signal as read) to `after`, recording who did it and why."""

    before: Signal
    after: Signal
    at: datetime
    actor: str
    note: str | None


@dataclass(frozen=True, slots=True)
class Applied:
    signal: Signal
    event: SignalEvent


@dataclass(frozen=True, slots=True)
class Refused:
    """The signal was no longer as read; `current` is what it is now (None: gone)."""

    current: Signal | None


class SignalTransitions(Protocol):
    async def apply(self, transition: Transition) -> Applied | Refused:
        """Atomically: if the signal still has `before`'s status and revision, store `after`
        and append its `signal.transitioned` event; else change nothing and say why.

        Must hold across processes: of concurrent transitions from one state, one applies.
        """
        ...


class SignalEventLog(Protocol):
    """Reads see numbered events only; an adapter may first number events still waiting
    for an id (PostgreSQL, docs/lifecycle.md)."""

    async def for_signal(self, signal_id: UUID) -> Sequence[SignalEvent]:
        """The signal's events, oldest first."""
        ...

    async def for_user_after(
        self, user_id: UUID, after_id: int, limit: int
    ) -> Sequence[SignalEvent]:
        """The user's events with id > after_id, in id order, at most `limit` (SPEC §10)."""
        ...


class LifecycleMetrics(Protocol):
    def transitioned(self, from_status: SignalStatus, to_status: SignalStatus) -> None: ...
