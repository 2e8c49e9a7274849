"""Producer lookup for ingestion: one indexed read per signal, kept off Piccolo's query builder."""

from __future__ import annotations

from adapters.persistence.account_repositories import producer_from_row
from adapters.persistence.engine import Database
from adapters.persistence.tables import ProducerTable
from domain.accounts.model import Producer

_PG_COLUMNS = (
    "SELECT id, user_id, enabled, dedup_window_seconds, secret, previous_secret, "
    "previous_secret_valid_until, created_at, tradingview_token_hash, allowed_cidrs "
    "FROM producer WHERE "
)
_PG_PRODUCER = _PG_COLUMNS + "id = $1"
_PG_PRODUCER_BY_TRADINGVIEW_TOKEN = _PG_COLUMNS + "tradingview_token_hash = $1"


class PiccoloProducerDirectory:
    """Reads the producer row on every request (no cache: disable and rotate act at once)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, producer_id: str) -> Producer | None:
        if self._db.dialect == "postgres":
            row = await self._db.pool.fetchrow(_PG_PRODUCER, producer_id)
        else:
            row = await ProducerTable.select().where(ProducerTable.id == producer_id).first()
        return producer_from_row(row) if row is not None else None

    async def get_by_tradingview_token(self, token_hash: str) -> Producer | None:
        """By the unique index on the hash; the caller compares it again in constant time."""
        if self._db.dialect == "postgres":
            row = await self._db.pool.fetchrow(_PG_PRODUCER_BY_TRADINGVIEW_TOKEN, token_hash)
        else:
            row = (
                await ProducerTable.select()
                .where(ProducerTable.tradingview_token_hash == token_hash)
                .first()
            )
        return producer_from_row(row) if row is not None else None
