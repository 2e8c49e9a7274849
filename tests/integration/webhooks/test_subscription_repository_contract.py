"""One contract for every SubscriptionRepository: the fake of the unit tests, SQLite and
PostgreSQL (so the fake cannot drift from the adapters)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from adapters.persistence.webhook_subscriptions import PiccoloSubscriptionRepository
from domain.lifecycle.events import EventType
from domain.webhooks.model import Subscription
from domain.webhooks.ports import Requeued
from tests.fakes.clock import START
from tests.fakes.webhooks import FakeSubscriptions
from tests.support.databases import migrated_engine


@pytest.fixture(params=["fake", "sqlite", "postgres"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "fake":
        yield FakeSubscriptions(), None
        return
    async with migrated_engine(request.param, tmp_path) as db:
        yield PiccoloSubscriptionRepository(db), db


async def _user(db: Any) -> UUID:
    user = uuid.uuid4()
    if db is not None:
        await db.run(
            "INSERT INTO app_user (id, name, created_at) VALUES ({}, 'u', {})", user, START
        )
    return user


def _subscription(user: UUID, n: int = 0) -> Subscription:
    return Subscription(
        id=uuid.uuid4(), user_id=user, url=f"https://example.com/{n}",
        events=(EventType.TRANSITIONED,), instrument="XAUUSD", enabled=True,
        secret=f"whsec_secret{n}", previous_secret=None, previous_secret_until=None,
        created_at=START + timedelta(seconds=n),
    )  # fmt: skip


async def test_stored_as_given_and_only_for_its_owner(repo: Any) -> None:
    subscriptions, db = repo
    alice, bob = await _user(db), await _user(db)
    first, second = _subscription(alice, 1), _subscription(alice, 2)
    assert await subscriptions.add(first, 0, 10)
    assert await subscriptions.add(second, 0, 10)
    assert await subscriptions.get(alice, first.id) == first
    assert await subscriptions.get(bob, first.id) is None
    assert await subscriptions.get(alice, uuid.uuid4()) is None
    assert list(await subscriptions.list_for(alice)) == [first, second]
    assert list(await subscriptions.list_for(bob)) == []
    assert not await subscriptions.delete(bob, first.id)
    assert await subscriptions.delete(alice, first.id)
    assert not await subscriptions.delete(alice, first.id)
    assert list(await subscriptions.list_for(alice)) == [second]


async def test_the_limit_holds(repo: Any) -> None:
    subscriptions, db = repo
    alice, bob = await _user(db), await _user(db)
    assert await subscriptions.add(_subscription(alice, 1), 0, 2)
    assert await subscriptions.add(_subscription(alice, 2), 0, 2)
    assert not await subscriptions.add(_subscription(alice, 3), 0, 2)
    assert await subscriptions.add(_subscription(bob, 1), 0, 2)
    assert len(await subscriptions.list_for(alice)) == 2


async def test_the_limit_holds_under_concurrency(repo: Any) -> None:
    subscriptions, db = repo
    alice = await _user(db)
    added = await asyncio.gather(
        *(subscriptions.add(_subscription(alice, n), 0, 3) for n in range(10))
    )
    assert sum(added) == 3
    assert len(await subscriptions.list_for(alice)) == 3


async def test_rotation_keeps_the_previous_secret_until_a_time(repo: Any) -> None:
    subscriptions, db = repo
    alice, bob = await _user(db), await _user(db)
    sub = _subscription(alice)
    await subscriptions.add(sub, 0, 10)
    until = START + timedelta(hours=24)
    assert await subscriptions.rotate(bob, sub.id, "whsec_new", until) is None
    rotated = await subscriptions.rotate(alice, sub.id, "whsec_new", until)
    assert rotated is not None
    assert (rotated.secret, rotated.previous_secret) == ("whsec_new", sub.secret)
    assert rotated.previous_secret_until == until
    assert await subscriptions.get(alice, sub.id) == rotated


async def test_requeue_of_an_unknown_delivery(repo: Any) -> None:
    subscriptions, db = repo
    alice = await _user(db)
    sub = _subscription(alice)
    await subscriptions.add(sub, 0, 10)
    assert await subscriptions.requeue(sub.id, 1, START) is Requeued.NOT_FOUND
    assert list(await subscriptions.attempts(sub.id, None, 10)) == []
