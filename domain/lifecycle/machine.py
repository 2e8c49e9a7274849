"""The signal lifecycle of SPEC §9: the transition table, the body rules, fill/exit and PnL."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.errors import InvalidInput
from domain.signals.model import Side, Signal
from domain.signals.model import SignalStatus as S

# from -> the statuses it may move to. A status missing here is final.
TRANSITIONS: dict[S, frozenset[S]] = {
    S.NEW: frozenset({S.APPROVED, S.REJECTED, S.CANCELLED}),
    S.APPROVED: frozenset({S.EXECUTED, S.CANCELLED}),
    S.EXECUTED: frozenset({S.CLOSED}),
}
FINAL_STATUSES = frozenset(s for s in S if s not in TRANSITIONS)
# The target statuses whose `price` is required (the fill, the exit); every other refuses one.
PRICED_STATUSES = frozenset({S.EXECUTED, S.CLOSED})

NOTE_MAX_LENGTH = 500
# How far ahead of the server's clock a client's `at` may be (clients' clocks drift).
AT_MAX_AHEAD_SECONDS = 300


def allowed(current: S, target: S) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def entered_current_status_at(signal: Signal) -> datetime:
    """When the signal reached its current status: each transition sets updated_at to its `at`."""
    return signal.updated_at


@dataclass(frozen=True, slots=True)
class TransitionFields:
    """A transition request with its state-independent rules checked (see `parse_fields`)."""

    to: S
    price: float | None
    at: datetime | None
    note: str | None


def parse_fields(
    to: S | str, price: float | None, at: datetime | None, note: str | None
) -> TransitionFields:
    """The body rules that do not depend on the signal; raise InvalidInput naming the field."""
    try:
        target = S(to)
    except ValueError:
        raise InvalidInput("to", f"must be one of {', '.join(s.value for s in S)}") from None
    if target in PRICED_STATUSES:
        if price is None:
            raise InvalidInput("price", f"required when moving to {target.value}")
        if isinstance(price, bool) or not math.isfinite(price) or price <= 0:
            raise InvalidInput("price", "must be a finite number greater than 0")
    elif price is not None:
        raise InvalidInput("price", f"not allowed when moving to {target.value}")
    if at is not None and at.utcoffset() is None:
        raise InvalidInput("at", "must be an RFC 3339 date-time with an offset")
    if note is not None:
        if len(note) > NOTE_MAX_LENGTH:
            raise InvalidInput("note", f"must be at most {NOTE_MAX_LENGTH} characters")
        if "\x00" in note or not _encodable(note):
            raise InvalidInput("note", "must be valid Unicode without NUL characters")
    return TransitionFields(target, float(price) if price is not None else None, at, note)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def transition_moment(signal: Signal, at: datetime | None, now: datetime) -> datetime:
    """The moment of the transition: `at`, or now (never before the current status began)."""
    since = entered_current_status_at(signal)
    if at is None:
        return max(now, since)
    if at < since:
        raise InvalidInput("at", f"must not be before {since.isoformat()}, the previous state")
    if at > now + timedelta(seconds=AT_MAX_AHEAD_SECONDS):
        raise InvalidInput("at", "must not be in the future")
    return at


def pnl_per_unit(side: Side, fill: float, exit_price: float) -> float:
    return exit_price - fill if side is Side.BUY else fill - exit_price


def moved(signal: Signal, fields: TransitionFields, moment: datetime) -> Signal:
    """The signal after an allowed transition at `moment` (the caller checked `allowed`)."""
    after = replace(signal, status=fields.to, revision=signal.revision + 1, updated_at=moment)
    if fields.to is S.EXECUTED:
        after = replace(after, executed_price=fields.price, executed_at=moment)
    elif fields.to is S.CLOSED:
        assert fields.price is not None and signal.executed_price is not None
        pnl = pnl_per_unit(signal.side, signal.executed_price, fields.price)
        after = replace(
            after,
            closed_price=fields.price,
            closed_at=moment,
            pnl=pnl,
            return_ratio=pnl / signal.executed_price,
        )
    return after
