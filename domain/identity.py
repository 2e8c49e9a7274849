"""Who is calling: the user an API token resolved to."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Caller:
    user_id: UUID
