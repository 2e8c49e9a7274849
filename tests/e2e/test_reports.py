"""SPEC §12 reports, black-box on both engines: the caller's closed signals as the §6 equity
chart (returns compounded in close order) and the histogram of returns in percent."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.lifecycle import closed_signal
from tests.support.png import size
from tests.support.signalhub import Cli, Server, media_counters
from tests.support.signals import Account, Producer, account, producer

EQUITY = "/api/v1/reports/equity.png"
RETURNS = "/api/v1/reports/returns.png"
# Where a run leaves the report PNGs for a person to look at (SIGNALHUB_REPORTS_DIR).
LOOK_AT = os.environ.get("SIGNALHUB_REPORTS_DIR")


@dataclass
class World:
    http: httpx.Client
    alice: Account
    bob: Account
    relay: Producer


@pytest.fixture
def world(cli: Cli, start_server: Callable[..., Server]) -> Iterator[World]:
    alice, bob = account(cli, "alice"), account(cli, "bob")
    relay = producer(cli, alice, "relay", "--dedup-window", "0")
    server = start_server(cli)
    with server.client() as http:
        yield World(http, alice, bob, relay)


def _stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _at(t0: datetime, seconds: int) -> str:
    return _stamp(t0 + timedelta(seconds=seconds))


def three_trades(w: World) -> tuple[datetime, list[dict[str, Any]]]:
    """+10 % (buy), -5 % (sell), -10 % (buy); closed in the order 2, 3, 1 (not created order)."""
    t0 = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=2)
    one = closed_signal(
        w.http, w.alice, w.relay, instrument="XAUUSD", side="buy", fill=100.0, exit_price=110.0,
        executed_at=_at(t0, 5), closed_at=_at(t0, 90),
    )  # fmt: skip
    two = closed_signal(
        w.http, w.alice, w.relay, instrument="EURUSD", side="sell", fill=200.0, exit_price=210.0,
        executed_at=_at(t0, 10), closed_at=_at(t0, 30),
    )  # fmt: skip
    three = closed_signal(
        w.http, w.alice, w.relay, instrument="XAUUSD", side="buy", fill=50.0, exit_price=45.0,
        executed_at=_at(t0, 20), closed_at=_at(t0, 60),
    )  # fmt: skip
    return t0, [one, two, three]


def _save(name: str, data: bytes) -> None:
    if LOOK_AT:
        Path(LOOK_AT).mkdir(parents=True, exist_ok=True)
        (Path(LOOK_AT) / name).write_bytes(data)


def test_equity_compounds_each_return_in_close_order(world: World) -> None:
    w = world
    t0, (one, two, three) = three_trades(w)
    assert [one["return"], two["return"], three["return"]] == pytest.approx([0.10, -0.05, -0.10])
    # By hand, in close order (two, three, one): 10000 x 0.95 x 0.90 x 1.10.
    assert 10_000 * 0.95 * 0.90 * 1.10 == pytest.approx(9405.0)
    equity = 10_000.0
    points = [{"t": _at(t0, 5), "equity": equity}]  # the start, at the earliest fill
    for trade in (two, three, one):
        equity *= 1 + trade["return"]
        points.append({"t": trade["closed_at"], "equity": equity})
    assert [p["equity"] for p in points] == pytest.approx([10_000, 9_500, 8_550, 9_405])

    before = media_counters(w.http)
    got = w.http.get(EQUITY, params={"width": 900, "height": 500}, headers=w.alice.auth)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "image/png" and size(got.content) == (900, 500)
    key = got.headers["x-media-key"]
    assert got.headers["etag"] == f'"{key}"' and got.headers["x-cache"] == "MISS"
    assert got.headers["cache-control"] == "private, max-age=86400"
    _save("equity.png", got.content)
    # The hand-computed curve posted to §6 is the very same chart: same key, a cache hit.
    title = "Equity of 3 closed signals, from 10000"
    same = w.http.post(
        "/api/v1/charts/equity",
        json={"points": points, "title": title, "width": 900, "height": 500},
        headers=w.alice.auth,
    )
    assert same.status_code == 200, same.text
    assert (same.headers["x-media-key"], same.headers["x-cache"]) == (key, "HIT")
    assert same.content == got.content

    again = w.http.get(EQUITY, params={"width": 900, "height": 500}, headers=w.alice.auth)
    assert (again.headers["x-cache"], again.content) == ("HIT", got.content)
    unchanged = w.http.get(
        EQUITY, params={"width": 900, "height": 500},
        headers={**w.alice.auth, "If-None-Match": f'"{key}"'},
    )  # fmt: skip
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert unchanged.headers["etag"] == f'"{key}"'
    after = media_counters(w.http)
    assert after["media_render_total"] - before["media_render_total"] == 1
    assert after["media_cache_hits_total"] - before["media_cache_hits_total"] == 3

    # Another start scales the curve: another chart.
    scaled = w.http.get(EQUITY, params={"start": 2.5e6}, headers=w.alice.auth)
    assert scaled.status_code == 200 and scaled.headers["x-media-key"] != key
    assert size(scaled.content) == (1200, 700)

    # A new close changes the data, so the key (no stale chart from the cache).
    closed_signal(
        w.http, w.alice, w.relay, instrument="EURUSD", side="sell", fill=80.0, exit_price=60.0,
        executed_at=_at(t0, 100), closed_at=_at(t0, 120),
    )  # fmt: skip
    newer = w.http.get(
        EQUITY, params={"width": 900, "height": 500},
        headers={**w.alice.auth, "If-None-Match": f'"{key}"'},
    )  # fmt: skip
    assert newer.status_code == 200 and newer.headers["x-cache"] == "MISS"
    assert newer.headers["x-media-key"] != key
    _save("equity-after-a-new-close.png", newer.content)


def test_returns_histogram_in_percent_with_filters(world: World) -> None:
    w = world
    t0, (one, two, three) = three_trades(w)
    got = w.http.get(RETURNS, params={"bins": 5}, headers=w.alice.auth)
    assert got.status_code == 200, got.text
    assert size(got.content) == (1200, 700)
    _save("returns.png", got.content)
    values = [100 * t["return"] for t in (two, three, one)]  # close order
    assert values == pytest.approx([-5.0, -10.0, 10.0])
    same = w.http.post(
        "/api/v1/charts/histogram",
        json={"values": values, "bins": 5, "title": "Returns of 3 closed signals (%)"},
        headers=w.alice.auth,
    )
    assert (same.headers["x-media-key"], same.headers["x-cache"]) == (
        got.headers["x-media-key"],
        "HIT",
    )

    # instrument (case-insensitive): the two XAUUSD trades, one then three by close time
    xau = w.http.get(EQUITY, params={"instrument": "xauusd"}, headers=w.alice.auth)
    assert xau.status_code == 200, xau.text
    points = [
        {"t": _at(t0, 5), "equity": 10_000.0},
        {"t": three["closed_at"], "equity": 10_000.0 * (1 + three["return"])},
        {"t": one["closed_at"], "equity": 10_000.0 * (1 + three["return"]) * (1 + one["return"])},
    ]
    hand = w.http.post(
        "/api/v1/charts/equity",
        json={"points": points, "title": "Equity of 2 closed XAUUSD signals, from 10000"},
        headers=w.alice.auth,
    )
    assert hand.headers["x-media-key"] == xau.headers["x-media-key"]
    # since/until are on closed_at: [t0+30, t0+90) holds two and three, not one
    window = {"since": _at(t0, 30), "until": _at(t0, 90)}
    narrowed = w.http.get(RETURNS, params=window, headers=w.alice.auth)
    assert narrowed.status_code == 200, narrowed.text
    both = w.http.post(
        "/api/v1/charts/histogram",
        json={
            "values": [100 * two["return"], 100 * three["return"]],
            "title": "Returns of 2 closed signals (%)",
        },
        headers=w.alice.auth,
    )
    assert both.headers["x-media-key"] == narrowed.headers["x-media-key"]
    two_only = w.http.get(RETURNS, params={**window, "since": _at(t0, 31)}, headers=w.alice.auth)
    assert two_only.status_code == 422, two_only.text


def test_fewer_than_two_closed_signals_is_422(world: World) -> None:
    w = world
    for who in (w.alice, w.bob):  # nothing closed yet
        for path in (EQUITY, RETURNS):
            answer = w.http.get(path, headers=who.auth)
            assert answer.status_code == 422, answer.text
            assert "at least 2 closed signals" in answer.json()["detail"]
    closed_signal(
        w.http, w.alice, w.relay, instrument="XAUUSD", side="buy", fill=10.0, exit_price=12.0
    )
    # An executed signal that is not closed does not count.
    created = w.http.get("/api/v1/signals", headers=w.alice.auth).json()["items"]
    assert len(created) == 1
    assert w.http.get(EQUITY, headers=w.alice.auth).status_code == 422
    closed_signal(
        w.http, w.alice, w.relay, instrument="XAUUSD", side="sell", fill=10.0, exit_price=9.0
    )
    assert w.http.get(EQUITY, headers=w.alice.auth).status_code == 200
    # bob sees none of alice's closes; no token: 401
    assert w.http.get(EQUITY, headers=w.bob.auth).status_code == 422
    assert w.http.get(EQUITY).status_code == 401


BAD_PARAMETERS: list[tuple[str, Any, str]] = [
    (EQUITY, {"start": "0"}, "start"),
    (EQUITY, {"start": "-5"}, "start"),
    (EQUITY, {"start": "nan"}, "start"),
    (EQUITY, {"start": "1e13"}, "start"),
    (EQUITY, {"start": "ten"}, "start"),
    (EQUITY, {"width": "319"}, "width"),
    (EQUITY, {"width": "3841"}, "width"),
    (EQUITY, {"width": "1200.5"}, "width"),
    (EQUITY, {"height": "2161"}, "height"),
    (EQUITY, {"instrument": ""}, "instrument"),
    (EQUITY, {"instrument": "X"}, "instrument"),
    (EQUITY, {"instrument": "BAD TICKER"}, "instrument"),
    (EQUITY, {"since": "yesterday"}, "since"),
    (EQUITY, {"until": "2026-01-01T00:00:00"}, "until"),
    (RETURNS, {"bins": "0"}, "bins"),
    (RETURNS, {"bins": "201"}, "bins"),
    (RETURNS, {"width": ""}, "width"),
    (RETURNS, [("bins", "5"), ("bins", "6")], "bins"),
]


def test_a_parameter_out_of_range_is_400_naming_it(world: World) -> None:
    for path, params, field in BAD_PARAMETERS:
        answer = world.http.get(path, params=params, headers=world.alice.auth)
        assert answer.status_code == 400, (params, answer.text)
        body = answer.json()
        assert body["field"] == field and body["status_code"] == 400, params
        assert body["detail"].startswith(field), params
