"""SPEC §5 and §9 black-box: transitions, If-Match/ETag, the audit trail, since/until."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.signals.model import SignalStatus
from tests.support.lifecycle import trail, transition
from tests.support.signalhub import Cli, Server
from tests.support.signals import SIGNALS, XAU, account, post, producer

NEW_FIELDS = ("executed_price", "executed_at", "closed_price", "closed_at", "pnl", "return")


@pytest.fixture
def world(cli: Cli, start_server: Callable[..., Server]) -> Iterator[dict[str, Any]]:
    alice, bob = account(cli, "alice"), account(cli, "bob")
    relay = producer(cli, alice, "tv-relay-1")
    server = start_server(cli)
    with server.client() as http:
        yield {"http": http, "alice": alice, "bob": bob, "relay": relay}


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(("side", "pnl", "ratio"), [("buy", 100.0, 0.05), ("sell", -100.0, -0.05)])
def test_a_signal_lives_its_whole_life(
    world: dict[str, Any], side: str, pnl: float, ratio: float
) -> None:
    http, alice, relay = world["http"], world["alice"], world["relay"]
    created = post(http, relay, {**XAU, "side": side})
    assert created.status_code == 201, created.text
    signal = created.json()
    assert signal["status"] == "new" and signal["revision"] == 1
    assert all(signal[name] is None for name in NEW_FIELDS)
    sid = signal["id"]
    got = http.get(f"{SIGNALS}/{sid}", headers=alice.auth)
    assert got.headers["etag"] == '"1"' and got.json() == signal

    approved = transition(http, alice, sid, {"to": "approved", "note": "looks good"}, '"1"')
    assert approved.status_code == 200, approved.text
    assert approved.headers["etag"] == '"2"'
    assert approved.json()["status"] == "approved" and approved.json()["revision"] == 2

    filled_at = _stamp(datetime.now(UTC) + timedelta(seconds=5))
    executed = transition(http, alice, sid, {"to": "executed", "price": 2000, "at": filled_at})
    assert executed.status_code == 200, executed.text
    body = executed.json()
    assert (body["status"], body["revision"]) == ("executed", 3)
    assert (body["executed_price"], body["executed_at"]) == (2000.0, filled_at)
    assert body["updated_at"] == filled_at and body["closed_price"] is None

    closed = transition(http, alice, sid, {"to": "closed", "price": 2100.0})
    assert closed.status_code == 200, closed.text
    body = closed.json()
    assert (body["status"], body["revision"]) == ("closed", 4)
    assert body["closed_price"] == 2100.0 and body["closed_at"] >= filled_at
    assert body["pnl"] == pytest.approx(pnl) and body["return"] == pytest.approx(ratio)
    assert body["executed_price"] == 2000.0 and body["price"] == signal["price"]
    again = http.get(f"{SIGNALS}/{sid}", headers=alice.auth)
    assert again.json() == body and again.headers["etag"] == '"4"'
    listed = http.get(SIGNALS, params={"status": "closed"}, headers=alice.auth).json()
    assert listed["items"] == [body]

    # the final status refuses everything, naming itself
    final = transition(http, alice, sid, {"to": "cancelled"})
    assert final.status_code == 409 and final.json()["status"] == "closed"

    events = trail(http, alice, sid)
    assert [(e["type"], e["from"], e["to"]) for e in events] == [
        ("signal.created", None, "new"),
        ("signal.transitioned", "new", "approved"),
        ("signal.transitioned", "approved", "executed"),
        ("signal.transitioned", "executed", "closed"),
    ]
    assert set(events[0]) == {"id", "type", "signal_id", "at", "actor", "from", "to", "note"}
    assert events[0]["actor"] == "producer:tv-relay-1" and events[0]["at"] == signal["created_at"]
    assert {e["actor"] for e in events[1:]} == {f"user:{alice.user_id}"}
    assert [e["note"] for e in events] == [None, "looks good", None, None]
    assert events[2]["at"] == filled_at and events[3]["at"] == body["closed_at"]
    assert all(e["signal_id"] == sid for e in events)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == 4

    metrics = http.get("/metrics").text
    for move in ('from="new",to="approved"', 'from="approved",to="executed"'):
        assert f"signals_transitions_total{{{move}}} 1.0" in metrics
    assert 'signals_transitions_total{from="new",to="rejected"} 0.0' in metrics


def test_every_refusal_answers_as_the_spec_says(world: dict[str, Any]) -> None:
    http, alice, bob, relay = world["http"], world["alice"], world["bob"], world["relay"]
    sid = post(http, relay, XAU).json()["id"]
    missing = "00000000-0000-4000-8000-000000000000"

    # 401 / 404 / 403, and a bad body answers 400 before any of them is looked at
    assert http.post(f"{SIGNALS}/{sid}/transitions", json={"to": "approved"}).status_code == 401
    for target, who, status in [(missing, alice, 404), ("not-a-uuid", alice, 404), (sid, bob, 403)]:
        answer = transition(http, who, target, {"to": "approved"})
        assert answer.status_code == status, answer.text
        assert transition(http, who, target, {"to": "soon"}).status_code == 400
        assert http.get(f"{SIGNALS}/{target}/events", headers=who.auth).status_code == status
    assert transition(http, bob, sid, {"to": "approved"}, '"9"').status_code == 403

    bad: list[tuple[Any, str]] = [
        (b"{not json", "body"),
        (b"", "body"),
        ({}, "to"),
        ({"to": "soon"}, "to"),
        ({"to": "approved", "qty": 1}, "qty"),
        ({"to": "approved", "price": 1.5}, "price"),  # needless
        ({"to": "executed"}, "price"),  # missing (the body rule comes before the table)
        ({"to": "executed", "price": 0}, "price"),
        ({"to": "executed", "price": "1"}, "price"),
        (b'{"to":"executed","price":1e999}', "price"),
        ({"to": "approved", "at": "2026-11-28T01:00:00"}, "at"),
        ({"to": "approved", "at": "yesterday"}, "at"),
        ({"to": "approved", "at": "2020-01-01T00:00:00Z"}, "at"),  # before the previous state
        ({"to": "approved", "note": "n" * 501}, "note"),
        ({"to": "approved", "note": "a\u0000b"}, "note"),
    ]
    for document, field in bad:
        answer = transition(http, alice, sid, document)
        assert answer.status_code == 400, (document, answer.text)
        assert answer.json()["field"] == field, (document, answer.json())
    assert transition(http, alice, sid, b"{" + b" " * 20000 + b"}").status_code == 413

    # If-Match: stale, malformed or weak -> 412 with the current revision; before the table
    for header in ('"2"', "2", 'W/"1"', '"1", "2"', "abc"):
        answer = transition(http, alice, sid, {"to": "approved"}, header)
        assert answer.status_code == 412, (header, answer.text)
        assert answer.json()["revision"] == 1 and answer.headers["etag"] == '"1"'
    assert transition(http, alice, sid, {"to": "closed", "price": 1}, '"7"').status_code == 412
    refused = transition(http, alice, sid, {"to": "closed", "price": 1}, '"1"')
    assert refused.status_code == 409 and refused.json()["status"] == "new"

    assert transition(http, alice, sid, {"to": "approved"}, "*").status_code == 200
    stale = transition(http, alice, sid, {"to": "cancelled"}, '"1"')
    assert stale.status_code == 412 and stale.json()["revision"] == 2
    for target in ("approved", "rejected", "new"):
        answer = transition(http, alice, sid, {"to": target})
        assert answer.status_code == 409 and answer.json()["status"] == "approved"
    assert transition(http, alice, sid, {"to": "cancelled"}, '"2"').status_code == 200
    # the table answers before `at`: a final status is 409 whatever the time
    late = transition(http, alice, sid, {"to": "approved", "at": "2020-01-01T00:00:00Z"})
    assert late.status_code == 409 and late.json()["status"] == "cancelled"

    # nothing refused was written: three events, revision 3
    assert [e["to"] for e in trail(http, alice, sid)] == ["new", "approved", "cancelled"]
    assert http.get(f"{SIGNALS}/{sid}", headers=alice.auth).json()["revision"] == 3


def test_the_list_filters_on_since_and_until(world: dict[str, Any]) -> None:
    http, alice, relay = world["http"], world["alice"], world["relay"]
    ids = []
    for hour in range(5):
        doc = {**XAU, "external_id": f"t-{hour}", "time": f"2026-11-28T0{hour}:00:00Z"}
        answer = post(http, relay, {**doc, "instrument": f"I{hour}X"})
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])

    def listed(**params: str) -> list[str]:
        answer = http.get(SIGNALS, params=params, headers=alice.auth)
        assert answer.status_code == 200, answer.text
        return [s["id"] for s in answer.json()["items"]][::-1]

    assert listed(since="2026-11-28T01:00:00Z") == ids[1:]
    assert listed(until="2026-11-28T03:00:00Z") == ids[:3]
    assert listed(since="2026-11-28T03:00:00+02:00", until="2026-11-28T03:00:00Z") == ids[1:3]
    assert listed(since="2026-11-28T04:00:00.000001Z") == []
    for params, field in [
        ({"since": "yesterday"}, "since"),
        ({"until": "2026-11-28T01:00:00"}, "until"),
        ({"since": "2026-11-28T01:00:00Z", "until": "2026-13-28T01:00:00Z"}, "until"),
    ]:
        answer = http.get(SIGNALS, params=params, headers=alice.auth)
        assert answer.status_code == 400, (params, answer.text)
        assert answer.json()["field"] == field and field in answer.json()["detail"]


def test_openapi_documents_the_lifecycle(
    sqlite_cli: Cli, start_server: Callable[..., Server]
) -> None:
    with start_server(sqlite_cli).client() as http:
        document = http.get("/schema/openapi.json").json()
    paths, schemas = document["paths"], document["components"]["schemas"]
    move = paths["/api/v1/signals/{signal_id}/transitions"]["post"]
    assert set(move["responses"]) == {"200", "400", "401", "403", "404", "409", "412", "413"}
    assert "ETag" in move["responses"]["200"]["headers"]
    assert [p["name"] for p in move["parameters"] if p["in"] == "header"] == ["If-Match"]
    body = move["requestBody"]["content"]["application/json"]["schema"]
    variants = {v["properties"]["to"]["enum"][0]: v for v in body["anyOf"]}  # tagged by `to`
    assert set(variants) == {s.value for s in SignalStatus}
    for to, variant in variants.items():
        assert variant["additionalProperties"] is False
        needs_price = to in ("executed", "closed")
        assert sorted(variant["required"]) == (["price", "to"] if needs_price else ["to"])
    assert "ETag" in paths["/api/v1/signals/{signal_id}"]["get"]["responses"]["200"]["headers"]
    trail_answers = paths["/api/v1/signals/{signal_id}/events"]["get"]["responses"]
    assert {"200", "401", "403", "404"} <= set(trail_answers)
    listing = paths["/api/v1/signals"]["get"]["parameters"]
    assert {"since", "until"} <= {p["name"] for p in listing}
    assert set(NEW_FIELDS) | {"revision"} <= set(schemas["SignalOut"]["properties"])
    assert set(schemas["EventOut"]["required"]) == {
        "id", "type", "signal_id", "at", "actor", "from", "to", "note"
    }  # fmt: skip
    assert {"status", "revision"} <= set(schemas["ErrorBody"]["properties"])
