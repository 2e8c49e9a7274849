"""Signing and checking share links (SPEC §12), pure: no clock, no storage, no framework.

A link names a media key and an expiry (unix seconds); its signature is
HMAC-SHA256(link key, "signalhub-share-link\\0<media key>\\0<exp>") in base64url without
padding (43 characters). Only the canonical text is ever signed or accepted: `exp` in plain
decimal (no sign, no leading zero, no spaces) and the signature exactly as we encode it, so a
re-encoded signature (padding, `+/`, other trailing bits) or an `exp` written another way is
refused like a forged one. Signatures are compared with hmac.compare_digest, against every
link key still valid (the current one and those in their rotation grace).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from domain.errors import Forbidden, Gone

EXPIRES_IN_MIN: Final = 60
EXPIRES_IN_MAX: Final = 2_592_000  # 30 days
EXPIRES_IN_DEFAULT: Final = 86_400
GRACE_DEFAULT: Final = 86_400  # `media rotate-link-key --grace`
GRACE_MAX: Final = 315_360_000  # ten years: far past any link's life, and a storable time
SIG_PATTERN: Final = "^[A-Za-z0-9_-]{43}$"  # 32 bytes, base64url, no padding
EXP_PATTERN: Final = "^(0|[1-9][0-9]{0,11})$"

_CONTEXT = b"signalhub-share-link\x00"
_EXP = re.compile(EXP_PATTERN)
_SIG = re.compile(SIG_PATTERN)
# The same answer for every way a link can be wrong: nothing to learn from which check failed.
REFUSED: Final = "this link is not valid"


@dataclass(frozen=True, slots=True)
class SignedLink:
    key: str
    exp: int
    sig: str


def _mac(secret: bytes, key: str, exp: int) -> str:
    message = _CONTEXT + key.encode("ascii") + b"\x00" + str(exp).encode("ascii")
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign(secret: bytes, key: str, exp: int) -> SignedLink:
    """`key` is a parsed media key (64 lowercase hex); `exp` unix seconds."""
    return SignedLink(key, exp, _mac(secret, key, exp))


def verify(secrets: Sequence[bytes], key: str, exp: str | None, sig: str | None, now: int) -> int:
    """The link's expiry when one of `secrets` signed exactly (key, exp) and it has not
    expired; Forbidden for anything not signed by us, Gone (after the signature holds)
    when `now` >= exp."""
    if exp is None or sig is None or not _EXP.fullmatch(exp) or not _SIG.fullmatch(sig):
        raise Forbidden(REFUSED)
    if not key.isascii() or "\x00" in key:
        raise Forbidden(REFUSED)
    expiry = int(exp)
    given = sig.encode("ascii")
    matched = False
    for secret in secrets:  # every one is tried: the time taken does not say which matched
        matched |= hmac.compare_digest(_mac(secret, key, expiry).encode("ascii"), given)
    if not matched:
        raise Forbidden(REFUSED)
    if now >= expiry:
        raise Gone("this link has expired")
    return expiry


def public_max_age(exp: int, now: int, media_expires_at: float, ttl: int) -> int:
    """Seconds a shared cache may keep the answer: until the link or the cached chart ends,
    never more than the cache TTL."""
    return max(0, min(exp - now, int(media_expires_at - now), ttl))
