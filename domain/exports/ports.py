"""The port an export reads through, and the read model it returns."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import NamedTuple, Protocol
from uuid import UUID

from domain.signals.ports import SignalCriteria


class SignalRecord(NamedTuple):
    """One stored signal, its fields in SPEC §5's order: what an export writes out.

    A read model, not the entity: an export of a million rows builds no `Signal` and decodes
    no payload it only writes back out (docs/exports.md). `side` and `status` are their
    values; `payload` is the object's JSON text as stored; times are UTC-aware.
    """

    id: UUID
    user_id: UUID
    producer_id: str
    instrument: str
    side: str
    price: float
    time: datetime
    version: str
    external_id: str | None
    status: str
    revision: int
    payload: str
    executed_price: float | None
    executed_at: datetime | None
    closed_price: float | None
    closed_at: datetime | None
    pnl: float | None
    return_ratio: float | None  # the wire's `return`
    created_at: datetime
    updated_at: datetime


# One CSV cell as an adapter hands it over (domain/exports/rules.py `csv_cells` says how):
# text already in its exported form, a number as a number (the CSV writer writes it as Python
# does), None for null (an empty cell).
CsvCell = str | float | int | None


class SignalExportSource(Protocol):
    def pages(
        self, criteria: SignalCriteria, page_size: int
    ) -> AsyncIterator[Sequence[SignalRecord]]:
        """Every signal matching `criteria`, oldest first (`created_at`, then `id`), in pages
        of at most `page_size`, none of them empty.

        Memory stays flat whatever the count: a page is read after the previous one's last
        row (keyset paging on (`created_at`, `id`)); an adapter may read one page ahead. A
        signal created during the export appears at the end or not at all, never twice.
        """
        ...

    def csv_pages(
        self, criteria: SignalCriteria, page_size: int
    ) -> AsyncIterator[Sequence[Sequence[CsvCell]]]:
        """The same signals, order and paging as `pages`, each as its CSV cells: exactly
        `csv_cells(record)` of the record `pages` would give (domain/exports/rules.py).

        A separate method so that an adapter may have its database format the cells (the
        export's hot path, docs/exports.md); the contract tests hold every adapter's cells to
        `csv_cells`.
        """
        ...
