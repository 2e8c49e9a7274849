"""Fakes of the webhook ports (domain/webhooks/ports.py) for tests of application/webhooks."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import datetime
from uuid import UUID

from domain.webhooks.model import AttemptRecord, DeliveryStatus, SendResult, Subscription
from domain.webhooks.ports import Requeued


class FakeResolver:
    def __init__(self, answers: Mapping[str, Sequence[str]] | None = None) -> None:
        self.answers = dict(answers or {})
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> Sequence[str]:
        self.asked.append(host)
        return self.answers.get(host, [])


class FakeKeys:
    """Keys 1, 2, 3, ... (each byte the count, mod 256), unique across instances."""

    made = 0

    def new_key(self, size: int) -> bytes:
        FakeKeys.made += 1
        return bytes([FakeKeys.made % 256]) * size


@dataclasses.dataclass
class Sent:
    url: str
    headers: dict[str, str]
    body: bytes


class FakeSender:
    """Answers each request with the next status of `statuses` (then 200); records them.
    With `only_url`, only requests to that URL take from `statuses` (others get 200)."""

    def __init__(self, statuses: Sequence[int | None] = (), only_url: str | None = None) -> None:
        self.statuses = list(statuses)
        self.only_url = only_url
        self.sent: list[Sent] = []
        self.closed = False

    async def send(self, url: str, headers: Mapping[str, str], body: bytes) -> SendResult:
        self.sent.append(Sent(url, dict(headers), body))
        scripted = self.only_url is None or url == self.only_url
        status = self.statuses.pop(0) if self.statuses and scripted else 200
        if status is None:
            return SendResult(None, "ConnectError: refused", 0.001)
        return SendResult(status, None if 200 <= status < 300 else f"HTTP {status}", 0.001)

    async def close(self) -> None:
        self.closed = True


class FakeWebhookMetrics:
    def __init__(self) -> None:
        self.results: list[str] = []
        self.pending_counts: list[int] = []

    def attempted(self, result: str, seconds: float) -> None:
        self.results.append(result)

    def pending(self, count: int) -> None:
        self.pending_counts.append(count)


class OneProcess:
    def try_acquire(self) -> bool:
        return True

    def release(self) -> None:
        pass


class FakeSubscriptions:
    """SubscriptionRepository in memory; `cursors` keeps what `add` was given."""

    def __init__(self) -> None:
        self.rows: dict[UUID, Subscription] = {}
        self.cursors: dict[UUID, int] = {}
        self.deliveries: dict[tuple[UUID, int], DeliveryStatus] = {}

    async def add(self, subscription: Subscription, cursor: int, limit: int) -> bool:
        if sum(s.user_id == subscription.user_id for s in self.rows.values()) >= limit:
            return False
        self.rows[subscription.id] = subscription
        self.cursors[subscription.id] = cursor
        return True

    async def get(self, user_id: UUID, subscription_id: UUID) -> Subscription | None:
        found = self.rows.get(subscription_id)
        return found if found is not None and found.user_id == user_id else None

    async def list_for(self, user_id: UUID) -> Sequence[Subscription]:
        return [s for s in self.rows.values() if s.user_id == user_id]

    async def delete(self, user_id: UUID, subscription_id: UUID) -> bool:
        if await self.get(user_id, subscription_id) is None:
            return False
        del self.rows[subscription_id]
        return True

    async def rotate(
        self, user_id: UUID, subscription_id: UUID, secret: str, previous_until: datetime
    ) -> Subscription | None:
        found = await self.get(user_id, subscription_id)
        if found is None:
            return None
        rotated = dataclasses.replace(
            found,
            secret=secret,
            previous_secret=found.secret,
            previous_secret_until=previous_until,
        )
        self.rows[subscription_id] = rotated
        return rotated

    async def attempts(
        self, subscription_id: UUID, status: DeliveryStatus | None, limit: int
    ) -> Sequence[AttemptRecord]:
        return []

    async def requeue(self, subscription_id: UUID, event_id: int, now: datetime) -> Requeued:
        state = self.deliveries.get((subscription_id, event_id))
        if state is None:
            return Requeued.NOT_FOUND
        if state is not DeliveryStatus.FAILED:
            return Requeued.NOT_FAILED
        self.deliveries[(subscription_id, event_id)] = DeliveryStatus.PENDING
        return Requeued.REQUEUED
