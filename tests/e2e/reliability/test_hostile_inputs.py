"""Hostile inputs: none may produce a 5xx, leak a file, or reach what is not the caller's."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.support.signalhub import Cli, base_env, launch, signed_headers

SIGNALS = "/api/v1/signals"


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One server for the module (SQLite): each test uses its own signals."""
    workdir: Path = tmp_path_factory.mktemp("hostile")
    cli = Cli(base_env(f"sqlite:///{workdir}/var/db.sqlite3", workdir), workdir)
    alice = cli.json("users", "create", "alice")
    bob = cli.json("users", "create", "bob")
    relay = cli.json("producers", "create", "relay", "--user", alice["user_id"])
    # A file just outside MEDIA_DIR that a traversal would love to read.
    (workdir / "secret.png").write_bytes(b"TOP SECRET")
    server = launch(
        cli,
        env={
            "MEDIA_MAX_BYTES": "50000000",
            "MEDIA_CACHE_MAX_BYTES": "500000000",
            "RENDER_WORKERS": "2",
        },
    )
    try:
        with server.client() as http:
            yield {"http": http, "alice": alice, "bob": bob, "relay": relay, "server": server}
    finally:
        server.stop()


def _post_signal(t: dict[str, Any], body: bytes, **kwargs: Any) -> httpx.Response:
    relay = t["relay"]
    headers = signed_headers(relay["producer_id"], relay["secret"], body, **kwargs)
    return t["http"].post(SIGNALS, content=body, headers=headers)


def _auth(account: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {account['token']}"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/media/../../secret.png",
        "/api/v1/media/..%2F..%2Fsecret.png",
        "/api/v1/media/%2e%2e%2f%2e%2e%2fsecret.png",
        "/api/v1/media/..%252F..%252Fsecret.png",
        "/api/v1/media/%2e%2e",
        "/api/v1/media/" + "." * 64,
        "/api/v1/media/" + "A" * 64,
        "/api/v1/media/" + "0" * 63 + "/",
        "/api/v1/media/" + "0" * 62 + "%00",
        "/api/v1/media/" + "0" * 65,
    ],
)
def test_media_traversal_is_404_and_never_a_file(target: dict[str, Any], path: str) -> None:
    answer = target["http"].get(path, headers=_auth(target["alice"]))
    assert answer.status_code == 404
    assert b"TOP SECRET" not in answer.content
    assert answer.json()["status_code"] == 404


def _chunks(data: bytes, size: int = 4096) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.mark.parametrize("chunked", [False, True])
def test_oversize_bodies_are_413_with_or_without_content_length(
    target: dict[str, Any], chunked: bool
) -> None:
    big_signal = json.dumps(
        {"instrument": "XAUUSD", "side": "buy", "price": 1, "payload": {"pad": "x" * 40000}}
    ).encode()
    relay = target["relay"]
    headers = signed_headers(relay["producer_id"], relay["secret"], big_signal)
    content: Any = _chunks(big_signal) if chunked else big_signal
    answer = target["http"].post(SIGNALS, content=content, headers=headers)
    assert answer.status_code == 413 and answer.json()["status_code"] == 413

    big_chart = json.dumps({"values": [1.5] * 1_700_000}).encode()  # > 8 MiB
    content = _chunks(big_chart, 65536) if chunked else big_chart
    answer = target["http"].post(
        "/api/v1/charts/histogram",
        content=content,
        headers={**_auth(target["alice"]), "Content-Type": "application/json"},
    )
    assert answer.status_code == 413 and answer.json()["status_code"] == 413


def test_deeply_nested_payload_is_refused_cleanly(target: dict[str, Any]) -> None:
    depth = 5000
    body = (
        '{"instrument":"XAUUSD","side":"buy","price":1,"payload":'
        + '{"a":' * depth
        + "1"
        + "}" * depth
        + "}"
    ).encode()
    answer = _post_signal(target, body)
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"instrument":"XAUUSD","side":"buy","price":1e400}', "price"),
        (b'{"instrument":"XAUUSD","side":"buy","price":NaN}', None),
        (b'{"instrument":"XAUUSD","side":"buy","price":Infinity}', None),
        (b'{"instrument":"XAUUSD","side":"buy","price":-Infinity}', None),
        (b'{"instrument":"XA\xff\xfeUSD","side":"buy","price":1}', None),
        (b'{"instrument":"XAUUSD","side":"buy","price":1,"external_id":"\\ud800"}', None),
        (b'{"instrument":"XAUUSD","side":"buy","price":1,"payload":{"k":"\\udfff"}}', None),
        (b'{"instrument":"XAUUSD","side":"buy","price":1,"version":"\\ud83d"}', None),
        (b'{"instrument":"XAUUSD","side":"buy","price":' + b"9" * 5000 + b"}", None),
    ],
)
def test_hostile_numbers_and_text_are_400(
    target: dict[str, Any], body: bytes, field: str | None
) -> None:
    answer = _post_signal(target, body)
    assert answer.status_code == 400, answer.text
    if field is not None:
        assert answer.json()["field"] == field


def test_huge_numbers_inside_payload_round_trip(target: dict[str, Any]) -> None:
    body = (
        b'{"instrument":"HUGENUM","side":"buy","price":1,'
        b'"payload":{"big":123456789012345678901234567890,"tiny":1e-300}}'
    )
    answer = _post_signal(target, body)
    assert answer.status_code in (201, 400), answer.text
    if answer.status_code == 201:
        stored = target["http"].get(
            f"{SIGNALS}/{answer.json()['id']}", headers=_auth(target["alice"])
        )
        assert stored.status_code == 200


def test_replayed_signed_request_outside_tolerance_is_401(target: dict[str, Any]) -> None:
    body = b'{"instrument":"REPLAY","side":"buy","price":1,"external_id":"replay-1"}'
    old = int(time.time()) - 3600
    assert _post_signal(target, body, timestamp=old).status_code == 401
    future = int(time.time()) + 3600
    assert _post_signal(target, body, timestamp=future).status_code == 401
    fresh = _post_signal(target, body)
    assert fresh.status_code == 201, fresh.text
    # The same signed bytes again, within the tolerance: a duplicate, not a second signal.
    again = _post_signal(target, body)
    assert again.status_code == 409 and again.json()["existing_id"] == fresh.json()["id"]


def test_one_users_token_cannot_read_anothers_signals(target: dict[str, Any]) -> None:
    created = _post_signal(target, b'{"instrument":"OWNED","side":"sell","price":2}')
    assert created.status_code == 201, created.text
    signal_id = created.json()["id"]
    http = target["http"]
    assert http.get(f"{SIGNALS}/{signal_id}", headers=_auth(target["bob"])).status_code == 403
    assert http.get(f"{SIGNALS}/{signal_id}", headers=_auth(target["alice"])).status_code == 200
    bobs = http.get(SIGNALS, headers=_auth(target["bob"])).json()
    assert bobs["total"] == 0 and bobs["items"] == []
    alices = http.get(SIGNALS, headers=_auth(target["alice"])).json()
    assert signal_id in [s["id"] for s in alices["items"]]
    assert all(s["user_id"] == target["alice"]["user_id"] for s in alices["items"])
    assert http.get(f"{SIGNALS}/{signal_id}").status_code == 401


def test_largest_chart_renders_without_harming_other_requests(target: dict[str, Any]) -> None:
    candles = []
    price = 100.0
    for i in range(10000):
        o, c = price, price * (1.002 if i % 3 else 0.997)
        candles.append(
            {
                "t": _minute(i),
                "o": o,
                "h": max(o, c) * 1.001,
                "l": min(o, c) * 0.999,
                "c": c,
                "v": 100 + i % 50,
            }
        )
        price = c
    spec = {"candles": candles, "width": 3840, "height": 2160}
    result: dict[str, httpx.Response] = {}
    big_done = threading.Event()

    def render_big() -> None:
        with httpx.Client(base_url=target["server"].url, timeout=300) as own:
            result["big"] = own.post(
                "/api/v1/charts/candlestick", json=spec, headers=_auth(target["alice"])
            )
        big_done.set()

    worker = threading.Thread(target=render_big)
    worker.start()
    small_answers = []
    while not big_done.is_set() and len(small_answers) < 50:
        small_answers.append(target["http"].get("/healthz").status_code)
        small_answers.append(
            target["http"].get(SIGNALS, headers=_auth(target["alice"])).status_code
        )
    answered_during = not big_done.is_set()
    worker.join(timeout=300)
    big = result["big"]
    assert big.status_code == 200, big.text[:300]
    assert Image.open(io.BytesIO(big.content)).size == (3840, 2160)
    assert small_answers and set(small_answers) == {200}
    assert answered_during, "small requests should be answered while the big chart renders"


def _minute(i: int) -> str:
    day, rest = divmod(i, 1440)
    hour, minute = divmod(rest, 60)
    return f"2026-01-{1 + day:02d}T{hour:02d}:{minute:02d}:00Z"
