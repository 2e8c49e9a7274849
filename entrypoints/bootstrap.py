"""The one composition root: settings -> adapters -> use cases.

Nothing is built on import; `build_container` is called once per process (per server worker,
per CLI invocation). Resources with a lifetime (connection pool, render pool) are opened by
`Container.start` and closed by `Container.stop`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from adapters.persistence import engine as db
from adapters.persistence.account_repositories import (
    PiccoloProducerRepository,
    PiccoloTokenRepository,
    PiccoloUserRepository,
)
from adapters.persistence.migrator import migrate_forwards
from adapters.system import SystemClock, UrlSafeSecrets
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
)
from entrypoints.settings import Settings

Hook = Callable[[], Awaitable[None]]


@dataclass
class Container:
    settings: Settings
    engine: Any
    metrics: Metrics
    authenticate: AuthenticateToken
    create_user: CreateUser
    create_token: CreateToken
    revoke_token: RevokeToken
    create_producer: CreateProducer
    rotate_producer: RotateProducerSecret
    disable_producer: DisableProducer
    list_producers: ListProducers
    # --- signals wiring (fields) ---
    ingest_signal: Any = None
    get_signal: Any = None
    list_signals: Any = None
    # --- media wiring (fields) ---
    chart_renderer: Any = None
    render_chart: Any = None
    get_media: Any = None
    media_stats: Any = None
    purge_media: Any = None
    media_store: Any = None  # FilesystemMediaCache | S3MediaStore (readiness probe)
    # --- end wiring (fields) ---
    on_start: list[Hook] = field(default_factory=list)
    on_stop: list[Hook] = field(default_factory=list)

    async def start(self) -> None:
        await db.start(self.engine)
        db.bind_tables(self.engine)
        for hook in self.on_start:
            await hook()

    async def stop(self) -> None:
        for hook in reversed(self.on_stop):
            await hook()
        await db.stop(self.engine)

    async def migrate(self) -> list[str]:
        return await migrate_forwards(self.engine)


def build_container(settings: Settings, metrics: Metrics | None = None) -> Container:
    engine = db.make_engine(settings.database)
    metrics = metrics or Metrics()
    clock = SystemClock()
    secrets = UrlSafeSecrets()
    users = PiccoloUserRepository()
    tokens = PiccoloTokenRepository()
    producers = PiccoloProducerRepository()
    container = Container(
        settings=settings,
        engine=engine,
        metrics=metrics,
        authenticate=AuthenticateToken(tokens),
        create_user=CreateUser(users, tokens, clock, secrets),
        create_token=CreateToken(users, tokens, clock, secrets),
        revoke_token=RevokeToken(tokens, clock),
        create_producer=CreateProducer(
            users, producers, clock, secrets, settings.dedup_window_seconds
        ),
        rotate_producer=RotateProducerSecret(producers, clock, secrets),
        disable_producer=DisableProducer(producers),
        list_producers=ListProducers(producers),
    )
    # --- signals wiring (build) ---
    from adapters.persistence.producer_directory import PiccoloProducerDirectory
    from adapters.persistence.signal_repository import PiccoloSignalRepository
    from adapters.telemetry.signal_metrics import PrometheusSignalMetrics
    from application.signals import GetSignal, IngestPolicy, IngestSignal, ListSignals
    from application.signals.ingest import PRODUCER_CACHE_SECONDS
    from entrypoints.http.signals import decode_json_body

    signals = PiccoloSignalRepository(engine)
    container.ingest_signal = IngestSignal(
        producers=PiccoloProducerDirectory(engine),
        signals=signals,
        metrics=PrometheusSignalMetrics(metrics),
        clock=clock,
        decode_json=decode_json_body,
        policy=IngestPolicy(
            hmac_enabled=settings.hmac_enabled,
            timestamp_tolerance_seconds=settings.timestamp_tolerance_seconds,
            max_payload_bytes=settings.max_payload_bytes,
            producer_cache_seconds=PRODUCER_CACHE_SECONDS,
        ),
    )
    container.get_signal = GetSignal(signals=signals)
    container.list_signals = ListSignals(signals=signals)
    # --- media wiring (build) ---
    from adapters.rendering.pool import MatplotlibChartRenderer
    from adapters.telemetry.media_metrics import PrometheusMediaMetrics
    from application.media.use_cases import GetMedia, MediaStats, PurgeMedia, RenderChart

    media_store, render_lock = _media_store(settings)
    container.media_store = media_store
    if settings.media_s3 is not None:
        container.on_stop.append(media_store.close)
    # The render pool starts lazily (CLI verbs never start it); the HTTP app warms it up.
    renderer = MatplotlibChartRenderer(workers=settings.render_workers)
    container.chart_renderer = renderer
    container.render_chart = RenderChart(
        renderer,
        media_store,
        render_lock,
        PrometheusMediaMetrics(metrics),
        settings.media_max_bytes,
    )
    container.get_media = GetMedia(media_store)
    container.media_stats = MediaStats(media_store)
    container.purge_media = PurgeMedia(media_store)
    container.on_stop.append(renderer.stop)
    # --- end wiring (build) ---
    return container


def _media_store(settings: Settings) -> tuple[Any, Any]:
    """MEDIA_STORE (SPEC §13): the cache and the render lock that spans its users."""
    if settings.media_s3 is not None:
        from adapters.media.s3 import S3MediaStore, open_bucket
        from adapters.media.s3_lock import S3RenderLock

        s3 = settings.media_s3
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
    from adapters.media.filesystem import FileRenderLock, FilesystemMediaCache

    cache = FilesystemMediaCache(
        settings.media_dir, settings.media_ttl_seconds, settings.media_cache_max_bytes
    )
    return cache, FileRenderLock(settings.media_dir)
