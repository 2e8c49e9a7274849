"""In-memory fakes of the account ports, held to the same contract tests as the real ones."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from domain.accounts.model import ApiToken, Producer, User
from domain.errors import AlreadyExists


class FakeUserRepository:
    def __init__(self) -> None:
        self.users: dict[UUID, User] = {}

    async def add(self, user: User) -> None:
        self.users[user.id] = user

    async def get(self, user_id: UUID) -> User | None:
        return self.users.get(user_id)


class FakeTokenRepository:
    def __init__(self) -> None:
        self.tokens: dict[str, ApiToken] = {}

    async def add(self, token: ApiToken) -> None:
        self.tokens[token.token_hash] = token

    async def find_by_hash(self, token_hash: str) -> ApiToken | None:
        return self.tokens.get(token_hash)

    async def revoke(self, token_hash: str, at: datetime) -> bool:
        token = self.tokens.get(token_hash)
        if token is None or token.revoked_at is not None:
            return False
        self.tokens[token_hash] = replace(token, revoked_at=at)
        return True


class FakeProducerRepository:
    def __init__(self) -> None:
        self.producers: dict[str, Producer] = {}

    async def add(self, producer: Producer) -> None:
        if producer.id in self.producers:
            raise AlreadyExists(f"producer {producer.id} already exists", producer.id)
        self.producers[producer.id] = producer

    async def get(self, producer_id: str) -> Producer | None:
        return self.producers.get(producer_id)

    async def save(self, producer: Producer) -> None:
        self.producers[producer.id] = producer

    async def list(self) -> list[Producer]:
        return [self.producers[k] for k in sorted(self.producers)]


class CountingSecrets:
    """Predictable, distinct tokens and secrets."""

    def __init__(self) -> None:
        self._n = itertools.count(1)

    def new_token(self) -> str:
        return f"token-{next(self._n)}"

    def new_secret(self) -> str:
        return f"secret-{next(self._n)}"

    def new_url_token(self) -> str:
        return f"tv-token-{next(self._n)}"
