"""Column values as both engines hand them back, turned into the domain's types."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID


def as_uuid(value: Any) -> UUID:
    return value if isinstance(value, UUID) else UUID(str(value))


def as_utc(value: Any) -> datetime:
    """Piccolo's SQLite adapter can hand back naive datetimes; they are stored in UTC."""
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def utc_or_none(value: Any) -> datetime | None:
    return None if value is None else as_utc(value)
