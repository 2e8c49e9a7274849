"""SPEC §15 fixtures: the receiver process, and a server with an owner and a producer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.signalhub import Cli, Server
from tests.support.signals import Account, Producer, account, producer
from tests.support.webhooks import WEBHOOK_ENV, Receiver


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    """A running webhook receiver process, stopped after the test."""
    started = Receiver(tmp_path)
    yield started
    started.stop()


@dataclass
class Hub:
    cli: Cli
    server: Server
    http: httpx.Client
    owner: Account
    relay: Producer


@pytest.fixture
def hub_on(start_server: Callable[..., Server]) -> Iterator[Callable[..., Hub]]:
    """`hub_on(cli, **env)`: a server with the test webhook settings, an owner, a producer."""
    clients: list[httpx.Client] = []

    def make(cli: Cli, **env: str) -> Hub:
        owner = account(cli, "owner")
        relay = producer(cli, owner, "relay-1")
        server = start_server(cli, env={**WEBHOOK_ENV, **env})
        http = server.client()
        clients.append(http)
        return Hub(cli, server, http, owner, relay)

    yield make
    for http in clients:
        http.close()
