"""The readiness probes (domain/operations/ports.py) on real parts: True when usable, else
False, never an exception."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.persistence.engine import Database
from adapters.system import WritableDirectory
from tests.support.databases import ENGINES, database_settings, migrated_engine


@pytest.mark.parametrize("kind", ENGINES)
async def test_a_started_database_is_ready(kind: str, tmp_path: Path) -> None:
    async with migrated_engine(kind, tmp_path) as db:
        assert db.dialect == kind
        assert await db.ready() is True


async def test_an_unreachable_database_is_not_ready() -> None:
    db = Database.at(database_settings("postgresql://nobody@127.0.0.1:1/none"))
    assert db.dialect == "postgres"
    assert await db.ready() is False


async def test_a_writable_folder_is_ready_and_made_if_missing(tmp_path: Path) -> None:
    folder = tmp_path / "not" / "yet"
    assert await WritableDirectory(folder).ready() is True
    assert folder.is_dir() and list(folder.iterdir()) == []  # the probe file is gone


async def test_a_folder_that_cannot_exist_is_not_ready(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    assert await WritableDirectory(blocker / "media").ready() is False
