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
from adapters.persistence.producer_directory import PiccoloProducerDirectory
from domain.accounts.model import ApiToken, Producer, User
from domain.errors import AlreadyExists
from tests.fakes.accounts import FakeProducerRepository, FakeTokenRepository, FakeUserRepository
from tests.fakes.signals import FakeProducerDirectory
from tests.support.databases import ENGINES, migrated_engine

NOW = datetime(2026, 11, 28, 1, 0, 0, tzinfo=UTC)


@dataclass
class Repos:
    users: Any
    tokens: Any
    producers: Any
    directory: Any  # the ingestion side's read of the same producers (ProducerDirectory)


@pytest.fixture(params=["fake", *ENGINES])
async def repos(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Repos]:
    if request.param == "fake":
        producers = FakeProducerRepository()
        directory = FakeProducerDirectory()
        directory.producers = producers.producers  # one store, as one database
        yield Repos(FakeUserRepository(), FakeTokenRepository(), producers, directory)
        return
    async with migrated_engine(request.param, tmp_path) as db:
        yield Repos(
            PiccoloUserRepository(),
            PiccoloTokenRepository(db),
            PiccoloProducerRepository(),
            PiccoloProducerDirectory(db),
        )


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


async def test_producer_url_token_hash_and_allowed_cidrs_round_trip(repos: Repos) -> None:
    user = await _user(repos)
    plain = Producer("plain", user.id, True, 300, "s1", None, None, NOW)
    await repos.producers.add(plain)
    stored = await repos.producers.get("plain")
    assert stored == plain
    assert stored.tradingview_token_hash is None and stored.allowed_cidrs == ()
    hooked = Producer(
        "tv-1",
        user.id,
        True,
        300,
        "s2",
        None,
        None,
        NOW,
        tradingview_token_hash="a" * 64,
        allowed_cidrs=("52.89.214.238/32", "10.0.0.0/8", "2001:db8::/32"),
    )
    await repos.producers.add(hooked)
    assert await repos.producers.get("tv-1") == hooked
    assert [p for p in await repos.producers.list() if p.id == "tv-1"] == [hooked]
    changed = replace(hooked, tradingview_token_hash="b" * 64, allowed_cidrs=())
    await repos.producers.save(changed)
    assert await repos.producers.get("tv-1") == changed


async def test_directory_reads_producers_by_id_and_by_url_token_hash(repos: Repos) -> None:
    user = await _user(repos)
    first = Producer("tv-1", user.id, True, 300, "s1", None, None, NOW, "a" * 64, ("1.2.3.4/32",))
    second = Producer("tv-2", user.id, False, 60, "s2", None, None, NOW, "b" * 64)
    plain = Producer("plain", user.id, True, 300, "s3", None, None, NOW)
    for producer in (first, second, plain):
        await repos.producers.add(producer)
    assert await repos.directory.get("tv-1") == first
    assert await repos.directory.get("plain") == plain
    assert await repos.directory.get("nope") is None
    assert await repos.directory.get_by_tradingview_token("a" * 64) == first
    assert await repos.directory.get_by_tradingview_token("b" * 64) == second
    assert await repos.directory.get_by_tradingview_token("c" * 64) is None
    # A rotated token: the old hash finds nothing at once, the new one finds the producer.
    await repos.producers.save(replace(first, tradingview_token_hash="d" * 64))
    assert await repos.directory.get_by_tradingview_token("a" * 64) is None
    found = await repos.directory.get_by_tradingview_token("d" * 64)
    assert found is not None and found.id == "tv-1"
