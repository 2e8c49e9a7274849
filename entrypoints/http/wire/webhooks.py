"""The wire format of outbound webhooks (SPEC §15): subscriptions and their delivery log.

The delivery body itself is `WebhookBody`: `{"type", "timestamp", "data"}` where `data` is
the §10 stream's data object (`StreamData`, the same structs as the stream and the trail).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from domain.lifecycle.events import EventType
from domain.signals.rules import INSTRUMENT_MAX_LENGTH, INSTRUMENT_MIN_LENGTH, INSTRUMENT_PATTERN
from domain.stream.ports import FeedItem
from domain.webhooks.model import URL_MAX_LENGTH, DeliveryStatus, Subscription
from entrypoints.http.wire.lifecycle import EventOut
from entrypoints.http.wire.signals import SignalOut
from entrypoints.http.wire.stream import StreamData

# A body is a URL, two event names and an instrument: a few KiB at most.
SUBSCRIPTION_MAX_BODY_BYTES = 16 * 1024

Url = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=URL_MAX_LENGTH,
        description="http(s) URL whose host resolves to public addresses only "
        "(unless WEBHOOKS_ALLOW_PRIVATE=true)",
    ),
]
Events = Annotated[
    list[EventType],
    Meta(min_length=1, max_length=16, description="Default: every event type"),
]
Instrument = Annotated[
    str,
    Meta(
        min_length=INSTRUMENT_MIN_LENGTH,
        max_length=INSTRUMENT_MAX_LENGTH,
        pattern=INSTRUMENT_PATTERN,
        description="Only this instrument's events (case-insensitive)",
    ),
]


class SubscriptionIn(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A new subscription (SPEC §15)."""

    url: Url
    events: Events | None = None
    instrument: Instrument | None = None


class SubscriptionOut(msgspec.Struct, kw_only=True):
    id: UUID
    url: str
    events: list[EventType]
    instrument: str | None
    enabled: bool
    created_at: datetime

    @classmethod
    def of(cls, s: Subscription) -> SubscriptionOut:
        return cls(
            id=s.id,
            url=s.url,
            events=list(s.events),
            instrument=s.instrument,
            enabled=s.enabled,
            created_at=s.created_at,
        )


class SubscriptionWithSecret(SubscriptionOut, kw_only=True):
    """A subscription with its signing secret: shown on creation and rotation only."""

    secret: str

    @classmethod
    def with_secret(cls, s: Subscription) -> SubscriptionWithSecret:
        out = SubscriptionOut.of(s)
        return cls(**{f: getattr(out, f) for f in out.__struct_fields__}, secret=s.secret)


class SubscriptionList(msgspec.Struct):
    items: list[SubscriptionOut]


class DeliveryOut(msgspec.Struct):
    """One attempt (or a delivery waiting for its first attempt: no response_status yet)."""

    event_id: int
    attempt: int
    status: DeliveryStatus
    response_status: int | None
    error: str | None
    at: datetime
    next_attempt_at: datetime | None


class DeliveryList(msgspec.Struct):
    items: list[DeliveryOut]


class RetryOut(msgspec.Struct):
    event_id: int
    status: DeliveryStatus


class WebhookBody(msgspec.Struct):
    type: str
    timestamp: datetime
    data: StreamData


_encoder = msgspec.json.Encoder()


def encode_webhook_body(item: FeedItem) -> bytes:
    """The body of every attempt of one event (its `timestamp` is the event's `at`)."""
    data = StreamData(EventOut.of(item.event), SignalOut.of(item.signal))
    return _encoder.encode(WebhookBody(item.event.type.value, item.event.at, data))
