"""Piccolo repositories for users, API tokens and producers (the admin side)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from piccolo.columns import Column

from adapters.persistence.engine import Database
from adapters.persistence.row_values import as_utc, as_uuid
from adapters.persistence.tables import ApiTokenTable, ProducerTable, UserTable
from domain.accounts.model import ApiToken, Producer, User
from domain.errors import AlreadyExists


class PiccoloUserRepository:
    async def add(self, user: User) -> None:
        await UserTable.insert(UserTable(id=user.id, name=user.name, created_at=user.created_at))

    async def get(self, user_id: UUID) -> User | None:
        row = await UserTable.select().where(UserTable.id == user_id).first()
        if row is None:
            return None
        return User(as_uuid(row["id"]), row["name"], as_utc(row["created_at"]))


# The Bearer token's lookup, on every authenticated request (SQLite's kept read connection).
_SQLITE_FIND_BY_HASH = (
    "SELECT id, user_id, token_hash, created_at, revoked_at FROM api_token WHERE token_hash = ?"
)


class PiccoloTokenRepository:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, token: ApiToken) -> None:
        await ApiTokenTable.insert(
            ApiTokenTable(
                id=token.id,
                user_id=token.user_id,
                token_hash=token.token_hash,
                created_at=token.created_at,
                revoked_at=token.revoked_at,
            )
        )

    async def find_by_hash(self, token_hash: str) -> ApiToken | None:
        if self._db.dialect == "sqlite":
            row = await self._db.read_row(_SQLITE_FIND_BY_HASH, token_hash)
        else:
            row = await ApiTokenTable.select().where(ApiTokenTable.token_hash == token_hash).first()
        if row is None:
            return None
        return ApiToken(
            id=as_uuid(row["id"]),
            user_id=as_uuid(row["user_id"]),
            token_hash=row["token_hash"],
            created_at=as_utc(row["created_at"]),
            revoked_at=as_utc(row["revoked_at"]) if row["revoked_at"] is not None else None,
        )

    async def revoke(self, token_hash: str, at: datetime) -> bool:
        rows = (
            await ApiTokenTable.update({ApiTokenTable.revoked_at: at})
            .where((ApiTokenTable.token_hash == token_hash) & ApiTokenTable.revoked_at.is_null())
            .returning(ApiTokenTable.id)
        )
        return bool(rows)


def producer_from_row(row: dict[str, Any]) -> Producer:
    valid_until = row["previous_secret_valid_until"]
    return Producer(
        id=row["id"],
        user_id=as_uuid(row["user_id"]),
        enabled=bool(row["enabled"]),
        dedup_window_seconds=int(row["dedup_window_seconds"]),
        secret=row["secret"],
        previous_secret=row["previous_secret"],
        previous_secret_valid_until=as_utc(valid_until) if valid_until is not None else None,
        created_at=as_utc(row["created_at"]),
        tradingview_token_hash=row["tradingview_token_hash"],
        allowed_cidrs=tuple(row["allowed_cidrs"].split()),
    )


class PiccoloProducerRepository:
    async def add(self, producer: Producer) -> None:
        if await ProducerTable.exists().where(ProducerTable.id == producer.id):
            raise AlreadyExists(f"producer {producer.id} already exists", producer.id)
        try:
            await ProducerTable.insert(ProducerTable(**_producer_columns(producer)))
        except Exception as exc:  # a concurrent insert of the same id won the race
            if await ProducerTable.exists().where(ProducerTable.id == producer.id):
                raise AlreadyExists(f"producer {producer.id} already exists", producer.id) from exc
            raise

    async def get(self, producer_id: str) -> Producer | None:
        row = await ProducerTable.select().where(ProducerTable.id == producer_id).first()
        return producer_from_row(row) if row is not None else None

    async def save(self, producer: Producer) -> None:
        columns: dict[Column | str, Any] = {
            name: value for name, value in _producer_columns(producer).items() if name != "id"
        }
        await ProducerTable.update(columns).where(ProducerTable.id == producer.id)

    async def list(self) -> list[Producer]:
        rows = await ProducerTable.select().order_by(ProducerTable.id)
        return [producer_from_row(r) for r in rows]


def _producer_columns(p: Producer) -> dict[str, Any]:
    return {
        "id": p.id,
        "user_id": p.user_id,
        "enabled": p.enabled,
        "dedup_window_seconds": p.dedup_window_seconds,
        "secret": p.secret,
        "previous_secret": p.previous_secret,
        "previous_secret_valid_until": p.previous_secret_valid_until,
        "created_at": p.created_at,
        "tradingview_token_hash": p.tradingview_token_hash,
        "allowed_cidrs": " ".join(p.allowed_cidrs),
    }
