"""URL tokens: the credential of senders that can set neither headers nor a signature
(TradingView alerts, SPEC §11). Shown once, stored as SHA-256, matched in constant time."""

from __future__ import annotations

import hashlib
import hmac

# Issued tokens are far shorter; this only bounds the work spent on a hostile path segment.
URL_TOKEN_MAX_LENGTH = 256


def hash_url_token(token: str) -> str:
    """Tokens carry 256 random bits, so a plain SHA-256 is a sufficient one-way hash."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def plausible_url_token(token: str | None) -> bool:
    """Worth a lookup: non-empty, bounded and printable (anything else cannot have been issued)."""
    return token is not None and 1 <= len(token) <= URL_TOKEN_MAX_LENGTH and token.isprintable()


def url_token_matches(stored_hash: str | None, token: str) -> bool:
    """Constant-time check of `token` against the stored hash (None: no token issued)."""
    if stored_hash is None:
        return False
    return hmac.compare_digest(stored_hash.encode("ascii"), hash_url_token(token).encode("ascii"))
