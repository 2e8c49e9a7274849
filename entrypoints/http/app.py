"""Litestar application factory. `asgi_app` is what `signalhub serve` runs in each worker."""

from __future__ import annotations

import gc
from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from adapters.telemetry.logging import configure_logging
from entrypoints.bootstrap import build_container
from entrypoints.container import Container
from entrypoints.http.auth import SECURITY_COMPONENTS, provide_caller
from entrypoints.http.charts import ChartsController
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.exports import ExportsController
from entrypoints.http.ingest import IngestController
from entrypoints.http.lifecycle import LifecycleController
from entrypoints.http.media import MediaController
from entrypoints.http.middleware import RequestContextMiddleware
from entrypoints.http.operations import OperationsController
from entrypoints.http.page import PageController
from entrypoints.http.reports import ReportsController
from entrypoints.http.share_links import ShareLinksController
from entrypoints.http.shutdown import on_shutdown_signal
from entrypoints.http.signals import SignalsController
from entrypoints.http.stream import StreamController
from entrypoints.http.webhooks import SubscriptionsController
from entrypoints.http.wire.webhooks import encode_webhook_body
from entrypoints.routes import SHARED_MEDIA_PREFIX, TRADINGVIEW_HOOK_PREFIX
from entrypoints.settings import Settings

API_VERSION = "1.0.0"


def create_app(
    settings: Settings | None = None,
    container: Container | None = None,
    *,
    freeze_after_startup: bool = False,
) -> Litestar:
    """`freeze_after_startup`: a server process's app (`asgi_app`) ends its start-up with
    `freeze_startup_heap`; an app made inside another program (a test) leaves its heap be."""
    settings = settings or Settings.from_env()
    built = container or build_container(settings)

    async def warm_up() -> None:
        await built.warm_up(encode_webhook_body)  # webhook bodies: the §10 wire

    return _litestar(built, warm_up, (freeze_startup_heap,) if freeze_after_startup else ())


def freeze_startup_heap() -> None:
    """Leave what start-up built out of every later garbage collection.

    Modules, the app, the container and its pools are ~150,000 objects that live as long as
    the process; a full collection walked all of them, 60-100 ms during which no request was
    served (docs/ingest-performance.md, "Eighth pass"). Collected first, so nothing dead is
    kept; what is made later is collected as before."""
    gc.collect()
    gc.freeze()


def _litestar(container: Container, warm_up: Any, after_startup: tuple[Any, ...]) -> Litestar:
    return Litestar(
        route_handlers=[
            OperationsController,
            IngestController,
            SignalsController,
            ExportsController,
            LifecycleController,
            ChartsController,
            MediaController,
            ReportsController,
            ShareLinksController,
            StreamController,
            PageController,
            SubscriptionsController,
        ],
        dependencies=dependencies(container),
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[
            container.start,
            warm_up,
            lambda: on_shutdown_signal(container.stream_hub.stop_streams),
            *after_startup,
        ],
        on_shutdown=[container.stop],
        openapi_config=OpenAPIConfig(
            title="signalhub",
            version=API_VERSION,
            path="/schema",
            components=SECURITY_COMPONENTS,
            render_plugins=[JsonRenderPlugin()],
        ),
        logging_config=None,
        debug=False,
    )


def dependencies(container: Container) -> dict[str, Provide]:
    """What handlers may ask for by parameter name: the caller, use cases, settings, metrics."""
    provided: dict[str, object] = {
        "settings": container.settings,
        "metrics": container.metrics,
        "check_readiness": container.check_readiness,
        "authenticate": container.authenticate,
        "ingest_signal": container.ingest_signal,
        "get_signal": container.get_signal,
        "list_signals": container.list_signals,
        "export_signals": container.export_signals,
        "transition_signal": container.transition_signal,
        "list_signal_events": container.list_signal_events,
        "render_chart": container.render_chart,
        "get_media": container.get_media,
        "equity_report": container.equity_report,
        "returns_report": container.returns_report,
        "create_share_link": container.create_share_link,
        "open_shared_media": container.open_shared_media,
        "open_stream": container.open_stream,
        "create_subscription": container.create_subscription,
        "list_subscriptions": container.list_subscriptions,
        "get_subscription": container.get_subscription,
        "delete_subscription": container.delete_subscription,
        "rotate_subscription_secret": container.rotate_subscription_secret,
        "list_deliveries": container.list_deliveries,
        "retry_delivery": container.retry_delivery,
    }
    return {
        "caller": Provide(provide_caller),
        **{name: _constant(value) for name, value in provided.items()},
    }


def _constant(value: object) -> Provide:
    def provide() -> object:
        return value

    return Provide(provide, sync_to_thread=False, use_cache=True)


def asgi_app() -> Any:
    """Factory for uvicorn: settings from the environment, logging, the wrapped app."""
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    container = build_container(settings)
    return RequestContextMiddleware(
        create_app(settings, container, freeze_after_startup=True),
        container.metrics,
        (TRADINGVIEW_HOOK_PREFIX, SHARED_MEDIA_PREFIX),
    )
