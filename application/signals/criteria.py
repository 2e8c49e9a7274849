"""The filters of SPEC §4 and §9 as received, checked once for every read that takes them
(the list of §4, the export of §12)."""

from __future__ import annotations

from uuid import UUID

from domain.errors import InvalidInput
from domain.signals.model import SignalStatus
from domain.signals.ports import SignalCriteria
from domain.signals.rules import normalise_instrument, parse_rfc3339


def parse_criteria(
    user_id: UUID,
    *,
    status: str | None = None,
    instrument: str | None = None,
    since: str | None = None,
    until: str | None = None,
) -> SignalCriteria:
    """Raise InvalidInput naming the first parameter out of range.

    A parameter given empty (`?until=`) is refused like any other value outside its
    documented schema; only a parameter left out means "any".
    """
    parsed_status = None
    if status is not None:
        try:
            parsed_status = SignalStatus(status)
        except ValueError:
            allowed = ", ".join(s.value for s in SignalStatus)
            raise InvalidInput("status", f"must be one of {allowed}") from None
    return SignalCriteria(
        user_id=user_id,
        status=parsed_status,
        instrument=normalise_instrument(instrument) if instrument is not None else None,
        since=parse_rfc3339(since, "since") if since is not None else None,
        until=parse_rfc3339(until, "until") if until is not None else None,
    )
