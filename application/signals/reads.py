"""GetSignal and ListSignals: a user's own signals (SPEC §4)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.signals.criteria import parse_criteria
from domain.errors import Forbidden, InvalidInput, NotFound
from domain.identity import Caller
from domain.signals.model import Signal
from domain.signals.ports import SignalFilter, SignalPage, SignalRepository

MAX_PAGE = 10**9
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50


class GetSignal:
    def __init__(self, *, signals: SignalRepository) -> None:
        self._signals = signals

    async def __call__(self, caller: Caller, signal_id: str) -> Signal:
        try:
            parsed = UUID(signal_id)
        except ValueError:
            raise NotFound("no such signal") from None
        signal = await self._signals.get(parsed)
        if signal is None:
            raise NotFound("no such signal")
        if signal.user_id != caller.user_id:
            raise Forbidden("this signal belongs to another user")
        return signal


@dataclass(frozen=True, slots=True)
class ListSignalsRequest:
    """Query parameters as received; ListSignals validates them."""

    status: str | None = None
    instrument: str | None = None
    page: int | str | None = None
    page_size: int | str | None = None
    since: str | None = None  # RFC 3339, on the signal's `time`, inclusive
    until: str | None = None  # RFC 3339, exclusive


@dataclass(frozen=True, slots=True)
class SignalListing:
    items: list[Signal]
    total: int
    page: int
    page_size: int


class ListSignals:
    def __init__(self, *, signals: SignalRepository) -> None:
        self._signals = signals

    async def __call__(self, caller: Caller, request: ListSignalsRequest) -> SignalListing:
        page = _integer(request.page, "page", default=1, minimum=1, maximum=MAX_PAGE)
        page_size = _integer(
            request.page_size,
            "page_size",
            default=DEFAULT_PAGE_SIZE,
            minimum=1,
            maximum=MAX_PAGE_SIZE,
        )
        criteria = parse_criteria(
            caller.user_id,
            status=request.status,
            instrument=request.instrument,
            since=request.since,
            until=request.until,
        )
        result: SignalPage = await self._signals.list(
            SignalFilter(
                user_id=criteria.user_id,
                status=criteria.status,
                instrument=criteria.instrument,
                since=criteria.since,
                until=criteria.until,
                offset=(page - 1) * page_size,
                limit=page_size,
            )
        )
        return SignalListing(
            items=list(result.items), total=result.total, page=page, page_size=page_size
        )


def _integer(
    value: int | str | None, name: str, *, default: int, minimum: int, maximum: int
) -> int:
    if value is None:
        return default
    if isinstance(value, str):
        text = value
        if not text.isascii() or not text.lstrip("-").isdigit():
            raise InvalidInput(name, "must be an integer")
        if len(text) > len(str(maximum)) + 1:  # also keeps int() off huge digit strings
            raise InvalidInput(name, f"must be between {minimum} and {maximum}")
        value = int(text)
    if not minimum <= value <= maximum:
        raise InvalidInput(name, f"must be between {minimum} and {maximum}")
    return value
