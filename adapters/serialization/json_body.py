"""The `JsonDecoder` port (domain/signals/ports.py) on msgspec, for signed request bodies."""

from __future__ import annotations

import json

import msgspec

_msgspec_decode = msgspec.json.Decoder().decode


def decode_json_body(raw: bytes) -> object:
    """msgspec on the hot path; the stdlib for what msgspec refuses but JSON allows (1e400),
    so that such a price is reported as a bad `price`, not as bad JSON."""
    try:
        return _msgspec_decode(raw)
    except RecursionError:
        raise ValueError("invalid JSON: nested too deeply") from None
    except msgspec.DecodeError:
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise ValueError("invalid JSON") from None
