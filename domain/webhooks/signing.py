"""Standard Webhooks signing, the sender's side (standardwebhooks.com spec v1).

A secret is `whsec_` + base64 of its key (24 random bytes); the signature of a delivery is
`v1,` + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}." + body)), one entry per
secret that signs, space-separated: what `standardwebhooks.Webhook(secret).verify` accepts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence

WHSEC_PREFIX = "whsec_"
SECRET_KEY_BYTES = 24


def secret_from_key(key: bytes) -> str:
    return WHSEC_PREFIX + base64.b64encode(key).decode("ascii")


def key_of(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(WHSEC_PREFIX))


def signature_header(secrets: Sequence[str], webhook_id: str, timestamp: int, body: bytes) -> str:
    message = f"{webhook_id}.{timestamp}.".encode() + body
    entries = (
        "v1," + base64.b64encode(hmac.new(key_of(s), message, hashlib.sha256).digest()).decode()
        for s in secrets
    )
    return " ".join(entries)
