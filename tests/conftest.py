"""Shared fixtures: real databases for both engines, created per test and dropped after.

The helpers behind them are in tests/support/databases.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from adapters.persistence.engine import Database
from tests.support.databases import (
    ENGINES,
    create_pg_database,
    drop_pg_database,
    migrated_engine,
)


@pytest.fixture
def pg_database_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (URL) for this test, dropped afterwards."""
    url = asyncio.run(create_pg_database())
    try:
        yield url
    finally:
        asyncio.run(drop_pg_database(url))


@pytest.fixture(params=ENGINES)
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated engine with the tables bound to it: once on SQLite, once on PostgreSQL."""
    async with migrated_engine(request.param, tmp_path) as db:
        yield db
