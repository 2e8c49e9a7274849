"""Producers: the TradingView URL token (hashed) and the CIDRs allowed to use it (SPEC §11).

`tradingview_token_hash` is the sha256 hex of the token, NULL when none was issued; a unique
index makes the lookup by hash one index probe (NULLs do not collide on either engine).
`allowed_cidrs` is the canonical CIDR list, space-separated; '' allows any address.
"""

from __future__ import annotations

ID = "0004_producer_tradingview_and_allowed_cidrs"


def forwards(engine: str) -> list[str]:
    return [
        'ALTER TABLE "producer" ADD COLUMN "tradingview_token_hash" VARCHAR(64) NULL',
        """ALTER TABLE "producer" ADD COLUMN "allowed_cidrs" TEXT NOT NULL DEFAULT ''""",
        'CREATE UNIQUE INDEX "producer_tradingview_token_hash" '
        'ON "producer" ("tradingview_token_hash")',
    ]


def backwards(engine: str) -> list[str]:
    # SQLite (3.35+) drops a column only once no index uses it: the index goes first.
    return [
        'DROP INDEX "producer_tradingview_token_hash"',
        'ALTER TABLE "producer" DROP COLUMN "allowed_cidrs"',
        'ALTER TABLE "producer" DROP COLUMN "tradingview_token_hash"',
    ]
