"""Standard Webhooks verification (SPEC §11), held against the reference `standardwebhooks`
library in both directions: it signs and we verify, we sign and it verifies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from domain.errors import Unauthenticated
from domain.producer_auth import (
    standard_webhooks_secret,
    standard_webhooks_signature,
    verify_standard_webhook,
)
from domain.signals import UNAUTHENTICATED_DETAIL

# A secret as issued today (adapters.system.UrlSafeSecrets.new_secret: 64 hex characters).
SECRET = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
OLD_SECRET = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
NOW = 1_764_291_600
BODY = '{"instrument":"BINANCE:BTCUSDT","side":"buy","price":97000.5}'
MSG_ID = "msg_2Lh9KRb0pzN4LePd3XiA4v3nWPc"


def library_headers(
    secret: str, body: str = BODY, at: int = NOW, msg_id: str = MSG_ID
) -> dict[str, str]:
    """Headers exactly as a sender built on the reference library produces them."""
    webhook = Webhook(standard_webhooks_secret(secret))
    signature = webhook.sign(msg_id, datetime.fromtimestamp(at, tz=UTC), body)
    return {"webhook-id": msg_id, "webhook-timestamp": str(at), "webhook-signature": signature}


def verify(headers: dict[str, str], body: str | bytes = BODY, **changes: Any) -> None:
    args: dict[str, Any] = {
        "secrets": (SECRET,),
        "webhook_id": headers.get("webhook-id"),
        "timestamp": headers.get("webhook-timestamp"),
        "signature": headers.get("webhook-signature"),
        "body": body.encode() if isinstance(body, str) else body,
        "now_unix": float(NOW),
        "tolerance_seconds": 300,
    }
    args.update(changes)
    verify_standard_webhook(**args)


def refused(headers: dict[str, str], body: str | bytes = BODY, **changes: Any) -> None:
    with pytest.raises(Unauthenticated) as caught:
        verify(headers, body, **changes)
    assert caught.value.detail == UNAUTHENTICATED_DETAIL


def test_whsec_form_is_base64_of_the_secrets_bytes() -> None:
    assert standard_webhooks_secret("abc") == "whsec_YWJj"
    encoded = standard_webhooks_secret(SECRET).removeprefix("whsec_")
    assert base64.b64decode(encoded) == SECRET.encode()
    # 64 key bytes: inside the 24-64 bytes the Standard Webhooks spec asks for.
    assert len(base64.b64decode(encoded)) == 64


def test_the_library_signs_and_we_verify() -> None:
    verify(library_headers(SECRET))


def test_we_sign_and_the_library_verifies() -> None:
    now = int(time.time())  # the library checks the timestamp against the real clock
    signature = standard_webhooks_signature(SECRET, MSG_ID, str(now), BODY.encode())
    headers = {"webhook-id": MSG_ID, "webhook-timestamp": str(now), "webhook-signature": signature}
    assert Webhook(standard_webhooks_secret(SECRET)).verify(BODY, headers) == {
        "instrument": "BINANCE:BTCUSDT",
        "side": "buy",
        "price": 97000.5,
    }
    with pytest.raises(WebhookVerificationError):
        Webhook(standard_webhooks_secret(OLD_SECRET)).verify(BODY, headers)


def test_our_signature_equals_the_librarys() -> None:
    assert (
        standard_webhooks_signature(SECRET, MSG_ID, str(NOW), BODY.encode())
        == (library_headers(SECRET)["webhook-signature"])
    )


def test_signed_content_is_id_dot_timestamp_dot_body() -> None:
    digest = hmac.new(SECRET.encode(), f"{MSG_ID}.{NOW}.{BODY}".encode(), hashlib.sha256).digest()
    assert standard_webhooks_signature(SECRET, MSG_ID, str(NOW), BODY.encode()) == (
        "v1," + base64.b64encode(digest).decode()
    )


def test_non_ascii_body_bytes_are_signed_as_sent() -> None:
    body = '{"instrument":"XAUUSD","side":"buy","price":1,"payload":{"note":"über"}}'
    verify(library_headers(SECRET, body), body)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h: (h, BODY.replace("97000.5", "97000.6")),
        lambda h: ({**h, "webhook-id": MSG_ID + "x"}, BODY),
        lambda h: ({**h, "webhook-timestamp": str(NOW + 1)}, BODY),
        lambda h: ({**h, "webhook-signature": h["webhook-signature"][:-4] + "AAA="}, BODY),
        lambda h: ({**h, "webhook-signature": h["webhook-signature"].replace("v1,", "v2,")}, BODY),
    ],
    ids=["body", "id", "timestamp", "signature", "version"],
)
def test_tampering_is_refused(tamper: Any) -> None:
    headers, body = tamper(library_headers(SECRET))
    refused(headers, body)


def test_a_wrong_secret_is_refused() -> None:
    refused(library_headers("not-the-secret"))


def test_one_matching_entry_among_several_is_enough() -> None:
    good = library_headers(SECRET)["webhook-signature"]
    other = library_headers(OLD_SECRET)["webhook-signature"]
    for header in (f"{other} {good}", f"{good} {other}", f"v1,bm9wZQ== {good} v1,AAAA"):
        verify({**library_headers(SECRET), "webhook-signature": header})


def test_v1a_and_unknown_versions_are_ignored_not_fatal() -> None:
    good = library_headers(SECRET)["webhook-signature"]
    sig = good.removeprefix("v1,")
    verify({**library_headers(SECRET), "webhook-signature": f"v1a,{sig} v2,xyz {good}"})
    # The same bytes under another version never count.
    refused({**library_headers(SECRET), "webhook-signature": f"v1a,{sig} v2,{sig}"})


@pytest.mark.parametrize(
    "header",
    ["", " ", "v1,", "v1", "garbage", "v1,not base64!", ",", "v1,,", "v1,AAAA=AAA"],
)
def test_malformed_signature_lists_are_refused(header: str) -> None:
    refused({**library_headers(SECRET), "webhook-signature": header})


def test_whitespace_between_entries_is_tolerated() -> None:
    good = library_headers(SECRET)["webhook-signature"]
    for header in (f"  {good}  ", f"v1,AAAA   {good}", f"v1,AAAA\t{good}"):
        verify({**library_headers(SECRET), "webhook-signature": header})


def test_rotation_grace_both_secrets_verify() -> None:
    for secret in (SECRET, OLD_SECRET):
        verify(library_headers(secret), secrets=(SECRET, OLD_SECRET))
    refused(library_headers(OLD_SECRET), secrets=(SECRET,))


def test_no_active_secret_is_refused() -> None:
    refused(library_headers(SECRET), secrets=())


@pytest.mark.parametrize("skew", [-301, 301, -10_000])
def test_timestamp_outside_the_tolerance_is_refused(skew: int) -> None:
    refused(library_headers(SECRET, at=NOW + skew))


@pytest.mark.parametrize("skew", [-300, 0, 300])
def test_timestamp_inside_the_tolerance_passes(skew: int) -> None:
    verify(library_headers(SECRET, at=NOW + skew))


@pytest.mark.parametrize("timestamp", [None, "", "abc", "1.5", " 1764291600", "1e9", "9" * 16])
def test_malformed_timestamps_are_refused(timestamp: str | None) -> None:
    headers = library_headers(SECRET)
    refused(headers, timestamp=timestamp)


def test_webhook_id_rule_1_to_128_printable() -> None:
    verify(library_headers(SECRET, msg_id="x" * 128))
    verify(library_headers(SECRET, msg_id="é-ünïcode"))
    for bad in ("x" * 129, "", "tab\tinside", "nl\n"):
        refused(library_headers(SECRET, msg_id=bad or "placeholder"), webhook_id=bad)
    refused(library_headers(SECRET), webhook_id=None)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_refused(missing: str) -> None:
    headers = library_headers(SECRET)
    del headers[missing]
    refused(headers)
