"""Operations endpoints (SPEC §7): liveness, readiness, metrics."""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Controller, MediaType, Response, get
from litestar.di import NamedDependency
from prometheus_client import CONTENT_TYPE_LATEST

from adapters.telemetry.metrics import Metrics
from application.operations.readiness import CheckReadiness
from entrypoints.http.errors import error_responses


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str
    database: bool
    media_dir_writable: bool | None = None  # MEDIA_STORE=fs
    media_bucket: bool | None = None  # MEDIA_STORE=s3: the bucket answers


class OperationsController(Controller):
    tags = ["operations"]

    @get("/healthz", summary="Liveness", sync_to_thread=False)
    def healthz(self) -> Health:
        return Health(status="ok")

    @get(
        "/readyz",
        summary="Readiness: the database answers and MEDIA_DIR is writable (or the bucket answers)",
        responses=error_responses(503),
    )
    async def readyz(self, check_readiness: NamedDependency[CheckReadiness]) -> Response[Readiness]:
        report = await check_readiness()
        body = Readiness(
            status="ok" if report.ready else "unavailable",
            database=report.database,
            media_dir_writable=report.media_dir_writable,
            media_bucket=report.media_bucket,
        )
        return Response(body, status_code=200 if report.ready else 503)

    @get("/metrics", summary="Prometheus metrics", media_type=MediaType.TEXT)
    async def metrics(self, metrics: NamedDependency[Metrics]) -> Response[bytes]:
        body = await asyncio.to_thread(metrics.render_latest)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
