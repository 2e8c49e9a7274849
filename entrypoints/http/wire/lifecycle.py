"""The lifecycle wire format (SPEC §9): the transition body and the audit trail.

`TransitionIn` checks what a JSON Schema can say (types, `price` > 0, the length of `note`,
unknown fields) with limits from domain/lifecycle; the domain's `parse_fields` then checks
the rest (price required exactly for executed/closed, finiteness, text that can be stored).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

from domain.lifecycle.events import EventType, SignalEvent
from domain.lifecycle.machine import NOTE_MAX_LENGTH, PRICED_STATUSES
from domain.signals.model import SignalStatus

# The body is tiny (a status, a price, a time, a note of at most 500 characters, each of
# which may be a 12-byte surrogate-pair escape); a larger body is refused with 413.
TRANSITION_MAX_BODY_BYTES = 16 * 1024

_PRICED = ", ".join(sorted(s.value for s in PRICED_STATUSES))


class TransitionIn(msgspec.Struct, forbid_unknown_fields=True):
    """A transition of the signal to `to` (SPEC §9)."""

    to: Annotated[SignalStatus, Meta(description="The status to move to")]
    price: (
        Annotated[
            float,
            Meta(gt=0, description=f"Required exactly when `to` is {_PRICED}: fill or exit"),
        ]
        | None
    ) = None
    at: (
        Annotated[
            datetime,
            Meta(
                tz=True,
                description="RFC 3339 with an offset; default now; not before the previous state",
            ),
        ]
        | None
    ) = None
    note: Annotated[str, Meta(max_length=NOTE_MAX_LENGTH)] | None = None


class EventOut(msgspec.Struct):
    """One entry of a signal's audit trail (SPEC §9)."""

    id: int
    type: EventType
    signal_id: UUID
    at: datetime
    actor: str
    from_status: SignalStatus | None = msgspec.field(name="from")
    to_status: SignalStatus = msgspec.field(name="to")
    note: str | None

    @classmethod
    def of(cls, e: SignalEvent) -> EventOut:
        return cls(
            id=e.id,
            type=e.type,
            signal_id=e.signal_id,
            at=e.at,
            actor=e.actor,
            from_status=e.from_status,
            to_status=e.to_status,
            note=e.note,
        )


class EventList(msgspec.Struct):
    items: list[EventOut]
