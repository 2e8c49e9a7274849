"""The Container: every adapter with a lifetime and every use case of one process, typed.

Built once per process by `entrypoints.bootstrap.build_container` (the composition root);
resources with a lifetime (the connection pool, the render pool, the stream hub, the webhook
worker) are opened by `start` / `warm_up` and closed by `stop`.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.persistence.engine import Database
from adapters.persistence.migrator import migrate_forwards
from adapters.rendering.renderer import MatplotlibChartRenderer
from adapters.telemetry.metrics import Metrics
from application.accounts.use_cases import (
    AuthenticateToken,
    CreateProducer,
    CreateToken,
    CreateUser,
    DisableProducer,
    ListProducers,
    RevokeToken,
    RotateProducerSecret,
    RotateTradingViewToken,
    SetProducerAllowedCidrs,
)
from application.exports import ExportSignals
from application.lifecycle import ListSignalEvents, TransitionSignal
from application.media.use_cases import GetMedia, MediaStats, PurgeMedia, RenderChart
from application.operations.readiness import CheckReadiness
from application.reports import EquityReport, ReturnsReport
from application.share_links import CreateShareLink, OpenSharedMedia, RotateLinkKey
from application.signals import GetSignal, IngestSignal, ListSignals
from application.stream import OpenStream, StreamHub
from application.webhooks.subscriptions import (
    CreateSubscription,
    DeleteSubscription,
    GetSubscription,
    ListDeliveries,
    ListSubscriptions,
    RetryDelivery,
    RotateSubscriptionSecret,
)
from application.webhooks.worker import WebhookWorker
from domain.media.ports import MediaStore
from domain.webhooks.ports import EncodeBody
from entrypoints.settings import Settings


@dataclass(frozen=True, slots=True)
class Container:
    settings: Settings
    database: Database
    metrics: Metrics
    renderer: MatplotlibChartRenderer
    media_store: MediaStore
    # operations
    check_readiness: CheckReadiness
    # accounts
    authenticate: AuthenticateToken
    create_user: CreateUser
    create_token: CreateToken
    revoke_token: RevokeToken
    create_producer: CreateProducer
    rotate_producer: RotateProducerSecret
    rotate_tradingview: RotateTradingViewToken
    set_allowed_cidrs: SetProducerAllowedCidrs
    disable_producer: DisableProducer
    list_producers: ListProducers
    # signals
    ingest_signal: IngestSignal
    get_signal: GetSignal
    list_signals: ListSignals
    # exports
    export_signals: ExportSignals
    # lifecycle
    transition_signal: TransitionSignal
    list_signal_events: ListSignalEvents
    # media
    render_chart: RenderChart
    get_media: GetMedia
    media_stats: MediaStats
    purge_media: PurgeMedia
    # reports and share links (SPEC §12)
    equity_report: EquityReport
    returns_report: ReturnsReport
    create_share_link: CreateShareLink
    open_shared_media: OpenSharedMedia
    rotate_link_key: RotateLinkKey
    # stream
    stream_hub: StreamHub
    open_stream: OpenStream
    # webhooks
    create_subscription: CreateSubscription
    list_subscriptions: ListSubscriptions
    get_subscription: GetSubscription
    delete_subscription: DeleteSubscription
    rotate_subscription_secret: RotateSubscriptionSecret
    list_deliveries: ListDeliveries
    retry_delivery: RetryDelivery
    webhook_worker: WebhookWorker

    async def start(self) -> None:
        """Open the database (CLI verbs and servers); the render pool starts lazily."""
        await self.database.start()
        self.database.bind_tables()

    async def warm_up(self, webhook_body: EncodeBody | None = None) -> None:
        """Servers only: start the render workers in the background unless RENDER_WARM_UP is
        off (requests are served meanwhile; a render that arrives early queues behind the
        warm-up; off, the first render starts them), the stream hub and, given how a delivery
        body is written (the HTTP wire's), the webhook worker."""
        if self.settings.render_warm_up:
            await self.renderer.start(wait=False)
        await self.stream_hub.start()
        if webhook_body is not None:
            await self.webhook_worker.start(webhook_body)

    async def stop(self) -> None:
        await self.webhook_worker.close()
        await self.stream_hub.close()
        await self.renderer.stop()
        await self.media_store.close()
        await self.database.stop()

    async def migrate(self) -> list[str]:
        return await migrate_forwards(self.database)
