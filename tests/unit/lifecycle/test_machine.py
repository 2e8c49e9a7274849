"""The §9 table, the body rules, the moment of a transition and PnL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import InvalidInput
from domain.lifecycle import (
    FINAL_STATUSES,
    TRANSITIONS,
    allowed,
    moved,
    parse_fields,
    pnl_per_unit,
    transition_moment,
)
from domain.signals.model import Side, Signal
from domain.signals.model import SignalStatus as S
from tests.support.entities import a_signal

T0 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)

# SPEC §9, row by row.
SPEC_ROWS = {
    (S.NEW, S.APPROVED),
    (S.NEW, S.REJECTED),
    (S.NEW, S.CANCELLED),
    (S.APPROVED, S.EXECUTED),
    (S.APPROVED, S.CANCELLED),
    (S.EXECUTED, S.CLOSED),
}


def signal(**changes: object) -> Signal:
    return a_signal(price=1950.0, **changes)


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_the_table_is_exactly_the_spec(current: S, target: S) -> None:
    assert allowed(current, target) is ((current, target) in SPEC_ROWS)


def test_final_statuses() -> None:
    assert FINAL_STATUSES == {S.REJECTED, S.CANCELLED, S.CLOSED}
    assert {(a, b) for a, bs in TRANSITIONS.items() for b in bs} == SPEC_ROWS


@pytest.mark.parametrize("target", [S.EXECUTED, S.CLOSED])
def test_price_is_required_for_fill_and_exit(target: S) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_fields(target, None, None, None)
    assert caught.value.field == "price"
    assert parse_fields(target.value, 12.5, None, None).price == 12.5


@pytest.mark.parametrize("target", [S.APPROVED, S.REJECTED, S.CANCELLED, S.NEW])
def test_price_is_refused_where_needless(target: S) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_fields(target, 1.0, None, None)
    assert caught.value.field == "price"


@pytest.mark.parametrize("price", [0.0, -1.0, float("inf"), float("nan")])
def test_price_must_be_finite_and_positive(price: float) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_fields(S.EXECUTED, price, None, None)
    assert caught.value.field == "price"


def test_unknown_target_names_to() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_fields("done", None, None, None)
    assert caught.value.field == "to"


def test_note_rules() -> None:
    assert parse_fields(S.APPROVED, None, None, "x" * 500).note == "x" * 500
    assert parse_fields(S.APPROVED, None, None, "line\nnext ünï").note == "line\nnext ünï"
    for bad in ("x" * 501, "nul\x00", "lone \ud800"):
        with pytest.raises(InvalidInput) as caught:
            parse_fields(S.APPROVED, None, None, bad)
        assert caught.value.field == "note"


def test_at_needs_an_offset() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_fields(S.APPROVED, None, datetime(2026, 11, 28, 1, 0), None)
    assert caught.value.field == "at"


def test_moment_defaults_to_now_and_never_goes_back() -> None:
    s = signal(updated_at=T0)
    assert transition_moment(s, None, T0 + timedelta(minutes=1)) == T0 + timedelta(minutes=1)
    # A clock behind the previous state (another host) still keeps the order.
    assert transition_moment(s, None, T0 - timedelta(seconds=5)) == T0


def test_at_before_the_previous_state_is_refused() -> None:
    s = signal(updated_at=T0)
    assert transition_moment(s, T0, T0 + timedelta(hours=1)) == T0
    with pytest.raises(InvalidInput) as caught:
        transition_moment(s, T0 - timedelta(microseconds=1), T0 + timedelta(hours=1))
    assert caught.value.field == "at"


def test_at_far_in_the_future_is_refused() -> None:
    s = signal()
    now = T0 + timedelta(hours=1)
    assert transition_moment(s, now + timedelta(seconds=300), now) == now + timedelta(seconds=300)
    with pytest.raises(InvalidInput):
        transition_moment(s, now + timedelta(seconds=301), now)


@pytest.mark.parametrize(
    ("side", "fill", "exit_price", "pnl"),
    [
        (Side.BUY, 100.0, 110.0, 10.0),
        (Side.BUY, 100.0, 90.0, -10.0),
        (Side.SELL, 100.0, 90.0, 10.0),
        (Side.SELL, 100.0, 110.0, -10.0),
    ],
)
def test_pnl_per_unit(side: Side, fill: float, exit_price: float, pnl: float) -> None:
    assert pnl_per_unit(side, fill, exit_price) == pnl


def test_execute_then_close_fills_every_field() -> None:
    approved = signal(status=S.APPROVED, revision=2, side=Side.SELL)
    t1, t2 = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    executed = moved(approved, parse_fields(S.EXECUTED, 200.0, None, None), t1)
    assert (executed.status, executed.revision) == (S.EXECUTED, 3)
    assert (executed.executed_price, executed.executed_at, executed.updated_at) == (200.0, t1, t1)
    assert executed.closed_price is executed.pnl is executed.return_ratio is None
    closed = moved(executed, parse_fields(S.CLOSED, 150.0, None, None), t2)
    assert (closed.status, closed.revision) == (S.CLOSED, 4)
    assert (closed.closed_price, closed.closed_at) == (150.0, t2)
    assert closed.pnl == 50.0 and closed.return_ratio == 0.25
    assert (closed.executed_price, closed.executed_at) == (200.0, t1)


def test_approval_changes_status_revision_and_time_only() -> None:
    s = signal()
    t1 = T0 + timedelta(minutes=1)
    after = moved(s, parse_fields(S.APPROVED, None, None, None), t1)
    assert after == replace(s, status=S.APPROVED, revision=2, updated_at=t1)
