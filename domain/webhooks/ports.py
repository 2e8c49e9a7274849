"""Ports of outbound webhooks (SPEC §15): the subscriptions, the outbox the workers drain,
the HTTP sender, the resolver behind the SSRF guard, the metrics."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.stream.ports import FeedItem
from domain.webhooks.model import (
    AttemptOutcome,
    AttemptRecord,
    DeliveryStatus,
    DueDelivery,
    SendResult,
    Subscription,
)

# The JSON body of a delivery: `{"type", "timestamp", "data": {"event", "signal"}}`, where
# `data` is the §10 stream's data object (its encoder lives with the HTTP wire).
EncodeBody = Callable[[FeedItem], bytes]


class Requeued(enum.Enum):
    REQUEUED = "requeued"
    NOT_FOUND = "not_found"
    NOT_FAILED = "not_failed"


class SubscriptionRepository(Protocol):
    async def add(self, subscription: Subscription, cursor: int, limit: int) -> bool:
        """Store it with the outbox cursor at `cursor` (events up to it are not sent); False
        (nothing stored) when its user already has `limit` subscriptions. Atomic: several
        processes adding at once never pass the limit."""
        ...

    async def get(self, user_id: UUID, subscription_id: UUID) -> Subscription | None:
        """The user's subscription; None when there is none or it is another user's."""
        ...

    async def list_for(self, user_id: UUID) -> Sequence[Subscription]: ...

    async def delete(self, user_id: UUID, subscription_id: UUID) -> bool: ...

    async def rotate(
        self, user_id: UUID, subscription_id: UUID, secret: str, previous_until: datetime
    ) -> Subscription | None:
        """The current secret becomes the previous one (signing until `previous_until`)."""
        ...

    async def attempts(
        self, subscription_id: UUID, status: DeliveryStatus | None, limit: int
    ) -> Sequence[AttemptRecord]:
        """By event id then attempt. No status: every attempt made (the history) and every
        delivery waiting for the first attempt of its round. A status: the deliveries in that
        state now, each by its latest line (its last attempt, or its waiting line)."""
        ...

    async def requeue(self, subscription_id: UUID, event_id: int, now: datetime) -> Requeued:
        """A failed delivery becomes pending again, due now, with its schedule restarted."""
        ...


@dataclass(frozen=True, slots=True)
class Claimed:
    """A subscription a worker holds the lease of, and its outbox cursor (the last event id
    turned into deliveries, or skipped as not matching)."""

    subscription: Subscription
    cursor: int


@dataclass(frozen=True, slots=True)
class NewDelivery:
    event_id: int
    event_type: str
    body: bytes


class Outbox(Protocol):
    """The outbox derived from the events table: per-subscription cursors and delivery rows.
    A worker leases a subscription (`claim`), extends its deliveries past the cursor, sends
    the due ones in event-id order and records each attempt; every write checks the lease
    token, so a worker whose lease was taken over writes nothing."""

    async def claim(
        self, token: str, now: datetime, lease_until: datetime, limit: int
    ) -> Sequence[Claimed]:
        """Lease up to `limit` enabled subscriptions that have work (due deliveries, or
        events past their cursor) and no live lease; never one another worker holds."""
        ...

    async def extend(
        self,
        token: str,
        subscription_id: UUID,
        cursor: int,
        new_cursor: int,
        deliveries: Sequence[NewDelivery],
        now: datetime,
    ) -> bool:
        """Insert the deliveries and move the cursor from `cursor` to `new_cursor`, in one
        transaction; False (nothing written) when the cursor or the lease moved."""
        ...

    async def due(
        self, subscription_id: UUID, now: datetime, limit: int
    ) -> Sequence[DueDelivery]: ...

    async def renew(self, token: str, subscription_id: UUID, lease_until: datetime) -> bool: ...

    async def record(
        self,
        token: str,
        delivery: DueDelivery,
        result: SendResult,
        outcome: AttemptOutcome,
        now: datetime,
    ) -> bool:
        """The attempt, the delivery's new state and (410) the subscription disabled, in one
        transaction; False when the lease was lost or the delivery moved meanwhile."""
        ...

    async def release(self, token: str, subscription_id: UUID, now: datetime) -> None:
        """Let the subscription go (its `claimed_until` becomes `now`: last served)."""
        ...

    async def pending_count(self) -> int: ...


class HostResolver(Protocol):
    async def resolve(self, host: str, port: int) -> Sequence[str]:
        """The host's addresses as text (an IP literal: itself); empty when it does not
        resolve (in time)."""
        ...


class DeliverySender(Protocol):
    async def send(self, url: str, headers: Mapping[str, str], body: bytes) -> SendResult:
        """POST `body` to `url`, connecting only to addresses the SSRF guard accepts (checked
        at connection time, against DNS rebinding); never raises for what the receiver or the
        network does."""
        ...

    async def close(self) -> None: ...


class DeliveryLock(Protocol):
    """Whether this process may deliver (SQLite: one process of the host at a time)."""

    def try_acquire(self) -> bool: ...

    def release(self) -> None: ...


class WebhookMetrics(Protocol):
    def attempted(self, result: str, seconds: float) -> None:
        """`result` is delivered, failed or retry."""
        ...

    def pending(self, count: int) -> None: ...
