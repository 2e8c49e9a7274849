"""The one composition root: settings -> adapters -> use cases, into a `Container`
(entrypoints/container.py).

Nothing is built on import; `build_container` is called once per process (per server worker,
per CLI invocation). Resources with a lifetime (the connection pool, the render pool) are
opened by `Container.start` / `Container.warm_up` and closed by `Container.stop`.
"""

from __future__ import annotations

from adapters.media.filesystem import FilesystemMediaCache
from adapters.media.render_lock import FileRenderLock
from adapters.media.s3 import S3MediaStore, open_bucket
from adapters.media.s3_lock import S3RenderLock
from adapters.persistence.account_repositories import (
    PiccoloProducerRepository,
    PiccoloTokenRepository,
    PiccoloUserRepository,
)
from adapters.persistence.closed_signals import PiccoloClosedSignals
from adapters.persistence.engine import Database
from adapters.persistence.link_keys import PiccoloLinkKeys
from adapters.persistence.producer_directory import PiccoloProducerDirectory
from adapters.persistence.signal_export import PiccoloSignalExport
from adapters.persistence.signal_lifecycle import PiccoloSignalLifecycle
from adapters.persistence.signal_repository import PiccoloSignalRepository
from adapters.persistence.webhook_outbox import PiccoloOutbox
from adapters.persistence.webhook_subscriptions import PiccoloSubscriptionRepository
from adapters.rendering.renderer import MatplotlibChartRenderer
from adapters.serialization.json_body import decode_json_body
from adapters.stream.shared import SharedFeed
from adapters.system import SystemClock, UrlSafeSecrets, WritableDirectory
from adapters.telemetry.lifecycle_metrics import PrometheusLifecycleMetrics
from adapters.telemetry.media_metrics import PrometheusMediaMetrics
from adapters.telemetry.metrics import Metrics
from adapters.telemetry.signal_metrics import PrometheusSignalMetrics
from adapters.telemetry.stream_metrics import PrometheusStreamMetrics
from adapters.telemetry.webhook_metrics import PrometheusWebhookMetrics
from adapters.webhooks.lock import EveryProcess, FileDeliveryLock
from adapters.webhooks.resolver import SystemResolver
from adapters.webhooks.sender import HttpxSender
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
    UrlGuard,
    WebhookPolicy,
)
from application.webhooks.worker import WebhookWorker, WorkerPolicy
from domain.media.ports import MediaStore, RenderLock
from domain.producer_auth import parse_networks
from domain.webhooks.ports import DeliveryLock
from entrypoints.container import Container
from entrypoints.settings import Settings
from entrypoints.stream_bus import stream_bus


def build_container(settings: Settings, metrics: Metrics | None = None) -> Container:
    metrics = metrics or Metrics()
    database = Database.at(settings.database)
    clock = SystemClock()
    secrets = UrlSafeSecrets()
    users = PiccoloUserRepository()
    tokens = PiccoloTokenRepository(database)
    producers = PiccoloProducerRepository()
    signals = PiccoloSignalRepository(
        database,
        commit_batch_max=settings.commit_batch_max,
        on_commit=metrics.signals_commit_batch_size.observe,
    )
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
    render_chart = RenderChart(
        renderer,
        media_store,
        render_lock,
        PrometheusMediaMetrics(metrics),
        settings.media_max_bytes,
    )
    closed_signals = PiccoloClosedSignals()
    link_keys = PiccoloLinkKeys(database)
    subscriptions = PiccoloSubscriptionRepository(database)
    resolver = SystemResolver()
    allow_private = settings.webhooks_allow_private
    # SQLite: one delivering process (a file lock); PostgreSQL: every process, SKIP LOCKED
    delivery_lock: DeliveryLock = (
        FileDeliveryLock(settings.database.sqlite_path)
        if settings.database.sqlite_path is not None
        else EveryProcess()
    )
    return Container(
        settings=settings,
        database=database,
        metrics=metrics,
        renderer=renderer,
        media_store=media_store,
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
        export_signals=ExportSignals(source=PiccoloSignalExport(database)),
        transition_signal=TransitionSignal(
            signals=signals,
            transitions=lifecycle,
            metrics=PrometheusLifecycleMetrics(metrics),
            clock=clock,
        ),
        list_signal_events=ListSignalEvents(signals=signals, events=lifecycle),
        render_chart=render_chart,
        get_media=GetMedia(media_store),
        media_stats=MediaStats(media_store),
        purge_media=PurgeMedia(media_store),
        equity_report=EquityReport(closed_signals, render_chart),
        returns_report=ReturnsReport(closed_signals, render_chart),
        create_share_link=CreateShareLink(link_keys, media_store, clock, secrets),
        open_shared_media=OpenSharedMedia(
            link_keys, media_store, clock, settings.media_ttl_seconds
        ),
        rotate_link_key=RotateLinkKey(link_keys, clock, secrets),
        stream_hub=stream_hub,
        open_stream=OpenStream(stream_hub, bus),
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
        webhook_worker=WebhookWorker(
            PiccoloOutbox(database),
            feed,
            HttpxSender(allow_private, resolver),
            clock,
            PrometheusWebhookMetrics(metrics),
            delivery_lock,
            WorkerPolicy(
                schedule=settings.webhooks_retry_schedule,
                concurrency=settings.webhooks_concurrency,
            ),
        ),
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
