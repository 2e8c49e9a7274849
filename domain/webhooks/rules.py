"""The rules of outbound webhooks that need no I/O (SPEC §15): URLs and addresses (SSRF),
event matching, the retry schedule, the stable webhook-id."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

from domain.errors import InvalidInput
from domain.lifecycle.events import EventType, SignalEvent
from domain.signals.model import Signal
from domain.webhooks.model import (
    URL_MAX_LENGTH,
    AttemptOutcome,
    DeliveryStatus,
    SendResult,
    Subscription,
)

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Target:
    """A subscription URL taken apart: where to connect."""

    scheme: str
    host: str  # without brackets for an IPv6 literal
    port: int

    @property
    def literal(self) -> Address | None:
        try:
            return ipaddress.ip_address(self.host)
        except ValueError:
            return None


def parse_url(url: str, field: str = "url") -> Target:
    """An http(s) URL of at most URL_MAX_LENGTH characters with a host, else InvalidInput."""
    if len(url) > URL_MAX_LENGTH:
        raise InvalidInput(field, f"at most {URL_MAX_LENGTH} characters")
    if any(c.isspace() or not c.isprintable() for c in url):
        raise InvalidInput(field, "must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:
        raise InvalidInput(field, "not a valid URL") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidInput(field, "only http and https URLs are allowed")
    if not host:
        raise InvalidInput(field, "the URL has no host")
    scheme = parts.scheme.lower()
    return Target(scheme, host, port if port is not None else (443 if scheme == "https" else 80))


def refused_address(address: Address) -> str | None:
    """Why an address may not receive webhooks (loopback, private, link-local, multicast and
    every other non-global range), or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    if address.is_unspecified or address.is_reserved or not address.is_global:
        return "not globally routable"
    return None


def check_addresses(host: str, addresses: Sequence[str], field: str = "url") -> list[str]:
    """The addresses `host` resolved to, or InvalidInput when there is none or one is
    refused (all must pass: a resolver may hand out any of them)."""
    if not addresses:
        raise InvalidInput(field, f"the host {host!r} does not resolve")
    for text in addresses:
        reason = refused_address(ipaddress.ip_address(text))
        if reason is not None:
            raise InvalidInput(field, f"the host {host!r} resolves to a {reason} address")
    return list(addresses)


def normalise_events(events: Iterable[str] | None) -> tuple[EventType, ...]:
    """The event types asked for, once each, in the enum's order; default every type."""
    if events is None:
        return tuple(EventType)
    wanted: set[EventType] = set()
    for name in events:
        try:
            wanted.add(EventType(name))
        except ValueError:
            known = ", ".join(t.value for t in EventType)
            raise InvalidInput("events", f"unknown event type {name!r} (one of {known})") from None
    if not wanted:
        raise InvalidInput("events", "at least one event type")
    return tuple(t for t in EventType if t in wanted)


def matches(subscription: Subscription, event: SignalEvent, signal: Signal) -> bool:
    return event.type in subscription.events and (
        subscription.instrument is None or signal.instrument == subscription.instrument
    )


def webhook_id(subscription_id: UUID, event_id: int) -> str:
    """The same on every attempt of one event to one subscription (the receiver's dedup key)."""
    return f"msg_{subscription_id.hex}_{event_id}"


def parse_schedule(text: str) -> tuple[int, ...]:
    """`WEBHOOKS_RETRY_SCHEDULE`: comma-separated seconds, each 1-604800, at most 50 of them;
    empty means no retry. ValueError names the problem."""
    if not text.strip():
        return ()
    values: list[int] = []
    for part in text.split(","):
        try:
            value = int(part.strip(), 10)
        except ValueError:
            raise ValueError(f"expected comma-separated seconds, got {part.strip()!r}") from None
        if not 1 <= value <= 604800:
            raise ValueError(f"each delay must be 1-604800 seconds, got {value}")
        values.append(value)
    if len(values) > 50:
        raise ValueError(f"at most 50 delays, got {len(values)}")
    return tuple(values)


def receiver_failing(result: SendResult) -> bool:
    """The receiver as a whole is failing (no answer at all, 5xx, 408, 429), rather than
    refusing this one message (another 4xx): later deliveries would fail the same way."""
    status = result.response_status
    return status is None or status >= 500 or status in (408, 429)


def outcome(
    result: SendResult, attempts_in_round: int, schedule: Sequence[int], now: datetime
) -> AttemptOutcome:
    """What an attempt leaves the delivery in. `attempts_in_round` counts this attempt (1 for
    the first since creation or the last manual retry). A 2xx is delivered; a 410 fails for
    good and disables the subscription; anything else waits schedule[n-1] seconds after this
    attempt, and fails for good once the schedule is used up. While a retry waits because the
    receiver fails as a whole, the subscription is held until then (order is kept, and a
    receiver that is down gets one attempt per step of the schedule, not one per event)."""
    if result.delivered:
        return AttemptOutcome(DeliveryStatus.DELIVERED, None, False)
    if result.gone:
        return AttemptOutcome(DeliveryStatus.FAILED, None, True)
    if attempts_in_round <= len(schedule):
        following = now + timedelta(seconds=schedule[attempts_in_round - 1])
        hold = following if receiver_failing(result) else None
        return AttemptOutcome(DeliveryStatus.PENDING, following, False, hold)
    return AttemptOutcome(DeliveryStatus.FAILED, None, False)
