"""SPEC §15 black-box, the API surface: subscriptions CRUD, rotation, the refusals (400s, 404
for another user's, 409 past WEBHOOKS_MAX_PER_USER), the deliveries list and retry's answers.
Delivery itself (a real receiver) is tested in tests/e2e/webhooks*."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.signalhub import Cli, Server
from tests.support.signals import account

SUBSCRIPTIONS = "/api/v1/subscriptions"
PUBLIC_URL = "https://93.184.215.14/hook"  # a global address literal: nothing to resolve


@pytest.fixture
def world(cli: Cli, start_server: Callable[..., Server]) -> Iterator[dict[str, Any]]:
    alice, bob = account(cli, "alice"), account(cli, "bob")
    server = start_server(cli, env={"WEBHOOKS_MAX_PER_USER": "3"})
    with server.client() as http:
        yield {"http": http, "alice": alice.auth, "bob": bob.auth}


def test_a_subscription_is_created_read_listed_rotated_and_deleted(world: dict[str, Any]) -> None:
    http, alice = world["http"], world["alice"]
    made = http.post(
        SUBSCRIPTIONS,
        json={"url": PUBLIC_URL, "events": ["signal.created"], "instrument": "xauusd"},
        headers=alice,
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert set(body) == {"id", "url", "events", "instrument", "enabled", "secret", "created_at"}
    assert body["url"] == PUBLIC_URL
    assert body["events"] == ["signal.created"]
    assert body["instrument"] == "XAUUSD"
    assert body["enabled"] is True
    assert body["secret"].startswith("whsec_")

    one = http.get(f"{SUBSCRIPTIONS}/{body['id']}", headers=alice)
    assert one.status_code == 200
    assert "secret" not in one.json()  # shown only on creation (and rotation)
    assert one.json()["id"] == body["id"]

    default = http.post(SUBSCRIPTIONS, json={"url": PUBLIC_URL}, headers=alice).json()
    assert default["events"] == ["signal.created", "signal.transitioned"]
    assert default["instrument"] is None
    listed = http.get(SUBSCRIPTIONS, headers=alice).json()["items"]
    assert [s["id"] for s in listed] == [body["id"], default["id"]]

    rotated = http.post(f"{SUBSCRIPTIONS}/{body['id']}/rotate-secret", headers=alice)
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_")
    assert rotated.json()["secret"] != body["secret"]

    assert http.get(f"{SUBSCRIPTIONS}/{body['id']}/deliveries", headers=alice).json() == {
        "items": []
    }
    assert http.delete(f"{SUBSCRIPTIONS}/{body['id']}", headers=alice).status_code == 204
    assert http.get(f"{SUBSCRIPTIONS}/{body['id']}", headers=alice).status_code == 404
    assert [s["id"] for s in http.get(SUBSCRIPTIONS, headers=alice).json()["items"]] == [
        default["id"]
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://93.184.215.14/x"}, "url"),
        ({"url": "https://93.184.215.14/" + "a" * 2048}, "url"),
        ({"url": "http://127.0.0.1:9/hook"}, "url"),
        ({"url": "http://10.1.2.3/hook"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": "http://[::1]/hook"}, "url"),
        ({"url": "http://224.0.0.1/hook"}, "url"),
        ({"url": "http://localhost:8000/hook"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": PUBLIC_URL, "events": ["signal.deleted"]}, "events"),
        ({"url": PUBLIC_URL, "events": []}, "events"),
        ({"url": PUBLIC_URL, "instrument": "x"}, "instrument"),
        ({"url": PUBLIC_URL, "colour": "red"}, "colour"),
        ({}, "url"),
    ],
)
def test_bad_subscriptions_are_refused_naming_the_field(
    world: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    answer = world["http"].post(SUBSCRIPTIONS, json=body, headers=world["alice"])
    assert answer.status_code == 400, answer.text
    assert answer.json()["field"].startswith(field), answer.json()  # events[0]: the entry
    assert world["http"].get(SUBSCRIPTIONS, headers=world["alice"]).json()["items"] == []


def test_another_users_subscription_is_404_everywhere(world: dict[str, Any]) -> None:
    http, alice, bob = world["http"], world["alice"], world["bob"]
    sid = http.post(SUBSCRIPTIONS, json={"url": PUBLIC_URL}, headers=alice).json()["id"]
    for method, path in [
        ("GET", f"{SUBSCRIPTIONS}/{sid}"),
        ("DELETE", f"{SUBSCRIPTIONS}/{sid}"),
        ("POST", f"{SUBSCRIPTIONS}/{sid}/rotate-secret"),
        ("GET", f"{SUBSCRIPTIONS}/{sid}/deliveries"),
        ("POST", f"{SUBSCRIPTIONS}/{sid}/deliveries/1/retry"),
    ]:
        answer = http.request(method, path, headers=bob)
        assert answer.status_code == 404, (method, path, answer.text)
    assert http.get(SUBSCRIPTIONS, headers=bob).json()["items"] == []
    assert http.get(f"{SUBSCRIPTIONS}/{sid}", headers=alice).status_code == 200
    assert http.get(f"{SUBSCRIPTIONS}/not-a-uuid", headers=alice).status_code == 404
    assert http.get(SUBSCRIPTIONS).status_code == 401


def test_past_the_per_user_limit_is_409(world: dict[str, Any]) -> None:
    http, alice, bob = world["http"], world["alice"], world["bob"]
    for _ in range(3):
        assert http.post(SUBSCRIPTIONS, json={"url": PUBLIC_URL}, headers=alice).status_code == 201
    refused = http.post(SUBSCRIPTIONS, json={"url": PUBLIC_URL}, headers=alice)
    assert refused.status_code == 409
    assert "WEBHOOKS_MAX_PER_USER" in refused.json()["detail"]
    assert http.post(SUBSCRIPTIONS, json={"url": PUBLIC_URL}, headers=bob).status_code == 201
    first = http.get(SUBSCRIPTIONS, headers=alice).json()["items"][0]["id"]
    assert http.delete(f"{SUBSCRIPTIONS}/{first}", headers=alice).status_code == 204
    assert http.post(SUBSCRIPTIONS, json={"url": PUBLIC_URL}, headers=alice).status_code == 201


def test_deliveries_list_and_retry_refusals(world: dict[str, Any]) -> None:
    http, alice = world["http"], world["alice"]
    sid = http.post(SUBSCRIPTIONS, json={"url": PUBLIC_URL}, headers=alice).json()["id"]
    bad = http.get(f"{SUBSCRIPTIONS}/{sid}/deliveries", params={"status": "lost"}, headers=alice)
    assert bad.status_code == 400
    assert bad.json()["field"] == "status"
    for status in ("pending", "delivered", "failed"):
        listed = http.get(
            f"{SUBSCRIPTIONS}/{sid}/deliveries", params={"status": status}, headers=alice
        )
        assert listed.status_code == 200
    for event_id in ("1", "x", "9" * 30):
        retry = http.post(f"{SUBSCRIPTIONS}/{sid}/deliveries/{event_id}/retry", headers=alice)
        assert retry.status_code == 404, retry.text
