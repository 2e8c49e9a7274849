"""The msgspec JSON body decoder: every failure is a ValueError (-> 400)."""

from __future__ import annotations

import math

import pytest

from adapters.serialization.json_body import decode_json_body


def test_decodes_json() -> None:
    assert decode_json_body(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}


def test_out_of_range_numbers_reach_the_field_rules() -> None:
    decoded = decode_json_body(b'{"price": 1e999}')
    assert isinstance(decoded, dict) and math.isinf(decoded["price"])


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"not json", b"\xff\xfe", b'{"a":' * 5000 + b"1" + b"}" * 5000, b"[" * 100000],
)
def test_malformed_or_too_deep_is_a_value_error(raw: bytes) -> None:
    with pytest.raises(ValueError):
        decode_json_body(raw)
