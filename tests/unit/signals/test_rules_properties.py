"""Property: any JSON document either parses or raises InvalidInput (never anything else)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InvalidInput
from domain.signals import parse_signal_fields

RECEIVED = datetime(2026, 11, 28, 1, 0, 0, tzinfo=UTC)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
fields = st.fixed_dictionaries(
    {},
    optional={
        "instrument": st.one_of(
            st.from_regex(r"[A-Za-z0-9._/-]{1,34}", fullmatch=True), json_values
        ),
        "side": st.one_of(st.sampled_from(["buy", "sell", "BUY"]), json_values),
        "price": st.one_of(st.floats(), st.integers(), json_values),
        "time": st.one_of(
            st.from_regex(
                r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})",
                fullmatch=True,
            ),
            json_values,
        ),
        "version": json_values,
        "external_id": json_values,
        "payload": json_values,
    },
)


@settings(max_examples=400, deadline=None)
@given(document=st.one_of(fields, json_values, st.dictionaries(st.text(), json_values)))
def test_parse_raises_only_invalid_input(document: Any) -> None:
    try:
        parsed = parse_signal_fields(document, RECEIVED)
    except InvalidInput as error:
        assert isinstance(error.field, str)  # an unknown field may be named ""
        return
    assert parsed.time.tzinfo is UTC
    assert 2 <= len(parsed.instrument) <= 32 and parsed.instrument == parsed.instrument.upper()
    assert parsed.price > 0
