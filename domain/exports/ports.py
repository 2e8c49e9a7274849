"""The port an export reads through: one owner's matching signals, a page at a time."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from domain.signals.model import Signal
from domain.signals.ports import SignalCriteria


class SignalExportSource(Protocol):
    def pages(self, criteria: SignalCriteria, page_size: int) -> AsyncIterator[Sequence[Signal]]:
        """Every signal matching `criteria`, oldest first (`created_at`, then `id`), in pages
        of at most `page_size`.

        Never holds more than one page: each page is read after the previous one was taken
        (keyset paging on (`created_at`, `id`)), so memory stays flat whatever the count. A
        signal created during the export appears at the end or not at all, never twice.
        """
        ...
