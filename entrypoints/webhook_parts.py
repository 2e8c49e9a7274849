"""The outbound webhooks part of the composition root (SPEC §15, docs/webhooks.md): the
subscription use cases and the delivery worker, built from the settings."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.persistence.engine import Database
from adapters.persistence.webhook_outbox import PiccoloOutbox
from adapters.persistence.webhook_subscriptions import PiccoloSubscriptionRepository
from adapters.stream.shared import SharedFeed
from adapters.system import SystemClock, UrlSafeSecrets
from adapters.telemetry.metrics import Metrics
from adapters.telemetry.webhook_metrics import PrometheusWebhookMetrics
from adapters.webhooks.lock import EveryProcess, FileDeliveryLock
from adapters.webhooks.resolver import SystemResolver
from adapters.webhooks.sender import HttpxSender
from application.webhooks.subscriptions import (
    CreateSubscription,
    DeleteSubscription,
    GetSubscription,
    ListDeliveries,
    ListSubscriptions,
    RetryDelivery,
    RotateSubscriptionSecret,
    UrlGuard,
    WebhookPolicy,
)
from application.webhooks.worker import WebhookWorker, WorkerPolicy
from domain.webhooks.ports import DeliveryLock
from entrypoints.settings import Settings


def build_webhooks(
    settings: Settings,
    database: Database,
    feed: SharedFeed,
    metrics: Metrics,
    clock: SystemClock,
    secrets: UrlSafeSecrets,
) -> Webhooks:
    """SPEC §15: the subscription use cases and the delivery worker (docs/webhooks.md)."""
    subscriptions = PiccoloSubscriptionRepository(database)
    resolver = SystemResolver()
    allow_private = settings.webhooks_allow_private
    lock: DeliveryLock = (
        FileDeliveryLock(settings.database.sqlite_path)
        if settings.database.sqlite_path is not None
        else EveryProcess()
    )
    return Webhooks(
        create_subscription=CreateSubscription(
            subscriptions,
            feed,
            UrlGuard(resolver, allow_private),
            clock,
            secrets,
            WebhookPolicy(settings.webhooks_max_per_user, allow_private),
        ),
        list_subscriptions=ListSubscriptions(subscriptions),
        get_subscription=GetSubscription(subscriptions),
        delete_subscription=DeleteSubscription(subscriptions),
        rotate_subscription_secret=RotateSubscriptionSecret(subscriptions, clock, secrets),
        list_deliveries=ListDeliveries(subscriptions),
        retry_delivery=RetryDelivery(subscriptions, clock),
        worker=WebhookWorker(
            PiccoloOutbox(database),
            feed,
            HttpxSender(allow_private, resolver),
            clock,
            PrometheusWebhookMetrics(metrics),
            lock,
            WorkerPolicy(
                schedule=settings.webhooks_retry_schedule,
                concurrency=settings.webhooks_concurrency,
            ),
        ),
    )


@dataclass(frozen=True, slots=True)
class Webhooks:
    create_subscription: CreateSubscription
    list_subscriptions: ListSubscriptions
    get_subscription: GetSubscription
    delete_subscription: DeleteSubscription
    rotate_subscription_secret: RotateSubscriptionSecret
    list_deliveries: ListDeliveries
    retry_delivery: RetryDelivery
    worker: WebhookWorker
