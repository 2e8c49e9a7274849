"""The group-commit tests' rigs (group_commit_rig.py) as fixtures: `rig` on each engine,
`pg_rig` on PostgreSQL only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.integration.signals.group_commit_rig import Rig, make_rig
from tests.support.databases import ENGINES


@pytest.fixture(params=ENGINES)
async def rig(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Rig]:
    async for made in make_rig(request.param, tmp_path):
        yield made


@pytest.fixture
async def pg_rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async for made in make_rig("postgres", tmp_path):
        yield made
