"""docs/sending-signals.md works as written: its code blocks, read from the page, run against
a real server (curl + openssl twice, the Python `standardwebhooks` sender, the TradingView
alert message with TradingView's placeholders filled in)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.support.producers import TRADINGVIEW_TEXT, create_producer
from tests.support.signalhub import Cli, Server
from tests.support.signals import account

PAGE = Path(__file__).resolve().parents[2] / "docs" / "sending-signals.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(language: str) -> list[str]:
    return [code for lang, code in BLOCK.findall(PAGE.read_text()) if lang == language]


def with_values(script: str, **values: str) -> str:
    """The block with its `NAME=...` placeholder lines set to real values."""
    for name, value in values.items():
        script, count = re.subn(rf"^{name}=.*$", f"{name}='{value}'", script, flags=re.MULTILINE)
        assert count == 1, name
    return script


def test_every_example_on_the_page_is_accepted(
    sqlite_cli: Cli, start_server: Callable[..., Server]
) -> None:
    alice = account(sqlite_cli, "alice")
    relay = create_producer(sqlite_cli, alice.user_id, "relay-1", "--tradingview")
    server = start_server(sqlite_cli)

    shell = [b for b in blocks("sh") if "openssl dgst" in b]
    assert len(shell) == 2
    for script in shell:
        done = subprocess.run(
            [
                "bash",
                "-euc",
                with_values(
                    script, SIGNALHUB=server.url, PRODUCER="relay-1", SECRET=relay["secret"]
                ),
            ],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        signal = json.loads(done.stdout)
        assert signal["producer_id"] == "relay-1" and signal["status"] == "new", done.stdout

    (python,) = blocks("python")
    sent = subprocess.run(
        [sys.executable, "-c", python],
        env={
            "SIGNALHUB_URL": server.url,
            "SIGNALHUB_PRODUCER_ID": "relay-1",
            "SIGNALHUB_WHSEC": relay["standard_webhooks_secret"],
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert sent.returncode == 0, sent.stderr
    first, retry = sent.stdout.strip().splitlines()
    assert first.startswith("201 ") and retry.startswith("409 ")
    created_id = re.search(r"'id': '([0-9a-f-]{36})'", first)
    assert created_id and f"'existing_id': '{created_id[1]}'" in retry

    (message,) = [b for b in blocks("") if "{{ticker}}" in b]
    filled = (
        message.strip()
        .replace("{{ticker}}", "BINANCE:SOLUSDT")
        .replace("{{strategy.order.action}}", "buy")
        .replace("{{close}}", "242.15")
        .replace("{{timenow}}", "2026-11-28T20:00:00Z")
    )
    (url,) = [b.strip() for b in blocks("") if "/api/v1/hooks/tradingview/" in b]
    assert url.startswith("https://") and relay["tradingview_url"].startswith(
        url[len("https://signals.example.com") :].split("tv_")[0]
    )
    with server.client() as http:
        alert = http.post(relay["tradingview_url"], content=filled, headers=TRADINGVIEW_TEXT)
    assert alert.status_code == 201, alert.text
    assert alert.json()["instrument"] == "BINANCE:SOLUSDT"
