"""CheckReadiness: the database answers and the media store is usable (SPEC §7).

The media store is probed as MEDIA_DIR (writable) with MEDIA_STORE=fs, or as the bucket
(answers) with MEDIA_STORE=s3; exactly one of the two probes is given.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.operations.ports import ReadinessProbe


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    database: bool
    media_dir_writable: bool | None = None
    media_bucket: bool | None = None

    @property
    def ready(self) -> bool:
        return self.database and bool(self.media_dir_writable or self.media_bucket)


class CheckReadiness:
    def __init__(
        self,
        *,
        database: ReadinessProbe,
        media_dir: ReadinessProbe | None = None,
        media_bucket: ReadinessProbe | None = None,
    ) -> None:
        if (media_dir is None) == (media_bucket is None):
            raise ValueError("give exactly one media probe: media_dir or media_bucket")
        self._database = database
        self._media_dir = media_dir
        self._media_bucket = media_bucket

    async def __call__(self) -> ReadinessReport:
        database = await self._database.ready()
        if self._media_bucket is not None:
            return ReadinessReport(database, media_bucket=await self._media_bucket.ready())
        assert self._media_dir is not None
        return ReadinessReport(database, media_dir_writable=await self._media_dir.ready())
