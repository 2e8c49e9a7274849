"""Outbound webhooks (SPEC §15): subscriptions, deliveries and their attempts."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.lifecycle.events import EventType

URL_MAX_LENGTH = 2048
# Every event type a subscription may ask for (the §10 stream's `event:` names).
EVENT_TYPES: tuple[str, ...] = tuple(t.value for t in EventType)
DEFAULT_MAX_PER_USER = 10
DEFAULT_RETRY_SCHEDULE: tuple[int, ...] = (5, 300, 1800, 7200, 18000, 36000, 36000)
# After rotate-secret the old secret keeps signing alongside the new one this long.
SECRET_OVERLAP_SECONDS = 24 * 3600
# What a delivery sends and reads (SPEC §15: 10 s; "a few KiB" of the answer).
DELIVERY_TIMEOUT_SECONDS = 10.0
RESPONSE_READ_BYTES = 4096
ERROR_MAX_LENGTH = 500


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Subscription:
    id: UUID
    user_id: UUID
    url: str
    events: tuple[EventType, ...]
    instrument: str | None
    enabled: bool
    # Stored as issued: signing needs the key itself (docs/webhooks.md).
    secret: str
    previous_secret: str | None
    previous_secret_until: datetime | None
    created_at: datetime

    def signing_secrets(self, now: datetime) -> tuple[str, ...]:
        """The secrets that sign a delivery now: the current one, and the previous one while
        its overlap lasts (two `v1,` entries)."""
        if (
            self.previous_secret is not None
            and self.previous_secret_until is not None
            and now < self.previous_secret_until
        ):
            return (self.secret, self.previous_secret)
        return (self.secret,)


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """One line of `GET /api/v1/subscriptions/{id}/deliveries`: an attempt made, or a
    delivery waiting for the first attempt of its round (numbered as the attempt to come, no
    answer yet).

    `status` is what the attempt left the delivery in: `delivered` (a 2xx), `pending` (it
    failed and another attempt is due at `next_attempt_at`) or `failed` (no attempt left).
    """

    event_id: int
    attempt: int
    status: DeliveryStatus
    response_status: int | None
    error: str | None
    at: datetime
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A delivery a worker holds the lease of: what to send and which attempt it is."""

    subscription_id: UUID
    event_id: int
    attempts: int  # made so far
    round_start: int  # attempts made before the last manual retry (the schedule restarts)
    body: bytes
    event_type: str


@dataclass(frozen=True, slots=True)
class SendResult:
    """What one HTTP attempt gave: a status code, or an error (timeout, refused, SSRF)."""

    response_status: int | None
    error: str | None
    seconds: float

    @property
    def delivered(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300

    @property
    def gone(self) -> bool:
        return self.response_status == 410


@dataclass(frozen=True, slots=True)
class AttemptOutcome:
    """What the worker records after an attempt."""

    status: DeliveryStatus
    next_attempt_at: datetime | None
    disable_subscription: bool
    # The receiver fails as a whole (no answer, 5xx, 408, 429): nothing else of the
    # subscription is sent before this (the failing delivery's next attempt).
    hold_until: datetime | None = None
