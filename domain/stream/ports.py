"""Ports of the live stream: the event feed and the per-user stream slots (SPEC §10)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from domain.lifecycle.events import SignalEvent
from domain.signals.model import Signal

# Called by a feed when a user (None: possibly any user) may have events it has not read.
Wake = Callable[[UUID | None], None]


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One event of the trail with its signal as it was right after the event."""

    event: SignalEvent
    signal: Signal


class EventFeed(Protocol):
    """The user's events, read from the events table (the one source of truth), and a
    wake-up when there may be more. A wake-up carries no event: a missed one delays an
    event (until the feed's next safety re-read), it never loses one."""

    async def after(self, user_id: UUID, after_id: int, limit: int) -> Sequence[FeedItem]:
        """The user's events with id > after_id, in id order, at most `limit`. Never returns
        an id while a smaller one of the same user can still become visible."""
        ...

    async def last_id(self, user_id: UUID) -> int:
        """The user's newest visible event id (0: none yet)."""
        ...

    async def watch(self, wake: Wake) -> None:
        """Start calling `wake` (from the event loop) until `close`."""
        ...

    async def close(self) -> None: ...


class StreamSlot(Protocol):
    def release(self) -> None:
        """Give the slot back (idempotent, never blocks)."""
        ...


class StreamSlots(Protocol):
    """Counts the open streams of a user across every server process."""

    async def acquire(self, user_id: UUID, limit: int) -> StreamSlot | None:
        """One of the user's `limit` slots, or None when all are taken."""
        ...
