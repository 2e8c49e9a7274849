"""How producers prove who they are, beyond §3 HMAC (SPEC §11): Standard Webhooks signatures,
TradingView URL tokens, allowed-address lists. Pure verifiers; every failure is the same
Unauthenticated as §3 (domain.signals.authentication)."""

from domain.producer_auth.networks import (
    Address,
    Network,
    address_allowed,
    client_address,
    normalise_cidrs,
    parse_address,
    parse_cidr_setting,
    parse_networks,
)
from domain.producer_auth.sources import SignalSource, signed_source
from domain.producer_auth.standard_webhooks import (
    WEBHOOK_ID_MAX_LENGTH,
    standard_webhooks_secret,
    standard_webhooks_signature,
    valid_webhook_id,
    verify_standard_webhook,
)
from domain.producer_auth.url_tokens import (
    hash_url_token,
    plausible_url_token,
    url_token_matches,
)

__all__ = [
    "WEBHOOK_ID_MAX_LENGTH",
    "Address",
    "Network",
    "SignalSource",
    "address_allowed",
    "client_address",
    "hash_url_token",
    "normalise_cidrs",
    "parse_address",
    "parse_cidr_setting",
    "parse_networks",
    "plausible_url_token",
    "signed_source",
    "standard_webhooks_secret",
    "standard_webhooks_signature",
    "url_token_matches",
    "valid_webhook_id",
    "verify_standard_webhook",
]
