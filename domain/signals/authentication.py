"""Producer authentication: HMAC-SHA256 over "{X-Timestamp}." + raw body (SPEC §3)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence

from domain.errors import Unauthenticated

# One detail for every failure, so a caller cannot tell an unknown producer from a bad signature.
UNAUTHENTICATED_DETAIL = "invalid or missing producer credentials"

# Unix seconds as sent: an optional sign and up to 15 digits (no float, no whitespace).
TIMESTAMP_PATTERN = re.compile(r"-?[0-9]{1,15}")
# Verified against when the producer is unknown, so that path costs the same as a real check.
_DECOY_SECRET = b"signalhub-decoy-secret-never-valid"


def signature_for(secret: str, timestamp: str, body: bytes) -> str:
    """Lowercase hex HMAC-SHA256 of `"{timestamp}." + body` under `secret`."""
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def unauthenticated() -> Unauthenticated:
    return Unauthenticated(UNAUTHENTICATED_DETAIL)


def verify_signature(
    *,
    secrets: Sequence[str],
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now_unix: float,
    tolerance_seconds: int,
) -> None:
    """Raise Unauthenticated unless `signature` is valid under one of `secrets` and fresh."""
    if timestamp is None or signature is None or not TIMESTAMP_PATTERN.fullmatch(timestamp):
        raise unauthenticated()
    given = signature.encode("utf-8", "replace")
    message = timestamp.encode("ascii") + b"." + body
    matched = False
    for secret in secrets or (_DECOY_SECRET.decode(),):
        expected = hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()
        # No early exit: every active secret is checked, in constant time each.
        matched |= hmac.compare_digest(expected.encode("ascii"), given)
    if not secrets or not matched:
        raise unauthenticated()
    if abs(now_unix - int(timestamp)) > tolerance_seconds:
        raise unauthenticated()
