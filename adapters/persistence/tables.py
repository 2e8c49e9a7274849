"""Piccolo tables. They are bound to an engine at start-up by `bind_tables`, never on import.

The schema itself is owned by `migrations/`; these classes only describe it for queries.
"""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    BigInt,
    Boolean,
    DoublePrecision,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table


class UserTable(Table, tablename="app_user"):
    id = UUID(primary_key=True)
    name = Varchar(length=200)
    created_at = Timestamptz()


class ApiTokenTable(Table, tablename="api_token"):
    id = UUID(primary_key=True)
    user_id = UUID()
    token_hash = Varchar(
        length=64, unique=True
    )  # sha256 hex of the token; the token is never stored
    created_at = Timestamptz()
    revoked_at = Timestamptz(null=True, default=None)


class ProducerTable(Table, tablename="producer"):
    id = Varchar(length=64, primary_key=True)
    user_id = UUID()
    enabled = Boolean(default=True)
    dedup_window_seconds = Integer()
    # HMAC needs the key itself, so secrets cannot be stored hashed (docs/decisions.md).
    secret = Varchar(length=128)
    previous_secret = Varchar(length=128, null=True, default=None)
    previous_secret_valid_until = Timestamptz(null=True, default=None)
    created_at = Timestamptz()
    # SPEC §11 (migration 0004): sha256 hex of the TradingView URL token, and the CIDRs that
    # may use it, space-separated in canonical form ('' = any address).
    tradingview_token_hash = Varchar(length=64, null=True, default=None, unique=True)
    allowed_cidrs = Text(default="")


class SignalTable(Table, tablename="signal"):
    id = UUID(primary_key=True)
    user_id = UUID()
    producer_id = Varchar(length=64)
    instrument = Varchar(length=32)
    side = Varchar(length=4)
    price = DoublePrecision()
    time = Timestamptz()
    version = Varchar(length=32)
    external_id = Varchar(length=128, null=True, default=None)
    status = Varchar(length=16, default="new")
    payload = JSON()
    created_at = Timestamptz()
    updated_at = Timestamptz()
    revision = Integer(default=1)
    executed_price = DoublePrecision(null=True, default=None)
    executed_at = Timestamptz(null=True, default=None)
    closed_price = DoublePrecision(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    pnl = DoublePrecision(null=True, default=None)
    return_ratio = DoublePrecision(null=True, default=None)


class SignalEventTable(Table, tablename="signal_event"):
    """The audit trail: `id` is the per-user event id (null until numbered, PostgreSQL only),
    `seq` the insertion order (docs/lifecycle.md)."""

    seq = BigInt(primary_key=True)
    user_id = UUID()
    id = BigInt(null=True, default=None)
    signal_id = UUID()
    type = Varchar(length=32)
    at = Timestamptz()
    actor = Varchar(length=80)
    from_status = Varchar(length=16, null=True, default=None)
    to_status = Varchar(length=16)
    note = Text(null=True, default=None)


class MediaLinkKeyTable(Table, tablename="media_link_key"):
    """Keys that sign share links (SPEC §12, migration 0006): the highest generation signs;
    `valid_until` null for it, the end of the rotation grace for older ones."""

    generation = Integer(primary_key=True)
    secret = Varchar(length=128)
    created_at = Timestamptz()
    valid_until = Timestamptz(null=True, default=None)


ALL_TABLES: tuple[type[Table], ...] = (
    UserTable,
    ApiTokenTable,
    ProducerTable,
    SignalTable,
    SignalEventTable,
    MediaLinkKeyTable,
)
