"""Black-box fixtures: a real `signalhub serve` process on a free port, and CLI subprocesses.

Use `cli` (or `sqlite_cli`, `pg_cli`) to run verbs against a fresh database (SQLite or
PostgreSQL) with its own MEDIA_DIR, and `start_server` for servers stopped after the test. The
helpers behind them (Cli, Server, launch, signed_headers) are in tests/support/signalhub.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.databases import ENGINES
from tests.support.signalhub import Cli, Server, base_env, launch


@pytest.fixture(params=ENGINES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database URL: once SQLite, once PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/var/signalhub.sqlite3"
    else:
        yield request.getfixturevalue("pg_database_url")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/var/signalhub.sqlite3"


@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Cli:
    """The CLI against a fresh database (each engine in turn) and its own MEDIA_DIR."""
    return Cli(base_env(db_url, tmp_path), tmp_path)


@pytest.fixture
def sqlite_cli(sqlite_url: str, tmp_path: Path) -> Cli:
    return Cli(base_env(sqlite_url, tmp_path), tmp_path)


@pytest.fixture
def pg_cli(pg_database_url: str, tmp_path: Path) -> Cli:
    return Cli(base_env(pg_database_url, tmp_path), tmp_path)


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    """`start_server(cli, workers=1, env={...})` -> a running Server, stopped after the test."""
    started: list[Server] = []

    def start(cli: Cli, *, workers: int = 1, env: dict[str, str] | None = None) -> Server:
        server = launch(cli, workers=workers, env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
