"""In-memory fakes of the signal ports, held to the same contract tests as the real adapters."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from domain.accounts.model import Producer
from domain.errors import AlreadyExists
from domain.lifecycle.events import EventType, SignalEvent, producer_actor
from domain.lifecycle.ports import Applied, Refused, Transition
from domain.signals.model import Side, Signal, SignalStatus
from domain.signals.ports import SignalFilter, SignalPage
from domain.signals.rules import DUPLICATE_IN_WINDOW, duplicate_reason


class FakeSignalRepository:
    """SignalRepository, SignalTransitions and SignalEventLog in memory."""

    def __init__(self) -> None:
        self.signals: dict[UUID, Signal] = {}
        self.events: list[SignalEvent] = []
        self._last_event_id: dict[UUID, int] = {}

    async def add(self, signal: Signal, dedup_window_seconds: int) -> Signal:
        # Without an await before the insert, the event loop makes check-and-insert atomic.
        found = [
            (reason, existing)
            for existing in self.signals.values()
            if (reason := duplicate_reason(existing, signal, dedup_window_seconds)) is not None
        ]
        # The window rule wins over external_id, as in the real adapters.
        found.sort(key=lambda pair: pair[0] != DUPLICATE_IN_WINDOW)
        if found:
            reason, existing = found[0]
            raise AlreadyExists(reason, existing_id=str(existing.id))
        self.signals[signal.id] = signal
        self._append_event(signal, EventType.CREATED, producer_actor(signal.producer_id))
        return signal

    async def get(self, signal_id: UUID) -> Signal | None:
        return self.signals.get(signal_id)

    async def list(self, query: SignalFilter) -> SignalPage:
        found = [
            s
            for s in self.signals.values()
            if s.user_id == query.user_id
            and (query.status is None or s.status == query.status)
            and (query.instrument is None or s.instrument == query.instrument)
            and (query.since is None or s.time >= query.since)
            and (query.until is None or s.time < query.until)
        ]
        found.sort(key=lambda s: (s.created_at, str(s.id)), reverse=True)
        return SignalPage(found[query.offset : query.offset + query.limit], len(found))

    def _append_event(
        self,
        signal: Signal,
        kind: EventType,
        actor: str,
        *,
        at: datetime | None = None,
        from_status: SignalStatus | None = None,
        note: str | None = None,
    ) -> SignalEvent:
        event_id = self._last_event_id.get(signal.user_id, 0) + 1
        self._last_event_id[signal.user_id] = event_id
        event = SignalEvent(
            id=event_id,
            user_id=signal.user_id,
            signal_id=signal.id,
            type=kind,
            at=at or signal.created_at,
            actor=actor,
            from_status=from_status,
            to_status=signal.status,
            note=note,
        )
        self.events.append(event)
        return event

    async def apply(self, transition: Transition) -> Applied | Refused:
        # No await between the check and the write: atomic on the event loop.
        before = transition.before
        current = self.signals.get(before.id)
        if current is None or (current.status, current.revision) != (
            before.status,
            before.revision,
        ):
            return Refused(current)
        self.signals[before.id] = transition.after
        event = self._append_event(
            transition.after,
            EventType.TRANSITIONED,
            transition.actor,
            at=transition.at,
            from_status=before.status,
            note=transition.note,
        )
        return Applied(transition.after, event)

    async def for_signal(self, signal_id: UUID) -> Sequence[SignalEvent]:
        return [e for e in self.events if e.signal_id == signal_id]

    async def for_user_after(
        self, user_id: UUID, after_id: int, limit: int
    ) -> Sequence[SignalEvent]:
        return [e for e in self.events if e.user_id == user_id and e.id > after_id][:limit]


class FakeLifecycleMetrics:
    def __init__(self) -> None:
        self.transitions: Counter[tuple[str, str]] = Counter()

    def transitioned(self, from_status: SignalStatus, to_status: SignalStatus) -> None:
        self.transitions[(from_status.value, to_status.value)] += 1


class FakeProducerDirectory:
    def __init__(self, *producers: Producer) -> None:
        self.producers = {p.id: p for p in producers}

    async def get(self, producer_id: str) -> Producer | None:
        return self.producers.get(producer_id)

    async def get_by_tradingview_token(self, token_hash: str) -> Producer | None:
        for producer in self.producers.values():
            if producer.tradingview_token_hash == token_hash:
                return producer
        return None


class FakeSignalMetrics:
    def __init__(self) -> None:
        self.ingested_by: Counter[tuple[str, str]] = Counter()
        self.rejected_by: Counter[str] = Counter()
        self.ingested_by_source: Counter[str] = Counter()
        self.rejected_by_source: Counter[tuple[str, str]] = Counter()
        self.create_seconds: list[float] = []

    def ingested(self, instrument: str, side: Side, source: str = "hmac") -> None:
        self.ingested_by[(instrument, side.value)] += 1
        self.ingested_by_source[str(source)] += 1

    def rejected(self, reason: str, source: str = "hmac") -> None:
        self.rejected_by[reason] += 1
        self.rejected_by_source[(str(source), reason)] += 1

    def observe_create_seconds(self, seconds: float) -> None:
        self.create_seconds.append(seconds)
