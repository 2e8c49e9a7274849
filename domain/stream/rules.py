"""Limits of the live stream and where a client resumes (SPEC §10)."""

from __future__ import annotations

from dataclasses import replace

from domain.errors import InvalidInput, TooMany
from domain.lifecycle.events import SignalEvent
from domain.lifecycle.machine import TRANSITIONS
from domain.signals.model import Signal, SignalStatus

HEARTBEAT_SECONDS_DEFAULT = 15
HEARTBEAT_SECONDS_MAX = 300
MAX_PER_USER_DEFAULT = 10
MAX_PER_USER_MAX = 1000
BUFFER_EVENTS_DEFAULT = 1000
BUFFER_EVENTS_MAX = 1_000_000
# Event ids are BIGINT in the database.
LAST_EVENT_ID_MAX = 2**63 - 1


class TooManyStreams(TooMany):
    """The user already has STREAM_MAX_PER_USER open streams (HTTP 429)."""


def parse_last_event_id(header: str | None, query: str | None) -> int:
    """Where to resume: the `Last-Event-ID` header (what an SSE client sends when it
    reconnects) wins over `?last_event_id=` (what a first connection may carry); 0 when
    neither is given: every event of the user, from the first."""
    for field, raw in (("Last-Event-ID", header), ("last_event_id", query)):
        if raw is None or raw.strip() == "":
            continue
        text = raw.strip()
        if not text.isascii() or not text.isdigit() or int(text) > LAST_EVENT_ID_MAX:
            raise InvalidInput(field, f"must be an event id, an integer 0-{LAST_EVENT_ID_MAX}")
        return int(text)
    return 0


def revision_in(status: SignalStatus) -> int:
    """The revision a signal has while in a status it can still leave: the length of the one
    path from `new` to it in the transition table (each such status has one way in)."""
    if status is SignalStatus.NEW:
        return 1
    (before,) = (f for f, targets in TRANSITIONS.items() if status in targets)
    return revision_in(before) + 1


def as_after(now: Signal, event: SignalEvent) -> Signal:
    """The signal as it was right after `event`, from the signal as it is `now` (same or
    later). Exact because a signal never has a status twice and each transition sets only
    its own fields, which the later ones keep (domain/lifecycle/machine.py)."""
    to = event.to_status
    revision = 1 if event.from_status is None else revision_in(event.from_status) + 1
    if now.revision == revision:
        return now
    executed = to in (SignalStatus.EXECUTED, SignalStatus.CLOSED)
    closed = to is SignalStatus.CLOSED
    return replace(
        now,
        status=to,
        revision=revision,
        updated_at=event.at,
        executed_price=now.executed_price if executed else None,
        executed_at=now.executed_at if executed else None,
        closed_price=now.closed_price if closed else None,
        closed_at=now.closed_at if closed else None,
        pnl=now.pnl if closed else None,
        return_ratio=now.return_ratio if closed else None,
    )
