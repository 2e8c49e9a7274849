"""`signalhub serve`: migrate, prepare multiprocess metrics, run uvicorn with N workers."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

from entrypoints.settings import Settings


def _prepare_metrics_dir() -> Path | None:
    """Each start gets a clean PROMETHEUS_MULTIPROC_DIR, set before prometheus_client loads.

    Returns the folder when this process made it (and so removes it on exit).
    """
    existing = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if existing:
        path = Path(existing)
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        return None
    made = tempfile.mkdtemp(prefix="signalhub-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = made
    return Path(made)


async def _migrate(settings: Settings) -> list[str]:
    from entrypoints.bootstrap import build_container

    container = build_container(settings)
    await container.start()
    try:
        return await container.migrate()
    finally:
        await container.stop()


def serve(settings: Settings, host: str | None, port: int | None, workers: int) -> None:
    from entrypoints.cli.main import CliError

    if not 1 <= workers <= 64:
        raise CliError(f"--workers must be 1-64, got {workers}")
    if port is not None and not 1 <= port <= 65535:
        raise CliError(f"--port must be 1-65535, got {port}")
    made_metrics_dir = _prepare_metrics_dir()
    try:
        _run(settings, host, port, workers)
    finally:
        if made_metrics_dir is not None:
            shutil.rmtree(made_metrics_dir, ignore_errors=True)


def _run(settings: Settings, host: str | None, port: int | None, workers: int) -> None:
    import structlog
    import uvicorn

    from adapters.telemetry.logging import configure_logging
    from entrypoints.cli.main import CliError

    configure_logging(settings.log_level, settings.log_format)
    log = structlog.get_logger("signalhub.serve")
    try:
        applied = asyncio.run(_migrate(settings))
    except Exception as exc:  # unreachable, refused, missing database: one line, no traceback
        raise CliError(f"cannot migrate the database: {type(exc).__name__}: {exc}") from exc
    log.info("migrations_applied", applied=applied, engine=settings.database.engine)
    if not settings.hmac_enabled:
        log.warning(
            "hmac_disabled", detail="SIGNALS_HMAC_ENABLED=false: signatures are NOT checked"
        )
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
        lifespan="on",
        timeout_graceful_shutdown=10,
    )
