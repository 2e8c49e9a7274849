"""CheckReadiness (SPEC §7): ready only when every probe says so, each reported by name."""

from __future__ import annotations

import pytest

from application.operations.readiness import CheckReadiness


class Probe:
    def __init__(self, ready: bool) -> None:
        self._ready = ready
        self.asked = 0

    async def ready(self) -> bool:
        self.asked += 1
        return self._ready


@pytest.mark.parametrize(
    ("database", "media_dir"), [(True, True), (True, False), (False, True), (False, False)]
)
async def test_reports_each_probe_and_is_ready_only_when_all_are(
    database: bool, media_dir: bool
) -> None:
    db_probe, dir_probe = Probe(database), Probe(media_dir)
    report = await CheckReadiness(database=db_probe, media_dir=dir_probe)()
    assert (report.database, report.media_dir_writable) == (database, media_dir)
    assert report.ready is (database and media_dir)
    assert (db_probe.asked, dir_probe.asked) == (1, 1)
