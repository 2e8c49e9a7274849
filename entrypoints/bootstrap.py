"""The one composition root: settings -> adapters -> use cases.

Nothing is built on import; `build_container` is called once per process (per server worker,
per CLI invocation). Resources with a lifetime (the connection pool, the render pool) are
opened by `Container.start` / `Container.warm_up` and closed by `Container.stop`.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.media.filesystem import FilesystemMediaCache
from adapters.media.render_lock import FileRenderLock
from adapters.media.s3 import S3MediaStore, open_bucket
from adapters.media.s3_lock import S3RenderLock
from adapters.persistence.account_repositories import (
    PiccoloProducerRepository,
    PiccoloTokenRepository,
    PiccoloUserRepository,
)
from adapters.persistence.engine import Database
from adapters.persistence.migrator import migrate_forwards
from adapters.persistence.producer_directory import PiccoloProducerDirectory
from adapters.persistence.signal_lifecycle import PiccoloSignalLifecycle
from adapters.persistence.signal_repository import PiccoloSignalRepository
from adapters.rendering.renderer import MatplotlibChartRenderer
from adapters.serialization.json_body import decode_json_body
from adapters.stream.shared import SharedFeed
from adapters.system import SystemClock, UrlSafeSecrets, WritableDirectory
from adapters.telemetry.lifecycle_metrics import PrometheusLifecycleMetrics
from adapters.telemetry.media_metrics import PrometheusMediaMetrics
from adapters.telemetry.metrics import Metrics
from adapters.telemetry.signal_metrics import PrometheusSignalMetrics
from adapters.telemetry.stream_metrics import PrometheusStreamMetrics
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
from application.lifecycle import ListSignalEvents, TransitionSignal
from application.media.use_cases import GetMedia, MediaStats, PurgeMedia, RenderChart
from application.operations.readiness import CheckReadiness
from application.signals import GetSignal, IngestPolicy, IngestSignal, ListSignals
from application.stream import OpenStream, StreamHub, StreamPolicy
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
from domain.media.ports import MediaStore, RenderLock
from domain.producer_auth import parse_networks
from domain.webhooks.ports import EncodeBody
from entrypoints.settings import Settings
from entrypoints.stream_bus import stream_bus
from entrypoints.webhook_parts import build_webhooks


@dataclass(frozen=True, slots=True)
class Container:
    settings: Settings
    database: Database
    metrics: Metrics
    renderer: MatplotlibChartRenderer
    media_store: MediaStore
    # MEDIA_STORE=s3: the same store, kept typed to close its client on stop
    s3_media_store: S3MediaStore | None
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
    # lifecycle
    transition_signal: TransitionSignal
    list_signal_events: ListSignalEvents
    # media
    render_chart: RenderChart
    get_media: GetMedia
    media_stats: MediaStats
    purge_media: PurgeMedia
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
        """Servers only: start the render workers in the background (requests are served
        meanwhile; a render that arrives early queues behind the warm-up), the stream hub
        and, given how a delivery body is written (the HTTP wire's), the webhook worker."""
        await self.renderer.start(wait=False)
        await self.stream_hub.start()
        if webhook_body is not None:
            await self.webhook_worker.start(webhook_body)

    async def stop(self) -> None:
        await self.webhook_worker.close()
        await self.stream_hub.close()
        await self.renderer.stop()
        await self.close_media_store()
        await self.database.stop()

    async def close_media_store(self) -> None:
        """Close the obstore client inside the loop (leaving it to exit can abort)."""
        if self.s3_media_store is not None:
            await self.s3_media_store.close()

    async def migrate(self) -> list[str]:
        return await migrate_forwards(self.database)


def build_container(settings: Settings, metrics: Metrics | None = None) -> Container:
    metrics = metrics or Metrics()
    database = Database.at(settings.database)
    clock = SystemClock()
    secrets = UrlSafeSecrets()
    users = PiccoloUserRepository()
    tokens = PiccoloTokenRepository()
    producers = PiccoloProducerRepository()
    signals = PiccoloSignalRepository(database)
    lifecycle = PiccoloSignalLifecycle(database)  # transitions and the audit trail
    s3_media_store, render_lock = _s3_media(settings)
    media_store: MediaStore
    if s3_media_store is not None:
        media_store = s3_media_store
        check_readiness = CheckReadiness(database=database, media_bucket=s3_media_store)
    else:
        media_store = FilesystemMediaCache(
            settings.media_dir, settings.media_ttl_seconds, settings.media_cache_max_bytes
        )
        check_readiness = CheckReadiness(
            database=database, media_dir=WritableDirectory(settings.media_dir)
        )
    renderer = MatplotlibChartRenderer(workers=settings.render_workers)
    bus = stream_bus(settings.database, database, lifecycle)
    feed = SharedFeed(bus)  # one wake-up source for the stream hub and the webhook worker
    stream_hub = StreamHub(
        feed,
        PrometheusStreamMetrics(metrics),
        StreamPolicy(
            buffer_events=settings.stream_buffer_events,
            heartbeat_seconds=settings.stream_heartbeat_seconds,
            max_per_user=settings.stream_max_per_user,
        ),
    )
    webhooks = build_webhooks(settings, database, feed, metrics, clock, secrets)
    return Container(
        settings=settings,
        database=database,
        metrics=metrics,
        renderer=renderer,
        media_store=media_store,
        s3_media_store=s3_media_store,
        check_readiness=check_readiness,
        authenticate=AuthenticateToken(tokens),
        create_user=CreateUser(users, tokens, clock, secrets),
        create_token=CreateToken(users, tokens, clock, secrets),
        revoke_token=RevokeToken(tokens, clock),
        create_producer=CreateProducer(
            users, producers, clock, secrets, settings.dedup_window_seconds
        ),
        rotate_producer=RotateProducerSecret(producers, clock, secrets),
        rotate_tradingview=RotateTradingViewToken(producers, secrets),
        set_allowed_cidrs=SetProducerAllowedCidrs(producers),
        disable_producer=DisableProducer(producers),
        list_producers=ListProducers(producers),
        ingest_signal=IngestSignal(
            producers=PiccoloProducerDirectory(database),
            signals=signals,
            metrics=PrometheusSignalMetrics(metrics),
            clock=clock,
            decode_json=decode_json_body,
            policy=IngestPolicy(
                hmac_enabled=settings.hmac_enabled,
                timestamp_tolerance_seconds=settings.timestamp_tolerance_seconds,
                max_payload_bytes=settings.max_payload_bytes,
                producer_cache_seconds=settings.producer_cache_seconds,
                trusted_proxies=parse_networks(settings.trusted_proxies, "TRUSTED_PROXIES"),
            ),
        ),
        get_signal=GetSignal(signals=signals),
        list_signals=ListSignals(signals=signals),
        transition_signal=TransitionSignal(
            signals=signals,
            transitions=lifecycle,
            metrics=PrometheusLifecycleMetrics(metrics),
            clock=clock,
        ),
        list_signal_events=ListSignalEvents(signals=signals, events=lifecycle),
        render_chart=RenderChart(
            renderer,
            media_store,
            render_lock,
            PrometheusMediaMetrics(metrics),
            settings.media_max_bytes,
        ),
        get_media=GetMedia(media_store),
        media_stats=MediaStats(media_store),
        purge_media=PurgeMedia(media_store),
        stream_hub=stream_hub,
        open_stream=OpenStream(stream_hub, bus),
        create_subscription=webhooks.create_subscription,
        list_subscriptions=webhooks.list_subscriptions,
        get_subscription=webhooks.get_subscription,
        delete_subscription=webhooks.delete_subscription,
        rotate_subscription_secret=webhooks.rotate_subscription_secret,
        list_deliveries=webhooks.list_deliveries,
        retry_delivery=webhooks.retry_delivery,
        webhook_worker=webhooks.worker,
    )


def _s3_media(settings: Settings) -> tuple[S3MediaStore | None, RenderLock]:
    """MEDIA_STORE (SPEC §13): the S3 store (None with fs) and the render lock that spans
    every user of the cache."""
    s3 = settings.media_s3
    if s3 is None:
        return None, FileRenderLock(settings.media_dir)
    bucket = open_bucket(
        s3.bucket,
        endpoint=s3.endpoint,
        region=s3.region,
        access_key_id=s3.access_key_id,
        secret_access_key=s3.secret_access_key,
    )
    store = S3MediaStore(
        bucket, s3.prefix, settings.media_ttl_seconds, settings.media_cache_max_bytes
    )
    return store, S3RenderLock(bucket, s3.prefix)
