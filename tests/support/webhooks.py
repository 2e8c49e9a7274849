"""SPEC §15 from outside: the receiver process (tests/support/webhook_receiver.py) driven over
its control port, and the subscription endpoints called as a client would."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from tests.support.signalhub import free_port
from tests.support.signals import Account, Producer, post
from tests.support.stream import wait_until

SUBSCRIPTIONS = "/api/v1/subscriptions"
ROOT = Path(__file__).resolve().parents[2]
# SPEC §15 settings for tests: a receiver on 127.0.0.1 and a short retry schedule.
WEBHOOK_ENV = {"WEBHOOKS_ALLOW_PRIVATE": "true", "WEBHOOKS_RETRY_SCHEDULE": "1,2,4"}


class Receiver:
    """The receiver process; `records()` is everything it saw, in arrival order."""

    def __init__(self, workdir: Path, *, down: bool = False) -> None:
        self.port = free_port()
        self.control = httpx.Client(base_url=f"http://127.0.0.1:{free_port()}", timeout=30)
        self.log_path = workdir / f"receiver-{self.port}.log"
        command = [sys.executable, "-m", "tests.support.webhook_receiver"]
        command += ["--port", str(self.port), "--control-port", str(self.control.base_url.port)]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [*command, *(["--down"] if down else [])],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_until(self._healthy, "the webhook receiver answered")

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"receiver exited:\n{self.log_path.read_text()}")
        try:
            return self.control.get("/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/{name}"

    def configure(
        self, name: str, secrets: dict[str, str], plan: list[dict[str, Any]] | None = None
    ) -> None:
        answer = self.control.put(f"/hooks/{name}", json={"secrets": secrets, "plan": plan or []})
        assert answer.status_code == 204, answer.text

    def down(self) -> None:
        assert self.control.post("/down").status_code == 204

    def up(self) -> None:
        assert self.control.post("/up").status_code == 204

    def records(self, name: str | None = None, since: int = 0) -> list[dict[str, Any]]:
        """What the receiver saw (from its `since`-th request on), in arrival order."""
        answer = self.control.get("/records", params={"since": since} if since else None)
        found: list[dict[str, Any]] = answer.json()["records"]
        return [r for r in found if name is None or r["name"] == name]

    def delivered(self, name: str) -> list[dict[str, Any]]:
        """Verified requests this receiver answered with a 2xx, completely."""
        return [
            r
            for r in self.records(name)
            if r["verified_by"] and r["answer_ok"] and 200 <= (r["answered"] or 0) < 300
        ]

    def rejections(self) -> list[dict[str, Any]]:
        return [r for r in self.records() if not r["verified_by"]]

    def wait_for(self, name: str, count: int, deadline: float = 60.0) -> list[dict[str, Any]]:
        """Wait until <name> has `count` distinct event ids delivered; return the deliveries."""
        wait_until(
            lambda: len({r["event_id"] for r in self.delivered(name)}) >= count,
            f"{count} events delivered to {name}",
            deadline,
        )
        return self.delivered(name)

    def stop(self) -> None:
        self.control.close()
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


def duplicates(records: list[dict[str, Any]]) -> dict[str, int]:
    """webhook-id -> how many times it was delivered, for those delivered more than once."""
    return {k: n for k, n in Counter(r["webhook_id"] for r in records).items() if n > 1}


def subscribe(http: httpx.Client, who: Account, url: str, **fields: Any) -> dict[str, Any]:
    answer = http.post(SUBSCRIPTIONS, json={"url": url, **fields}, headers=who.auth)
    assert answer.status_code == 201, answer.text
    made: dict[str, Any] = answer.json()
    return made


def subscribed(
    http: httpx.Client,
    receiver: Receiver,
    who: Account,
    name: str,
    plan: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A subscription to receiver's <name>, whose secret the receiver verifies as "current";
    the receiver answers by `plan` (see webhook_receiver.py), else 200."""
    made = subscribe(http, who, receiver.url(name), **fields)
    receiver.configure(name, {"current": made["secret"]}, plan)
    return made


def deliveries(
    http: httpx.Client, who: Account, subscription_id: str, status: str | None = None
) -> list[dict[str, Any]]:
    params = {"status": status} if status else {}
    answer = http.get(
        f"{SUBSCRIPTIONS}/{subscription_id}/deliveries", params=params, headers=who.auth
    )
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def user_events(http: httpx.Client, who: Account, signal_ids: list[str]) -> list[dict[str, Any]]:
    """Every §9 event of these signals, by id."""
    found = []
    for signal_id in signal_ids:
        answer = http.get(f"/api/v1/signals/{signal_id}/events", headers=who.auth)
        assert answer.status_code == 200, answer.text
        found += answer.json()["items"]
    return sorted(found, key=lambda e: int(e["id"]))


def new_signals(
    http: httpx.Client, relay: Producer, n: int, instrument: str = "XAUUSD"
) -> list[str]:
    """n signals outside every dedup rule (each its own version); their ids."""
    ids = []
    for _ in range(n):
        doc = {"instrument": instrument, "side": "buy", "price": 1.5}
        answer = post(http, relay, {**doc, "version": uuid.uuid4().hex[:16]})
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    return ids


def settle(seconds: float) -> None:
    """Give the server a moment in which it could (wrongly) send more."""
    time.sleep(seconds)
