"""The subscription use cases (application/webhooks/subscriptions.py) with fakes: the SSRF
guard at creation, the per-user limit, owner-only access, rotation, the manual retry."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from application.webhooks.subscriptions import (
    CreateSubscription,
    CreateSubscriptionRequest,
    DeleteSubscription,
    GetSubscription,
    ListDeliveries,
    RetryDelivery,
    RotateSubscriptionSecret,
    UrlGuard,
    WebhookPolicy,
)
from domain.errors import Conflict, InvalidInput, NotFound
from domain.identity import Caller
from domain.lifecycle.events import EventType
from domain.webhooks.model import DeliveryStatus
from tests.fakes.clock import FakeClock
from tests.fakes.stream import FakeEventFeed, item
from tests.fakes.webhooks import FakeKeys, FakeResolver, FakeSubscriptions

ALICE, BOB = Caller(uuid.uuid4()), Caller(uuid.uuid4())
PUBLIC = {"hooks.example.com": ["93.184.215.14"], "inside.example.com": ["10.0.0.7"]}


def _create(
    repo: FakeSubscriptions,
    *,
    limit: int = 10,
    allow_private: bool = False,
    resolver: FakeResolver | None = None,
    last_id: int = 0,
) -> CreateSubscription:
    feed = FakeEventFeed()
    if last_id:
        feed.publish(item(ALICE.user_id, last_id), wake=False)
    guard = UrlGuard(resolver or FakeResolver(PUBLIC), allow_private)
    return CreateSubscription(
        repo, feed, guard, FakeClock(), FakeKeys(), WebhookPolicy(limit, allow_private)
    )


def _request(url: str = "https://hooks.example.com/x", **kw: object) -> CreateSubscriptionRequest:
    return CreateSubscriptionRequest(url, kw.get("events"), kw.get("instrument"))  # type: ignore[arg-type]


async def test_a_subscription_starts_after_the_users_newest_event() -> None:
    repo = FakeSubscriptions()
    made = await _create(repo, last_id=41)(
        ALICE, _request(events=["signal.transitioned"], instrument="xauusd")
    )
    assert made.events == (EventType.TRANSITIONED,)
    assert made.instrument == "XAUUSD"
    assert made.secret.startswith("whsec_")
    assert repo.cursors[made.id] == 41


async def test_the_guard_resolves_and_refuses_private_hosts() -> None:
    repo = FakeSubscriptions()
    resolver = FakeResolver(PUBLIC)
    create = _create(repo, resolver=resolver)
    with pytest.raises(InvalidInput, match="private"):
        await create(ALICE, _request("https://inside.example.com/x"))
    with pytest.raises(InvalidInput, match="does not resolve"):
        await create(ALICE, _request("https://nowhere.example.com/x"))
    with pytest.raises(InvalidInput, match="loopback"):
        await create(ALICE, _request("http://127.0.0.1:8080/x"))
    assert "127.0.0.1" not in resolver.asked  # a literal needs no lookup
    assert repo.rows == {}
    # WEBHOOKS_ALLOW_PRIVATE=true: private hosts are fine, the scheme rule still holds.
    open_create = _create(repo, allow_private=True, resolver=resolver)
    await open_create(ALICE, _request("https://inside.example.com/x"))
    with pytest.raises(InvalidInput):
        await open_create(ALICE, _request("gopher://inside.example.com/x"))


async def test_past_the_limit_is_a_conflict() -> None:
    repo = FakeSubscriptions()
    create = _create(repo, limit=2)
    await create(ALICE, _request())
    await create(ALICE, _request())
    with pytest.raises(Conflict, match="WEBHOOKS_MAX_PER_USER"):
        await create(ALICE, _request())


async def test_another_users_subscription_is_not_found() -> None:
    repo = FakeSubscriptions()
    made = await _create(repo)(ALICE, _request())
    sid = str(made.id)
    assert (await GetSubscription(repo)(ALICE, sid)).id == made.id
    with pytest.raises(NotFound):
        await GetSubscription(repo)(BOB, sid)
    with pytest.raises(NotFound):
        await DeleteSubscription(repo)(BOB, sid)
    with pytest.raises(NotFound):
        await RotateSubscriptionSecret(repo, FakeClock(), FakeKeys())(BOB, sid)
    with pytest.raises(NotFound):
        await ListDeliveries(repo)(BOB, sid, None, 10)
    with pytest.raises(NotFound):
        await RetryDelivery(repo, FakeClock())(BOB, sid, 1)
    with pytest.raises(NotFound):
        await GetSubscription(repo)(ALICE, "not-a-uuid")
    await DeleteSubscription(repo)(ALICE, sid)
    assert repo.rows == {}


async def test_rotation_keeps_the_old_secret_signing_for_a_day() -> None:
    repo = FakeSubscriptions()
    clock = FakeClock()
    made = await _create(repo)(ALICE, _request())
    rotated = await RotateSubscriptionSecret(repo, clock, FakeKeys())(ALICE, str(made.id))
    assert rotated.previous_secret == made.secret
    assert rotated.secret != made.secret
    assert rotated.previous_secret_until == clock.now() + timedelta(hours=24)
    assert rotated.signing_secrets(clock.now()) == (rotated.secret, made.secret)


async def test_the_deliveries_filter_and_limit_are_checked() -> None:
    repo = FakeSubscriptions()
    made = await _create(repo)(ALICE, _request())
    listing = ListDeliveries(repo)
    with pytest.raises(InvalidInput) as bad:
        await listing(ALICE, str(made.id), "lost", 10)
    assert bad.value.field == "status"
    with pytest.raises(InvalidInput) as bad:
        await listing(ALICE, str(made.id), None, 0)
    assert bad.value.field == "limit"
    assert await listing(ALICE, str(made.id), "failed", 10) == []


async def test_only_a_failed_delivery_of_an_enabled_subscription_is_retried() -> None:
    repo = FakeSubscriptions()
    made = await _create(repo)(ALICE, _request())
    retry = RetryDelivery(repo, FakeClock())
    repo.deliveries[(made.id, 1)] = DeliveryStatus.FAILED
    repo.deliveries[(made.id, 2)] = DeliveryStatus.DELIVERED
    await retry(ALICE, str(made.id), 1)
    assert repo.deliveries[(made.id, 1)] is DeliveryStatus.PENDING
    with pytest.raises(Conflict):
        await retry(ALICE, str(made.id), 2)
    with pytest.raises(NotFound):
        await retry(ALICE, str(made.id), 3)
