"""Transitions against a running signalhub (SPEC §9), closed signals, and requests released
all at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from tests.support.signalhub import Server
from tests.support.signals import SIGNALS, Account, Producer, post


def transition(
    http: httpx.Client,
    who: Account,
    signal_id: str,
    body: Any,
    if_match: str | None = None,
) -> httpx.Response:
    headers = dict(who.auth)
    if if_match is not None:
        headers["If-Match"] = if_match
    url = f"{SIGNALS}/{signal_id}/transitions"
    if isinstance(body, bytes):
        return http.post(url, content=body, headers={**headers, "Content-Type": "application/json"})
    return http.post(url, json=body, headers=headers)


def trail(http: httpx.Client, who: Account, signal_id: str) -> list[dict[str, Any]]:
    answer = http.get(f"{SIGNALS}/{signal_id}/events", headers=who.auth)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def at_once(
    server: Server, calls: list[Callable[[httpx.Client], httpx.Response]]
) -> list[httpx.Response]:
    """One warmed connection per call, released together by a barrier."""
    clients = [server.client() for _ in calls]
    for client in clients:
        assert client.get("/healthz").status_code == 200  # open the connection now
    barrier = threading.Barrier(len(calls))

    def send(i: int) -> httpx.Response:
        barrier.wait()
        return calls[i](clients[i])

    try:
        with ThreadPoolExecutor(len(calls)) as pool:
            return list(pool.map(send, range(len(calls))))
    finally:
        for client in clients:
            client.close()


def closed_signal(
    http: httpx.Client,
    owner: Account,
    relay: Producer,
    *,
    instrument: str,
    side: str,
    fill: float,
    exit_price: float,
    executed_at: str | None = None,
    closed_at: str | None = None,
) -> dict[str, Any]:
    """A signal taken through new -> approved -> executed (fill) -> closed (exit); the signal
    as closed. `relay` should have time-window dedup off (`--dedup-window 0`)."""
    created = post(http, relay, {"instrument": instrument, "side": side, "price": fill})
    assert created.status_code == 201, created.text
    sid = created.json()["id"]
    steps: list[dict[str, Any]] = [
        {"to": "approved"},
        {"to": "executed", "price": fill, **({"at": executed_at} if executed_at else {})},
        {"to": "closed", "price": exit_price, **({"at": closed_at} if closed_at else {})},
    ]
    answer = None
    for step in steps:
        answer = transition(http, owner, sid, step)
        assert answer.status_code == 200, answer.text
    assert answer is not None
    closed: dict[str, Any] = answer.json()
    return closed
