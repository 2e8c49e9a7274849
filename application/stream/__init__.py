"""The live stream use case (SPEC §10): one hub per process fans events out to streams."""

from application.stream.hub import (
    PING,
    Delivery,
    EventStream,
    Ping,
    StreamHub,
    StreamMetrics,
    StreamPolicy,
)
from application.stream.open import OpenStream, OpenStreamRequest

__all__ = [
    "PING",
    "Delivery",
    "EventStream",
    "OpenStream",
    "OpenStreamRequest",
    "Ping",
    "StreamHub",
    "StreamMetrics",
    "StreamPolicy",
]
