"""Ports the signal use cases need; adapters implement them (persistence, telemetry)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.accounts.model import Producer
from domain.signals.model import Side, Signal, SignalStatus


@dataclass(frozen=True, slots=True)
class SignalCriteria:
    """Which of one owner's signals a read wants (the filters of SPEC §4 and §9)."""

    user_id: UUID
    status: SignalStatus | None = None
    instrument: str | None = None  # normalised, upper-case
    since: datetime | None = None  # on `time`, inclusive
    until: datetime | None = None  # on `time`, exclusive


@dataclass(frozen=True, slots=True)
class SignalFilter:
    user_id: UUID
    status: SignalStatus | None = None
    instrument: str | None = None
    since: datetime | None = None  # on `time`, inclusive
    until: datetime | None = None  # on `time`, exclusive
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, slots=True)
class SignalPage:
    items: Sequence[Signal]
    total: int


class SignalRepository(Protocol):
    async def add(self, signal: Signal, dedup_window_seconds: int) -> Signal:
        """Store `signal` unless it duplicates one of its owner's signals, atomically.

        A duplicate is the same external_id, or the same instrument, side and version with a
        time within `dedup_window_seconds` (0 = that rule is off). Raises
        AlreadyExists(existing_id=...) naming the stored signal. Must hold under concurrency
        across processes.
        """
        ...

    async def get(self, signal_id: UUID) -> Signal | None: ...

    async def list(self, query: SignalFilter) -> SignalPage:
        """The owner's signals matching the filter, newest first, plus the total count."""
        ...


class ProducerDirectory(Protocol):
    async def get(self, producer_id: str) -> Producer | None: ...

    async def get_by_tradingview_token(self, token_hash: str) -> Producer | None:
        """The producer whose TradingView URL token hashes to `token_hash` (SPEC §11)."""
        ...


class SignalMetrics(Protocol):
    def ingested(self, instrument: str, side: Side, source: str = "hmac") -> None:
        """`source` is a SignalSource value: hmac, standard_webhooks or tradingview."""
        ...

    def rejected(self, reason: str, source: str = "hmac") -> None:
        """`reason` is one of signature, duplicate, too_large, invalid; `source` as above."""
        ...

    def observe_create_seconds(self, seconds: float) -> None: ...


class JsonDecoder(Protocol):
    def __call__(self, raw: bytes, /) -> object:
        """Decode a JSON document; raise ValueError when it is not valid JSON."""
        ...
