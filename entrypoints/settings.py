"""The one settings object, read once from the environment at start-up (SPEC §1)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from domain.webhooks.model import DEFAULT_MAX_PER_USER, DEFAULT_RETRY_SCHEDULE
from entrypoints.env_reader import EnvReader, SettingsError

__all__ = ["DatabaseSettings", "S3Settings", "Settings", "SettingsError"]


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str
    engine: str  # "sqlite" | "postgres"
    sqlite_path: Path | None = None


@dataclass(frozen=True, slots=True)
class S3Settings:
    """MEDIA_STORE=s3 (SPEC §13); keys are kept out of repr so they never reach a log."""

    endpoint: str  # "" for AWS
    bucket: str
    prefix: str
    region: str
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class Settings:
    database: DatabaseSettings
    host: str
    port: int
    log_level: str
    log_format: str
    hmac_enabled: bool
    timestamp_tolerance_seconds: int
    dedup_window_seconds: int
    max_payload_bytes: int
    producer_cache_seconds: float
    commit_batch_max: int
    media_dir: Path
    media_ttl_seconds: int
    media_max_bytes: int
    media_cache_max_bytes: int
    charts_max_request_bytes: int
    render_workers: int
    render_warm_up: bool
    stream_heartbeat_seconds: int
    stream_max_per_user: int
    stream_buffer_events: int
    media_store: str = "fs"  # "fs" | "s3"
    media_s3: S3Settings | None = None
    # Canonical CIDR texts ("10.0.0.0/8"): plain strings, so that the settings object stays
    # something Litestar can hand to handlers (it cannot convert ipaddress unions).
    trusted_proxies: tuple[str, ...] = ()
    # SPEC §15 (docs/webhooks.md)
    webhooks_max_per_user: int = DEFAULT_MAX_PER_USER
    webhooks_retry_schedule: tuple[int, ...] = DEFAULT_RETRY_SCHEDULE
    webhooks_allow_private: bool = False
    webhooks_concurrency: int = 64

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        read = EnvReader(env)
        media_max = read.integer("MEDIA_MAX_BYTES", 5_000_000, minimum=1024)
        cache_max = read.integer("MEDIA_CACHE_MAX_BYTES", 1_073_741_824, minimum=1024)
        if cache_max < media_max:
            raise SettingsError(
                "MEDIA_CACHE_MAX_BYTES",
                f"must be >= MEDIA_MAX_BYTES ({media_max}), got {cache_max}",
            )
        media_store = read.choice("MEDIA_STORE", "fs", ("fs", "s3"))
        max_per_user = read.integer(
            "WEBHOOKS_MAX_PER_USER", DEFAULT_MAX_PER_USER, minimum=1, maximum=1000
        )
        concurrency = read.integer("WEBHOOKS_CONCURRENCY", 64, minimum=2, maximum=2048)
        if concurrency <= max_per_user:
            # One user's slow receivers (up to 10 s an attempt) must never hold every slot.
            raise SettingsError(
                "WEBHOOKS_CONCURRENCY",
                f"must be > WEBHOOKS_MAX_PER_USER ({max_per_user}), got {concurrency}",
            )
        return cls(
            database=_database(read.text("DATABASE_URL", "sqlite:///./var/signalhub.sqlite3")),
            host=read.text("HOST", "127.0.0.1"),
            port=read.integer("PORT", 8000, minimum=1, maximum=65535),
            log_level=read.choice("LOG_LEVEL", "info", ("debug", "info", "warning", "error")),
            log_format=read.choice("LOG_FORMAT", "json", ("json", "console")),
            hmac_enabled=read.boolean("SIGNALS_HMAC_ENABLED", True),
            timestamp_tolerance_seconds=read.integer(
                "SIGNALS_TIMESTAMP_TOLERANCE_SECONDS", 300, minimum=1, maximum=86400
            ),
            dedup_window_seconds=read.integer(
                "SIGNALS_DEDUP_WINDOW_SECONDS", 300, minimum=10, maximum=3600
            ),
            max_payload_bytes=read.integer(
                "SIGNALS_MAX_PAYLOAD_BYTES", 32768, minimum=1024, maximum=1_048_576
            ),
            producer_cache_seconds=read.number(
                "SIGNALS_PRODUCER_CACHE_SECONDS", 0.5, minimum=0.0, maximum=5.0
            ),
            commit_batch_max=read.integer("SIGNALS_COMMIT_BATCH_MAX", 64, minimum=1, maximum=1000),
            media_dir=Path(read.text("MEDIA_DIR", "media")),
            media_ttl_seconds=read.integer("MEDIA_TTL_SECONDS", 86400, minimum=1),
            media_max_bytes=media_max,
            media_cache_max_bytes=cache_max,
            charts_max_request_bytes=read.integer(
                "CHARTS_MAX_REQUEST_BYTES", 8_388_608, minimum=1024
            ),
            render_workers=read.integer(
                "RENDER_WORKERS", min(os.cpu_count() or 1, 64), minimum=1, maximum=64
            ),
            render_warm_up=read.boolean("RENDER_WARM_UP", True),
            media_store=media_store,
            media_s3=_s3(read) if media_store == "s3" else None,
            trusted_proxies=read.networks("TRUSTED_PROXIES"),
            stream_heartbeat_seconds=read.integer(
                "STREAM_HEARTBEAT_SECONDS", 15, minimum=1, maximum=300
            ),
            stream_max_per_user=read.integer("STREAM_MAX_PER_USER", 10, minimum=1, maximum=1000),
            stream_buffer_events=read.integer(
                "STREAM_BUFFER_EVENTS", 1000, minimum=1, maximum=1_000_000
            ),
            webhooks_max_per_user=max_per_user,
            webhooks_retry_schedule=read.schedule(
                "WEBHOOKS_RETRY_SCHEDULE", DEFAULT_RETRY_SCHEDULE
            ),
            webhooks_allow_private=read.boolean("WEBHOOKS_ALLOW_PRIVATE", False),
            webhooks_concurrency=concurrency,
        )


def _database(url: str) -> DatabaseSettings:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path, as in SQLAlchemy.
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise SettingsError("DATABASE_URL", "sqlite URL must be sqlite:///PATH")
        return DatabaseSettings(url=url, engine="sqlite", sqlite_path=Path(path))
    if parts.scheme in ("postgresql", "postgres"):
        # The host is in the URL, or in a `host` parameter: a Unix-socket directory
        # (postgresql://USER@/DB?host=/var/run/postgresql), as libpq and asyncpg read it.
        try:
            query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=bool(parts.query))
        except ValueError:
            raise SettingsError("DATABASE_URL", "the query of the URL is malformed") from None
        socket_dirs = query.get("host", [])
        if socket_dirs and not all(d.startswith("/") for d in socket_dirs):
            raise SettingsError(
                "DATABASE_URL", "host= in the query must be a socket directory (an absolute path)"
            )
        if not (parts.hostname or socket_dirs) or not parts.path.strip("/"):
            raise SettingsError(
                "DATABASE_URL",
                "postgresql URL must be postgresql://USER:PASS@HOST:PORT/DB"
                " or postgresql://USER@/DB?host=/SOCKET/DIR",
            )
        try:
            _ = parts.port
        except ValueError:
            raise SettingsError("DATABASE_URL", "port in the URL is not a number") from None
        return DatabaseSettings(url=url, engine="postgres")
    raise SettingsError(
        "DATABASE_URL", f"unsupported scheme {parts.scheme or '(none)'!r}; use sqlite or postgresql"
    )


_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PREFIX = re.compile(r"[A-Za-z0-9!_.*'()/-]*")
_REGION = re.compile(r"[a-z0-9-]{1,40}")


def _s3(read: EnvReader) -> S3Settings:
    endpoint = read.text("MEDIA_S3_ENDPOINT", "")
    if endpoint:
        parts = urlsplit(endpoint)
        try:
            _ = parts.port
        except ValueError:
            raise SettingsError("MEDIA_S3_ENDPOINT", "port in the URL is not a number") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(
                "MEDIA_S3_ENDPOINT",
                f"expected http(s)://HOST[:PORT] (empty for AWS), got {endpoint!r}",
            )
        if parts.path.strip("/") or parts.query or parts.fragment:
            raise SettingsError(
                "MEDIA_S3_ENDPOINT", "no path or query: the bucket goes in MEDIA_S3_BUCKET"
            )
    bucket = read.text("MEDIA_S3_BUCKET", "")
    if not bucket:
        raise SettingsError("MEDIA_S3_BUCKET", "required when MEDIA_STORE=s3")
    if not _BUCKET.fullmatch(bucket) or ".." in bucket:
        raise SettingsError(
            "MEDIA_S3_BUCKET", f"expected 3-63 of a-z 0-9 . - (an S3 bucket name), got {bucket!r}"
        )
    prefix = read.text("MEDIA_S3_PREFIX", "media/").lstrip("/")
    segments = prefix.rstrip("/").split("/")
    if not _PREFIX.fullmatch(prefix) or any(s in ("", ".", "..") for s in segments):
        raise SettingsError(
            "MEDIA_S3_PREFIX", f"expected a key prefix like media/ or a/b/, got {prefix!r}"
        )
    region = read.text("AWS_REGION", "us-east-1")
    if not _REGION.fullmatch(region):
        raise SettingsError("AWS_REGION", f"expected a region name like eu-west-1, got {region!r}")
    key_id = read.text("AWS_ACCESS_KEY_ID", "") or None
    secret = read.text("AWS_SECRET_ACCESS_KEY", "") or None
    if (key_id is None) != (secret is None):
        missing = "AWS_SECRET_ACCESS_KEY" if secret is None else "AWS_ACCESS_KEY_ID"
        present = "AWS_ACCESS_KEY_ID" if secret is None else "AWS_SECRET_ACCESS_KEY"
        raise SettingsError(missing, f"required when {present} is set")
    return S3Settings(
        endpoint=endpoint.rstrip("/"),
        bucket=bucket,
        prefix=prefix.rstrip("/") + "/",
        region=region,
        access_key_id=key_id,
        secret_access_key=secret,
    )
