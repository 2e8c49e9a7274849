"""The signal wire struct documents the domain's rules: its OpenAPI schema carries the same
pattern and lengths as domain/signals/rules.py."""

from __future__ import annotations

import re

import pytest

from domain.errors import InvalidInput
from domain.signals.rules import (
    EXTERNAL_ID_MAX_LENGTH,
    INSTRUMENT_MAX_LENGTH,
    INSTRUMENT_MIN_LENGTH,
    INSTRUMENT_PATTERN,
    VERSION_MAX_LENGTH,
    normalise_instrument,
)
from entrypoints.http.wire.openapi import struct_schema
from entrypoints.http.wire.signals import SignalIn


def test_the_schema_is_built_from_the_domain_rules() -> None:
    schema = struct_schema(SignalIn).to_schema()
    properties = schema["properties"]
    instrument = properties["instrument"]
    assert instrument["pattern"] == INSTRUMENT_PATTERN
    assert (instrument["minLength"], instrument["maxLength"]) == (
        INSTRUMENT_MIN_LENGTH,
        INSTRUMENT_MAX_LENGTH,
    )
    version, null = properties["version"]["anyOf"]  # null means the default version
    assert version["maxLength"] == VERSION_MAX_LENGTH
    assert null == {"type": "null"}
    assert properties["external_id"]["anyOf"][0]["maxLength"] == EXTERNAL_ID_MAX_LENGTH
    assert properties["price"]["exclusiveMinimum"] == 0
    assert sorted(properties["side"]["enum"]) == ["buy", "sell"]
    assert sorted(schema["required"]) == ["instrument", "price", "side"]
    assert schema["additionalProperties"] is False


def test_the_pattern_and_the_domain_agree() -> None:
    for value in ("XAUUSD", "ab", "BTC-USD/x.y_z", "x" * INSTRUMENT_MAX_LENGTH):
        assert re.search(INSTRUMENT_PATTERN, value)
        assert normalise_instrument(value) == value.upper()
    for value in ("x", "x" * (INSTRUMENT_MAX_LENGTH + 1), "XAU USD", "XAU*"):
        assert not re.search(INSTRUMENT_PATTERN, value)
        with pytest.raises(InvalidInput):
            normalise_instrument(value)
