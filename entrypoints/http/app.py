"""Litestar application factory. `asgi_app` is what `signalhub serve` runs in each worker."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin

from adapters.telemetry.logging import configure_logging
from entrypoints.bootstrap import Container, build_container
from entrypoints.http.auth import CALLER_DEPENDENCY, SECURITY_COMPONENTS
from entrypoints.http.errors import EXCEPTION_HANDLERS
from entrypoints.http.middleware import RequestContextMiddleware
from entrypoints.http.operations import OperationsController
from entrypoints.settings import Settings

API_VERSION = "1.0.0"


def create_app(settings: Settings | None = None, container: Container | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    container = container or build_container(settings)
    route_handlers: list[Any] = [OperationsController]
    # --- signals wiring (routes) ---
    from entrypoints.http.signals import SignalsController

    route_handlers.append(SignalsController)
    # --- media wiring (routes) ---
    from functools import partial

    from entrypoints.http.charts import ChartsController, MediaController

    route_handlers.extend([ChartsController, MediaController])
    # Warm the render workers in the background: the server answers meanwhile.
    container.on_start.append(partial(container.chart_renderer.start, wait=False))
    # --- end wiring (routes) ---
    app = Litestar(
        route_handlers=route_handlers,
        dependencies={
            "container": Provide(lambda: container, sync_to_thread=False, use_cache=True),
            "caller": CALLER_DEPENDENCY,
        },
        exception_handlers=EXCEPTION_HANDLERS,
        on_startup=[container.start],
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
    app.state.container = container
    return app


def asgi_app() -> Any:
    """Factory for uvicorn: settings from the environment, logging, the wrapped app."""
    settings = Settings.from_env()
    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    return RequestContextMiddleware(app, app.state.container.metrics)
