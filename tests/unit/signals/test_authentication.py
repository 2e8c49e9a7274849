"""HMAC verification (SPEC §3): every failure is the same Unauthenticated."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from domain.errors import Unauthenticated
from domain.signals import UNAUTHENTICATED_DETAIL, signature_for, verify_signature

NOW = 1_764_291_600
BODY = b'{"instrument":"XAUUSD","side":"buy","price":1}'


def check(**changes: Any) -> None:
    args: dict[str, Any] = {
        "secrets": ("s3cret",),
        "timestamp": str(NOW),
        "signature": signature_for("s3cret", str(NOW), BODY),
        "body": BODY,
        "now_unix": float(NOW),
        "tolerance_seconds": 300,
    }
    args.update(changes)
    verify_signature(**args)


def test_signature_is_hmac_sha256_hex_over_timestamp_dot_body() -> None:
    expected = hmac.new(b"k", b"123." + BODY, hashlib.sha256).hexdigest()
    assert signature_for("k", "123", BODY) == expected


def test_valid_signature_passes() -> None:
    check()


def test_any_active_secret_passes() -> None:
    check(secrets=("new", "s3cret"))
    check(secrets=("s3cret", "old"))


@pytest.mark.parametrize("skew", [-300, 300, 0])
def test_timestamp_within_tolerance_both_ways(skew: int) -> None:
    ts = str(NOW + skew)
    check(timestamp=ts, signature=signature_for("s3cret", ts, BODY))


@pytest.mark.parametrize(
    "changes",
    [
        {"secrets": ("other",)},
        {"secrets": ()},
        {"signature": None},
        {"timestamp": None},
        {"signature": ""},
        {"signature": signature_for("s3cret", str(NOW), BODY).upper()},
        {"signature": signature_for("s3cret", str(NOW), BODY + b" ")},
        {"signature": "zz\u00e9"},
        {"body": BODY + b" "},
        {"timestamp": str(NOW + 1)},
        {"timestamp": "abc"},
        {"timestamp": "1.5"},
        {"timestamp": ""},
    ],
)
def test_failures_are_all_the_same(changes: dict[str, Any]) -> None:
    with pytest.raises(Unauthenticated) as caught:
        check(**changes)
    assert caught.value.detail == UNAUTHENTICATED_DETAIL


@pytest.mark.parametrize("skew", [-301, 301, -86400])
def test_stale_or_future_timestamp_fails(skew: int) -> None:
    ts = str(NOW + skew)
    with pytest.raises(Unauthenticated) as caught:
        check(timestamp=ts, signature=signature_for("s3cret", ts, BODY))
    assert caught.value.detail == UNAUTHENTICATED_DETAIL
