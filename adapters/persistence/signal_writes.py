"""What both engines' ingestion writes share: a pending signal, its outcome, the dedup window,
the payload's JSON text and the duplicate error."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from adapters.persistence.row_values import as_uuid
from domain.errors import AlreadyExists
from domain.signals.model import Signal
from domain.signals.rules import DUPLICATE_EXTERNAL_ID, DUPLICATE_IN_WINDOW

# A signal to store and its producer's dedup window in seconds.
Pending = tuple[Signal, int]
# None: stored; AlreadyExists: refused; another exception: that signal failed.
Outcome = None | BaseException

_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def window(signal: Signal, seconds: int) -> tuple[datetime, datetime]:
    """The open interval of times that duplicate `signal`, clamped to what datetime holds."""
    span = timedelta(seconds=max(seconds, 0))
    lower = signal.time - span if signal.time - _EARLIEST > span else _EARLIEST
    upper = signal.time + span if _LATEST - signal.time > span else _LATEST
    return lower, upper


def encode_payload(payload: Mapping[str, Any]) -> str:
    return msgspec.json.encode(payload).decode("utf-8")


def duplicate(reason: str, existing_id: Any) -> AlreadyExists:
    detail = DUPLICATE_EXTERNAL_ID if reason == "external_id" else DUPLICATE_IN_WINDOW
    return AlreadyExists(detail, existing_id=str(as_uuid(existing_id)))
