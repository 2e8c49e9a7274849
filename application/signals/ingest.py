"""IngestSignal: verify -> validate -> dedup -> store -> count (SPEC §3, §11).

Three ways in, one set of signal rules: §3 HMAC headers and Standard Webhooks headers (on
`POST /api/v1/signals` and on the per-producer path) carry an IngestSignalRequest; a
TradingView alert (URL token + client address) carries a TradingViewAlert.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from uuid import uuid4

from application.signals.producer_cache import ProducerCache
from domain.accounts.model import PRODUCER_ID_PATTERN, Producer
from domain.accounts.ports import Clock
from domain.errors import AlreadyExists, InvalidInput, TooLarge, Unauthenticated
from domain.producer_auth import (
    Network,
    SignalSource,
    address_allowed,
    client_address,
    hash_url_token,
    plausible_url_token,
    signed_source,
    url_token_matches,
    valid_webhook_id,
    verify_standard_webhook,
)
from domain.signals.authentication import unauthenticated, verify_signature
from domain.signals.model import Signal, SignalStatus
from domain.signals.ports import (
    JsonDecoder,
    ProducerDirectory,
    SignalMetrics,
    SignalRepository,
)
from domain.signals.rules import parse_signal_fields


@dataclass(frozen=True, slots=True)
class IngestPolicy:
    """The settings ingestion needs, read once at start-up."""

    hmac_enabled: bool = True
    timestamp_tolerance_seconds: int = 300
    max_payload_bytes: int = 32768
    # How long a producer that authenticated may be reused without reading it again (0 = read
    # on every signal; the setting SIGNALS_PRODUCER_CACHE_SECONDS). A revocation (disable,
    # rotation with no grace) takes effect within this bound; anything that makes a signal
    # fail is re-checked against a fresh read, so a new secret works at once. Concurrent
    # requests for a producer that is not cached share one read (producer_cache.py).
    producer_cache_seconds: float = 0.0
    # TRUSTED_PROXIES: peers whose last X-Forwarded-For hop is taken as the client (SPEC §11).
    trusted_proxies: Sequence[Network] = ()


# Plain module globals: reading a member through the enum class costs ~150 ns (hot path).
_STANDARD_WEBHOOKS = SignalSource.STANDARD_WEBHOOKS
_TRADINGVIEW = SignalSource.TRADINGVIEW


@dataclass(frozen=True, slots=True)
class IngestSignalRequest:
    """A signed POST: §3 headers, or Standard Webhooks headers (used when `webhook-signature`
    is present and `X-Signature` is not)."""

    producer_id: str | None  # X-Producer-Id
    timestamp: str | None  # X-Timestamp
    signature: str | None  # X-Signature
    body: bytes
    webhook_id: str | None = None
    webhook_timestamp: str | None = None
    webhook_signature: str | None = None
    # The producer named by the path of POST /api/v1/producers/{producer_id}/signals.
    path_producer_id: str | None = None

    @property
    def source(self) -> SignalSource:
        return signed_source(self.signature, self.webhook_signature)


@dataclass(frozen=True, slots=True)
class TradingViewAlert:
    """POST /api/v1/hooks/tradingview/{token}: the body is the alert message, whatever its
    content type. `peer` is the socket peer's address; `forwarded_for` every X-Forwarded-For
    value joined with ", " (None when absent)."""

    token: str = field(repr=False)  # a credential: never in a repr, a log line or a trace
    body: bytes
    peer: str | None = None
    forwarded_for: str | None = None


class IngestSignal:
    def __init__(
        self,
        *,
        producers: ProducerDirectory,
        signals: SignalRepository,
        metrics: SignalMetrics,
        clock: Clock,
        decode_json: JsonDecoder,
        policy: IngestPolicy,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._producers = producers
        self._signals = signals
        self._metrics = metrics
        self._clock = clock
        self._decode_json = decode_json
        self.policy = policy
        # None: SIGNALS_PRODUCER_CACHE_SECONDS is 0, every signal reads its producer
        self._cache = (
            ProducerCache(producers, policy.producer_cache_seconds, monotonic)
            if policy.producer_cache_seconds > 0
            else None
        )

    async def __call__(self, request: IngestSignalRequest | TradingViewAlert) -> Signal:
        started = time.perf_counter()
        now = self._clock.now()
        default_external_id: str | None = None
        if isinstance(request, TradingViewAlert):
            source = _TRADINGVIEW
            producer = await self._authenticate_alert(request)
        else:
            source = request.source
            producer = await self._authenticate(request, now, source)
            if source is _STANDARD_WEBHOOKS:
                # A sender's retries reuse the webhook-id, so the dedup rules catch them.
                default_external_id = request.webhook_id
        try:
            document = self._decode_json(request.body)
        except ValueError:
            self._metrics.rejected("invalid", source)
            raise InvalidInput("body", "invalid JSON") from None
        try:
            fields = parse_signal_fields(document, now)
        except InvalidInput:
            self._metrics.rejected("invalid", source)
            raise
        if fields.external_id is None and default_external_id is not None:
            fields = replace(fields, external_id=default_external_id)
        signal = Signal(
            id=uuid4(),
            user_id=producer.user_id,
            producer_id=producer.id,
            instrument=fields.instrument,
            side=fields.side,
            price=fields.price,
            time=fields.time,
            version=fields.version,
            external_id=fields.external_id,
            status=SignalStatus.NEW,
            payload=fields.payload,
            created_at=now,
            updated_at=now,
        )
        try:
            stored = await self._signals.add(signal, producer.dedup_window_seconds)
        except AlreadyExists:
            self._metrics.rejected("duplicate", source)
            raise
        self._metrics.ingested(stored.instrument, stored.side, source)
        self._metrics.observe_create_seconds(time.perf_counter() - started)
        return stored

    def too_large(self, source: SignalSource = SignalSource.HMAC) -> TooLarge:
        """Count a body over SIGNALS_MAX_PAYLOAD_BYTES and return the error to raise."""
        self._metrics.rejected("too_large", source)
        return TooLarge(f"request body larger than {self.policy.max_payload_bytes} bytes")

    async def _authenticate_alert(self, alert: TradingViewAlert) -> Producer:
        """The producer whose URL token this is, if enabled and called from an allowed address.

        Never cached: a rotated or revoked token stops at once."""
        try:
            producer = None
            if plausible_url_token(alert.token):
                producer = await self._producers.get_by_tradingview_token(
                    hash_url_token(alert.token)
                )
            if (
                producer is None
                or not producer.enabled
                or not url_token_matches(producer.tradingview_token_hash, alert.token)
            ):
                raise unauthenticated()
            address = client_address(alert.peer, alert.forwarded_for, self.policy.trusted_proxies)
            if not address_allowed(address, producer.allowed_cidrs):
                raise unauthenticated()
            return producer
        except Unauthenticated:
            self._metrics.rejected("signature", _TRADINGVIEW)
            raise

    async def _authenticate(
        self, request: IngestSignalRequest, now: datetime, source: SignalSource
    ) -> Producer:
        try:
            return await self._producer_for(request, now, source is _STANDARD_WEBHOOKS)
        except Unauthenticated:
            self._metrics.rejected("signature", source)
            raise

    async def _producer_for(
        self, request: IngestSignalRequest, now: datetime, standard_webhooks: bool
    ) -> Producer:
        producer_id = request.producer_id
        if request.path_producer_id is not None:
            if producer_id is not None and producer_id != request.path_producer_id:
                # The path and X-Producer-Id disagree: the uniform 401, at the usual cost.
                return self._verify(None, request, now, standard_webhooks)
            producer_id = request.path_producer_id
        if producer_id is None or not PRODUCER_ID_PATTERN.fullmatch(producer_id):
            return self._verify(None, request, now, standard_webhooks)
        cache = self._cache
        if cache is None:
            return self._verify(
                await self._producers.get(producer_id), request, now, standard_webhooks
            )
        read = cache.take(producer_id) or await cache.read_shared(producer_id)
        if not read.own:
            try:
                producer = self._verify(read.producer, request, now, standard_webhooks)
            except Unauthenticated:
                # Cached, or read before this request came: maybe rotated or re-enabled
                # since, so a read that begins now decides.
                read = await cache.read_own(producer_id)
            else:
                cache.keep(producer_id, read)
                return producer
        producer = self._verify(read.producer, request, now, standard_webhooks)
        cache.keep(producer_id, read)
        return producer

    def _verify(
        self,
        producer: Producer | None,
        request: IngestSignalRequest,
        now: datetime,
        standard_webhooks: bool,
    ) -> Producer:
        if producer is not None and not producer.enabled:
            producer = None
        if self.policy.hmac_enabled:
            secrets = producer.active_secrets(now) if producer is not None else ()
            if standard_webhooks:
                verify_standard_webhook(
                    secrets=secrets,
                    webhook_id=request.webhook_id,
                    timestamp=request.webhook_timestamp,
                    signature=request.webhook_signature,
                    body=request.body,
                    now_unix=now.timestamp(),
                    tolerance_seconds=self.policy.timestamp_tolerance_seconds,
                )
            else:
                verify_signature(
                    secrets=secrets,
                    timestamp=request.timestamp,
                    signature=request.signature,
                    body=request.body,
                    now_unix=now.timestamp(),
                    tolerance_seconds=self.policy.timestamp_tolerance_seconds,
                )
        elif standard_webhooks and not valid_webhook_id(request.webhook_id):
            raise unauthenticated()  # it would become the external_id
        if producer is None:
            raise unauthenticated()
        return producer
