"""One contract for SignalTransitions and SignalEventLog (and the created event of `add`),
run on the fake, on SQLite and on PostgreSQL; concurrency through several engines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.persistence.account_repositories import PiccoloUserRepository
from adapters.persistence.engine import Database
from adapters.persistence.signal_lifecycle import PiccoloSignalLifecycle
from adapters.persistence.signal_repository import PiccoloSignalRepository
from domain.accounts.model import User
from domain.errors import AlreadyExists
from domain.lifecycle import (
    Applied,
    EventType,
    Refused,
    Transition,
    moved,
    parse_fields,
    user_actor,
)
from domain.signals import Side, Signal, SignalFilter, SignalStatus
from tests.fakes.signals import FakeSignalRepository
from tests.support.databases import ENGINES, database_settings, migrated_engine
from tests.support.entities import a_signal

T0 = datetime(2026, 11, 28, 1, 0, 0, tzinfo=UTC)
S = SignalStatus


@dataclass
class Store:
    signals: Any  # SignalRepository
    lifecycle: Any  # SignalTransitions + SignalEventLog
    new_user: Callable[[], Awaitable[UUID]]
    # More (signals, lifecycle) pairs on their own engines: real concurrency between them.
    more: Callable[[int], Awaitable[list[tuple[Any, Any]]]]


def _url_of(db: Database) -> str:
    if db.dialect == "sqlite":
        return f"sqlite:///{db.engine.path}"
    return str(db.engine.config["dsn"])


@pytest.fixture(params=["fake", *ENGINES])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "fake":
        fake = FakeSignalRepository()

        async def fake_user() -> UUID:
            return uuid4()

        async def fake_more(n: int) -> list[tuple[Any, Any]]:
            return [(fake, fake)] * n

        yield Store(fake, fake, fake_user, fake_more)
        return
    async with migrated_engine(request.param, tmp_path) as engine, AsyncExitStack() as stack:
        users = PiccoloUserRepository()

        async def real_user() -> UUID:
            user = User(uuid4(), "someone", T0)
            await users.add(user)
            return user.id

        async def real_more(n: int) -> list[tuple[Any, Any]]:
            if request.param == "sqlite":
                # Piccolo's SQLite engine opens a connection per transaction, so one engine
                # is already many writers; and the Piccolo tables are bound to this engine.
                return [(PiccoloSignalRepository(engine), PiccoloSignalLifecycle(engine))] * n
            pairs = []
            for _ in range(n):
                other = Database.at(database_settings(_url_of(engine)))
                await other.start()
                stack.push_async_callback(other.stop)
                pairs.append((PiccoloSignalRepository(other), PiccoloSignalLifecycle(other)))
            return pairs

        yield Store(
            PiccoloSignalRepository(engine), PiccoloSignalLifecycle(engine), real_user, real_more
        )


def make_signal(user_id: UUID, **changes: Any) -> Signal:
    return a_signal(user_id=user_id, **changes)


def transition(
    before: Signal, to: S, price: float | None = None, note: str | None = None, minutes: int = 1
) -> Transition:
    at = before.updated_at + timedelta(minutes=minutes)
    return Transition(
        before=before,
        after=moved(before, parse_fields(to, price, None, note), at),
        at=at,
        actor=user_actor(before.user_id),
        note=note,
    )


async def test_add_writes_the_created_event(store: Store) -> None:
    user = await store.new_user()
    signal = make_signal(user, created_at=T0 + timedelta(seconds=3))
    await store.signals.add(signal, 300)
    [event] = await store.lifecycle.for_signal(signal.id)
    assert (event.id, event.user_id, event.signal_id) == (1, user, signal.id)
    assert (event.type, event.from_status, event.to_status) == (EventType.CREATED, None, S.NEW)
    assert (event.at, event.actor, event.note) == (signal.created_at, "producer:relay-1", None)


async def test_a_refused_duplicate_writes_no_event(store: Store) -> None:
    user = await store.new_user()
    first = make_signal(user, external_id="x")
    await store.signals.add(first, 300)
    with pytest.raises(AlreadyExists):
        await store.signals.add(make_signal(user, external_id="x"), 300)
    with pytest.raises(AlreadyExists):
        await store.signals.add(make_signal(user, external_id="y"), 300)
    assert [e.id for e in await store.lifecycle.for_user_after(user, 0, 100)] == [1]


async def test_event_ids_are_per_user(store: Store) -> None:
    alice, bob = await store.new_user(), await store.new_user()
    for i in range(3):
        await store.signals.add(make_signal(alice, external_id=f"a{i}"), 0)
    await store.signals.add(make_signal(bob), 0)
    assert [e.id for e in await store.lifecycle.for_user_after(alice, 0, 100)] == [1, 2, 3]
    assert [e.id for e in await store.lifecycle.for_user_after(alice, 1, 1)] == [2]
    assert [e.id for e in await store.lifecycle.for_user_after(bob, 0, 100)] == [1]


async def test_the_whole_life_is_stored_with_its_trail(store: Store) -> None:
    user = await store.new_user()
    signal = make_signal(user, side=Side.SELL)
    await store.signals.add(signal, 300)
    steps = [(S.APPROVED, None, "go"), (S.EXECUTED, 2000.0, None), (S.CLOSED, 1900.0, "tp")]
    current = signal
    for to, price, note in steps:
        outcome = await store.lifecycle.apply(transition(current, to, price, note))
        assert isinstance(outcome, Applied)
        assert await store.signals.get(signal.id) == outcome.signal
        current = outcome.signal
    assert (current.pnl, current.return_ratio, current.revision) == (100.0, 0.05, 4)
    assert current.executed_at == T0 + timedelta(minutes=2)
    assert current.closed_at == T0 + timedelta(minutes=3)
    trail = await store.lifecycle.for_signal(signal.id)
    assert [(e.id, e.from_status, e.to_status, e.note) for e in trail] == [
        (1, None, S.NEW, None),
        (2, S.NEW, S.APPROVED, "go"),
        (3, S.APPROVED, S.EXECUTED, None),
        (4, S.EXECUTED, S.CLOSED, "tp"),
    ]
    assert trail[3].at == T0 + timedelta(minutes=3)
    assert trail[3].actor == f"user:{user}" and trail[3].type is EventType.TRANSITIONED
    assert outcome.event == trail[3]


async def test_a_stale_transition_changes_nothing(store: Store) -> None:
    user = await store.new_user()
    signal = make_signal(user)
    await store.signals.add(signal, 300)
    first = await store.lifecycle.apply(transition(signal, S.APPROVED))
    assert isinstance(first, Applied)
    stale = await store.lifecycle.apply(transition(signal, S.CANCELLED))
    assert stale == Refused(first.signal)
    assert await store.signals.get(signal.id) == first.signal
    assert len(await store.lifecycle.for_signal(signal.id)) == 2


async def test_a_transition_of_a_missing_signal_is_refused(store: Store) -> None:
    user = await store.new_user()
    assert await store.lifecycle.apply(transition(make_signal(user), S.APPROVED)) == Refused(None)
    assert await store.lifecycle.for_signal(uuid4()) == []


async def test_list_since_inclusive_until_exclusive(store: Store) -> None:
    user = await store.new_user()
    made = [make_signal(user, time=T0 + timedelta(hours=i)) for i in range(4)]
    for s in made:
        await store.signals.add(s, 0)
    page = await store.signals.list(
        SignalFilter(user_id=user, since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3))
    )
    assert {s.id for s in page.items} == {made[1].id, made[2].id} and page.total == 2
    page = await store.signals.list(SignalFilter(user_id=user, since=T0 + timedelta(hours=3)))
    assert [s.id for s in page.items] == [made[3].id]
    page = await store.signals.list(SignalFilter(user_id=user, until=T0))
    assert page.total == 0


async def test_concurrent_transitions_from_one_state_one_wins(store: Store) -> None:
    user = await store.new_user()
    signal = make_signal(user)
    await store.signals.add(signal, 300)
    pairs = await store.more(4)
    targets = [S.APPROVED, S.REJECTED, S.CANCELLED]
    outcomes = await asyncio.gather(
        *(
            pairs[i % len(pairs)][1].apply(transition(signal, targets[i % 3], note=str(i)))
            for i in range(20)
        )
    )
    won = [o for o in outcomes if isinstance(o, Applied)]
    lost = [o for o in outcomes if isinstance(o, Refused)]
    assert len(won) == 1 and len(lost) == 19, outcomes
    stored = await store.signals.get(signal.id)
    assert stored == won[0].signal and stored.revision == 2
    assert all(o.current == stored for o in lost)
    trail = await store.lifecycle.for_signal(signal.id)
    assert [e.id for e in trail] == [1, 2] and trail[1].note == won[0].event.note


async def test_event_ids_are_dense_and_never_seen_out_of_order(store: Store) -> None:
    """Writers on several engines add and move one user's signals; a reader polling the
    trail must only ever see ids 1..k (no id before a smaller one is visible)."""
    user = await store.new_user()
    pairs = await store.more(4)
    done = asyncio.Event()
    seen: list[list[int]] = []

    async def writer(signals: Any, lifecycle: Any, n: int) -> None:
        for i in range(6):
            signal = make_signal(user, external_id=f"{n}-{i}", time=T0 + timedelta(days=i))
            await signals.add(signal, 0)
            if i % 2:
                outcome = await lifecycle.apply(transition(signal, S.APPROVED))
                assert isinstance(outcome, Applied)

    async def reader() -> None:
        while not done.is_set():
            seen.append([e.id for e in await store.lifecycle.for_user_after(user, 0, 1000)])
            await asyncio.sleep(0)

    watching = asyncio.create_task(reader())
    await asyncio.gather(*(writer(s, lc, n) for n, (s, lc) in enumerate(pairs)))
    done.set()
    await watching
    final = [e.id for e in await store.lifecycle.for_user_after(user, 0, 1000)]
    assert final == list(range(1, 4 * 9 + 1))
    assert seen and all(ids == list(range(1, len(ids) + 1)) for ids in seen)
