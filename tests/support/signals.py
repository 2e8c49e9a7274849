"""Accounts, producers and signed signal posts against a running signalhub (SPEC §3-§5)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from tests.support.signalhub import Cli, signed_headers

SIGNALS = "/api/v1/signals"
# SPEC §5: the signal object's fields, in the contract's order (the CSV export's columns).
SIGNAL_FIELDS = [
    "id",
    "user_id",
    "producer_id",
    "instrument",
    "side",
    "price",
    "time",
    "version",
    "external_id",
    "status",
    "revision",
    "payload",
    "executed_price",
    "executed_at",
    "closed_price",
    "closed_at",
    "pnl",
    "return",
    "created_at",
    "updated_at",
]


@dataclass
class Producer:
    id: str
    secret: str


@dataclass
class Account:
    user_id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def sign(producer: Producer, body: bytes, *, ts: int | None = None) -> dict[str, str]:
    return signed_headers(producer.id, producer.secret, body, timestamp=ts)


def post(http: httpx.Client, producer: Producer, document: Any, **kwargs: Any) -> httpx.Response:
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return http.post(SIGNALS, content=body, headers=sign(producer, body, **kwargs))


def account(cli: Cli, name: str) -> Account:
    made = cli.json("users", "create", name)
    return Account(made["user_id"], made["token"])


def producer(cli: Cli, owner: Account, producer_id: str, *extra: str) -> Producer:
    made = cli.json("producers", "create", producer_id, "--user", owner.user_id, *extra)
    return Producer(made["producer_id"], made["secret"])


XAU = {"instrument": "xauusd", "side": "buy", "price": 1950.25}
