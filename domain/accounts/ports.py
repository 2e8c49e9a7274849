"""Ports the account use cases need. Adapters implement them; fakes in tests too."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.accounts.model import ApiToken, Producer, User


class UserRepository(Protocol):
    async def add(self, user: User) -> None: ...

    async def get(self, user_id: UUID) -> User | None: ...


class TokenRepository(Protocol):
    async def add(self, token: ApiToken) -> None: ...

    async def find_by_hash(self, token_hash: str) -> ApiToken | None: ...

    async def revoke(self, token_hash: str, at: datetime) -> bool:
        """Mark the token revoked; False when no such (unrevoked) token exists."""
        ...


class ProducerRepository(Protocol):
    async def add(self, producer: Producer) -> None:
        """Store a new producer; raise AlreadyExists when the id is taken."""
        ...

    async def get(self, producer_id: str) -> Producer | None: ...

    async def save(self, producer: Producer) -> None: ...

    async def list(self) -> list[Producer]: ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class SecretGenerator(Protocol):
    def new_token(self) -> str: ...

    def new_secret(self) -> str: ...

    def new_url_token(self) -> str:
        """A token that is safe in a URL path segment (TradingView URL, SPEC §11)."""
        ...
