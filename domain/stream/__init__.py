"""The live stream (SPEC §10): its limits, the resume point and the ports of the event feed."""

from domain.stream.ports import EventFeed, FeedItem, StreamSlot, StreamSlots, Wake
from domain.stream.rules import (
    BUFFER_EVENTS_DEFAULT,
    BUFFER_EVENTS_MAX,
    HEARTBEAT_SECONDS_DEFAULT,
    HEARTBEAT_SECONDS_MAX,
    MAX_PER_USER_DEFAULT,
    MAX_PER_USER_MAX,
    TooManyStreams,
    as_after,
    parse_last_event_id,
)

__all__ = [
    "BUFFER_EVENTS_DEFAULT",
    "BUFFER_EVENTS_MAX",
    "HEARTBEAT_SECONDS_DEFAULT",
    "HEARTBEAT_SECONDS_MAX",
    "MAX_PER_USER_DEFAULT",
    "MAX_PER_USER_MAX",
    "EventFeed",
    "FeedItem",
    "StreamSlot",
    "StreamSlots",
    "TooManyStreams",
    "Wake",
    "as_after",
    "parse_last_event_id",
]
