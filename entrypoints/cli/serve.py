"""`signalhub serve`: migrate, prepare multiprocess metrics, run uvicorn with N workers."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import structlog
import uvicorn

from adapters.telemetry.logging import configure_logging
from entrypoints.cli.common import CliError, Verbs, with_started_container
from entrypoints.cli.http_transport import CoalescingHttpToolsProtocol
from entrypoints.container import Container
from entrypoints.settings import Settings


def register(verbs: Verbs) -> None:
    serve = verbs.add_blocking("serve", run, "run the HTTP server (applies migrations first)")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1)


def run(args: argparse.Namespace, settings: Settings) -> None:
    workers: int = args.workers
    port: int | None = args.port
    if not 1 <= workers <= 64:
        raise CliError(f"--workers must be 1-64, got {workers}")
    if port is not None and not 1 <= port <= 65535:
        raise CliError(f"--port must be 1-65535, got {port}")
    made_metrics_dir = _prepare_metrics_dir(workers)
    try:
        _run(settings, args.host, port, workers)
    finally:
        if made_metrics_dir is not None:
            shutil.rmtree(made_metrics_dir, ignore_errors=True)


def _prepare_metrics_dir(workers: int) -> Path | None:
    """Several workers share their figures through a clean PROMETHEUS_MULTIPROC_DIR.

    Set here, before uvicorn starts the worker processes (prometheus_client reads it when it
    is imported, which this process has already done: one worker keeps its figures in
    memory). A folder given in the environment is wiped; one made here is returned, so that
    it is removed on exit.
    """
    existing = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if existing:
        path = Path(existing)
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return None
    if workers == 1:
        return None
    made = tempfile.mkdtemp(prefix="signalhub-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    return Path(made)


def _run(settings: Settings, host: str | None, port: int | None, workers: int) -> None:
    configure_logging(settings.log_level, settings.log_format)
    log = structlog.get_logger("signalhub.serve")
    try:
        applied = asyncio.run(
            with_started_container(settings, Container.migrate, migrate_first=False)
        )
    except Exception as exc:  # unreachable, refused, missing database: one line, no traceback
        raise CliError(f"cannot migrate the database: {type(exc).__name__}: {exc}") from exc
    log.info("migrations_applied", applied=applied, engine=settings.database.engine)
    if not settings.hmac_enabled:
        log.warning(
            "hmac_disabled", detail="SIGNALS_HMAC_ENABLED=false: signatures are NOT checked"
        )
    if settings.media_store == "fs":  # with MEDIA_STORE=s3 MEDIA_DIR is not used
        try:
            settings.media_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # /readyz reports it (503) until it is fixed
            log.warning("media_dir_unusable", media_dir=str(settings.media_dir), error=str(exc))
    uvicorn.run(
        "entrypoints.http.app:asgi_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_config=None,
        access_log=False,
        # The peer stays the socket's: uvicorn would otherwise take X-Forwarded-For from any
        # peer on 127.0.0.1 (its default forwarded_allow_ips). TRUSTED_PROXIES decides (§11).
        proxy_headers=False,
        lifespan="on",
        timeout_graceful_shutdown=10,
        # httptools, as uvicorn's "auto" picks, with a response's writes sent together.
        http=CoalescingHttpToolsProtocol,
    )
