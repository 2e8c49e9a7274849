"""The lifecycle wire: the transition body's schema carries the domain's limits, the event and
signal objects have the SPEC's field names, and If-Match names a revision or none."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import msgspec
import pytest

from domain.errors import InvalidInput
from domain.lifecycle import NOTE_MAX_LENGTH, PRICED_STATUSES, EventType, SignalEvent
from domain.signals.model import Side, Signal, SignalStatus
from entrypoints.http.preconditions import NO_REVISION, etag, revision_from_if_match
from entrypoints.http.wire.decoding import decode_union
from entrypoints.http.wire.lifecycle import EventOut, Transition, TransitionIn
from entrypoints.http.wire.openapi import struct_schema
from entrypoints.http.wire.signals import SignalOut

T = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def test_the_transition_schema_is_built_from_the_domain() -> None:
    """One variant per status, tagged by `to`; `price` required exactly where the domain says."""
    variants = struct_schema(TransitionIn).to_schema()["anyOf"]
    by_status = {v["properties"]["to"]["enum"][0]: v for v in variants}
    assert sorted(by_status) == sorted(s.value for s in SignalStatus)
    for status, schema in by_status.items():
        properties = schema["properties"]
        assert properties["note"]["anyOf"][0]["maxLength"] == NOTE_MAX_LENGTH
        assert properties["at"]["anyOf"][0]["format"] == "date-time"
        assert schema["additionalProperties"] is False
        if SignalStatus(status) in PRICED_STATUSES:
            assert properties["price"]["exclusiveMinimum"] == 0
            assert sorted(schema["required"]) == ["price", "to"]
        else:
            assert "price" not in properties and schema["required"] == ["to"]


@pytest.mark.parametrize(
    ("raw", "to", "price"),
    [
        (b'{"to":"approved"}', SignalStatus.APPROVED, None),
        (b'{"to":"new","note":"n"}', SignalStatus.NEW, None),
        (b'{"to":"closed","price":2.5}', SignalStatus.CLOSED, 2.5),
    ],
)
def test_the_tag_names_the_target(raw: bytes, to: SignalStatus, price: float | None) -> None:
    body = decode_union(raw, TransitionIn, Transition)
    assert (body.to, body.price) == (to, price)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'{"to":"approved","why":1}', "why"),
        (b'{"price":1}', "to"),
        (b'{"to":"later"}', "to"),
        (b'{"to":"executed","price":-1}', "price"),
        (b'{"to":"executed"}', "price"),
        (b'{"to":"new","price":1}', "price"),
        (b"{}", "to"),
        (b'{"to":"approved","at":"2026-11-28T01:00:00"}', "at"),
        (b'{"to":"approved","note":"' + b"n" * (NOTE_MAX_LENGTH + 1) + b'"}', "note"),
    ],
)
def test_the_body_is_refused_naming_the_field(raw: bytes, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_union(raw, TransitionIn, Transition)
    assert refused.value.field == field


def test_signal_and_event_objects_carry_the_spec_names() -> None:
    signal = Signal(
        id=uuid4(), user_id=uuid4(), producer_id="p", instrument="XAUUSD", side=Side.SELL,
        price=10.0, time=T, version="1", external_id=None, status=SignalStatus.CLOSED,
        payload={}, created_at=T, updated_at=T, revision=4, executed_price=10.0,
        executed_at=T, closed_price=9.0, closed_at=T, pnl=1.0, return_ratio=0.1,
    )  # fmt: skip
    wire = msgspec.to_builtins(SignalOut.of(signal))
    assert (wire["return"], wire["pnl"], wire["revision"], wire["status"]) == (
        0.1, 1.0, 4, "closed",
    )  # fmt: skip
    assert "return_ratio" not in wire
    event = SignalEvent(
        id=7, user_id=signal.user_id, signal_id=signal.id, type=EventType.CREATED, at=T,
        actor="producer:p", from_status=None, to_status=SignalStatus.NEW, note=None,
    )  # fmt: skip
    assert msgspec.to_builtins(EventOut.of(event)) == {
        "id": 7, "type": "signal.created", "signal_id": str(signal.id),
        "at": "2026-11-28T01:00:00Z", "actor": "producer:p", "from": None, "to": "new",
        "note": None,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("header", "revision"),
    [
        (None, None),
        ("*", None),
        (' "3" ', 3),
        ('"12"', 12),
        ("3", NO_REVISION),
        ('W/"3"', NO_REVISION),
        ('"3", "4"', NO_REVISION),
        ('"0"', NO_REVISION),
        ('"-1"', NO_REVISION),
        ('"' + "9" * 40 + '"', NO_REVISION),
        ("", NO_REVISION),
    ],
)
def test_if_match_names_a_revision_or_none(header: str | None, revision: int | None) -> None:
    assert revision_from_if_match(header) == revision
    assert etag(5) == {"ETag": '"5"'}
