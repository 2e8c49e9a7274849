"""The lifecycle wire format (SPEC §9): the transition body and the audit trail.

`TransitionIn` is a union tagged by `to`, one struct per status, built from the domain's
enum and PRICED_STATUSES: it checks what a JSON Schema can say (types, `price` > 0 and
required exactly for executed/closed, the length of `note`, unknown fields); the domain's
`parse_fields` then checks the rest (finiteness, text that can be stored) and the machine the
order in time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Union, cast
from uuid import UUID

import msgspec
from msgspec import Meta

from domain.lifecycle.events import EventType, SignalEvent
from domain.lifecycle.machine import NOTE_MAX_LENGTH, PRICED_STATUSES
from domain.signals.model import SignalStatus

# The body is tiny (a status, a price, a time, a note of at most 500 characters, each of
# which may be a 12-byte surrogate-pair escape); a larger body is refused with 413.
TRANSITION_MAX_BODY_BYTES = 16 * 1024

At = Annotated[
    datetime,
    Meta(
        tz=True, description="RFC 3339 with an offset; default now; not before the previous state"
    ),
]
Note = Annotated[
    str, Meta(max_length=NOTE_MAX_LENGTH, description="Valid Unicode without NUL characters")
]
Price = Annotated[float, Meta(gt=0, description="The fill (executed) or exit (closed) price")]


class _Transition(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, tag_field="to"):
    """A transition of the signal to the status named by `to` (the tag), SPEC §9."""

    at: At | None = None
    note: Note | None = None

    @property
    def to(self) -> SignalStatus:
        return SignalStatus(str(self.__struct_config__.tag))

    @property
    def price(self) -> float | None:
        return None


class _PricedTransition(_Transition):
    """`price` is required exactly for the statuses of PRICED_STATUSES (the fill, the exit)."""

    price: Price  # a field here, the property's None elsewhere


def _variant(status: SignalStatus) -> type[_Transition]:
    base = _PricedTransition if status in PRICED_STATUSES else _Transition
    name = f"To{status.value.capitalize()}"
    return cast("type[_Transition]", msgspec.defstruct(name, [], bases=(base,), tag=status.value))


# One variant per status of the domain enum, tagged by `to`: the OpenAPI schema then says
# exactly what the code accepts (price required for executed/closed, absent otherwise). A
# status the current one cannot reach (`new`, a final one) is still a well-formed body: the
# state machine answers it with 409 and the current status.
TRANSITION_VARIANTS: tuple[type[_Transition], ...] = tuple(_variant(s) for s in SignalStatus)
TransitionIn: object = Union[TRANSITION_VARIANTS]  # noqa: UP007 - built from a tuple
Transition = _Transition  # what a decoded TransitionIn is


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
