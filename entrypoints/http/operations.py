"""Operations endpoints (SPEC §7): liveness, readiness, metrics."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path
from typing import Any

import msgspec
from litestar import Controller, MediaType, Response, get
from prometheus_client import CONTENT_TYPE_LATEST

from adapters.persistence.engine import ping
from entrypoints.bootstrap import Container
from entrypoints.http.errors import error_responses


class Health(msgspec.Struct):
    status: str


class Readiness(msgspec.Struct):
    status: str
    database: bool
    media_dir_writable: bool | None = None  # MEDIA_STORE=fs
    media_bucket: bool | None = None  # MEDIA_STORE=s3: the bucket answers


def media_dir_writable(media_dir: Path) -> bool:
    try:
        media_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=media_dir, prefix=".ready-")
        os.close(fd)
        os.unlink(name)
    except OSError:
        return False
    return True


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
    async def readyz(self, container: Container) -> Response[Readiness]:
        database = await ping(container.engine)
        if container.settings.media_store == "s3":
            bucket = await container.media_store.ready()
            ok = database and bucket
            body = Readiness("ok" if ok else "unavailable", database, media_bucket=bucket)
        else:
            writable = await asyncio.to_thread(media_dir_writable, container.settings.media_dir)
            ok = database and writable
            body = Readiness("ok" if ok else "unavailable", database, media_dir_writable=writable)
        return Response(body, status_code=200 if ok else 503)

    @get("/metrics", summary="Prometheus metrics", media_type=MediaType.TEXT)
    async def metrics(self, container: Container) -> Response[Any]:
        body = await asyncio.to_thread(container.metrics.render_latest)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
