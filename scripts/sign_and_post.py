#!/usr/bin/env python3
"""Sign a signal and POST it to signalhub: the stdlib-only producer example (docs/signals.md).

    SIGNALHUB_PRODUCER_ID=tv-relay-1 SIGNALHUB_SECRET=9a0e... \\
        python3 scripts/sign_and_post.py --url http://127.0.0.1:8000 \\
        '{"instrument": "XAUUSD", "side": "buy", "price": 1950.25, "external_id": "abc-1"}'

Prints the HTTP status and the JSON answer; exits 0 on 201, 1 on any other status. Copy
`sign()` and `post_signal()` into your producer: the signature covers the exact bytes sent.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The three headers for `body`: X-Signature = hex HMAC-SHA256(secret, "{ts}." + body)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode("utf-8"), ts.encode("ascii") + b"." + body, hashlib.sha256)
    return {"X-Timestamp": ts, "X-Signature": mac.hexdigest()}


def post_signal(
    url: str, producer_id: str, secret: str, signal: dict[str, object]
) -> tuple[int, dict[str, object]]:
    body = json.dumps(signal, separators=(",", ":")).encode("utf-8")
    headers = {"Content-Type": "application/json", "X-Producer-Id": producer_id}
    headers.update(sign(secret, body))
    if not url.startswith(("http://", "https://")):
        raise ValueError("url must be http:// or https://")
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url.rstrip("/") + "/api/v1/signals", data=body, headers=headers, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:  # 4xx/5xx still carry a JSON body
        return error.code, json.loads(error.read() or b"{}")


def main() -> int:
    parser = argparse.ArgumentParser(description="Sign a signal and POST it to signalhub.")
    parser.add_argument("signal", help="the signal as a JSON object")
    parser.add_argument("--url", default=os.environ.get("SIGNALHUB_URL", "http://127.0.0.1:8000"))
    parser.add_argument("--producer-id", default=os.environ.get("SIGNALHUB_PRODUCER_ID"))
    parser.add_argument(
        "--secret",
        default=os.environ.get("SIGNALHUB_SECRET"),
        help="prefer the SIGNALHUB_SECRET variable: arguments show up in `ps`",
    )
    args = parser.parse_args()
    if not args.producer_id or not args.secret:
        parser.error("set --producer-id/SIGNALHUB_PRODUCER_ID and SIGNALHUB_SECRET")
    try:
        signal = json.loads(args.signal)
    except ValueError as error:
        parser.error(f"signal is not JSON: {error}")
    status, answer = post_signal(args.url, args.producer_id, args.secret, signal)
    print(status, json.dumps(answer))
    return 0 if status == 201 else 1


if __name__ == "__main__":
    sys.exit(main())
