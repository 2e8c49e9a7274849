"""CheckReadiness: the database answers and MEDIA_DIR is writable (SPEC §7)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.operations.ports import ReadinessProbe


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    database: bool
    media_dir_writable: bool

    @property
    def ready(self) -> bool:
        return self.database and self.media_dir_writable


class CheckReadiness:
    def __init__(self, *, database: ReadinessProbe, media_dir: ReadinessProbe) -> None:
        self._database = database
        self._media_dir = media_dir

    async def __call__(self) -> ReadinessReport:
        return ReadinessReport(
            database=await self._database.ready(),
            media_dir_writable=await self._media_dir.ready(),
        )
