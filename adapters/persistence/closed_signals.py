"""The reports' read port (SPEC §12): a user's closed signals, only the columns a report draws."""

from __future__ import annotations

from collections.abc import Sequence

from piccolo.custom_types import Combinable

from adapters.persistence.row_values import as_utc, as_uuid
from adapters.persistence.tables import SignalTable
from domain.reports.equity import ClosedTrade
from domain.reports.ports import ClosedFilter
from domain.signals.model import SignalStatus


class PiccoloClosedSignals:
    async def closed(self, query: ClosedFilter, limit: int) -> Sequence[ClosedTrade]:
        where: Combinable = (SignalTable.user_id == query.user_id) & (
            SignalTable.status == SignalStatus.CLOSED.value
        )
        if query.instrument is not None:
            where &= SignalTable.instrument == query.instrument
        if query.since is not None:
            where &= SignalTable.closed_at >= query.since
        if query.until is not None:
            where &= SignalTable.closed_at < query.until
        rows = (
            await SignalTable.select(
                SignalTable.id,
                SignalTable.executed_at,
                SignalTable.closed_at,
                SignalTable.return_ratio,
            )
            .where(where)
            .limit(limit)
        )
        return [
            ClosedTrade(
                signal_id=as_uuid(row["id"]),
                executed_at=as_utc(row["executed_at"]),
                closed_at=as_utc(row["closed_at"]),
                return_ratio=float(row["return_ratio"]),
            )
            for row in rows
        ]
