"""The stream's pure rules: the resume point, and the signal as it was after each event."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from domain.errors import InvalidInput
from domain.lifecycle.events import EventType, SignalEvent
from domain.lifecycle.machine import TRANSITIONS, TransitionFields, moved
from domain.signals.model import Signal, SignalStatus
from domain.stream.rules import as_after, parse_last_event_id
from tests.fakes.stream import item

PRICED = {SignalStatus.EXECUTED: 1.5, SignalStatus.CLOSED: 2.5}


def paths(status: SignalStatus = SignalStatus.NEW) -> list[list[SignalStatus]]:
    """Every path through the transition table from `status`, as the statuses it visits."""
    targets = TRANSITIONS.get(status, frozenset())
    if not targets:
        return [[status]]
    return [[status, *rest] for t in sorted(targets) for rest in paths(t)]


@pytest.mark.parametrize("path", paths(), ids=lambda p: ">".join(s.value for s in p))
def test_as_after_gives_back_every_earlier_state_from_the_last_one(
    path: list[SignalStatus],
) -> None:
    created = item(uuid.uuid4(), 1).signal
    states: list[Signal] = [created]
    events = [
        SignalEvent(
            1,
            created.user_id,
            created.id,
            EventType.CREATED,
            created.created_at,
            "producer:relay",
            None,
            SignalStatus.NEW,
            None,
        )
    ]
    for step, to in enumerate(path[1:], start=2):
        at = created.created_at + timedelta(minutes=step)
        states.append(moved(states[-1], TransitionFields(to, PRICED.get(to), at, None), at))
        events.append(
            SignalEvent(
                step,
                created.user_id,
                created.id,
                EventType.TRANSITIONED,
                at,
                "user:u",
                states[-2].status,
                to,
                None,
            )
        )
    for state, event in zip(states, events, strict=True):
        assert as_after(states[-1], event) == state


def test_last_event_id_header_wins_then_query_then_zero() -> None:
    assert parse_last_event_id("7", "3") == 7
    assert parse_last_event_id(None, "3") == 3
    assert parse_last_event_id(" ", None) == 0
    for bad in ("-1", "1.5", "x", "٣", str(2**63)):
        with pytest.raises(InvalidInput):
            parse_last_event_id(bad, None)
