"""One contract for SignalRepository, run on the fake, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from adapters.persistence.account_repositories import PiccoloUserRepository
from adapters.persistence.signal_repository import PiccoloSignalRepository
from domain.accounts.model import User
from domain.errors import AlreadyExists
from domain.signals import Side, Signal, SignalFilter, SignalStatus
from tests.fakes.signals import FakeSignalRepository
from tests.support.databases import ENGINES, migrated_engine
from tests.support.entities import a_signal

T0 = datetime(2026, 11, 28, 1, 0, 0, tzinfo=UTC)


@dataclass
class Store:
    repo: Any
    new_user: Callable[[], Any]


@pytest.fixture(params=["fake", *ENGINES])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    if request.param == "fake":

        async def fake_user() -> UUID:
            return uuid4()

        yield Store(FakeSignalRepository(), fake_user)
        return
    async with migrated_engine(request.param, tmp_path) as engine:
        users = PiccoloUserRepository()

        async def real_user() -> UUID:
            user = User(uuid4(), "someone", T0)
            await users.add(user)
            return user.id

        yield Store(PiccoloSignalRepository(engine), real_user)


def make_signal(user_id: UUID, **changes: Any) -> Signal:
    return a_signal(user_id=user_id, **changes)


async def test_round_trip_keeps_every_field(store: Store) -> None:
    user = await store.new_user()
    signal = make_signal(
        user,
        time=datetime(2026, 11, 28, 0, 59, 58, 123456, tzinfo=UTC),
        external_id="abc-1",
        payload={"tf": "1h", "nested": {"x": [1, 2.5, None, True]}, "s": "ünï\u0000"},
        price=0.000123,
    )
    assert await store.repo.add(signal, 300) == signal
    assert await store.repo.get(signal.id) == signal


async def test_get_unknown_is_none(store: Store) -> None:
    assert await store.repo.get(uuid4()) is None


async def test_same_external_id_is_a_duplicate_whatever_the_rest(store: Store) -> None:
    user = await store.new_user()
    first = make_signal(user, external_id="x-1")
    await store.repo.add(first, 300)
    other = make_signal(user, external_id="x-1", instrument="EURUSD", time=T0 + timedelta(days=3))
    with pytest.raises(AlreadyExists) as caught:
        await store.repo.add(other, 0)
    assert caught.value.existing_id == str(first.id)
    assert await store.repo.get(other.id) is None


async def test_when_both_rules_match_different_signals_the_window_one_is_named(
    store: Store,
) -> None:
    user = await store.new_user()
    tagged = make_signal(user, external_id="x-1", instrument="EURUSD")
    near = make_signal(user)
    await store.repo.add(tagged, 300)
    await store.repo.add(near, 300)
    with pytest.raises(AlreadyExists) as caught:
        await store.repo.add(make_signal(user, external_id="x-1"), 300)
    assert caught.value.existing_id == str(near.id)


async def test_external_ids_are_per_owner(store: Store) -> None:
    alice, bob = await store.new_user(), await store.new_user()
    alices = make_signal(alice, external_id="x-1")
    bobs = make_signal(bob, external_id="x-1")
    assert await store.repo.add(alices, 300) == alices
    assert await store.repo.add(bobs, 300) == bobs
    assert await store.repo.get(alices.id) == alices
    assert await store.repo.get(bobs.id) == bobs


@pytest.mark.parametrize("offset", [-299.999, -1, 0, 1, 299])
async def test_same_key_within_the_window_is_a_duplicate(store: Store, offset: float) -> None:
    user = await store.new_user()
    first = make_signal(user, external_id="a")
    await store.repo.add(first, 300)
    with pytest.raises(AlreadyExists) as caught:
        await store.repo.add(
            make_signal(user, external_id="b", time=T0 + timedelta(seconds=offset)), 300
        )
    assert caught.value.existing_id == str(first.id)


@pytest.mark.parametrize("offset", [-300, 300, 301, 3600])
async def test_same_key_outside_the_window_is_stored(store: Store, offset: int) -> None:
    user = await store.new_user()
    await store.repo.add(make_signal(user), 300)
    later = make_signal(user, time=T0 + timedelta(seconds=offset))
    assert await store.repo.add(later, 300) == later


@pytest.mark.parametrize(
    "moment",
    [datetime(1, 1, 1, 0, 0, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)],
    ids=["first", "last"],
)
async def test_times_at_the_ends_of_the_calendar(store: Store, moment: datetime) -> None:
    user = await store.new_user()
    first = make_signal(user, time=moment)
    assert await store.repo.add(first, 3600) == first
    with pytest.raises(AlreadyExists) as caught:
        await store.repo.add(make_signal(user, time=moment), 3600)
    assert caught.value.existing_id == str(first.id)
    assert await store.repo.get(first.id) == first


async def test_window_zero_turns_the_time_rule_off(store: Store) -> None:
    user = await store.new_user()
    await store.repo.add(make_signal(user), 0)
    await store.repo.add(make_signal(user), 0)
    page = await store.repo.list(SignalFilter(user_id=user))
    assert page.total == 2


@pytest.mark.parametrize(
    "change",
    [{"instrument": "EURUSD"}, {"side": Side.SELL}, {"version": "2"}],
    ids=["instrument", "side", "version"],
)
async def test_a_different_key_is_not_a_duplicate(store: Store, change: dict[str, Any]) -> None:
    user = await store.new_user()
    first, second = make_signal(user), make_signal(user, **change)
    assert await store.repo.add(first, 300) == first
    assert await store.repo.add(second, 300) == second
    assert await store.repo.get(first.id) == first
    assert await store.repo.get(second.id) == second
    page = await store.repo.list(SignalFilter(user_id=user))
    assert {s.id for s in page.items} == {first.id, second.id}


async def test_another_owner_is_not_a_duplicate(store: Store) -> None:
    alice, bob = await store.new_user(), await store.new_user()
    alices, bobs = make_signal(alice), make_signal(bob)
    assert await store.repo.add(alices, 300) == alices
    assert await store.repo.add(bobs, 300) == bobs
    assert await store.repo.get(alices.id) == alices
    assert await store.repo.get(bobs.id) == bobs


async def test_list_is_own_newest_first_filtered_and_paginated(store: Store) -> None:
    alice, bob = await store.new_user(), await store.new_user()
    made = []
    for i in range(7):
        signal = make_signal(
            alice,
            instrument="XAUUSD" if i % 2 else "EURUSD",
            status=SignalStatus.NEW if i < 5 else SignalStatus.CLOSED,
            time=T0 + timedelta(hours=i),
            created_at=T0 + timedelta(seconds=i),
            updated_at=T0 + timedelta(seconds=i),
        )
        await store.repo.add(signal, 300)
        made.append(signal)
    await store.repo.add(make_signal(bob), 300)
    newest_first = [s.id for s in reversed(made)]

    page = await store.repo.list(SignalFilter(user_id=alice, offset=0, limit=3))
    assert page.total == 7
    assert [s.id for s in page.items] == newest_first[:3]
    page = await store.repo.list(SignalFilter(user_id=alice, offset=6, limit=3))
    assert [s.id for s in page.items] == newest_first[6:]
    page = await store.repo.list(SignalFilter(user_id=alice, offset=9, limit=3))
    assert (page.items, page.total) == ([], 7)

    page = await store.repo.list(SignalFilter(user_id=alice, instrument="XAUUSD"))
    assert [s.id for s in page.items] == [made[5].id, made[3].id, made[1].id]
    page = await store.repo.list(
        SignalFilter(user_id=alice, instrument="EURUSD", status=SignalStatus.CLOSED)
    )
    assert [s.id for s in page.items] == [made[6].id]
    assert page.total == 1


async def test_concurrent_identical_adds_store_exactly_one(store: Store) -> None:
    user = await store.new_user()
    attempts = [make_signal(user, external_id="same") for _ in range(20)]
    results = await asyncio.gather(
        *(store.repo.add(s, 300) for s in attempts), return_exceptions=True
    )
    stored = [r for r in results if isinstance(r, Signal)]
    refused = [r for r in results if isinstance(r, AlreadyExists)]
    assert len(stored) == 1 and len(refused) == 19, results
    assert {r.existing_id for r in refused} == {str(stored[0].id)}


async def test_concurrent_adds_in_one_window_store_exactly_one(store: Store) -> None:
    user = await store.new_user()
    attempts = [
        make_signal(user, external_id=f"e-{i}", time=T0 + timedelta(seconds=i)) for i in range(20)
    ]
    results = await asyncio.gather(
        *(store.repo.add(s, 300) for s in attempts), return_exceptions=True
    )
    stored = [r for r in results if isinstance(r, Signal)]
    refused = [r for r in results if isinstance(r, AlreadyExists)]
    assert len(stored) == 1 and len(refused) == 19, results
    assert {r.existing_id for r in refused} == {str(stored[0].id)}


async def test_concurrent_same_external_id_under_different_keys_store_one(store: Store) -> None:
    user = await store.new_user()
    attempts = [make_signal(user, external_id="same", version=str(i)) for i in range(12)]
    results = await asyncio.gather(
        *(store.repo.add(s, 300) for s in attempts), return_exceptions=True
    )
    stored = [r for r in results if isinstance(r, Signal)]
    refused = [r for r in results if isinstance(r, AlreadyExists)]
    assert len(stored) == 1 and len(refused) == 11, results
    assert {r.existing_id for r in refused} == {str(stored[0].id)}
