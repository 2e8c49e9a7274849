"""TransitionSignal, ListSignalEvents and the list's since/until, with fakes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from application.lifecycle import ListSignalEvents, TransitionSignal, TransitionSignalRequest
from application.signals import ListSignals, ListSignalsRequest
from domain.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    TransitionNotAllowed,
)
from domain.identity import Caller
from domain.lifecycle import Applied, EventType, Refused, Transition
from domain.signals.model import Signal
from domain.signals.model import SignalStatus as S
from tests.fakes.clock import FakeClock
from tests.fakes.signals import FakeLifecycleMetrics, FakeSignalRepository
from tests.support.entities import a_signal

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
OWNER = Caller(uuid4())


class World:
    def __init__(self) -> None:
        self.clock = FakeClock(T0 + timedelta(hours=1))
        self.repo = FakeSignalRepository()
        self.metrics = FakeLifecycleMetrics()
        self.transition = TransitionSignal(
            signals=self.repo, transitions=self.repo, metrics=self.metrics, clock=self.clock
        )
        self.events = ListSignalEvents(signals=self.repo, events=self.repo)

    async def signal(self, **changes: object) -> Signal:
        owned = {"user_id": OWNER.user_id, "price": 100.0, **changes}
        return await self.repo.add(a_signal(**owned), 0)

    async def move(self, signal: Signal, to: S, **fields: object) -> Applied:
        request = TransitionSignalRequest(str(signal.id), to, **fields)  # type: ignore[arg-type]
        return await self.transition(OWNER, request)


async def test_the_whole_life_of_a_buy() -> None:
    world = World()
    s = await world.signal()
    await world.move(s, S.APPROVED, note="looks good")
    world.clock.advance(60)
    executed = await world.move(s, S.EXECUTED, price=100.0)
    assert executed.signal.executed_at == world.clock.now()
    closed = await world.move(s, S.CLOSED, price=103.0, at=world.clock.now())
    assert (closed.signal.status, closed.signal.revision) == (S.CLOSED, 4)
    assert closed.signal.pnl == 3.0 and closed.signal.return_ratio == pytest.approx(0.03)
    assert closed.event.type is EventType.TRANSITIONED
    assert (closed.event.from_status, closed.event.to_status) == (S.EXECUTED, S.CLOSED)
    assert closed.event.actor == f"user:{OWNER.user_id}"
    assert await world.repo.get(s.id) == closed.signal
    trail = await world.events(OWNER, str(s.id))
    assert [(e.id, e.type, e.from_status, e.to_status) for e in trail] == [
        (1, EventType.CREATED, None, S.NEW),
        (2, EventType.TRANSITIONED, S.NEW, S.APPROVED),
        (3, EventType.TRANSITIONED, S.APPROVED, S.EXECUTED),
        (4, EventType.TRANSITIONED, S.EXECUTED, S.CLOSED),
    ]
    assert trail[0].actor == "producer:relay-1" and trail[1].note == "looks good"
    assert world.metrics.transitions == {
        ("new", "approved"): 1,
        ("approved", "executed"): 1,
        ("executed", "closed"): 1,
    }


@pytest.mark.parametrize("final", [S.REJECTED, S.CANCELLED, S.CLOSED])
async def test_a_final_status_is_a_conflict_naming_it(final: S) -> None:
    world = World()
    s = await world.signal(status=final)
    with pytest.raises(TransitionNotAllowed) as caught:
        await world.move(s, S.CANCELLED)
    assert caught.value.current_status == final.value
    assert len(await world.events(OWNER, str(s.id))) == 1
    assert not world.metrics.transitions


async def test_another_users_signal_is_forbidden_and_unchanged() -> None:
    world = World()
    s = await world.signal(user_id=uuid4())
    with pytest.raises(Forbidden):
        await world.move(s, S.APPROVED)
    with pytest.raises(Forbidden):
        await world.events(OWNER, str(s.id))
    assert (await world.repo.get(s.id)) == s


@pytest.mark.parametrize("signal_id", [str(uuid4()), "not-a-uuid"])
async def test_unknown_or_malformed_id_is_not_found(signal_id: str) -> None:
    world = World()
    with pytest.raises(NotFound):
        await world.transition(OWNER, TransitionSignalRequest(signal_id, S.APPROVED))
    with pytest.raises(NotFound):
        await world.events(OWNER, signal_id)


async def test_if_match_stale_is_precondition_failed_current_passes() -> None:
    world = World()
    s = await world.signal()
    with pytest.raises(PreconditionFailed) as caught:
        await world.move(s, S.APPROVED, if_match=2)
    assert caught.value.current_revision == 1
    assert (await world.move(s, S.APPROVED, if_match=1)).signal.revision == 2


async def test_if_match_comes_before_the_table() -> None:
    world = World()
    s = await world.signal(status=S.CLOSED)
    with pytest.raises(PreconditionFailed):
        await world.move(s, S.APPROVED, if_match=7)


async def test_bad_body_is_invalid_before_anything_is_read() -> None:
    world = World()
    with pytest.raises(InvalidInput) as caught:
        await world.transition(OWNER, TransitionSignalRequest(str(uuid4()), S.EXECUTED))
    assert caught.value.field == "price"


async def test_at_before_the_previous_state_is_invalid() -> None:
    world = World()
    s = await world.signal()
    with pytest.raises(InvalidInput) as caught:
        await world.move(s, S.APPROVED, at=T0 - timedelta(seconds=1))
    assert caught.value.field == "at"
    assert (await world.repo.get(s.id)) == s


class LosingRace(FakeSignalRepository):
    """Someone else moves the signal between the use case's read and its update."""

    def __init__(self, meanwhile: S, revision: int = 2) -> None:
        super().__init__()
        self.meanwhile = meanwhile
        self.revision = revision

    async def apply(self, transition: Transition) -> Applied | Refused:
        current = replace(transition.before, status=self.meanwhile, revision=self.revision)
        self.signals[current.id] = current
        return await super().apply(transition)


async def test_losing_a_race_is_a_conflict_with_the_status_now() -> None:
    world = World()
    world.repo = LosingRace(S.APPROVED)
    world.transition = TransitionSignal(
        signals=world.repo, transitions=world.repo, metrics=world.metrics, clock=world.clock
    )
    s = await world.signal()
    with pytest.raises(TransitionNotAllowed) as caught:
        await world.move(s, S.CANCELLED)  # allowed from approved too, but not what was asked
    assert caught.value.current_status == "approved"
    with pytest.raises(PreconditionFailed):
        await world.move(s, S.REJECTED, if_match=1)
    assert not world.metrics.transitions


async def test_list_since_inclusive_until_exclusive() -> None:
    world = World()
    made = [await world.signal(time=T0 + timedelta(hours=i)) for i in range(4)]
    listing = ListSignals(signals=world.repo)
    found = await listing(
        OWNER, ListSignalsRequest(since="2026-11-28T02:00:00Z", until="2026-11-28T05:00:00+01:00")
    )
    assert {s.id for s in found.items} == {made[1].id, made[2].id}
    assert found.total == 2


@pytest.mark.parametrize("name", ["since", "until"])
async def test_list_bad_since_until_names_the_field(name: str) -> None:
    listing = ListSignals(signals=FakeSignalRepository())
    with pytest.raises(InvalidInput) as caught:
        await listing(OWNER, ListSignalsRequest(**{name: "yesterday"}))
    assert caught.value.field == name
