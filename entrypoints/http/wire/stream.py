"""The `data:` of a stream message (SPEC §10): the trail item and the signal after it.

`EventOut` is the trail item of SPEC §9 (the lifecycle's events endpoint answers the same
objects; keep one definition when both branches meet).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from domain.lifecycle.events import SignalEvent
from domain.stream.ports import FeedItem
from entrypoints.http.wire.signals import SignalOut


class EventOut(msgspec.Struct):
    id: int
    type: str
    signal_id: UUID
    at: datetime
    actor: str
    from_: str | None = msgspec.field(name="from")
    to: str
    note: str | None

    @classmethod
    def of(cls, e: SignalEvent) -> EventOut:
        return cls(
            id=e.id,
            type=e.type.value,
            signal_id=e.signal_id,
            at=e.at,
            actor=e.actor,
            from_=e.from_status.value if e.from_status is not None else None,
            to=e.to_status.value,
            note=e.note,
        )


class StreamData(msgspec.Struct):
    event: EventOut
    signal: SignalOut


_encoder = msgspec.json.Encoder()


def encode_stream_data(item: FeedItem) -> str:
    data = StreamData(EventOut.of(item.event), SignalOut.of(item.signal))
    return _encoder.encode(data).decode()
