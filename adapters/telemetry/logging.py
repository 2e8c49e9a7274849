"""structlog configuration: one JSON object a line on stdout (or console lines for humans).

Configured once at start-up by the entry point. Standard-library loggers (uvicorn, asyncio)
are routed through the same processors and renderer so every line has one shape.

JSON (the default) keeps our own loggers off the standard library: structlog renders the
event with msgspec and writes the bytes straight to stdout (one write and flush a line),
which costs a fraction of a LogRecord + Handler + ProcessorFormatter + json.dumps — it matters
for the access line written on every request. The console format (for humans) keeps the
standard-library path: there speed does not matter.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec
import structlog

_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}
# Never let these reach a log line, whatever a caller binds.
_SECRET_KEYS = frozenset(
    {"authorization", "token", "secret", "signature", "x-signature", "password"}
)


# Keys already found not to be secret (a log call's keys come from the code: a small set).
_PLAIN_KEYS: set[str] = set()


def _drop_secrets(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key in event:  # replacing a value while iterating is allowed; adding a key is not
        if key in _PLAIN_KEYS:
            continue
        if key.lower() in _SECRET_KEYS:
            event[key] = "[redacted]"
        elif len(_PLAIN_KEYS) < 4096:
            _PLAIN_KEYS.add(key)
    return event


class IsoUtcStamper:
    """The text of structlog's TimeStamper(fmt="iso", utc=True) — `datetime.now(UTC)
    .isoformat()` with "Z" for "+00:00": microseconds, and none when they are 0 — with the
    part up to the second formatted once a second."""

    def __init__(self, clock: Callable[[], int] = time.time_ns) -> None:
        self._clock = clock  # the clock of datetime.now(), in nanoseconds
        # (second, its text) in one tuple: a thread never pairs one second with another's text
        self._last: tuple[int, str] = (-1, "")

    def __call__(self, _: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
        # datetime.now() rounds down to the microsecond, as this does.
        second, fraction = divmod(self._clock(), 1_000_000_000)
        last = self._last
        if last[0] != second:
            text = datetime.fromtimestamp(second, UTC).replace(tzinfo=None).isoformat()
            last = self._last = (second, text)
        micro = fraction // 1000
        event["timestamp"] = f"{last[1]}.{micro:06d}Z" if micro else last[1] + "Z"
        return event


def _fallback(value: Any) -> Any:
    """What msgspec cannot encode is written as its repr (like structlog's json.dumps default)."""
    return repr(value)


_encoder = msgspec.json.Encoder(enc_hook=_fallback)


def _msgspec_dumps(event: Any, **_: Any) -> bytes:
    # JSONRenderer passes `default=`; msgspec's counterpart is the encoder's enc_hook.
    return _encoder.encode(event)


def _msgspec_dumps_text(event: Any, **_: Any) -> str:
    return _encoder.encode(event).decode()


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    # Library warnings (e.g. Piccolo cannot reach the database) become log lines too.
    logging.captureWarnings(True)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        IsoUtcStamper(),
        _drop_secrets,
    ]
    if fmt == "console":
        renderer: Any = structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())
        structlog.configure(
            processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
            cache_logger_on_first_use=True,
        )
    else:
        renderer = structlog.processors.JSONRenderer(serializer=_msgspec_dumps_text)
        # Our loggers: processors, then msgspec bytes to stdout; the BytesLogger carries the
        # logger's name for add_logger_name.
        structlog.configure(
            processors=[
                *shared,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(serializer=_msgspec_dumps),
            ],
            logger_factory=structlog.BytesLoggerFactory(),
            wrapper_class=structlog.make_filtering_bound_logger(_LEVELS[level]),
            cache_logger_on_first_use=True,
        )
    # Standard-library loggers (uvicorn, asyncio, ...) through the same chain and renderer.
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(_LEVELS[level])
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our own access line replaces uvicorn's. Not propagated either: uvicorn's protocol logs
    # its line only when `hasHandlers()` (the root's count when it propagates), and it builds
    # the arguments (client, quoted path) before the logger could say it is disabled (≈ 3 µs a
    # request, docs/ingest-performance.md "Where the server's CPU goes").
    access = logging.getLogger("uvicorn.access")
    access.disabled = True
    access.propagate = False
