"""One contract for the account repositories, run on the fakes, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from adapters.persistence.account_repositories import (
    PiccoloProducerRepository,
    PiccoloTokenRepository,
    PiccoloUserRepository,
)
from domain.accounts.model import ApiToken, Producer, User
from domain.errors import AlreadyExists
from tests.fakes.accounts import FakeProducerRepository, FakeTokenRepository, FakeUserRepository
from tests.support.databases import ENGINES, migrated_engine

NOW = datetime(2026, 11, 28, 1, 0, 0, tzinfo=UTC)


@dataclass
class Repos:
    users: Any
    tokens: Any
    producers: Any


@pytest.fixture(params=["fake", *ENGINES])
async def repos(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Repos]:
    if request.param == "fake":
        yield Repos(FakeUserRepository(), FakeTokenRepository(), FakeProducerRepository())
        return
    async with migrated_engine(request.param, tmp_path):
        yield Repos(PiccoloUserRepository(), PiccoloTokenRepository(), PiccoloProducerRepository())


async def _user(repos: Repos, name: str = "alice") -> User:
    user = User(uuid4(), name, NOW)
    await repos.users.add(user)
    return user


async def test_user_round_trip(repos: Repos) -> None:
    user = await _user(repos)
    assert await repos.users.get(user.id) == user
    assert await repos.users.get(uuid4()) is None


async def test_token_found_by_hash_and_revoked_once(repos: Repos) -> None:
    user = await _user(repos)
    token = ApiToken(uuid4(), user.id, "a" * 64, NOW)
    await repos.tokens.add(token)
    assert await repos.tokens.find_by_hash("a" * 64) == token
    assert await repos.tokens.find_by_hash("b" * 64) is None
    assert await repos.tokens.revoke("a" * 64, NOW + timedelta(seconds=5)) is True
    found = await repos.tokens.find_by_hash("a" * 64)
    assert found is not None and found.revoked_at == NOW + timedelta(seconds=5)
    assert await repos.tokens.revoke("a" * 64, NOW) is False
    assert await repos.tokens.revoke("c" * 64, NOW) is False


async def test_producer_add_get_save_list(repos: Repos) -> None:
    user = await _user(repos)
    producer = Producer("relay-1", user.id, True, 300, "s1", None, None, NOW)
    await repos.producers.add(producer)
    assert await repos.producers.get("relay-1") == producer
    with pytest.raises(AlreadyExists):
        await repos.producers.add(replace(producer, secret="other"))
    rotated = replace(
        producer,
        secret="s2",
        previous_secret="s1",
        previous_secret_valid_until=NOW + timedelta(days=1),
        enabled=False,
        dedup_window_seconds=0,
    )
    await repos.producers.save(rotated)
    assert await repos.producers.get("relay-1") == rotated
    second = Producer("a-first", user.id, True, 60, "s3", None, None, NOW)
    await repos.producers.add(second)
    assert [p.id for p in await repos.producers.list()] == ["a-first", "relay-1"]
    assert await repos.producers.get("nope") is None
