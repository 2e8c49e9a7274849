"""The ways a signal comes in (SPEC §3, §11): a bounded label for metrics and logs."""

from __future__ import annotations

import enum


class SignalSource(enum.StrEnum):
    HMAC = "hmac"  # X-Producer-Id / X-Timestamp / X-Signature (§3)
    STANDARD_WEBHOOKS = "standard_webhooks"  # webhook-id / -timestamp / -signature (§11)
    TRADINGVIEW = "tradingview"  # URL token (§11)


def signed_source(x_signature: str | None, webhook_signature: str | None) -> SignalSource:
    """Which scheme a signed request uses: Standard Webhooks when it carries
    `webhook-signature` and no `X-Signature`, else §3 (whose missing headers are a 401)."""
    if x_signature is None and webhook_signature is not None:
        return _STANDARD_WEBHOOKS
    return _HMAC


# Plain module globals: reading a member through the enum class costs ~150 ns (hot path).
_HMAC = SignalSource.HMAC
_STANDARD_WEBHOOKS = SignalSource.STANDARD_WEBHOOKS
