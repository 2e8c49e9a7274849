"""Producer credentials of SPEC §11 on fakes: the Standard Webhooks form of the secret, the
TradingView URL token (shown once, stored hashed, rotated at once) and the allowed CIDRs."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass

import pytest

from application.accounts.use_cases import (
    CreateProducer,
    CreateUser,
    DisableProducer,
    ListProducers,
    RotateProducerSecret,
    RotateTradingViewToken,
    SetProducerAllowedCidrs,
)
from domain.errors import InvalidInput, NotFound
from domain.producer_auth import hash_url_token, url_token_matches
from tests.fakes.accounts import (
    CountingSecrets,
    FakeProducerRepository,
    FakeTokenRepository,
    FakeUserRepository,
)
from tests.fakes.clock import FakeClock


@dataclass
class World:
    producers: FakeProducerRepository
    user_id: uuid.UUID
    create: CreateProducer
    rotate: RotateProducerSecret
    rotate_tradingview: RotateTradingViewToken
    set_cidrs: SetProducerAllowedCidrs
    disable: DisableProducer
    list: ListProducers


@pytest.fixture
async def world() -> World:
    users, producers, clock, secrets = (
        FakeUserRepository(),
        FakeProducerRepository(),
        FakeClock(),
        CountingSecrets(),
    )
    user = await CreateUser(users, FakeTokenRepository(), clock, secrets)("alice")
    return World(
        producers=producers,
        user_id=user.user_id,
        create=CreateProducer(users, producers, clock, secrets, 300),
        rotate=RotateProducerSecret(producers, clock, secrets),
        rotate_tradingview=RotateTradingViewToken(producers, secrets),
        set_cidrs=SetProducerAllowedCidrs(producers),
        disable=DisableProducer(producers),
        list=ListProducers(producers),
    )


def whsec_key(whsec: str) -> bytes:
    assert whsec.startswith("whsec_")
    return base64.b64decode(whsec.removeprefix("whsec_"))


async def test_create_and_rotate_give_the_secret_in_standard_webhooks_form(world: World) -> None:
    issued = await world.create("relay-1", world.user_id)
    assert whsec_key(issued.standard_webhooks_secret) == issued.secret.encode()
    assert issued.tradingview_token is None
    rotated = await world.rotate("relay-1", 60)
    assert whsec_key(rotated.standard_webhooks_secret) == rotated.secret.encode()
    assert rotated.secret != issued.secret and rotated.tradingview_token is None


async def test_no_url_token_unless_asked(world: World) -> None:
    await world.create("relay-1", world.user_id)
    assert world.producers.producers["relay-1"].tradingview_token_hash is None


async def test_tradingview_token_is_shown_once_and_stored_hashed(world: World) -> None:
    issued = await world.create("relay-1", world.user_id, tradingview=True)
    token = issued.tradingview_token
    assert token is not None
    stored = world.producers.producers["relay-1"]
    assert stored.tradingview_token_hash == hash_url_token(token)
    assert token not in repr(stored)


async def test_rotating_the_url_token_stops_the_old_one_and_keeps_the_secret(world: World) -> None:
    issued = await world.create("relay-1", world.user_id, tradingview=True)
    assert issued.tradingview_token is not None
    renewed = await world.rotate_tradingview("relay-1")
    stored = world.producers.producers["relay-1"]
    assert renewed.producer_id == "relay-1"
    assert url_token_matches(stored.tradingview_token_hash, renewed.tradingview_token)
    assert not url_token_matches(stored.tradingview_token_hash, issued.tradingview_token)
    assert stored.secret == issued.secret and stored.previous_secret is None


async def test_rotating_the_secret_keeps_the_url_token_and_cidrs(world: World) -> None:
    issued = await world.create(
        "relay-1", world.user_id, tradingview=True, allowed_cidrs=["52.89.214.238"]
    )
    assert issued.tradingview_token is not None
    await world.rotate("relay-1", 60)
    stored = world.producers.producers["relay-1"]
    assert url_token_matches(stored.tradingview_token_hash, issued.tradingview_token)
    assert stored.allowed_cidrs == ("52.89.214.238/32",)


async def test_a_url_token_can_be_issued_later_by_rotation(world: World) -> None:
    await world.create("relay-1", world.user_id)
    renewed = await world.rotate_tradingview("relay-1")
    stored = world.producers.producers["relay-1"]
    assert stored.tradingview_token_hash == hash_url_token(renewed.tradingview_token)


async def test_allowed_cidrs_are_stored_canonical_and_listed(world: World) -> None:
    await world.create(
        "relay-1", world.user_id, allowed_cidrs=["52.89.214.238", "10.0.0.0/8", "52.89.214.238"]
    )
    listed = await world.list()
    assert listed[0].allowed_cidrs == ("52.89.214.238/32", "10.0.0.0/8")
    changed = await world.set_cidrs("relay-1", ["2001:DB8::/32"])
    assert changed.allowed_cidrs == ("2001:db8::/32",)
    assert world.producers.producers["relay-1"].allowed_cidrs == ("2001:db8::/32",)
    assert (await world.set_cidrs("relay-1", [])).allowed_cidrs == ()


async def test_bad_cidrs_are_refused_before_anything_is_stored(world: World) -> None:
    with pytest.raises(InvalidInput) as caught:
        await world.create("relay-1", world.user_id, allowed_cidrs=["10.0.0.1/8"])
    assert caught.value.field == "allow_ip"
    assert world.producers.producers == {}
    await world.create("relay-1", world.user_id, allowed_cidrs=["1.2.3.4"])
    with pytest.raises(InvalidInput):
        await world.set_cidrs("relay-1", ["nope"])
    assert world.producers.producers["relay-1"].allowed_cidrs == ("1.2.3.4/32",)


async def test_unknown_producers_are_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await world.rotate_tradingview("missing")
    with pytest.raises(NotFound):
        await world.set_cidrs("missing", ["1.2.3.4"])


async def test_disable_keeps_the_url_token_hash(world: World) -> None:
    await world.create("relay-1", world.user_id, tradingview=True)
    before = world.producers.producers["relay-1"].tradingview_token_hash
    await world.disable("relay-1")
    assert world.producers.producers["relay-1"].tradingview_token_hash == before
