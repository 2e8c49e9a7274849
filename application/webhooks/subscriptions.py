"""Subscriptions of outbound webhooks (SPEC §15): create, read, delete, rotate the secret,
the delivery log and the manual retry. Owner only: another user's subscription is 404."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol
from uuid import UUID

from domain.accounts.ports import Clock
from domain.errors import Conflict, InvalidInput, NotFound
from domain.identity import Caller
from domain.signals.rules import normalise_instrument
from domain.stream.ports import EventFeed
from domain.webhooks.model import (
    SECRET_OVERLAP_SECONDS,
    AttemptRecord,
    DeliveryStatus,
    Subscription,
)
from domain.webhooks.ports import HostResolver, Requeued, SubscriptionRepository
from domain.webhooks.rules import check_addresses, normalise_events, parse_url
from domain.webhooks.signing import SECRET_KEY_BYTES, secret_from_key

DELIVERIES_MAX_LIMIT = 1000


class KeySource(Protocol):
    def new_key(self, size: int) -> bytes: ...


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    max_per_user: int
    allow_private: bool


class UrlGuard:
    """The SSRF guard at creation: an http(s) URL whose host resolves only to public
    addresses (any address with WEBHOOKS_ALLOW_PRIVATE=true)."""

    def __init__(self, resolver: HostResolver, allow_private: bool) -> None:
        self._resolver = resolver
        self._allow_private = allow_private

    async def check(self, url: str) -> None:
        target = parse_url(url)
        if self._allow_private:
            return
        literal = target.literal
        addresses = (
            [str(literal)]
            if literal is not None
            else await self._resolver.resolve(target.host, target.port)
        )
        check_addresses(target.host, addresses)


def _subscription_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise NotFound("no such subscription") from None


class _Owned:
    def __init__(self, subscriptions: SubscriptionRepository) -> None:
        self._subscriptions = subscriptions

    async def _owned(self, caller: Caller, subscription_id: str) -> Subscription:
        found = await self._subscriptions.get(caller.user_id, _subscription_id(subscription_id))
        if found is None:
            raise NotFound("no such subscription")
        return found


@dataclass(frozen=True, slots=True)
class CreateSubscriptionRequest:
    url: str
    events: Sequence[str] | None
    instrument: str | None


class CreateSubscription:
    def __init__(
        self,
        subscriptions: SubscriptionRepository,
        feed: EventFeed,
        guard: UrlGuard,
        clock: Clock,
        keys: KeySource,
        policy: WebhookPolicy,
    ) -> None:
        self._subscriptions = subscriptions
        self._feed = feed
        self._guard = guard
        self._clock = clock
        self._keys = keys
        self._policy = policy

    async def __call__(self, caller: Caller, request: CreateSubscriptionRequest) -> Subscription:
        events = normalise_events(request.events)
        instrument = (
            normalise_instrument(request.instrument) if request.instrument is not None else None
        )
        await self._guard.check(request.url)
        subscription = Subscription(
            id=uuid.uuid4(),
            user_id=caller.user_id,
            url=request.url,
            events=events,
            instrument=instrument,
            enabled=True,
            secret=secret_from_key(self._keys.new_key(SECRET_KEY_BYTES)),
            previous_secret=None,
            previous_secret_until=None,
            created_at=self._clock.now(),
        )
        # Events from now on: the outbox starts after the user's newest event.
        cursor = await self._feed.last_id(caller.user_id)
        limit = self._policy.max_per_user
        if not await self._subscriptions.add(subscription, cursor, limit):
            raise Conflict(f"at most {limit} subscriptions per user (WEBHOOKS_MAX_PER_USER)")
        return subscription


class ListSubscriptions:
    def __init__(self, subscriptions: SubscriptionRepository) -> None:
        self._subscriptions = subscriptions

    async def __call__(self, caller: Caller) -> Sequence[Subscription]:
        return await self._subscriptions.list_for(caller.user_id)


class GetSubscription(_Owned):
    async def __call__(self, caller: Caller, subscription_id: str) -> Subscription:
        return await self._owned(caller, subscription_id)


class DeleteSubscription:
    def __init__(self, subscriptions: SubscriptionRepository) -> None:
        self._subscriptions = subscriptions

    async def __call__(self, caller: Caller, subscription_id: str) -> None:
        if not await self._subscriptions.delete(caller.user_id, _subscription_id(subscription_id)):
            raise NotFound("no such subscription")


class RotateSubscriptionSecret:
    def __init__(
        self, subscriptions: SubscriptionRepository, clock: Clock, keys: KeySource
    ) -> None:
        self._subscriptions = subscriptions
        self._clock = clock
        self._keys = keys

    async def __call__(self, caller: Caller, subscription_id: str) -> Subscription:
        secret = secret_from_key(self._keys.new_key(SECRET_KEY_BYTES))
        until = self._clock.now() + timedelta(seconds=SECRET_OVERLAP_SECONDS)
        rotated = await self._subscriptions.rotate(
            caller.user_id, _subscription_id(subscription_id), secret, until
        )
        if rotated is None:
            raise NotFound("no such subscription")
        return rotated


class ListDeliveries(_Owned):
    async def __call__(
        self, caller: Caller, subscription_id: str, status: str | None, limit: int
    ) -> Sequence[AttemptRecord]:
        wanted: DeliveryStatus | None = None
        if status is not None:
            try:
                wanted = DeliveryStatus(status)
            except ValueError:
                known = ", ".join(s.value for s in DeliveryStatus)
                raise InvalidInput("status", f"one of {known}") from None
        if not 1 <= limit <= DELIVERIES_MAX_LIMIT:
            raise InvalidInput("limit", f"must be 1-{DELIVERIES_MAX_LIMIT}")
        subscription = await self._owned(caller, subscription_id)
        return await self._subscriptions.attempts(subscription.id, wanted, limit)


class RetryDelivery(_Owned):
    def __init__(self, subscriptions: SubscriptionRepository, clock: Clock) -> None:
        super().__init__(subscriptions)
        self._clock = clock

    async def __call__(self, caller: Caller, subscription_id: str, event_id: int) -> None:
        subscription = await self._owned(caller, subscription_id)
        if not subscription.enabled:
            raise Conflict("the subscription is disabled (its receiver answered 410 Gone)")
        done = await self._subscriptions.requeue(subscription.id, event_id, self._clock.now())
        if done is Requeued.NOT_FOUND:
            raise NotFound("no such delivery")
        if done is Requeued.NOT_FAILED:
            raise Conflict("only a failed delivery can be retried")
