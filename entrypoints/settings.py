"""The one settings object, read once from the environment at start-up (SPEC §1)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

T = TypeVar("T")


class SettingsError(ValueError):
    """A setting has a bad value; the message is one line naming the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"invalid setting {variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str
    engine: str  # "sqlite" | "postgres"
    sqlite_path: Path | None = None


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
    media_dir: Path
    media_ttl_seconds: int
    media_max_bytes: int
    media_cache_max_bytes: int
    charts_max_request_bytes: int
    render_workers: int
    stream_heartbeat_seconds: int
    stream_max_per_user: int
    stream_buffer_events: int

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        read = _Reader(env)
        media_max = read.integer("MEDIA_MAX_BYTES", 5_000_000, minimum=1024)
        cache_max = read.integer("MEDIA_CACHE_MAX_BYTES", 1_073_741_824, minimum=1024)
        if cache_max < media_max:
            raise SettingsError(
                "MEDIA_CACHE_MAX_BYTES",
                f"must be >= MEDIA_MAX_BYTES ({media_max}), got {cache_max}",
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
            stream_heartbeat_seconds=read.integer(
                "STREAM_HEARTBEAT_SECONDS", 15, minimum=1, maximum=300
            ),
            stream_max_per_user=read.integer("STREAM_MAX_PER_USER", 10, minimum=1, maximum=1000),
            stream_buffer_events=read.integer(
                "STREAM_BUFFER_EVENTS", 1000, minimum=1, maximum=1_000_000
            ),
        )


class _Reader:
    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def _raw(self, name: str) -> str | None:
        value = self._env.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def text(self, name: str, default: str) -> str:
        return self._raw(name) or default

    def integer(
        self, name: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = int(raw, 10)
        except ValueError:
            raise SettingsError(name, f"expected an integer, got {raw!r}") from None
        if minimum is not None and value < minimum:
            raise SettingsError(name, f"must be >= {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise SettingsError(name, f"must be <= {maximum}, got {value}")
        return value

    def number(self, name: str, default: float, *, minimum: float, maximum: float) -> float:
        raw = self._raw(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(name, f"expected a number, got {raw!r}") from None
        if not math.isfinite(value) or not minimum <= value <= maximum:
            raise SettingsError(name, f"must be {minimum:g}-{maximum:g}, got {raw!r}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self._raw(name)
        if raw is None:
            return default
        lowered = raw.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise SettingsError(name, f"expected true or false, got {raw!r}")

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        raw = self._raw(name)
        if raw is None:
            return default
        if raw.lower() not in allowed:
            raise SettingsError(name, f"expected one of {', '.join(allowed)}, got {raw!r}")
        return raw.lower()


def _database(url: str) -> DatabaseSettings:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        # sqlite:///relative/path or sqlite:////absolute/path, as in SQLAlchemy.
        path = url[len("sqlite:///") :] if url.startswith("sqlite:///") else ""
        if not path:
            raise SettingsError("DATABASE_URL", "sqlite URL must be sqlite:///PATH")
        return DatabaseSettings(url=url, engine="sqlite", sqlite_path=Path(path))
    if parts.scheme in ("postgresql", "postgres"):
        if not parts.hostname or not parts.path.strip("/"):
            raise SettingsError(
                "DATABASE_URL", "postgresql URL must be postgresql://USER:PASS@HOST:PORT/DB"
            )
        try:
            _ = parts.port
        except ValueError:
            raise SettingsError("DATABASE_URL", "port in the URL is not a number") from None
        return DatabaseSettings(url=url, engine="postgres")
    raise SettingsError(
        "DATABASE_URL", f"unsupported scheme {parts.scheme or '(none)'!r}; use sqlite or postgresql"
    )
