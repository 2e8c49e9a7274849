"""The webhook outbox on real SQLite and PostgreSQL (docs/webhooks.md): the cursor over the
events table, leases that no two claimers share, attempts recorded once, the schedule, 410,
the manual retry. The worker runs here with a fake sender and a fake clock, stepped by hand.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from adapters.persistence.engine import Database
from adapters.persistence.signal_lifecycle import PiccoloSignalLifecycle
from adapters.persistence.signal_repository import PiccoloSignalRepository
from adapters.persistence.webhook_outbox import PiccoloOutbox
from adapters.persistence.webhook_subscriptions import PiccoloSubscriptionRepository
from adapters.stream.reads import FeedReads
from application.webhooks.worker import WebhookWorker, WorkerPolicy
from domain.lifecycle.events import EventType
from domain.signals.model import Side, Signal, SignalStatus
from domain.stream.ports import FeedItem
from domain.webhooks.model import DeliveryStatus, Subscription
from domain.webhooks.ports import NewDelivery, Requeued
from tests.fakes.clock import START, FakeClock
from tests.fakes.webhooks import FakeSender, FakeWebhookMetrics, OneProcess
from tests.support.databases import ENGINES, migrated_engine

LEASE = timedelta(seconds=60)


@pytest.fixture(params=ENGINES)
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    async with migrated_engine(request.param, tmp_path) as database:
        yield database


async def _user(db: Database) -> UUID:
    user = uuid.uuid4()
    await db.run("INSERT INTO app_user (id, name, created_at) VALUES ({}, 'u', {})", user, START)
    return user


async def _signal(db: Database, user: UUID, instrument: str = "XAUUSD") -> Signal:
    signal = Signal(
        id=uuid.uuid4(), user_id=user, producer_id="relay", instrument=instrument,
        side=Side.BUY, price=1.0, time=START, version=uuid.uuid4().hex[:8], external_id=None,
        status=SignalStatus.NEW, payload={}, created_at=START, updated_at=START,
    )  # fmt: skip
    return await PiccoloSignalRepository(db).add(signal, 0)


def _subscription(
    user: UUID, instrument: str | None = None, url: str = "http://receiver.test/hook"
) -> Subscription:
    return Subscription(
        id=uuid.uuid4(), user_id=user, url=url,
        events=tuple(EventType), instrument=instrument, enabled=True,
        secret="whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB", previous_secret=None,
        previous_secret_until=None, created_at=START,
    )  # fmt: skip


def _body(item: FeedItem) -> bytes:
    return json.dumps({"event": item.event.id, "instrument": item.signal.instrument}).encode()


@dataclass
class World:
    db: Database
    clock: FakeClock
    sender: FakeSender
    metrics: FakeWebhookMetrics
    outbox: PiccoloOutbox
    subscriptions: PiccoloSubscriptionRepository
    worker: WebhookWorker

    async def run(self) -> None:
        """Steps until nothing is leased (what the worker's loop does on wake-ups)."""
        while await self.worker.step():
            await self.worker.drain()

    def sent_events(self) -> list[int]:
        return [json.loads(s.body)["event"] for s in self.sender.sent]


def _world(
    db: Database, statuses: list[int | None] | None = None, only_url: str | None = None
) -> World:
    clock = FakeClock()
    sender = FakeSender(statuses or [], only_url)
    metrics = FakeWebhookMetrics()
    outbox = PiccoloOutbox(db)
    feed = FeedReads(PiccoloSignalLifecycle(db), db)
    worker = WebhookWorker(
        outbox, feed, sender, clock, metrics, OneProcess(),
        WorkerPolicy(schedule=(5, 60), concurrency=4, feed_page=3),
    )  # fmt: skip
    worker.prepare(_body)
    return World(db, clock, sender, metrics, outbox, PiccoloSubscriptionRepository(db), worker)


async def test_matching_events_past_the_cursor_are_delivered_in_order(db: Database) -> None:
    w = _world(db)
    user = await _user(db)
    await _signal(db, user)  # event 1: before the subscription, never sent
    sub = _subscription(user, instrument="XAUUSD")
    assert await w.subscriptions.add(sub, cursor=1, limit=10)
    for instrument in ["XAUUSD", "EURUSD", "XAUUSD", "XAUUSD", "EURUSD", "XAUUSD", "XAUUSD"]:
        await _signal(db, user, instrument)  # events 2..8
    await w.run()
    assert w.sent_events() == [2, 4, 5, 7, 8]  # the XAUUSD ones, in id order, once each
    assert {s.headers["webhook-id"] for s in w.sender.sent} == {
        f"msg_{sub.id.hex}_{n}" for n in (2, 4, 5, 7, 8)
    }
    rows = await db.run('SELECT "event_cursor" FROM "webhook_subscription"')
    assert int(rows[0]["event_cursor"]) == 8  # past the skipped ones too
    delivered = await w.subscriptions.attempts(sub.id, DeliveryStatus.DELIVERED, 100)
    assert [(a.event_id, a.attempt) for a in delivered] == [(2, 1), (4, 1), (5, 1), (7, 1), (8, 1)]
    assert w.metrics.results == ["delivered"] * 5
    # Nothing new: nothing leased, nothing sent again.
    assert await w.worker.step() == 0
    assert len(w.sender.sent) == 5


async def test_two_subscriptions_of_one_user_each_get_every_event(db: Database) -> None:
    w = _world(db)
    user = await _user(db)
    first, second = _subscription(user), _subscription(user)
    for sub in (first, second):
        assert await w.subscriptions.add(sub, cursor=0, limit=10)
    for _ in range(4):
        await _signal(db, user)
    await w.run()
    by_subscription: dict[str, list[int]] = {}
    for sent in w.sender.sent:
        key = sent.headers["webhook-id"].split("_")[1]
        by_subscription.setdefault(key, []).append(json.loads(sent.body)["event"])
    assert by_subscription == {first.id.hex: [1, 2, 3, 4], second.id.hex: [1, 2, 3, 4]}


async def test_failures_follow_the_schedule_then_fail_and_a_manual_retry_requeues(
    db: Database,
) -> None:
    w = _world(db, statuses=[500, None, 503, 200])
    user = await _user(db)
    sub = _subscription(user)
    await w.subscriptions.add(sub, cursor=0, limit=10)
    await _signal(db, user)
    await w.run()  # attempt 1: 500 -> due 5 s later
    assert len(w.sender.sent) == 1
    w.clock.advance(4)
    await w.run()
    assert len(w.sender.sent) == 1  # not due yet
    (waiting,) = await w.subscriptions.attempts(sub.id, DeliveryStatus.PENDING, 100)
    assert (waiting.attempt, waiting.response_status) == (1, 500)  # the latest line only
    w.clock.advance(1)
    await w.run()  # attempt 2: refused -> due 60 s later
    w.clock.advance(60)
    await w.run()  # attempt 3: 503, the schedule is used up -> failed
    w.clock.advance(10_000)
    await w.run()
    assert len(w.sender.sent) == 3
    assert len({s.headers["webhook-id"] for s in w.sender.sent}) == 1
    assert len({s.body for s in w.sender.sent}) == 1  # the same bytes every time
    log = await w.subscriptions.attempts(sub.id, None, 100)
    assert [(a.attempt, a.status, a.response_status) for a in log] == [
        (1, DeliveryStatus.PENDING, 500),
        (2, DeliveryStatus.PENDING, None),
        (3, DeliveryStatus.FAILED, 503),
    ]
    assert log[0].next_attempt_at == log[0].at + timedelta(seconds=5)
    assert log[1].error == "ConnectError: refused"
    assert w.metrics.results == ["retry", "retry", "failed"]
    failed = await w.subscriptions.attempts(sub.id, DeliveryStatus.FAILED, 100)
    assert [a.event_id for a in failed] == [1]

    assert await w.subscriptions.requeue(sub.id, 1, w.clock.now()) is Requeued.REQUEUED
    assert await w.subscriptions.requeue(sub.id, 1, w.clock.now()) is Requeued.NOT_FAILED
    assert await w.subscriptions.requeue(sub.id, 99, w.clock.now()) is Requeued.NOT_FOUND
    waiting = await w.subscriptions.attempts(sub.id, DeliveryStatus.PENDING, 100)
    assert [(a.attempt, a.response_status) for a in waiting][-1] == (4, None)
    await w.run()  # attempt 4: 200
    assert len(w.sender.sent) == 4
    delivered = await w.subscriptions.attempts(sub.id, DeliveryStatus.DELIVERED, 100)
    assert [(a.event_id, a.attempt) for a in delivered] == [(1, 4)]
    # A status lists the deliveries in that state now, by their latest line; none is
    # pending or failed any more. No status: the whole history.
    assert await w.subscriptions.attempts(sub.id, DeliveryStatus.PENDING, 100) == []
    assert await w.subscriptions.attempts(sub.id, DeliveryStatus.FAILED, 100) == []
    history = await w.subscriptions.attempts(sub.id, None, 100)
    assert [(a.attempt, a.status) for a in history] == [
        (1, DeliveryStatus.PENDING),
        (2, DeliveryStatus.PENDING),
        (3, DeliveryStatus.FAILED),
        (4, DeliveryStatus.DELIVERED),
    ]


async def test_a_failing_receiver_holds_its_subscription_until_the_retry(db: Database) -> None:
    w = _world(db, statuses=[500], only_url="http://receiver.test/hook")
    user = await _user(db)
    held = _subscription(user, instrument="XAUUSD")
    other = _subscription(user, instrument="EURUSD", url="http://other.test/hook")
    await w.subscriptions.add(held, cursor=0, limit=10)
    await w.subscriptions.add(other, cursor=0, limit=10)
    await _signal(db, user)
    await _signal(db, user)
    await _signal(db, user, "EURUSD")
    await w.run()
    # 1 failed with a 500: the receiver fails as a whole, so 2 waits behind it (one attempt
    # per step of the schedule, order kept); the other subscription is not held back.
    assert sorted(w.sent_events()) == [1, 3]
    await _signal(db, user)  # event 4 arrives during the hold: it waits in the events table
    w.clock.advance(4)
    await w.run()
    assert sorted(w.sent_events()) == [1, 3]
    w.clock.advance(1)
    await w.run()
    assert sorted(w.sent_events()) == [1, 1, 2, 3, 4]
    assert w.sent_events()[-3:] == [1, 2, 4]  # the retry first, then the ones held behind it


async def test_a_message_refused_with_a_4xx_does_not_hold_back_the_next(db: Database) -> None:
    w = _world(db, statuses=[400])
    user = await _user(db)
    sub = _subscription(user)
    await w.subscriptions.add(sub, cursor=0, limit=10)
    await _signal(db, user)
    await _signal(db, user)
    await w.run()
    assert w.sent_events() == [1, 2]  # 1 refused (retry in 5 s), 2 went on
    w.clock.advance(5)
    await w.run()
    assert w.sent_events() == [1, 2, 1]


async def test_410_disables_the_subscription(db: Database) -> None:
    w = _world(db, statuses=[410])
    user = await _user(db)
    sub = _subscription(user)
    await w.subscriptions.add(sub, cursor=0, limit=10)
    await _signal(db, user)
    await _signal(db, user)
    await w.run()
    assert w.sent_events() == [1]  # the second is never sent
    found = await w.subscriptions.get(user, sub.id)
    assert found is not None and found.enabled is False
    w.clock.advance(100_000)
    await _signal(db, user)
    assert await w.worker.step() == 0
    failed = await w.subscriptions.attempts(sub.id, DeliveryStatus.FAILED, 100)
    assert [(a.event_id, a.response_status) for a in failed] == [(1, 410)]


async def test_no_two_claimers_ever_hold_one_subscription(db: Database) -> None:
    outbox = PiccoloOutbox(db)
    subscriptions = PiccoloSubscriptionRepository(db)
    user = await _user(db)
    await _signal(db, user)  # every subscription has work: event 1 is past its cursor
    subs = [_subscription(user) for _ in range(12)]
    for sub in subs:
        assert await subscriptions.add(sub, cursor=0, limit=100)
    now = START

    async def claim(n: int) -> list[UUID]:
        got = await outbox.claim(f"worker-{n}", now, now + LEASE, 5)
        return [c.subscription.id for c in got]

    claimed = await asyncio.gather(*(claim(n) for n in range(8)))
    flat = [sid for batch in claimed for sid in batch]
    assert len(flat) == len(set(flat))  # no subscription leased twice
    assert set(flat) == {s.id for s in subs}  # and every one leased once
    # Held leases are not taken again before they end; an ended one is.
    assert await outbox.claim("late", now + timedelta(seconds=30), now + LEASE, 50) == []
    later = now + LEASE + timedelta(seconds=1)
    taken = await outbox.claim("late", later, later + LEASE, 50)
    assert len(taken) == 12


async def test_a_worker_that_lost_its_lease_writes_nothing(db: Database) -> None:
    outbox = PiccoloOutbox(db)
    subscriptions = PiccoloSubscriptionRepository(db)
    user = await _user(db)
    await _signal(db, user)
    sub = _subscription(user)
    await subscriptions.add(sub, cursor=0, limit=10)
    (first,) = await outbox.claim("a", START, START + LEASE, 1)
    later = START + LEASE + timedelta(seconds=1)
    (second,) = await outbox.claim("b", later, later + LEASE, 1)  # a's lease ran out
    assert first.cursor == second.cursor == 0
    new = [NewDelivery(1, "signal.created", b"{}")]
    assert not await outbox.extend("a", sub.id, 0, 1, new, later)
    assert not await outbox.renew("a", sub.id, later + LEASE)
    assert await outbox.extend("b", sub.id, 0, 1, new, later)
    assert not await outbox.extend("b", sub.id, 0, 1, new, later)  # the cursor moved on
    (due,) = await outbox.due(sub.id, later, 10)
    assert due.event_id == 1 and due.attempts == 0
    rows = await db.run('SELECT COUNT(*) AS "n" FROM "webhook_delivery"')
    assert int(rows[0]["n"]) == 1
