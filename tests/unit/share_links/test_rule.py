"""The share-link rule of SPEC §12: what verifies, what is 403, what is 410."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from domain.errors import Forbidden, Gone
from domain.share_links import public_max_age, sign, verify

KEY = "ab" * 32
OTHER = "cd" * 32
SECRET, OLD = b"s" * 64, b"o" * 64
NOW = 1_800_000_000


def test_the_signature_is_hmac_sha256_over_key_and_exp_in_base64url() -> None:
    link = sign(SECRET, KEY, NOW + 60)
    mac = hmac.new(SECRET, f"signalhub-share-link\0{KEY}\0{NOW + 60}".encode(), hashlib.sha256)
    assert link.sig == base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()
    assert len(link.sig) == 43
    assert verify([SECRET], KEY, str(NOW + 60), link.sig, NOW) == NOW + 60


def test_any_key_still_valid_verifies_during_a_rotation() -> None:
    link = sign(OLD, KEY, NOW + 60)
    assert verify([SECRET, OLD], KEY, str(NOW + 60), link.sig, NOW) == NOW + 60
    with pytest.raises(Forbidden):
        verify([SECRET], KEY, str(NOW + 60), link.sig, NOW)
    with pytest.raises(Forbidden):
        verify([], KEY, str(NOW + 60), link.sig, NOW)


@pytest.mark.parametrize(
    ("key", "exp", "sig"),
    [
        (KEY, None, "sig"),
        (KEY, "exp", None),
        (OTHER, "exp", "sig"),
        (KEY.upper(), "exp", "sig"),
        (KEY, "exp+1", "sig"),
        (KEY, "exp-1", "sig"),
        (KEY, "0exp", "sig"),
        (KEY, " exp", "sig"),
        (KEY, "exp", "sig="),
        (KEY, "exp", "sig[:-1]"),
        (KEY, "exp", "sig+A"),
        (KEY, "exp", "sibling"),
        (KEY, "exp", "é" * 43),
        (KEY + "\x00", "exp", "sig"),
    ],
)
def test_anything_but_the_signed_text_is_forbidden(
    key: str, exp: str | None, sig: str | None
) -> None:
    link = sign(SECRET, KEY, NOW + 60)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    sibling = link.sig[:-1] + alphabet[alphabet.index(link.sig[-1]) ^ 1]
    exps = {"exp": str(link.exp), "exp+1": str(link.exp + 1), "exp-1": str(link.exp - 1)}
    exps |= {"0exp": "0" + str(link.exp), " exp": " " + str(link.exp)}
    sigs = {"sig": link.sig, "sig=": link.sig + "=", "sig[:-1]": link.sig[:-1]}
    sigs |= {"sig+A": link.sig + "A", "sibling": sibling}
    given_exp = None if exp is None else exps[exp]
    given_sig = None if sig is None else sigs.get(sig, sig)
    with pytest.raises(Forbidden):
        verify([SECRET], key, given_exp, given_sig, NOW)


def test_expired_only_once_the_signature_holds() -> None:
    link = sign(SECRET, KEY, NOW)
    with pytest.raises(Gone):
        verify([SECRET], KEY, str(NOW), link.sig, NOW)  # exp is the first moment it is dead
    assert verify([SECRET], KEY, str(NOW), link.sig, NOW - 1) == NOW
    with pytest.raises(Forbidden):  # a forged signature on an expired link is still a forgery
        verify([SECRET], KEY, str(NOW), "A" * 43, NOW + 10)


def test_public_max_age_is_what_is_left_of_the_link_and_the_chart_at_most_the_ttl() -> None:
    assert public_max_age(NOW + 60, NOW, NOW + 86_000, 86_400) == 60
    assert public_max_age(NOW + 10**6, NOW, NOW + 500.5, 86_400) == 500
    assert public_max_age(NOW + 10**6, NOW, NOW + 10**6, 86_400) == 86_400
    assert public_max_age(NOW + 60, NOW, NOW - 5, 86_400) == 0
