"""SPEC §9: transitions are atomic across two server processes, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.support.lifecycle import at_once, trail, transition
from tests.support.signalhub import Cli, Server
from tests.support.signals import SIGNALS, XAU, account, post, producer

N = 20


@pytest.mark.slow
def test_racing_transitions_have_exactly_one_winner(
    cli: Cli, start_server: Callable[..., Server]
) -> None:
    alice = account(cli, "alice")
    relay = producer(cli, alice, "relay-a")
    server = start_server(cli, workers=2)
    with server.client() as http:
        first = post(http, relay, {**XAU, "external_id": "race-1"}).json()["id"]
        second = post(http, relay, {**XAU, "external_id": "race-2", "side": "sell"}).json()["id"]

    def move(
        sid: str, to: str, if_match: str | None = None
    ) -> Callable[[httpx.Client], httpx.Response]:
        return lambda client: transition(client, alice, sid, {"to": to}, if_match)

    # N owners' clicks on one new signal, each to a final status new allows (not `approved`:
    # approved -> cancelled is itself legal, so a late `cancelled` could win a second time):
    # one wins, the rest 409 naming the winner's status.
    targets = ("rejected", "cancelled")
    answers = at_once(server, [move(first, targets[i % 2]) for i in range(N)])
    won = [a for a in answers if a.status_code == 200]
    lost = [a for a in answers if a.status_code != 200]
    assert len(won) == 1, [(a.status_code, a.text) for a in answers]
    winner = won[0].json()["status"]
    assert {a.status_code for a in lost} == {409}
    assert {a.json()["status"] for a in lost} == {winner}

    # the same with If-Match on the revision read: one wins, the rest 412 (or 409)
    answers = at_once(server, [move(second, "approved", '"1"') for _ in range(N)])
    assert [a.status_code for a in answers].count(200) == 1, [a.text for a in answers]
    assert {a.status_code for a in answers} <= {200, 409, 412}
    assert all(a.json()["revision"] == 2 for a in answers if a.status_code == 412)

    with server.client() as http:
        for sid, to in ((first, winner), (second, "approved")):
            events = trail(http, alice, sid)
            assert [(e["from"], e["to"]) for e in events] == [(None, "new"), ("new", to)]
            got = http.get(f"{SIGNALS}/{sid}", headers=alice.auth).json()
            assert (got["status"], got["revision"]) == (to, 2)
        metrics = http.get("/metrics").text
    total = sum(
        float(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith("signals_transitions_total{")
    )
    assert total == 2.0
