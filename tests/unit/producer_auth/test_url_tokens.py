"""TradingView URL tokens: stored as SHA-256, matched in constant time (SPEC §11)."""

from __future__ import annotations

import hashlib

from domain.producer_auth import hash_url_token, plausible_url_token, url_token_matches


def test_hash_is_sha256_hex() -> None:
    assert hash_url_token("tv_abc") == hashlib.sha256(b"tv_abc").hexdigest()


def test_matches_only_its_own_hash() -> None:
    stored = hash_url_token("tv_abc")
    assert url_token_matches(stored, "tv_abc")
    assert not url_token_matches(stored, "tv_abd")
    assert not url_token_matches(None, "tv_abc")
    assert not url_token_matches(stored, "")


def test_plausible_tokens() -> None:
    assert plausible_url_token("tv_" + "a" * 43)
    for bad in (None, "", "a" * 257, "tab\there", "nl\n"):
        assert not plausible_url_token(bad)
