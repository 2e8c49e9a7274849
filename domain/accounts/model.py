"""Users, their API tokens, and the producers that post signals on their behalf (SPEC §2)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import InvalidInput

PRODUCER_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
MAX_DEDUP_WINDOW_SECONDS = 3600


@dataclass(frozen=True, slots=True)
class User:
    id: UUID
    name: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: UUID
    user_id: UUID
    token_hash: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Producer:
    id: str
    user_id: UUID
    enabled: bool
    dedup_window_seconds: int
    secret: str
    previous_secret: str | None
    previous_secret_valid_until: datetime | None
    created_at: datetime
    # SHA-256 of the TradingView URL token (SPEC §11); None when none was issued.
    tradingview_token_hash: str | None = None
    # Canonical CIDRs that may use the URL token; empty = any address.
    allowed_cidrs: tuple[str, ...] = ()

    def active_secrets(self, now: datetime) -> tuple[str, ...]:
        """The current secret, plus the previous one while its rotation grace lasts."""
        if (
            self.previous_secret is not None
            and self.previous_secret_valid_until is not None
            and now < self.previous_secret_valid_until
        ):
            return (self.secret, self.previous_secret)
        return (self.secret,)


def validate_user_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput("name", "must be 1-200 characters")
    return name


def validate_producer_id(producer_id: str) -> str:
    if not PRODUCER_ID_PATTERN.match(producer_id):
        raise InvalidInput("producer_id", "must be 1-64 of A-Za-z0-9._-")
    return producer_id


def validate_dedup_window(seconds: int) -> int:
    if not 0 <= seconds <= MAX_DEDUP_WINDOW_SECONDS:
        raise InvalidInput("dedup_window_seconds", f"must be 0 (off) to {MAX_DEDUP_WINDOW_SECONDS}")
    return seconds
