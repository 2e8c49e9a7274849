"""Standard Webhooks signing (standardwebhooks.com, spec v1), as a pure verifier (SPEC §11).

Signed content is `"{webhook-id}.{webhook-timestamp}." + raw body`; `webhook-signature` is a
space-separated list of `v1,<base64 HMAC-SHA256>` entries, one matching entry is enough. The
key is the producer secret's bytes: the UTF-8 encoding of the secret exactly as issued (the
same bytes §3 HMAC uses), so one secret serves both schemes. A `whsec_` secret is those bytes
in base64, which is what `standardwebhooks.Webhook(...)` and `svix.Webhook(...)` decode.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Sequence

from domain.signals.authentication import TIMESTAMP_PATTERN, unauthenticated

WHSEC_PREFIX = "whsec_"
WEBHOOK_ID_MAX_LENGTH = 128
SIGNATURE_VERSION = "v1"
# Verified against when the producer is unknown, so that path costs the same as a real check.
_DECOY_KEY = b"signalhub-decoy-standard-webhooks-key"


def standard_webhooks_key(secret: str) -> bytes:
    """The HMAC key of a producer secret: its bytes as issued."""
    return secret.encode("utf-8")


def standard_webhooks_secret(secret: str) -> str:
    """The producer secret in Standard Webhooks form, `whsec_` + base64 of the key."""
    return WHSEC_PREFIX + base64.b64encode(standard_webhooks_key(secret)).decode("ascii")


def standard_webhooks_signature(secret: str, webhook_id: str, timestamp: str, body: bytes) -> str:
    """One `v1,<base64>` entry for `webhook-signature` (the senders' side; used in tests/docs)."""
    digest = _digest(standard_webhooks_key(secret), webhook_id, timestamp, body)
    return SIGNATURE_VERSION + "," + base64.b64encode(digest).decode("ascii")


def valid_webhook_id(webhook_id: str | None) -> bool:
    """1-128 printable characters (it may become the signal's external_id)."""
    return (
        webhook_id is not None
        and 1 <= len(webhook_id) <= WEBHOOK_ID_MAX_LENGTH
        and webhook_id.isprintable()
    )


def verify_standard_webhook(
    *,
    secrets: Sequence[str],
    webhook_id: str | None,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now_unix: float,
    tolerance_seconds: int,
) -> None:
    """Raise Unauthenticated unless one `v1` entry of `signature` matches one of `secrets`,
    `webhook_id` is 1-128 printable characters and `timestamp` is within the tolerance."""
    if (
        signature is None
        or timestamp is None
        or not TIMESTAMP_PATTERN.fullmatch(timestamp)
        or webhook_id is None
        or not valid_webhook_id(webhook_id)
    ):
        raise unauthenticated()
    given = _v1_signatures(signature)
    keys = [standard_webhooks_key(s) for s in secrets] or [_DECOY_KEY]
    matched = False
    for key in keys:
        expected = _digest(key, webhook_id, timestamp, body)
        for candidate in given:
            # No early exit: every entry is compared with every active key, in constant time.
            matched |= hmac.compare_digest(expected, candidate)
    if not secrets or not matched:
        raise unauthenticated()
    if abs(now_unix - int(timestamp)) > tolerance_seconds:
        raise unauthenticated()


def _digest(key: bytes, webhook_id: str, timestamp: str, body: bytes) -> bytes:
    message = webhook_id.encode("utf-8") + b"." + timestamp.encode("ascii") + b"." + body
    return hmac.new(key, message, hashlib.sha256).digest()


def _v1_signatures(header: str) -> list[bytes]:
    """The decoded `v1` entries; `v1a` (ed25519), unknown versions and bad base64 are skipped."""
    found: list[bytes] = []
    for entry in header.split():
        version, comma, encoded = entry.partition(",")
        if version != SIGNATURE_VERSION or not comma:
            continue
        try:
            found.append(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            continue
    return found
