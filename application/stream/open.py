"""Open a stream: the per-user limit, then the hub (SPEC §10)."""

from __future__ import annotations

from dataclasses import dataclass

from application.stream.hub import EventStream, StreamHub
from domain.identity import Caller
from domain.signals.rules import normalise_instrument
from domain.stream.ports import StreamSlots
from domain.stream.rules import TooManyStreams, parse_last_event_id


@dataclass(frozen=True, slots=True)
class OpenStreamRequest:
    last_event_id_header: str | None
    last_event_id_query: str | None
    instrument: str | None


class OpenStream:
    def __init__(self, hub: StreamHub, slots: StreamSlots) -> None:
        self._hub = hub
        self._slots = slots

    async def __call__(self, caller: Caller, request: OpenStreamRequest) -> EventStream:
        after_id = parse_last_event_id(request.last_event_id_header, request.last_event_id_query)
        instrument = (
            normalise_instrument(request.instrument)
            if request.instrument not in (None, "")
            else None
        )
        limit = self._hub.policy.max_per_user
        slot = await self._slots.acquire(caller.user_id, limit)
        if slot is None:
            raise TooManyStreams(f"at most {limit} open streams per user")
        return self._hub.join(caller.user_id, after_id, instrument, slot)
