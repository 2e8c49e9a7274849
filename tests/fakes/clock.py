"""The one fake clock: time stands still until a test moves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

START = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


class FakeClock:
    """Both kinds of clock the code takes.

    - `now()`: an aware datetime, as the `Clock` port of domain/accounts/ports.py.
    - `clock()`: seconds since the epoch, as `time.time` (what the media stores take).
    """

    def __init__(self, start: datetime = START) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def __call__(self) -> float:
        return self.current.timestamp()

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
