"""A server process ends its start-up by leaving what it built out of later garbage
collections (`freeze_startup_heap`, docs/ingest-performance.md "Eighth pass"); an app made
inside another program, as here unless asked, leaves that program's heap be."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from entrypoints.http.app import create_app
from entrypoints.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    gc.unfreeze()
    yield Settings.from_env(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'signalhub.sqlite3'}",
            "MEDIA_DIR": str(tmp_path / "media"),
            "RENDER_WARM_UP": "false",
        }
    )
    gc.unfreeze()  # the test process's heap goes back to the collector


def test_a_server_app_freezes_its_heap_once_started(settings: Settings) -> None:
    app = create_app(settings, freeze_after_startup=True)
    assert gc.get_freeze_count() == 0
    with TestClient(app) as http:
        assert http.get("/healthz").status_code == 200
        frozen = gc.get_freeze_count()
        # The app, its container and every module loaded so far are among them: no
        # collection looks at the app any more.
        assert frozen > 10_000
        assert all(o is not app for o in gc.get_objects())


def test_an_app_made_in_process_leaves_the_heap_be(settings: Settings) -> None:
    app = create_app(settings)
    with TestClient(app) as http:
        assert http.get("/healthz").status_code == 200
        assert gc.get_freeze_count() == 0
        assert any(o is app for o in gc.get_objects())
