"""SPEC §6 and the media verbs of §8, black-box: a real `signalhub serve` and real CLI calls."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.charts import candle_body, equity_body, histogram_body
from tests.support.png import METADATA_CHUNKS, chunks, size
from tests.support.signalhub import Cli, Server, base_env, launch, media_counters

KEY = re.compile(r"[0-9a-f]{64}")


@dataclass
class Shared:
    cli: Cli
    server: Server
    auth: dict[str, str]


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shared]:
    """One server for the tests that need no special settings (a start costs seconds)."""
    workdir = tmp_path_factory.mktemp("charts")
    # The production default: render processes started (and warm) while the server starts.
    env = base_env(f"sqlite:///{workdir}/var/signalhub.sqlite3", workdir, RENDER_WARM_UP="true")
    cli = Cli(env, workdir)
    token = cli.json("users", "create", "chartist")["token"]
    server = launch(cli)
    yield Shared(cli, server, {"Authorization": f"Bearer {token}"})
    server.stop()


@pytest.fixture
def server(shared: Shared) -> Server:
    return shared.server


@pytest.fixture
def auth(shared: Shared) -> dict[str, str]:
    return shared.auth


@pytest.fixture
def own_auth(sqlite_cli: Cli) -> dict[str, str]:
    """A user in the per-test database of `sqlite_cli`, for tests that start their own server."""
    return {"Authorization": f"Bearer {sqlite_cli.json('users', 'create', 'solo')['token']}"}


def assert_png(response: httpx.Response, width: int, height: int) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/png"
    assert size(response.content) == (width, height)
    assert not METADATA_CHUNKS & set(chunks(response.content))


@pytest.mark.parametrize(
    ("chart", "body", "width", "height"),
    [
        ("candlestick", candle_body(title="XAUUSD 1h", sma=[20, 50]), 1200, 700),
        ("candlestick", candle_body(30, width=320, height=240), 320, 240),
        ("equity", equity_body(title="Strategy", width=1000, height=600), 1000, 600),
        ("histogram", histogram_body(bins=40, color="#2E8B57", width=801, height=457), 801, 457),
    ],
)
def test_every_chart_type(
    server: Server, auth: dict[str, str], chart: str, body: dict[str, Any], width: int, height: int
) -> None:
    with server.client(headers=auth) as http:
        before = media_counters(http)
        first = http.post(f"/api/v1/charts/{chart}", json=body)
        assert_png(first, width, height)
        key = first.headers["x-media-key"]
        assert KEY.fullmatch(key)
        assert first.headers["etag"] == f'"{key}"'
        assert first.headers["x-cache"] == "MISS"
        assert first.headers["cache-control"] == "private, max-age=86400"

        second = http.post(f"/api/v1/charts/{chart}", json=body)
        assert second.headers["x-cache"] == "HIT"
        assert second.headers["x-media-key"] == key
        assert second.content == first.content
        assert_sent_headers(second, key, "HIT")
        assert_sent_headers(first, key, "MISS")

        got = http.get(f"/api/v1/media/{key}")
        assert_sent_headers(got, key, "HIT")
        assert_png(got, width, height)
        assert got.content == first.content
        assert got.headers["etag"] == f'"{key}"'
        assert got.headers["cache-control"] == "private, max-age=86400"
        not_modified = http.get(f"/api/v1/media/{key}", headers={"If-None-Match": f'"{key}"'})
        assert not_modified.status_code == 304
        assert not_modified.content == b""
        assert not_modified.headers["etag"] == f'"{key}"'
        other_etag = http.get(f"/api/v1/media/{key}", headers={"If-None-Match": '"abc"'})
        assert other_etag.status_code == 200

        after = media_counters(http)
        assert after["media_render_total"] - before["media_render_total"] == 1
        assert after["media_cache_hits_total"] - before["media_cache_hits_total"] == 1


def assert_sent_headers(response: httpx.Response, key: str, cache: str) -> None:
    """SPEC §6 headers, each once, and a Content-Length that is the body's (a HIT is sent from
    the stored file, a MISS from memory: the same headers either way)."""
    raw = [name.lower() for name, _ in response.headers.raw]
    for name in (b"content-type", b"content-length", b"etag", b"x-cache", b"cache-control"):
        assert raw.count(name) == 1, (name, response.headers)
    assert response.headers["content-type"] == "image/png"
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["etag"] == f'"{key}"'
    assert response.headers["x-media-key"] == key
    assert response.headers["x-cache"] == cache
    assert response.headers["cache-control"] == "private, max-age=86400"
    assert "content-disposition" not in response.headers


def test_same_chart_same_key_whatever_the_spelling(server: Server, auth: dict[str, str]) -> None:
    body = candle_body(50)
    spelled = candle_body(50, sma=[200, 20, 50], width=1200, height=700, title="")
    for c in spelled["candles"]:
        c["t"] = c["t"].replace("Z", "+00:00")
    with server.client(headers=auth) as http:
        a = http.post("/api/v1/charts/candlestick", json=body)
        b = http.post("/api/v1/charts/candlestick", json=spelled)
    assert a.status_code == b.status_code == 200
    assert a.headers["x-media-key"] == b.headers["x-media-key"]
    assert b.headers["x-cache"] == "HIT"


def test_charts_need_a_token(server: Server) -> None:
    with server.client() as http:
        assert http.post("/api/v1/charts/histogram", json={"values": [1]}).status_code == 401
        assert http.get("/api/v1/media/" + "a" * 64).status_code == 401


@pytest.mark.parametrize(
    "key",
    [
        "a" * 64,  # well-formed, unknown
        "A" * 64,
        "a" * 63,
        "a" * 65,
        "..%2F..%2Fetc%2Fpasswd",
        "..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "..",
        "%00",
        "x" * 64,
    ],
)
def test_malformed_unknown_or_traversal_keys_are_404(
    server: Server, auth: dict[str, str], key: str
) -> None:
    with server.client(headers=auth) as http:
        response = http.get(f"/api/v1/media/{key}")
    assert response.status_code == 404
    assert b"root:" not in response.content


@pytest.mark.parametrize(
    ("chart", "body", "field"),
    [
        ("histogram", {"values": []}, "values"),
        ("histogram", {}, "values"),
        ("histogram", {"values": [1, "x"]}, "values[1]"),
        ("histogram", {"values": [1], "bins": 0}, "bins"),
        ("histogram", {"values": [1], "color": "blue"}, "color"),
        ("histogram", {"values": [1], "colour": "#000000"}, "colour"),
        ("histogram", {"values": [1], "width": 100}, "width"),
        ("histogram", {"values": [1], "height": 5000}, "height"),
        ("histogram", {"values": [1], "title": "x" * 121}, "title"),
        ("equity", {"points": [{"t": "2026-01-01T00:00:00Z", "equity": 1}]}, "points"),
        ("equity", {"points": [{"t": "yesterday", "equity": 1}] * 2}, "points[0].t"),
        ("candlestick", {"candles": []}, "candles"),
        ("candlestick", candle_body(5, sma=[1]), "sma[0]"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(
    server: Server, auth: dict[str, str], chart: str, body: dict[str, Any], field: str
) -> None:
    with server.client(headers=auth) as http:
        response = http.post(f"/api/v1/charts/{chart}", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["field"] == field
    assert field in response.json()["detail"]


def test_bad_candles_are_400_naming_the_candle(server: Server, auth: dict[str, str]) -> None:
    with server.client(headers=auth) as http:
        decreasing = candle_body(6)
        decreasing["candles"][4]["t"] = decreasing["candles"][2]["t"]
        r = http.post("/api/v1/charts/candlestick", json=decreasing)
        assert (r.status_code, r.json()["field"]) == (400, "candles[4].t")

        low_high = candle_body(6)
        c = low_high["candles"][3]
        c["h"] = max(c["o"], c["c"]) - 0.5
        r = http.post("/api/v1/charts/candlestick", json=low_high)
        assert (r.status_code, r.json()["field"]) == (400, "candles[3].h")

        r = http.post(
            "/api/v1/charts/candlestick",
            content=b'{"candles": [',
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 400


def test_body_over_the_limit_is_413_also_when_chunked(
    sqlite_cli: Cli, start_server: Callable[..., Server], own_auth: dict[str, str]
) -> None:
    server = start_server(sqlite_cli, env={"CHARTS_MAX_REQUEST_BYTES": "4096"})
    body = httpx.Request("POST", "/", json=histogram_body(2000)).content
    assert len(body) > 4096

    def chunked() -> Iterator[bytes]:
        for i in range(0, len(body), 1000):
            yield body[i : i + 1000]

    with server.client(headers=own_auth) as http:
        announced = http.post(
            "/api/v1/charts/histogram", content=body, headers={"content-type": "application/json"}
        )
        assert announced.status_code == 413
        assert announced.json()["status_code"] == 413
        streamed = http.post(
            "/api/v1/charts/histogram",
            content=chunked(),
            headers={"content-type": "application/json"},
        )
        assert streamed.status_code == 413
        small = http.post("/api/v1/charts/histogram", json=histogram_body(50))
        assert small.status_code == 200


def _render_processes(server: Server) -> list[str]:
    """The command lines of the server's descendants that draw charts (the forkserver and the
    workers it forks)."""
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            pid = int(stat.parent.name)
            parents[pid] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            commands[pid] = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    found = []
    for pid, command in commands.items():
        ancestor = parents.get(pid)
        while ancestor not in (None, 0, 1, server.process.pid):
            ancestor = parents.get(ancestor)
        if ancestor == server.process.pid and "multiprocessing.forkserver" in command:
            found.append(command)
    return found


def test_render_processes_start_with_the_server_or_on_the_first_chart(
    sqlite_cli: Cli, start_server: Callable[..., Server], own_auth: dict[str, str], shared: Shared
) -> None:
    deadline = time.monotonic() + 60
    while not _render_processes(shared.server):  # RENDER_WARM_UP=true: started at start-up
        assert time.monotonic() < deadline, "no render process after start-up"
        time.sleep(0.2)

    lazy = start_server(sqlite_cli, env={"RENDER_WARM_UP": "false"})
    with lazy.client(headers=own_auth) as http:
        assert http.get("/readyz").status_code == 200
        time.sleep(1.0)  # what a warm-up would have started by now
        assert _render_processes(lazy) == []
        drawn = http.post("/api/v1/charts/histogram", json=histogram_body(50))
        assert drawn.status_code == 200, drawn.text
        assert drawn.headers["content-type"] == "image/png"
        assert _render_processes(lazy) != []


def test_render_over_media_max_bytes_is_422_and_not_stored(
    sqlite_cli: Cli, start_server: Callable[..., Server], own_auth: dict[str, str]
) -> None:
    server = start_server(sqlite_cli, env={"MEDIA_MAX_BYTES": "1024"})
    with server.client(headers=own_auth) as http:
        response = http.post("/api/v1/charts/candlestick", json=candle_body(200))
        assert response.status_code == 422, response.text
        assert response.json()["status_code"] == 422
        assert media_counters(http)["media_render_total"] == 0
    assert sqlite_cli.json("media", "stats") == {"files": 0, "bytes": 0, "expired_files": 0}


def test_expired_chart_is_404_and_rendered_again(
    sqlite_cli: Cli, start_server: Callable[..., Server], own_auth: dict[str, str]
) -> None:
    ttl = {"MEDIA_TTL_SECONDS": "1"}
    server = start_server(sqlite_cli, env=ttl)
    with server.client(headers=own_auth) as http:
        first = http.post("/api/v1/charts/histogram", json=histogram_body(100))
        assert first.headers["cache-control"] == "private, max-age=1"
        key = first.headers["x-media-key"]
        # Served until it is older than the TTL, then 404 (however slow this machine is).
        wait_for_status(http, f"/api/v1/media/{key}", 404)
        assert sqlite_cli.json("media", "stats", env=ttl)["expired_files"] == 1
        again = http.post("/api/v1/charts/histogram", json=histogram_body(100))
        assert again.headers["x-cache"] == "MISS"
        assert again.headers["x-media-key"] == key
        assert_png(again, 1200, 700)
        # Stored again: served again (re-rendered if a slow moment let the new file expire).
        deadline = time.monotonic() + 60
        while (got := http.get(f"/api/v1/media/{key}")).status_code == 404:
            assert time.monotonic() < deadline, "the re-rendered chart was never served"
            http.post("/api/v1/charts/histogram", json=histogram_body(100))
        assert got.status_code == 200
        assert got.content == again.content


def wait_for_status(http: httpx.Client, path: str, status: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while (answer := http.get(path)).status_code != status:
        assert answer.status_code == 200, answer.text
        assert time.monotonic() < deadline, f"{path} never answered {status}"
        time.sleep(0.1)


def test_media_cli_stats_and_purge(shared: Shared) -> None:
    server, sqlite_cli, auth = shared.server, shared.cli, shared.auth
    sqlite_cli.json("media", "purge", "--all")
    keys = []
    with server.client(headers=auth) as http:
        for n in (10, 20, 30):
            keys.append(
                http.post("/api/v1/charts/histogram", json=histogram_body(n)).headers["x-media-key"]
            )
        stats = sqlite_cli.json("media", "stats")
        assert stats["files"] == 3 and stats["bytes"] > 0 and stats["expired_files"] == 0
        assert sqlite_cli.json("media", "purge") == {
            "deleted_files": 0,
            "freed_bytes": 0,
            "dry_run": False,
        }
        dry = sqlite_cli.json("media", "purge", "--all", "--dry-run")
        assert dry == {"deleted_files": 3, "freed_bytes": stats["bytes"], "dry_run": True}
        assert http.get(f"/api/v1/media/{keys[0]}").status_code == 200
        done = sqlite_cli.json("media", "purge", "--all")
        assert done == {"deleted_files": 3, "freed_bytes": stats["bytes"], "dry_run": False}
        for key in keys:
            assert http.get(f"/api/v1/media/{key}").status_code == 404
        assert sqlite_cli.json("media", "stats") == {"files": 0, "bytes": 0, "expired_files": 0}
        text = sqlite_cli.run("media", "stats")
        assert text.returncode == 0 and "files: 0" in text.stdout
        both = sqlite_cli.run("media", "purge", "--all", "--expired")
        assert both.returncode != 0 and len(both.stderr.strip().splitlines()) == 1


def test_purge_while_downloading(shared: Shared) -> None:
    server, sqlite_cli, auth = shared.server, shared.cli, shared.auth
    sqlite_cli.json("media", "purge", "--all")
    originals: dict[str, bytes] = {}
    with server.client(headers=auth) as http:
        for seed in range(4):
            r = http.post(
                "/api/v1/charts/candlestick",
                json=candle_body(400, seed=seed, width=2400, height=1400),
            )
            originals[r.headers["x-media-key"]] = r.content
    stop = threading.Event()
    outcomes: list[int] = []
    broken: list[str] = []

    def download() -> None:
        with server.client(headers=auth) as http:
            while not stop.is_set():
                for key, data in originals.items():
                    r = http.get(f"/api/v1/media/{key}")
                    outcomes.append(r.status_code)
                    if r.status_code == 200 and r.content != data:
                        broken.append(key)
                    elif r.status_code not in (200, 404):
                        broken.append(f"{key}: {r.status_code}")

    threads = [threading.Thread(target=download) for _ in range(4)]
    for t in threads:
        t.start()

    def wait_for(status: int) -> None:
        deadline = time.monotonic() + 60
        while outcomes.count(status) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)

    try:
        wait_for(200)  # downloads are flowing
        purged = sqlite_cli.json("media", "purge", "--all")
        wait_for(404)  # and go on, now answered 404
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert purged["deleted_files"] == 4
    assert broken == []
    assert 200 in outcomes and 404 in outcomes


def test_identical_requests_render_once_across_two_workers(
    sqlite_cli: Cli, start_server: Callable[..., Server], own_auth: dict[str, str]
) -> None:
    server = start_server(sqlite_cli, workers=2)
    body = candle_body(3000, seed=42, width=1600, height=900, title="single flight")

    async def burst() -> list[httpx.Response]:
        # One connection each, so both server processes get some of them.
        async with httpx.AsyncClient(
            base_url=server.url,
            headers=own_auth,
            timeout=120,
            limits=httpx.Limits(max_keepalive_connections=0),
        ) as client:
            return await asyncio.gather(
                *(client.post("/api/v1/charts/candlestick", json=body) for _ in range(16))
            )

    with server.client(headers=own_auth) as http:
        before = media_counters(http)
        responses = asyncio.run(burst())
        after = media_counters(http)
    assert [r.status_code for r in responses] == [200] * 16
    assert len({r.content for r in responses}) == 1
    assert sum(r.headers["x-cache"] == "MISS" for r in responses) == 1
    assert after["media_render_total"] - before["media_render_total"] == 1
    assert after["media_cache_hits_total"] - before["media_cache_hits_total"] == 15


def test_burst_over_the_queue_gets_503_then_recovers(
    sqlite_cli: Cli, start_server: Callable[..., Server], own_auth: dict[str, str]
) -> None:
    server = start_server(sqlite_cli, env={"RENDER_WORKERS": "1"})
    bodies = [candle_body(1500, seed=s, width=1920, height=1080) for s in range(30)]

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=server.url, headers=own_auth, timeout=300) as client:
            return await asyncio.gather(
                *(client.post("/api/v1/charts/candlestick", json=b) for b in bodies)
            )

    responses = asyncio.run(burst())
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 503}, statuses
    refused = [r for r in responses if r.status_code == 503]
    assert refused, "the burst never overflowed the render queue"
    for r in refused:
        assert int(r.headers["retry-after"]) >= 1
        assert r.json()["status_code"] == 503
    assert statuses.count(200) >= 9  # one rendering + eight waiting per worker
    with server.client(headers=own_auth) as http:
        again = http.post("/api/v1/charts/candlestick", json=bodies[statuses.index(503)])
        assert_png(again, 1920, 1080)


def test_openapi_documents_the_chart_endpoints(server: Server) -> None:
    with server.client() as http:
        paths = http.get("/schema/openapi.json").json()["paths"]
    for path in (
        "/api/v1/charts/candlestick",
        "/api/v1/charts/equity",
        "/api/v1/charts/histogram",
        "/api/v1/media/{key}",
    ):
        assert path in paths
    body = paths["/api/v1/charts/histogram"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["required"] == ["values"]
