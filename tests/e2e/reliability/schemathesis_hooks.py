"""Schemathesis CLI hooks for the strict run (`test_api_strict.py`; SCHEMATHESIS_HOOKS=this file).

Two things the CLI cannot do by itself:

- Sign `POST /api/v1/signals` as a producer does (HMAC-SHA256 over the exact body bytes):
  `before_call` serialises the generated body once, signs those bytes and sends exactly them.
  Every other `{signal_id}` case names one of the run's real signals (and every other
  `{key}` a real chart, every other `{subscription_id}` a real subscription), so transitions, trails and downloads get past the 404.
- Accept the few refusals the OpenAPI document states in words because JSON Schema cannot
  say them (docs/reliability.md, "The strict schemathesis run"). `filter_failure` drops a
  "schema-valid request rejected" failure only when the operation, the status and the
  `field` of our error body are in `DOCUMENTED_REFUSALS`; every other failure stays.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time
from itertools import count
from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

PRODUCER_ID = os.environ.get("SIGNALHUB_FUZZ_PRODUCER_ID", "")
SECRET = os.environ.get("SIGNALHUB_FUZZ_SECRET", "")
SIGNAL_IDS = [i for i in os.environ.get("SIGNALHUB_FUZZ_SIGNAL_IDS", "").split(",") if i]
MEDIA_KEY = os.environ.get("SIGNALHUB_FUZZ_MEDIA_KEY", "")
TRADINGVIEW_TOKEN = os.environ.get("SIGNALHUB_FUZZ_TRADINGVIEW_TOKEN", "")
SUBSCRIPTION_ID = os.environ.get("SIGNALHUB_FUZZ_SUBSCRIPTION_ID", "")
INGEST = "POST /api/v1/signals"
INGEST_AT_PRODUCER = "POST /api/v1/producers/{producer_id}/signals"
TRADINGVIEW = "POST /api/v1/hooks/tradingview/{token}"
SIGNED = (INGEST, INGEST_AT_PRODUCER)
ANY = re.compile(r".*")

# operation -> (status, the `field` of our error body, its `detail`) of the refusals the
# document states in words (descriptions, SPEC) because JSON Schema cannot say them.
Refusal = tuple[int, re.Pattern[str], re.Pattern[str]]
_TEXT = re.compile(r".*(printable|Unicode).*")
DOCUMENTED_REFUSALS: dict[str, list[Refusal]] = {
    # printable version/external_id, payload and title strings without lone surrogates
    INGEST: [(400, re.compile(r"version|external_id|payload"), _TEXT)],
    INGEST_AT_PRODUCER: [(400, re.compile(r"version|external_id|payload"), _TEXT)],
    # text/plain is documented as "the same JSON object as text": JSON Schema cannot say that a
    # string must parse as a JSON object, so a generated string that does not is refused.
    TRADINGVIEW: [
        (400, re.compile(r"version|external_id|payload"), _TEXT),
        (400, re.compile(r"body"), ANY),
    ],
    # t strictly increasing; h >= max(o, c); l <= min(o, c); v on every candle or on none;
    # 422: the chart cannot be drawn or is larger than MEDIA_MAX_BYTES (SPEC §6).
    "POST /api/v1/charts/candlestick": [
        (400, re.compile(r"candles\[\d+\]\.[thlv]"), ANY),
        (400, re.compile(r"title"), _TEXT),
        (422, ANY, ANY),
    ],
    "POST /api/v1/charts/equity": [
        (400, re.compile(r"points\[\d+\]\.t"), ANY),
        (400, re.compile(r"title"), _TEXT),
        (422, ANY, ANY),
    ],
    "POST /api/v1/charts/histogram": [(400, re.compile(r"title"), _TEXT), (422, ANY, ANY)],
    # `at` not before the previous state's time nor in the future; a note without NUL;
    # 412 when If-Match was sent and names another revision.
    # SPEC §15: a URL must be http(s) and resolve to public addresses (checked by resolving
    # it); at most WEBHOOKS_MAX_PER_USER subscriptions, then 409.
    "POST /api/v1/subscriptions": [(400, re.compile(r"url"), ANY), (409, ANY, ANY)],
    # a failed delivery of an enabled subscription only (the fuzz has no delivery at all)
    "POST /api/v1/subscriptions/{subscription_id}/deliveries/{event_id}/retry": [(409, ANY, ANY)],
    "POST /api/v1/signals/{signal_id}/transitions": [
        (400, re.compile(r"at"), ANY),
        (400, re.compile(r"note"), _TEXT),
        (412, ANY, ANY),
    ],
}

_calls = count()


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    parameters = case.path_parameters or {}
    turn = next(_calls)
    if "signal_id" in parameters and SIGNAL_IDS and turn % 2 == 0:
        parameters["signal_id"] = SIGNAL_IDS[turn // 2 % len(SIGNAL_IDS)]
    if "key" in parameters and MEDIA_KEY and turn % 2 == 0:
        parameters["key"] = MEDIA_KEY
    # Half the cases of the per-producer and TradingView paths name the real producer / URL
    # token, so their bodies get past authentication (the other half: 401s).
    if "producer_id" in parameters and PRODUCER_ID and turn % 2 == 0:
        parameters["producer_id"] = PRODUCER_ID
    if "token" in parameters and TRADINGVIEW_TOKEN and turn % 2 == 0:
        parameters["token"] = TRADINGVIEW_TOKEN
    if "subscription_id" in parameters and SUBSCRIPTION_ID and turn % 2 == 0:
        parameters["subscription_id"] = SUBSCRIPTION_ID
    if case.operation.label not in SIGNED or not SECRET:
        return
    sent = case.as_transport_kwargs()
    if "json" in sent:
        raw = json.dumps(sent["json"], allow_nan=False).encode()
    elif isinstance(sent.get("data"), bytes):
        raw = sent["data"]
    else:
        return  # no body: unsigned, refused with 401 like any unsigned request
    stamp = str(int(time.time()))
    mac = hmac.new(SECRET.encode(), stamp.encode() + b"." + raw, hashlib.sha256).hexdigest()
    case.headers = {
        **(case.headers or {}),
        "X-Producer-Id": PRODUCER_ID,
        "X-Timestamp": stamp,
        "X-Signature": mac,
    }
    kwargs["data"] = raw  # exactly the signed bytes


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep every failure except a documented refusal of a schema-valid request."""
    if not isinstance(failure, RejectedPositiveData):
        return True
    refusals = DOCUMENTED_REFUSALS.get(case.operation.label, [])
    if response.status_code == 412:
        sent_if_match = any(k.lower() == "if-match" for k in case.headers or {})
        return not (sent_if_match and any(status == 412 for status, _, _ in refusals))
    try:
        body = response.json()
    except ValueError:
        return True
    field, detail = str(body.get("field", "")), str(body.get("detail", ""))
    return not any(
        status == response.status_code and f.fullmatch(field) and d.fullmatch(detail)
        for status, f, d in refusals
    )
