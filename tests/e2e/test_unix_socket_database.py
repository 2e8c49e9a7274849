"""DATABASE_URL over PostgreSQL's Unix socket (postgresql://USER@/DB?host=/SOCKET/DIR):
migrations, the CLI, ingestion with its dedup, readiness and the stream's LISTEN connection
all work through it (README, docs/signals.md)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.databases import unix_socket_url
from tests.support.signalhub import Cli, Server, base_env
from tests.support.signals import SIGNALS, XAU, account, post, producer


@pytest.fixture
def socket_cli(pg_database_url: str, tmp_path: Path) -> Cli:
    url = asyncio.run(unix_socket_url(pg_database_url))
    if url is None:
        pytest.skip("the PostgreSQL server of the tests has no Unix socket on this host")
    assert "?host=/" in url and "@/" in url  # no TCP host in the URL
    return Cli(base_env(url, tmp_path), tmp_path)


def test_a_unix_socket_database_url_serves_every_path(
    socket_cli: Cli, start_server: Callable[..., Server]
) -> None:
    assert "0008_signal_insert_batch" in socket_cli.json("migrate")["applied"]
    alice = account(socket_cli, "alice")
    relay = producer(socket_cli, alice, "relay-sock")
    server = start_server(socket_cli)
    with server.client() as http:
        assert http.get("/readyz").status_code == 200
        with http.stream("GET", "/api/v1/stream", headers=alice.auth, timeout=30) as stream:
            created = post(http, relay, {**XAU, "external_id": "sock-1"})
            assert created.status_code == 201, created.text
            again = post(http, relay, {**XAU, "external_id": "sock-1"})
            assert again.status_code == 409
            assert again.json()["existing_id"] == created.json()["id"]
            # the event reaches the open stream through the LISTEN connection (socket too)
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    data = json.loads(line[len("data: ") :])
                    assert data["signal"]["id"] == created.json()["id"]
                    break
        listing = http.get(SIGNALS, headers=alice.auth).json()
        assert listing["total"] == 1
