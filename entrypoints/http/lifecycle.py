"""Lifecycle endpoints (SPEC §9): transitions and the audit trail; wire in wire/lifecycle.py."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter

from application.lifecycle import ListSignalEvents, TransitionSignal, TransitionSignalRequest
from domain.errors import TooLarge
from domain.identity import Caller
from entrypoints.http.auth import SECURITY
from entrypoints.http.body import read_capped
from entrypoints.http.errors import error_responses
from entrypoints.http.preconditions import (
    ETAG_DOC,
    IF_MATCH_DESCRIPTION,
    etag,
    revision_from_if_match,
)
from entrypoints.http.wire.decoding import decode_union
from entrypoints.http.wire.lifecycle import (
    TRANSITION_MAX_BODY_BYTES,
    EventList,
    EventOut,
    Transition,
    TransitionIn,
)
from entrypoints.http.wire.openapi import raw_body_operation
from entrypoints.http.wire.signals import SignalOut

_TRANSITION_ANSWERS = {
    400: "A bad body: unknown field, missing or needless `price`, `at` before the previous "
    "state; `field` names it",
    409: "The current status does not allow this transition; `status` is the current one",
}


class LifecycleController(Controller):
    path = "/api/v1/signals"
    tags = ["lifecycle"]

    @post(
        "/{signal_id:str}/transitions",
        summary="Move one of the caller's signals to another status",
        status_code=200,
        operation_class=raw_body_operation(TransitionIn, "The transition (JSON)."),
        request_max_body_size=None,  # our own cap, TRANSITION_MAX_BODY_BYTES, applies
        security=SECURITY,
        responses=error_responses(400, 401, 403, 404, 409, 412, 413, described=_TRANSITION_ANSWERS),
        response_description="The signal after the transition",
        response_headers=ETAG_DOC,
    )
    async def transition(
        self,
        request: Request[Any, Any, Any],
        signal_id: FromPath[str],
        caller: NamedDependency[Caller],
        transition_signal: NamedDependency[TransitionSignal],
        if_match: Annotated[
            str | None, HeaderParameter(name="If-Match", description=IF_MATCH_DESCRIPTION)
        ] = None,
    ) -> Response[SignalOut]:
        raw = await read_capped(request, TRANSITION_MAX_BODY_BYTES)
        if raw is None:
            raise TooLarge(f"request body is larger than {TRANSITION_MAX_BODY_BYTES} bytes")
        body = decode_union(raw, TransitionIn, Transition)
        applied = await transition_signal(
            caller,
            TransitionSignalRequest(
                signal_id=signal_id,
                to=body.to,
                price=body.price,
                at=body.at,
                note=body.note,
                if_match=revision_from_if_match(if_match),
            ),
        )
        signal = applied.signal
        return Response(SignalOut.of(signal), headers=etag(signal.revision))

    @get(
        "/{signal_id:str}/events",
        summary="The audit trail of one of the caller's signals, oldest first",
        security=SECURITY,
        responses=error_responses(401, 403, 404),
    )
    async def events(
        self,
        signal_id: FromPath[str],
        caller: NamedDependency[Caller],
        list_signal_events: NamedDependency[ListSignalEvents],
    ) -> EventList:
        trail = await list_signal_events(caller, signal_id)
        return EventList(items=[EventOut.of(e) for e in trail])
