"""Fakes of the stream ports (domain/stream/ports.py) for unit tests of application/stream."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.lifecycle.events import EventType, SignalEvent
from domain.signals.model import SignalStatus
from domain.stream.ports import FeedItem, Wake
from tests.support.entities import a_signal

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def item(user_id: UUID, event_id: int, instrument: str = "XAUUSD") -> FeedItem:
    at = T0 + timedelta(seconds=event_id)
    signal = a_signal(user_id=user_id, producer_id="relay", instrument=instrument, price=1.0, at=at)
    event = SignalEvent(
        id=event_id,
        user_id=user_id,
        signal_id=signal.id,
        type=EventType.CREATED,
        at=at,
        actor="producer:relay",
        from_status=None,
        to_status=SignalStatus.NEW,
        note=None,
    )
    return FeedItem(event, signal)


class FakeEventFeed:
    """The events table in memory; `publish` commits an event and wakes the watcher.
    `before_read`, when set, runs once inside the next read, after its snapshot (to commit
    events while a read is under way)."""

    def __init__(self) -> None:
        self.items: dict[UUID, list[FeedItem]] = {}
        self.wake: Wake | None = None
        self.before_read: Callable[[], Awaitable[None]] | None = None
        self.reads = 0

    def publish(self, *items: FeedItem, wake: bool = True) -> None:
        for it in items:
            self.items.setdefault(it.event.user_id, []).append(it)
        if wake and self.wake is not None and items:
            self.wake(items[0].event.user_id)

    async def after(self, user_id: UUID, after_id: int, limit: int) -> Sequence[FeedItem]:
        self.reads += 1
        snapshot = [i for i in self.items.get(user_id, []) if i.event.id > after_id][:limit]
        if self.before_read is not None:
            hook, self.before_read = self.before_read, None
            await hook()
        return snapshot

    async def last_id(self, user_id: UUID) -> int:
        return max((i.event.id for i in self.items.get(user_id, [])), default=0)

    async def watch(self, wake: Wake) -> None:
        self.wake = wake

    async def close(self) -> None:
        self.wake = None


class FakeSlot:
    def __init__(self, owner: FakeStreamSlots, user_id: UUID) -> None:
        self._owner, self._user_id = owner, user_id
        self.released = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self._owner.taken[self._user_id] -= 1


class FakeStreamSlots:
    def __init__(self) -> None:
        self.taken: dict[UUID, int] = {}

    async def acquire(self, user_id: UUID, limit: int) -> FakeSlot | None:
        if self.taken.get(user_id, 0) >= limit:
            return None
        self.taken[user_id] = self.taken.get(user_id, 0) + 1
        return FakeSlot(self, user_id)


class FakeStreamMetrics:
    def __init__(self) -> None:
        self.open = 0
        self.sent_total = 0

    def opened(self) -> None:
        self.open += 1

    def closed(self) -> None:
        self.open -= 1

    def sent(self, count: int) -> None:
        self.sent_total += count
