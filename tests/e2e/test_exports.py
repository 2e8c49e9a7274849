"""SPEC §12 exports, black-box: a real `signalhub serve` on each engine, the CSV read back with
the standard library's `csv` and compared with the list endpoint's items."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.databases import ENGINES, create_pg_database, drop_pg_database
from tests.support.lifecycle import transition
from tests.support.signalhub import Cli, Server, base_env, launch
from tests.support.signals import (
    SIGNAL_FIELDS,
    SIGNALS,
    XAU,
    Account,
    Producer,
    account,
    post,
    producer,
)

EXPORT = f"{SIGNALS}/export"
COLUMNS = SIGNAL_FIELDS
NASTY_PAYLOAD = {
    "note": 'He said "buy, now"\nthen left,\r\nfast',
    "quote": '"',
    "levels": [1, 2.5, None, True],
    "nested": {"k": "=1+1"},
}


@pytest.fixture(scope="module", params=ENGINES)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Any]]:
    """One server per engine for the whole module: every test here only reads."""
    workdir = tmp_path_factory.mktemp(f"exports-{request.param}")
    if request.param == "sqlite":
        url, drop = f"sqlite:///{workdir}/var/signalhub.sqlite3", None
    else:
        url = drop = asyncio.run(create_pg_database())
    cli = Cli(base_env(url, workdir), workdir)
    alice, bob = account(cli, "alice"), account(cli, "bob")
    relay = producer(cli, alice, "relay-a", "--dedup-window", "0")
    other = producer(cli, bob, "relay-b")
    server = launch(cli)
    try:
        yield {**_populated(server, relay, other, alice), "bob": bob}
    finally:
        server.stop()
        if drop is not None:
            asyncio.run(drop_pg_database(drop))


def _populated(server: Server, relay: Producer, other: Producer, alice: Account) -> dict[str, Any]:
    with server.client() as http:
        bodies: list[dict[str, Any]] = [
            {**XAU, "payload": NASTY_PAYLOAD, "external_id": '=HYPERLINK("http://x")'},
            {**XAU, "instrument": "eurusd", "side": "sell", "price": 1.0842, "version": "+2"},
            {**XAU, "time": "2026-11-20T10:00:00.5+02:00", "external_id": "@sum"},
            {**XAU, "instrument": "-DASH", "version": "-v", "external_id": "-1"},
            {**XAU, "instrument": "BINANCE:BTCUSDT", "price": 100, "payload": {"a": ","}},
        ]
        ids = []
        for body in bodies:
            created = post(http, relay, body)
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        # one closed at a loss: a negative number stays a number
        for step in (
            {"to": "approved"},
            {"to": "executed", "price": 100},
            {"to": "closed", "price": 90},
        ):
            assert transition(http, alice, ids[-1], step).status_code == 200
        assert transition(http, alice, ids[1], {"to": "rejected"}).status_code == 200
        theirs = post(http, other, {**XAU, "external_id": "bobs"})
        assert theirs.status_code == 201
    return {"server": server, "alice": alice, "ids": ids, "bobs": theirs.json()["id"]}


@pytest.fixture
def http(world: dict[str, Any]) -> Iterator[httpx.Client]:
    with world["server"].client() as client:
        yield client


def listed(http: httpx.Client, who: Account, **filters: str) -> list[dict[str, Any]]:
    """The list endpoint's items for the same filters, oldest first (the export's order)."""
    answer = http.get(SIGNALS, params={**filters, "page_size": "200"}, headers=who.auth)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items[::-1]


def exported_csv(http: httpx.Client, who: Account, **filters: str) -> list[list[str]]:
    answer = http.get(EXPORT, params={"format": "csv", **filters}, headers=who.auth)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"] == 'attachment; filename="signals.csv"'
    assert answer.content.endswith(b"\r\n")
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8"), newline="")))


def expected_cell(value: Any) -> str:
    """How SPEC §12 writes one value of the list into a CSV cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
    return str(value)


def assert_csv_is_the_list(rows: list[list[str]], items: list[dict[str, Any]]) -> None:
    assert rows[0] == COLUMNS
    assert len(rows) == len(items) + 1
    for row, item in zip(rows[1:], items, strict=True):
        cells = dict(zip(COLUMNS, row, strict=True))
        assert json.loads(cells.pop("payload")) == item["payload"]
        for name, cell in cells.items():
            value = item[name]
            if isinstance(value, float):
                assert float(cell) == value, name
            else:
                assert cell == expected_cell(value), name


def test_csv_is_the_list_read_back_with_the_csv_module(
    world: dict[str, Any], http: httpx.Client
) -> None:
    alice, ids = world["alice"], world["ids"]
    rows = exported_csv(http, alice)
    items = listed(http, alice)
    assert [item["id"] for item in items] == ids  # oldest first, bob's never
    assert_csv_is_the_list(rows, items)

    by_id = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
    nasty = by_id[ids[0]]
    assert json.loads(nasty["payload"]) == NASTY_PAYLOAD  # quotes, commas, CR LF survive
    assert nasty["external_id"] == '\'=HYPERLINK("http://x")'
    assert by_id[ids[1]]["version"] == "'+2"
    assert by_id[ids[2]]["external_id"] == "'@sum"
    assert by_id[ids[3]]["instrument"] == "'-DASH"
    assert by_id[ids[3]]["external_id"] == "'-1"
    assert by_id[ids[3]]["version"] == "'-v"
    closed = by_id[ids[4]]
    assert (closed["status"], closed["pnl"], closed["return"]) == ("closed", "-10.0", "-0.1")
    assert closed["executed_price"] == "100.0"
    assert by_id[ids[0]]["closed_at"] == ""  # null is an empty cell


def test_ndjson_is_one_list_item_a_line(world: dict[str, Any], http: httpx.Client) -> None:
    alice = world["alice"]
    answer = http.get(EXPORT, params={"format": "ndjson"}, headers=alice.auth)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/x-ndjson")
    assert answer.headers["content-disposition"] == 'attachment; filename="signals.ndjson"'
    lines = answer.content.split(b"\n")
    assert lines[-1] == b""  # every line ends with a newline, the last one too
    assert [json.loads(line) for line in lines[:-1]] == listed(http, alice)


def test_the_filters_of_the_list_apply(world: dict[str, Any], http: httpx.Client) -> None:
    alice, ids = world["alice"], world["ids"]
    cases: list[dict[str, str]] = [
        {"status": "closed"},
        {"status": "new", "instrument": "xauusd"},
        {"instrument": "eurusd"},
        {"since": "2026-11-21T00:00:00Z"},
        {"until": "2026-11-20T08:00:00.500001Z"},
        {"since": "2026-11-20T08:00:00.5Z", "until": "2026-11-20T08:00:00.500001Z"},
    ]
    for filters in cases:
        items = listed(http, alice, **filters)
        assert_csv_is_the_list(exported_csv(http, alice, **filters), items)
        ndjson = http.get(EXPORT, params={"format": "ndjson", **filters}, headers=alice.auth)
        assert [json.loads(line) for line in ndjson.text.splitlines()] == items, filters
    assert [i["id"] for i in listed(http, alice, status="closed")] == [ids[4]]
    assert [i["id"] for i in listed(http, alice, until="2026-11-20T08:00:00.500001Z")] == [ids[2]]
    assert exported_csv(http, alice, status="cancelled") == [COLUMNS]  # nothing: the header
    empty = http.get(EXPORT, params={"format": "ndjson", "status": "cancelled"}, headers=alice.auth)
    assert (empty.status_code, empty.content) == (200, b"")


def test_another_users_signals_are_never_exported(
    world: dict[str, Any], http: httpx.Client
) -> None:
    alice, bob = world["alice"], world["bob"]
    rows = exported_csv(http, bob)
    assert [row[0] for row in rows[1:]] == [world["bobs"]]
    assert world["bobs"] not in http.get(EXPORT, headers=alice.auth).text
    assert {row[1] for row in exported_csv(http, alice)[1:]} == {alice.user_id}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"format": "xlsx"}, "format"),
        ({"format": ""}, "format"),
        ({"format": "CSV"}, "format"),
        ({"status": "open"}, "status"),
        ({"instrument": "x"}, "instrument"),
        ({"instrument": "BAD!"}, "instrument"),
        ({"since": "yesterday"}, "since"),
        ({"until": ""}, "until"),
        ({"until": "2026-11-20T10:00:00"}, "until"),  # no offset
        ({"format": "ndjson", "since": "2026-13-01T00:00:00Z"}, "since"),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(
    world: dict[str, Any], http: httpx.Client, params: dict[str, str], field: str
) -> None:
    answer = http.get(EXPORT, params=params, headers=world["alice"].auth)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["field"] == field
    assert field in body["detail"]
    assert "content-disposition" not in answer.headers


def test_no_token_is_a_401(http: httpx.Client) -> None:
    assert http.get(EXPORT).status_code == 401
    assert http.get(EXPORT, headers={"Authorization": "Bearer nope"}).status_code == 401
