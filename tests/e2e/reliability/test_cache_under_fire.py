"""The media cache under fire: renders and downloads while `media purge --all` runs over and
over and while the TTL expires files. No 5xx, and every 200 is a complete, decodable PNG."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
from PIL import Image

from tests.support.charts import candle_body, equity_body, histogram_body
from tests.support.signalhub import Cli, Server

CLIENTS = 4
PURGES = 6  # at least
MIN_OK = 20  # complete PNGs served before the fire may stop
DEADLINE_SECONDS = 240


def _complete_png(body: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(body)) as image:
            image.load()  # decodes every row: a truncated file raises here
    except Exception:
        return False
    return body.endswith(b"IEND\xaeB`\x82")


def test_renders_and_downloads_survive_purges_and_expiry(
    sqlite_cli: Cli, start_server: Callable[..., Server]
) -> None:
    token = sqlite_cli.json("users", "create", "under-fire")["token"]
    server = start_server(sqlite_cli, env={"MEDIA_TTL_SECONDS": "1", "RENDER_WORKERS": "2"})
    auth = {"Authorization": f"Bearer {token}"}
    specs: list[tuple[str, dict[str, Any]]] = [
        ("candlestick", candle_body(300, seed=1, width=1600, height=900)),
        ("candlestick", candle_body(200, seed=2)),
        ("equity", equity_body(2000)),
        ("histogram", histogram_body(20000, bins=80)),
    ]
    stop = threading.Event()
    statuses: list[int] = []
    bad: list[str] = []
    keys: set[str] = set()
    lock = threading.Lock()

    def client(index: int) -> None:
        with httpx.Client(base_url=server.url, headers=auth, timeout=120) as http:
            turn = index
            while not stop.is_set():
                kind, spec = specs[turn % len(specs)]
                turn += 1
                rendered = http.post(f"/api/v1/charts/{kind}", json=spec)
                downloads = [rendered]
                key = rendered.headers.get("x-media-key")
                if key:
                    with lock:
                        keys.add(key)
                    downloads.append(http.get(f"/api/v1/media/{key}"))
                    time.sleep(0.2)
                    # Later: by now it may have expired (TTL 1 s) or been purged.
                    downloads.append(http.get(f"/api/v1/media/{key}"))
                for answer in downloads:
                    with lock:
                        statuses.append(answer.status_code)
                    if answer.status_code >= 500:
                        bad.append(
                            f"{answer.request.url}: {answer.status_code} {answer.text[:200]}"
                        )
                    elif answer.status_code == 200 and not _complete_png(answer.content):
                        bad.append(f"{answer.request.url}: broken PNG of {len(answer.content)} B")

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    purged_files = purges = 0

    def seen_enough() -> bool:
        """The fire did its work: charts served, files purged, downloads met missing files."""
        with lock:
            return statuses.count(200) > MIN_OK and 404 in statuses and purged_files > 0

    try:
        # At least PURGES purges, then on until everything was under fire (however slow the
        # machine), within a deadline.
        deadline = time.monotonic() + DEADLINE_SECONDS
        while purges < PURGES or not seen_enough():
            assert time.monotonic() < deadline, f"not enough fire in time: {statuses}"
            time.sleep(0.7)  # long enough for files to pass the 1 s TTL between purges too
            purged_files += sqlite_cli.json("media", "purge", "--all")["deleted_files"]
            purges += 1
    finally:
        stop.set()
        for thread in threads:
            thread.join(120)
    assert bad == []
    assert set(statuses) <= {200, 404}, sorted(set(statuses))
    assert seen_enough()
    print(
        f"\ncache-under-fire figures: requests={len(statuses)} ok={statuses.count(200)}"
        f" gone={statuses.count(404)} purges={purges} purged_files={purged_files}"
        f" keys={len(keys)} 5xx=0 broken_png=0"
    )
