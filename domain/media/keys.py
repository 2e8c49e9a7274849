"""MediaKey: the content address of a rendered chart."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from domain.errors import NotFound
from domain.media.charts import ChartSpec

_KEY = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class MediaKey:
    """64 lowercase hex chars: sha256 of the renderer version and the normalised spec."""

    value: str

    def __post_init__(self) -> None:
        if not _KEY.fullmatch(self.value):
            raise ValueError("a media key is 64 lowercase hex characters")

    @classmethod
    def parse(cls, raw: str) -> MediaKey:
        """A key from the outside world; anything else is NotFound before any file is touched."""
        if not isinstance(raw, str) or not _KEY.fullmatch(raw):
            raise NotFound("no such media")
        return cls(raw)

    @classmethod
    def derive(cls, spec: ChartSpec, renderer_version: str) -> MediaKey:
        digest = hashlib.sha256()
        # The version goes first: a new drawing never reuses an old file.
        digest.update(f"signalhub-chart\0{renderer_version}\0".encode())
        digest.update(spec.canonical())
        return cls(digest.hexdigest())

    def __str__(self) -> str:
        return self.value
