"""The SPEC §11 ways in from the sender's side: Standard Webhooks headers made by the real
`standardwebhooks` library, TradingView's exact request, the metrics they move."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from standardwebhooks import Webhook

from tests.support.signalhub import Cli

TRADINGVIEW_TEXT = {"Content-Type": "text/plain; charset=utf-8"}


def webhook_headers(
    whsec: str, body: bytes, msg_id: str | None = None, *, age_seconds: int = 0
) -> dict[str, str]:
    """What a Standard Webhooks sender adds: the library signs, we only copy its output."""
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    when = datetime.now(UTC) - timedelta(seconds=age_seconds)
    return {
        "Content-Type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": Webhook(whsec).sign(msg_id, when, body.decode()),
    }


def tradingview_message(ticker: str, action: str, close: str, timenow: str) -> bytes:
    """The SPEC §11 alert message as TradingView renders it (placeholders filled in)."""
    return (
        f'{{"instrument": "{ticker}", "side": "{action}", "price": {close}, "time": "{timenow}"}}'
    ).encode()


def sample(metrics: str, name: str) -> float:
    """One sample's value from /metrics text (0 when the series has no such sample yet)."""
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


def create_producer(cli: Cli, user_id: str, producer_id: str, *extra: str) -> dict[str, Any]:
    return cli.json("producers", "create", producer_id, "--user", user_id, *extra)
