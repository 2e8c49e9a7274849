"""The `data:` of a stream message (SPEC §10): the trail item and the signal after it.

`EventOut` is the trail item of SPEC §9, the same struct the events endpoint answers.
"""

from __future__ import annotations

import msgspec

from domain.stream.ports import FeedItem
from entrypoints.http.wire.lifecycle import EventOut
from entrypoints.http.wire.signals import SignalOut


class StreamData(msgspec.Struct):
    event: EventOut
    signal: SignalOut


_encoder = msgspec.json.Encoder()


def encode_stream_data(item: FeedItem) -> str:
    data = StreamData(EventOut.of(item.event), SignalOut.of(item.signal))
    return _encoder.encode(data).decode()
