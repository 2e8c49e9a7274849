"""The signal wire format (SPEC §3, §5), constraints from domain/signals/rules.py.

`SignalIn` describes the body of `POST /api/v1/signals` for the OpenAPI document. The body
itself is checked by the domain (`parse_signal_fields`) inside `IngestSignal`, after the
signature over its exact bytes: an unauthenticated body is never looked at.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta

from domain.signals.model import Side, Signal, SignalStatus
from domain.signals.rules import (
    DEFAULT_VERSION,
    EXTERNAL_ID_MAX_LENGTH,
    INSTRUMENT_MAX_LENGTH,
    INSTRUMENT_MIN_LENGTH,
    INSTRUMENT_PATTERN,
    VERSION_MAX_LENGTH,
)

# Rules JSON Schema cannot state; said in words (docs/reliability.md, the strict run).
_PRINTABLE = "Printable characters only: no control characters, no lone surrogates"


class SignalIn(msgspec.Struct, forbid_unknown_fields=True):
    """The signal; X-Signature signs these exact bytes."""

    instrument: Annotated[
        str,
        Meta(
            min_length=INSTRUMENT_MIN_LENGTH,
            max_length=INSTRUMENT_MAX_LENGTH,
            pattern=INSTRUMENT_PATTERN,
            description="Case-insensitive, stored upper-case",
        ),
    ]
    side: Side
    price: Annotated[float, Meta(gt=0)]
    time: Annotated[datetime, Meta(tz=True, description="Default: the time of receipt")] | None = (
        None
    )
    # null means the default, as the domain rules read it (SPEC §3: default "1").
    version: (
        Annotated[str, Meta(min_length=1, max_length=VERSION_MAX_LENGTH, description=_PRINTABLE)]
        | None
    ) = DEFAULT_VERSION
    external_id: (
        Annotated[
            str, Meta(min_length=1, max_length=EXTERNAL_ID_MAX_LENGTH, description=_PRINTABLE)
        ]
        | None
    ) = None
    payload: Annotated[
        dict[str, Any],
        Meta(description="Any JSON object; its strings valid Unicode (no lone surrogates)"),
    ] = msgspec.field(default_factory=dict)


class SignalOut(msgspec.Struct):
    """The signal object (SPEC §5); `return` is `return_ratio` here (a Python keyword)."""

    id: UUID
    user_id: UUID
    producer_id: str
    instrument: str
    side: str
    price: float
    time: datetime
    version: str
    external_id: str | None
    status: SignalStatus
    revision: int
    payload: dict[str, Any]
    executed_price: float | None
    executed_at: datetime | None
    closed_price: float | None
    closed_at: datetime | None
    pnl: float | None
    return_ratio: float | None = msgspec.field(name="return")  # pnl / fill, a fraction
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, s: Signal) -> SignalOut:
        return cls(
            id=s.id,
            user_id=s.user_id,
            producer_id=s.producer_id,
            instrument=s.instrument,
            side=s.side.value,
            price=s.price,
            time=s.time,
            version=s.version,
            external_id=s.external_id,
            status=s.status,
            revision=s.revision,
            payload=dict(s.payload),
            executed_price=s.executed_price,
            executed_at=s.executed_at,
            closed_price=s.closed_price,
            closed_at=s.closed_at,
            pnl=s.pnl,
            return_ratio=s.return_ratio,
            created_at=s.created_at,
            updated_at=s.updated_at,
        )


class SignalList(msgspec.Struct):
    items: list[SignalOut]
    total: int
    page: int
    page_size: int
