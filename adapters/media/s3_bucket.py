"""One S3 bucket's client (obstore), shared by S3MediaStore and S3RenderLock."""

from __future__ import annotations

from datetime import timedelta

import structlog
from obstore.store import S3Store

from domain.errors import Overloaded

_log = structlog.get_logger("signalhub.media.s3")


class Bucket:
    """One bucket's client, shared by the store and the render lock.

    `close()` (through S3MediaStore.close) drops the obstore client while the event loop
    still runs: a process that exits with the client alive can abort (SIGABRT).
    """

    def __init__(self, client: S3Store) -> None:
        self._client: S3Store | None = client

    @property
    def client(self) -> S3Store:
        if self._client is None:
            raise Overloaded("the media store is closed", 5)
        return self._client

    def close(self) -> None:
        self._client = None


def open_bucket(
    bucket: str,
    *,
    endpoint: str = "",
    region: str = "us-east-1",
    access_key_id: str | None = None,
    secret_access_key: str | None = None,
) -> Bucket:
    """A client for one bucket; no connection is made until the first request."""
    config: dict[str, str | bool] = {"region": region, "conditional_put": "etag"}
    if endpoint:
        config["endpoint"] = endpoint.rstrip("/")
    if access_key_id and secret_access_key:
        config["access_key_id"] = access_key_id
        config["secret_access_key"] = secret_access_key
    client = S3Store(
        bucket,
        config=config,  # type: ignore[arg-type]  # a plain dict of S3Config keys
        client_options={
            "allow_http": endpoint.startswith("http://"),
            "connect_timeout": timedelta(seconds=3),
            "timeout": timedelta(seconds=60),
        },
        # Fail fast: a caller waits on these; the render path retries on its own terms.
        retry_config={"max_retries": 2, "retry_timeout": timedelta(seconds=10)},
    )
    return Bucket(client)


def unavailable(exc: BaseException) -> Overloaded:
    _log.warning("media_store_unavailable", error=type(exc).__name__)
    return Overloaded("the media store is unavailable; retry shortly", 5)
