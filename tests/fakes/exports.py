"""An in-memory SignalExportSource over the fake signal store, held to the same contract
tests as the real adapter (tests/integration/exports/)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence

from domain.exports.ports import CsvCell, SignalRecord
from domain.exports.rules import csv_cells
from domain.signals.model import Signal
from domain.signals.ports import SignalCriteria
from tests.fakes.signals import FakeSignalRepository


def record_of(s: Signal) -> SignalRecord:
    """The record an adapter reads back for a stored signal (payload as compact JSON text)."""
    return SignalRecord(
        id=s.id,
        user_id=s.user_id,
        producer_id=s.producer_id,
        instrument=s.instrument,
        side=s.side.value,
        price=s.price,
        time=s.time,
        version=s.version,
        external_id=s.external_id,
        status=s.status.value,
        revision=s.revision,
        payload=json.dumps(s.payload, separators=(",", ":"), ensure_ascii=False),
        executed_price=s.executed_price,
        executed_at=s.executed_at,
        closed_price=s.closed_price,
        closed_at=s.closed_at,
        pnl=s.pnl,
        return_ratio=s.return_ratio,
        created_at=s.created_at,
        updated_at=s.updated_at,
    )


def matches(signal: Signal, criteria: SignalCriteria) -> bool:
    return (
        signal.user_id == criteria.user_id
        and (criteria.status is None or signal.status == criteria.status)
        and (criteria.instrument is None or signal.instrument == criteria.instrument)
        and (criteria.since is None or signal.time >= criteria.since)
        and (criteria.until is None or signal.time < criteria.until)
    )


class FakeSignalExport:
    def __init__(self, store: FakeSignalRepository) -> None:
        self.store = store
        self.asked: list[tuple[SignalCriteria, int]] = []

    async def pages(
        self, criteria: SignalCriteria, page_size: int
    ) -> AsyncIterator[Sequence[SignalRecord]]:
        self.asked.append((criteria, page_size))
        after: tuple[object, str] | None = None
        while True:
            found = sorted(
                (s for s in self.store.signals.values() if matches(s, criteria)),
                key=lambda s: (s.created_at, str(s.id)),
            )
            if after is not None:
                found = [s for s in found if (s.created_at, str(s.id)) > after]
            page = [record_of(s) for s in found[:page_size]]
            if page:
                yield page
            if len(page) < page_size:
                return
            after = (page[-1].created_at, str(page[-1].id))

    async def csv_pages(
        self, criteria: SignalCriteria, page_size: int
    ) -> AsyncIterator[Sequence[Sequence[CsvCell]]]:
        async for page in self.pages(criteria, page_size):
            yield [csv_cells(record) for record in page]
