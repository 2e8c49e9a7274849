"""The delivery worker of outbound webhooks (SPEC §15), one per server process.

Each step leases up to `concurrency` subscriptions that have work (events past their outbox
cursor, or due deliveries) and serves each in its own task: turn the events past the cursor
into delivery rows (matching ones) while moving the cursor, then send the due deliveries in
event-id order, one at a time, recording every attempt. Steps run on every wake-up of the
event feed (a new event of any user) and at least every `poll_seconds`. The outbox, the
leases and why nothing is sent twice: docs/webhooks.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from domain.accounts.ports import Clock
from domain.stream.ports import EventFeed
from domain.webhooks.model import AttemptOutcome, DeliveryStatus, DueDelivery, Subscription
from domain.webhooks.ports import (
    Claimed,
    DeliveryLock,
    DeliverySender,
    EncodeBody,
    NewDelivery,
    Outbox,
    WebhookMetrics,
)
from domain.webhooks.rules import matches, outcome, webhook_id
from domain.webhooks.signing import signature_header

log = logging.getLogger("signalhub.webhooks")

_RESULT_LABEL = {
    DeliveryStatus.DELIVERED: "delivered",
    DeliveryStatus.FAILED: "failed",
    DeliveryStatus.PENDING: "retry",
}


@dataclass(frozen=True, slots=True)
class WorkerPolicy:
    schedule: tuple[int, ...]
    concurrency: int = 64
    poll_seconds: float = 0.5
    # Renewed before every attempt, which takes at most 10 s: a process that dies holding a
    # lease delays its subscription by at most this long.
    lease_seconds: float = 20.0
    # A wake-up waits this long first, so that a burst of events is read in one go.
    gather_seconds: float = 0.05
    batch: int = 100  # due deliveries sent per lease, then the subscription is let go
    feed_page: int = 200
    feed_pages: int = 5  # events read per lease, at most feed_page * feed_pages
    gauge_seconds: float = 5.0


class WebhookWorker:
    def __init__(
        self,
        outbox: Outbox,
        feed: EventFeed,
        sender: DeliverySender,
        clock: Clock,
        metrics: WebhookMetrics,
        lock: DeliveryLock,
        policy: WorkerPolicy,
    ) -> None:
        self._outbox = outbox
        self._feed = feed
        self._sender = sender
        self._clock = clock
        self._metrics = metrics
        self._lock = lock
        self._policy = policy
        self._token = uuid.uuid4().hex  # this worker's leases
        self._encode: EncodeBody | None = None
        self._woken = asyncio.Event()
        self._active: dict[UUID, asyncio.Task[None]] = {}
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._gauge_at = 0.0

    async def start(self, encode: EncodeBody) -> None:
        self.prepare(encode)
        await self._feed.watch(self.wake)
        self._loop_task = asyncio.get_running_loop().create_task(self._run())

    def prepare(self, encode: EncodeBody) -> None:
        """How a delivery body is written; `start` calls it (tests drive `step` by hand)."""
        self._encode = encode

    def wake(self, _user_id: UUID | None = None) -> None:
        self._woken.set()

    async def _run(self) -> None:
        while not self._stopping:
            if self._lock.try_acquire():
                try:
                    await self.step()
                except Exception:
                    log.exception("webhook_step_failed")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._policy.poll_seconds):
                    await self._woken.wait()
                await asyncio.sleep(self._policy.gather_seconds)
            self._woken.clear()

    async def step(self) -> int:
        """Lease what there is room for and start serving it; the number leased."""
        now_monotonic = time.monotonic()
        if now_monotonic - self._gauge_at >= self._policy.gauge_seconds:
            self._gauge_at = now_monotonic
            self._metrics.pending(await self._outbox.pending_count())
        room = self._policy.concurrency - len(self._active)
        if room <= 0 or self._stopping:
            return 0
        now = self._clock.now()
        lease = now + timedelta(seconds=self._policy.lease_seconds)
        leased_at = time.monotonic()
        claimed = await self._outbox.claim(self._token, now, lease, room)
        loop = asyncio.get_running_loop()
        for item in claimed:
            sid = item.subscription.id
            self._active[sid] = loop.create_task(self._serve(item, leased_at))
        return len(claimed)

    async def drain(self) -> None:
        """Wait for the subscriptions being served (tests)."""
        while self._active:
            await asyncio.gather(*self._active.values(), return_exceptions=True)

    async def _serve(self, claimed: Claimed, leased_at: float) -> None:
        subscription = claimed.subscription
        try:
            await self._extend(subscription, claimed.cursor)
            await self._deliver(subscription, leased_at)
        except Exception:
            log.exception("webhook_serve_failed", extra={"subscription_id": str(subscription.id)})
        finally:
            with contextlib.suppress(Exception):
                await self._outbox.release(self._token, subscription.id, self._clock.now())
            self._active.pop(subscription.id, None)
            self._woken.set()  # there may be more: the next step looks

    async def _extend(self, subscription: Subscription, cursor: int) -> None:
        """Delivery rows for the matching events past the cursor; the cursor moves past every
        event read (matching or not), in the same transaction."""
        assert self._encode is not None, "start() first"
        page = self._policy.feed_page
        for _ in range(self._policy.feed_pages):
            items = await self._feed.after(subscription.user_id, cursor, page)
            if not items:
                return
            new = [
                NewDelivery(i.event.id, i.event.type.value, self._encode(i))
                for i in items
                if matches(subscription, i.event, i.signal)
            ]
            new_cursor = items[-1].event.id
            moved = await self._outbox.extend(
                self._token, subscription.id, cursor, new_cursor, new, self._clock.now()
            )
            if not moved or len(items) < page:
                return
            cursor = new_cursor

    async def _deliver(self, subscription: Subscription, leased_at: float) -> None:
        due = await self._outbox.due(subscription.id, self._clock.now(), self._policy.batch)
        lease_seconds = self._policy.lease_seconds
        # Renewed before an attempt once half of the lease has passed (this process's monotonic
        # clock, from before the claim), so an attempt (at most 10 s) starts with more than
        # half of it left.
        renewed = leased_at
        for delivery in due:
            if self._stopping:
                return
            if time.monotonic() - renewed > lease_seconds / 2:
                lease = self._clock.now() + timedelta(seconds=lease_seconds)
                if not await self._outbox.renew(self._token, subscription.id, lease):
                    return  # taken over (we were too slow): the new holder sends it
                renewed = time.monotonic()
            after = await self._attempt(subscription, delivery)
            if after.disable_subscription or after.hold_until is not None:
                return  # 410: disabled; the receiver fails: held until the retry

    async def _attempt(self, subscription: Subscription, delivery: DueDelivery) -> AttemptOutcome:
        now = self._clock.now()
        timestamp = int(now.timestamp())
        message_id = webhook_id(subscription.id, delivery.event_id)
        headers = {
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(
                subscription.signing_secrets(now), message_id, timestamp, delivery.body
            ),
            "content-type": "application/json",
        }
        result = await self._sender.send(subscription.url, headers, delivery.body)
        done = self._clock.now()
        attempts_in_round = delivery.attempts - delivery.round_start + 1
        after = outcome(result, attempts_in_round, self._policy.schedule, done)
        await self._outbox.record(self._token, delivery, result, after, done)
        self._metrics.attempted(_RESULT_LABEL[after.status], result.seconds)
        return after

    async def close(self) -> None:
        self._stopping = True
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._loop_task
            await self._feed.close()
        for task in list(self._active.values()):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self._sender.close()
        self._lock.release()
