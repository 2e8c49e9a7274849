"""Account use cases on fakes: users, tokens, producers, rotation."""

from __future__ import annotations

import uuid

import pytest

from application.accounts.use_cases import (
    AuthenticateToken,
    CreateProducer,
    CreateToken,
    CreateUser,
    DisableProducer,
    ListProducers,
    RevokeToken,
    RotateProducerSecret,
    hash_token,
)
from domain.errors import AlreadyExists, InvalidInput, NotFound, Unauthenticated
from tests.fakes.accounts import (
    CountingSecrets,
    FakeProducerRepository,
    FakeTokenRepository,
    FakeUserRepository,
)
from tests.fakes.clock import FakeClock


@pytest.fixture
def world() -> dict[str, object]:
    users, tokens, producers = FakeUserRepository(), FakeTokenRepository(), FakeProducerRepository()
    clock, secrets = FakeClock(), CountingSecrets()
    return {
        "users": users,
        "tokens": tokens,
        "producers": producers,
        "clock": clock,
        "create_user": CreateUser(users, tokens, clock, secrets),
        "create_token": CreateToken(users, tokens, clock, secrets),
        "revoke": RevokeToken(tokens, clock),
        "auth": AuthenticateToken(tokens),
        "create_producer": CreateProducer(users, producers, clock, secrets, 300),
        "rotate": RotateProducerSecret(producers, clock, secrets),
        "disable": DisableProducer(producers),
        "list": ListProducers(producers),
    }


async def test_user_token_is_stored_only_as_hash_and_authenticates(world: dict) -> None:
    created = await world["create_user"]("alice")
    tokens: FakeTokenRepository = world["tokens"]
    assert created.token not in {t.token_hash for t in tokens.tokens.values()}
    assert hash_token(created.token) in tokens.tokens
    caller = await world["auth"](created.token)
    assert caller.user_id == created.user_id


@pytest.mark.parametrize("token", [None, "", "unknown-token"])
async def test_missing_or_unknown_token_is_unauthenticated(world: dict, token: str | None) -> None:
    with pytest.raises(Unauthenticated) as caught:
        await world["auth"](token)
    assert caught.value.detail == AuthenticateToken.DETAIL


async def test_revoked_token_stops_working_but_others_do_not(world: dict) -> None:
    created = await world["create_user"]("alice")
    second = await world["create_token"](created.user_id)
    await world["revoke"](created.token)
    with pytest.raises(Unauthenticated):
        await world["auth"](created.token)
    assert (await world["auth"](second)).user_id == created.user_id
    with pytest.raises(NotFound):
        await world["revoke"](created.token)


async def test_token_for_unknown_user_is_not_found(world: dict) -> None:
    with pytest.raises(NotFound):
        await world["create_token"](uuid.uuid4())


async def test_user_name_is_validated(world: dict) -> None:
    with pytest.raises(InvalidInput) as caught:
        await world["create_user"]("   ")
    assert caught.value.field == "name"


async def test_producer_lifecycle_and_rotation_grace(world: dict) -> None:
    user = await world["create_user"]("alice")
    issued = await world["create_producer"]("relay-1", user.user_id)
    producers: FakeProducerRepository = world["producers"]
    clock: FakeClock = world["clock"]
    stored = producers.producers["relay-1"]
    assert stored.dedup_window_seconds == 300 and stored.enabled
    assert stored.active_secrets(clock.now()) == (issued.secret,)

    rotated = await world["rotate"]("relay-1", 60)
    assert rotated.secret != issued.secret
    now_active = producers.producers["relay-1"].active_secrets(clock.now())
    assert now_active == (rotated.secret, issued.secret)
    clock.advance(61)
    assert producers.producers["relay-1"].active_secrets(clock.now()) == (rotated.secret,)

    disabled = await world["disable"]("relay-1")
    assert disabled.enabled is False and producers.producers["relay-1"].enabled is False
    assert [p.id for p in await world["list"]()] == ["relay-1"]


async def test_producer_rules(world: dict) -> None:
    user = await world["create_user"]("alice")
    with pytest.raises(InvalidInput):
        await world["create_producer"]("has space", user.user_id)
    with pytest.raises(InvalidInput):
        await world["create_producer"]("x" * 65, user.user_id)
    with pytest.raises(InvalidInput):
        await world["create_producer"]("ok", user.user_id, 3601)
    with pytest.raises(NotFound):
        await world["create_producer"]("ok", uuid.uuid4())
    off = await world["create_producer"]("ok", user.user_id, 0)
    assert world["producers"].producers[off.producer_id].dedup_window_seconds == 0
    with pytest.raises(AlreadyExists):
        await world["create_producer"]("ok", user.user_id)
    with pytest.raises(NotFound):
        await world["rotate"]("missing")
    with pytest.raises(NotFound):
        await world["disable"]("missing")
