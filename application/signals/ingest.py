"""IngestSignal: verify -> validate -> dedup -> store -> count (SPEC §3)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from domain.accounts.model import PRODUCER_ID_PATTERN, Producer
from domain.accounts.ports import Clock
from domain.errors import AlreadyExists, InvalidInput, TooLarge, Unauthenticated
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
    # fail is re-checked against a fresh read, so a new secret works at once.
    producer_cache_seconds: float = 0.0


# Past this many cached producers the cache starts over (only producers that authenticated
# are cached, so this is never reached by guessing ids).
_PRODUCER_CACHE_MAX = 10_000


@dataclass(frozen=True, slots=True)
class IngestSignalRequest:
    producer_id: str | None
    timestamp: str | None
    signature: str | None
    body: bytes


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
        self._monotonic = monotonic
        # producer id -> (read at, producer), for producers that authenticated
        self._cached: dict[str, tuple[float, Producer]] = {}

    async def __call__(self, request: IngestSignalRequest) -> Signal:
        started = time.perf_counter()
        now = self._clock.now()
        producer = await self._authenticate(request, now)
        try:
            document = self._decode_json(request.body)
        except ValueError:
            self._metrics.rejected("invalid")
            raise InvalidInput("body", "invalid JSON") from None
        try:
            fields = parse_signal_fields(document, now)
        except InvalidInput:
            self._metrics.rejected("invalid")
            raise
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
            self._metrics.rejected("duplicate")
            raise
        self._metrics.ingested(stored.instrument, stored.side)
        self._metrics.observe_create_seconds(time.perf_counter() - started)
        return stored

    def too_large(self) -> TooLarge:
        """Count a body over SIGNALS_MAX_PAYLOAD_BYTES and return the error to raise."""
        self._metrics.rejected("too_large")
        return TooLarge(f"request body larger than {self.policy.max_payload_bytes} bytes")

    async def _authenticate(self, request: IngestSignalRequest, now: datetime) -> Producer:
        try:
            return await self._producer_for(request, now)
        except Unauthenticated:
            self._metrics.rejected("signature")
            raise

    async def _producer_for(self, request: IngestSignalRequest, now: datetime) -> Producer:
        producer_id = request.producer_id
        if producer_id is None or not PRODUCER_ID_PATTERN.fullmatch(producer_id):
            return self._verify(None, request, now)
        ttl = self.policy.producer_cache_seconds
        if ttl <= 0:
            return self._verify(await self._producers.get(producer_id), request, now)
        read_at = self._monotonic()
        entry = self._cached.pop(producer_id, None)
        if entry is not None and read_at - entry[0] < ttl:
            try:
                producer = self._verify(entry[1], request, now)
            except Unauthenticated:
                pass  # maybe rotated or re-enabled since: decide on a fresh read
            else:
                self._cached[producer_id] = entry
                return producer
        producer = self._verify(await self._producers.get(producer_id), request, now)
        if len(self._cached) >= _PRODUCER_CACHE_MAX:
            self._cached.clear()
        self._cached[producer_id] = (read_at, producer)
        return producer

    def _verify(
        self, producer: Producer | None, request: IngestSignalRequest, now: datetime
    ) -> Producer:
        if producer is not None and not producer.enabled:
            producer = None
        if self.policy.hmac_enabled:
            verify_signature(
                secrets=producer.active_secrets(now) if producer is not None else (),
                timestamp=request.timestamp,
                signature=request.signature,
                body=request.body,
                now_unix=now.timestamp(),
                tolerance_seconds=self.policy.timestamp_tolerance_seconds,
            )
        if producer is None:
            raise unauthenticated()
        return producer
