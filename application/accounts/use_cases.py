"""Admin use cases: users, API tokens, producers (SPEC §2, §8)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from uuid import UUID, uuid4

from domain.accounts.model import (
    ApiToken,
    Producer,
    User,
    validate_dedup_window,
    validate_producer_id,
    validate_user_name,
)
from domain.accounts.ports import (
    Clock,
    ProducerRepository,
    SecretGenerator,
    TokenRepository,
    UserRepository,
)
from domain.errors import AlreadyExists, InvalidInput, NotFound, Unauthenticated
from domain.identity import Caller
from domain.producer_auth import hash_url_token, normalise_cidrs, standard_webhooks_secret

DEFAULT_ROTATION_GRACE_SECONDS = 86400


def hash_token(token: str) -> str:
    """Tokens are long random strings, so a plain SHA-256 is a sufficient one-way hash."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class CreatedUser:
    user_id: UUID
    token: str


@dataclass(frozen=True, slots=True)
class IssuedSecret:
    """What `producers create` / `producers rotate` show once (SPEC §8, §11)."""

    producer_id: str
    secret: str
    # The same key in Standard Webhooks form: "whsec_" + base64 of the secret's bytes.
    standard_webhooks_secret: str
    # The TradingView URL token, when one was asked for (the URL is the entry point's).
    tradingview_token: str | None = None

    @classmethod
    def of(
        cls, producer_id: str, secret: str, tradingview_token: str | None = None
    ) -> IssuedSecret:
        return cls(producer_id, secret, standard_webhooks_secret(secret), tradingview_token)


@dataclass(frozen=True, slots=True)
class IssuedUrlToken:
    """A new TradingView URL token (`producers rotate ID --tradingview`), shown once."""

    producer_id: str
    tradingview_token: str


class CreateUser:
    def __init__(
        self, users: UserRepository, tokens: TokenRepository, clock: Clock, secrets: SecretGenerator
    ) -> None:
        self._users, self._tokens, self._clock, self._secrets = users, tokens, clock, secrets

    async def __call__(self, name: str) -> CreatedUser:
        now = self._clock.now()
        user = User(id=uuid4(), name=validate_user_name(name), created_at=now)
        await self._users.add(user)
        token = self._secrets.new_token()
        await self._tokens.add(ApiToken(uuid4(), user.id, hash_token(token), now))
        return CreatedUser(user.id, token)


class CreateToken:
    def __init__(
        self, users: UserRepository, tokens: TokenRepository, clock: Clock, secrets: SecretGenerator
    ) -> None:
        self._users, self._tokens, self._clock, self._secrets = users, tokens, clock, secrets

    async def __call__(self, user_id: UUID) -> str:
        if await self._users.get(user_id) is None:
            raise NotFound(f"no user {user_id}")
        token = self._secrets.new_token()
        await self._tokens.add(ApiToken(uuid4(), user_id, hash_token(token), self._clock.now()))
        return token


class RevokeToken:
    def __init__(self, tokens: TokenRepository, clock: Clock) -> None:
        self._tokens, self._clock = tokens, clock

    async def __call__(self, token: str) -> None:
        if not await self._tokens.revoke(hash_token(token), self._clock.now()):
            raise NotFound("no such active token")


class AuthenticateToken:
    """Bearer token -> Caller; every failure is the same Unauthenticated."""

    DETAIL = "missing, unknown or revoked API token"

    def __init__(self, tokens: TokenRepository) -> None:
        self._tokens = tokens

    async def __call__(self, token: str | None) -> Caller:
        if not token:
            raise Unauthenticated(self.DETAIL)
        wanted = hash_token(token)
        found = await self._tokens.find_by_hash(wanted)
        if (
            found is None
            or found.revoked_at is not None
            or not hmac.compare_digest(found.token_hash, wanted)
        ):
            raise Unauthenticated(self.DETAIL)
        return Caller(found.user_id)


class CreateProducer:
    def __init__(
        self,
        users: UserRepository,
        producers: ProducerRepository,
        clock: Clock,
        secrets: SecretGenerator,
        default_dedup_window_seconds: int,
    ) -> None:
        self._users, self._producers = users, producers
        self._clock, self._secrets = clock, secrets
        self._default_window = default_dedup_window_seconds

    async def __call__(
        self,
        producer_id: str,
        user_id: UUID,
        dedup_window_seconds: int | None = None,
        *,
        tradingview: bool = False,
        allowed_cidrs: Sequence[str] = (),
    ) -> IssuedSecret:
        producer_id = validate_producer_id(producer_id)
        window = validate_dedup_window(
            self._default_window if dedup_window_seconds is None else dedup_window_seconds
        )
        cidrs = normalise_cidrs(allowed_cidrs)
        if await self._users.get(user_id) is None:
            raise NotFound(f"no user {user_id}")
        if await self._producers.get(producer_id) is not None:
            raise AlreadyExists(f"producer {producer_id} already exists", producer_id)
        secret = self._secrets.new_secret()
        url_token = self._secrets.new_url_token() if tradingview else None
        await self._producers.add(
            Producer(
                id=producer_id,
                user_id=user_id,
                enabled=True,
                dedup_window_seconds=window,
                secret=secret,
                previous_secret=None,
                previous_secret_valid_until=None,
                created_at=self._clock.now(),
                tradingview_token_hash=hash_url_token(url_token) if url_token else None,
                allowed_cidrs=cidrs,
            )
        )
        return IssuedSecret.of(producer_id, secret, url_token)


class RotateProducerSecret:
    def __init__(
        self, producers: ProducerRepository, clock: Clock, secrets: SecretGenerator
    ) -> None:
        self._producers, self._clock, self._secrets = producers, clock, secrets

    async def __call__(
        self, producer_id: str, grace_seconds: int = DEFAULT_ROTATION_GRACE_SECONDS
    ) -> IssuedSecret:
        if grace_seconds < 0:
            raise InvalidInput("grace", "must be >= 0 seconds")
        producer = await self._producers.get(producer_id)
        if producer is None:
            raise NotFound(f"no producer {producer_id}")
        secret = self._secrets.new_secret()
        await self._producers.save(
            replace(
                producer,
                secret=secret,
                previous_secret=producer.secret,
                previous_secret_valid_until=self._clock.now() + timedelta(seconds=grace_seconds),
            )
        )
        return IssuedSecret.of(producer_id, secret)


class RotateTradingViewToken:
    """Issue a new TradingView URL token; the old one stops at once (no grace: a URL that
    leaked is the usual reason to rotate it). The HMAC secret is left as it is."""

    def __init__(self, producers: ProducerRepository, secrets: SecretGenerator) -> None:
        self._producers, self._secrets = producers, secrets

    async def __call__(self, producer_id: str) -> IssuedUrlToken:
        producer = await self._producers.get(producer_id)
        if producer is None:
            raise NotFound(f"no producer {producer_id}")
        token = self._secrets.new_url_token()
        await self._producers.save(replace(producer, tradingview_token_hash=hash_url_token(token)))
        return IssuedUrlToken(producer_id, token)


class SetProducerAllowedCidrs:
    """Replace the CIDRs that may use the producer's TradingView URL (empty = any address)."""

    def __init__(self, producers: ProducerRepository) -> None:
        self._producers = producers

    async def __call__(self, producer_id: str, allowed_cidrs: Sequence[str]) -> Producer:
        cidrs = normalise_cidrs(allowed_cidrs)
        producer = await self._producers.get(producer_id)
        if producer is None:
            raise NotFound(f"no producer {producer_id}")
        changed = replace(producer, allowed_cidrs=cidrs)
        await self._producers.save(changed)
        return changed


class DisableProducer:
    def __init__(self, producers: ProducerRepository) -> None:
        self._producers = producers

    async def __call__(self, producer_id: str) -> Producer:
        producer = await self._producers.get(producer_id)
        if producer is None:
            raise NotFound(f"no producer {producer_id}")
        disabled = replace(producer, enabled=False)
        await self._producers.save(disabled)
        return disabled


class ListProducers:
    def __init__(self, producers: ProducerRepository) -> None:
        self._producers = producers

    async def __call__(self) -> list[Producer]:
        return await self._producers.list()
