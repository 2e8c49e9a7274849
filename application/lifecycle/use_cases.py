"""TransitionSignal and ListSignalEvents: the owner moves a signal and reads its trail (SPEC §9)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.accounts.ports import Clock
from domain.errors import Forbidden, NotFound, PreconditionFailed, TransitionNotAllowed
from domain.identity import Caller
from domain.lifecycle.events import SignalEvent, user_actor
from domain.lifecycle.machine import allowed, moved, parse_fields, transition_moment
from domain.lifecycle.ports import (
    Applied,
    LifecycleMetrics,
    SignalEventLog,
    SignalTransitions,
    Transition,
)
from domain.signals.model import Signal, SignalStatus
from domain.signals.ports import SignalRepository


@dataclass(frozen=True, slots=True)
class TransitionSignalRequest:
    """The body of `POST /api/v1/signals/{id}/transitions` plus `If-Match` (a revision)."""

    signal_id: str
    to: SignalStatus | str
    price: float | None = None
    at: datetime | None = None
    note: str | None = None
    if_match: int | None = None


async def _owned(signals: SignalRepository, caller: Caller, signal_id: str) -> Signal:
    try:
        parsed = UUID(signal_id)
    except ValueError:
        raise NotFound("no such signal") from None
    signal = await signals.get(parsed)
    if signal is None:
        raise NotFound("no such signal")
    if signal.user_id != caller.user_id:
        raise Forbidden("this signal belongs to another user")
    return signal


def _stale(revision: int) -> PreconditionFailed:
    return PreconditionFailed(
        f"If-Match names another revision; the signal is at revision {revision}", revision
    )


def _not_allowed(current: SignalStatus, target: SignalStatus) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        f"a {current.value} signal cannot move to {target.value}", current.value
    )


class TransitionSignal:
    """Checks in order: body (400), 404, 403, If-Match (412), the table (409), `at` (400)."""

    def __init__(
        self,
        *,
        signals: SignalRepository,
        transitions: SignalTransitions,
        metrics: LifecycleMetrics,
        clock: Clock,
    ) -> None:
        self._signals = signals
        self._transitions = transitions
        self._metrics = metrics
        self._clock = clock

    async def __call__(self, caller: Caller, request: TransitionSignalRequest) -> Applied:
        fields = parse_fields(request.to, request.price, request.at, request.note)
        signal = await _owned(self._signals, caller, request.signal_id)
        if request.if_match is not None and request.if_match != signal.revision:
            raise _stale(signal.revision)
        if not allowed(signal.status, fields.to):
            raise _not_allowed(signal.status, fields.to)
        moment = transition_moment(signal, fields.at, self._clock.now())
        outcome = await self._transitions.apply(
            Transition(
                before=signal,
                after=moved(signal, fields, moment),
                at=moment,
                actor=user_actor(caller.user_id),
                note=fields.note,
            )
        )
        if isinstance(outcome, Applied):
            self._metrics.transitioned(signal.status, fields.to)
            return outcome
        # Someone else moved it between our read and our conditional update.
        current = outcome.current
        if current is None:
            raise NotFound("no such signal")
        if request.if_match is not None and request.if_match != current.revision:
            raise _stale(current.revision)
        if not allowed(current.status, fields.to):
            raise _not_allowed(current.status, fields.to)
        raise TransitionNotAllowed(
            f"the signal moved to {current.status.value} meanwhile; read it and decide again",
            current.status.value,
        )


class ListSignalEvents:
    def __init__(self, *, signals: SignalRepository, events: SignalEventLog) -> None:
        self._signals = signals
        self._events = events

    async def __call__(self, caller: Caller, signal_id: str) -> list[SignalEvent]:
        signal = await _owned(self._signals, caller, signal_id)
        return list(await self._events.for_signal(signal.id))
