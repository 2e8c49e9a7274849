"""SPEC §12 share links, black-box on both engines: making one, using it without a token,
every refusal (403 / 410 / 404), the public cache headers, 304, key rotation with a grace."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from domain.share_links import sign
from tests.support.charts import histogram_body
from tests.support.png import size
from tests.support.share_links import LINKS, Link, link_secrets
from tests.support.signalhub import Cli, Server

SIG = "A" * 43


@dataclass
class World:
    cli: Cli
    server: Server
    http: httpx.Client
    auth: dict[str, str]
    key: str
    chart: bytes
    db_url: str


@pytest.fixture
def world(cli: Cli, db_url: str, start_server: Callable[..., Server]) -> Iterator[World]:
    token = cli.json("users", "create", "alice")["token"]
    auth = {"Authorization": f"Bearer {token}"}
    server = start_server(cli)
    with server.client() as http:
        made = http.post("/api/v1/charts/histogram", json=histogram_body(300), headers=auth)
        assert made.status_code == 200, made.text
        yield World(cli, server, http, auth, made.headers["x-media-key"], made.content, db_url)


def make_link(w: World, key: str | None = None, **body: object) -> Link:
    answer = w.http.post(LINKS.format(key=key or w.key), json=body, headers=w.auth)
    assert answer.status_code == 201, answer.text
    return Link.of(answer.json()["url"])


def fetch(w: World, link: Link, **headers: str) -> httpx.Response:
    return w.http.get(link.path, params=link.params, headers=headers)


def test_a_link_works_without_a_token_with_public_cache_headers(world: World) -> None:
    w = world
    before = int(time.time())
    answer = w.http.post(LINKS.format(key=w.key), headers=w.auth)  # no body: the default
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert sorted(body) == ["expires_at", "url"]
    link = Link.of(body["url"])
    assert link.key == w.key and len(link.sig) == 43
    exp = int(link.exp)
    assert before + 86_400 <= exp <= int(time.time()) + 86_400
    assert datetime.fromisoformat(body["expires_at"]) == datetime.fromtimestamp(exp, UTC)

    got = fetch(w, link)  # no Authorization header
    assert got.status_code == 200, got.text
    assert got.content == w.chart and size(got.content) == (1200, 700)
    assert got.headers["content-type"] == "image/png"
    assert got.headers["etag"] == f'"{w.key}"' and got.headers["x-media-key"] == w.key
    assert got.headers["x-cache"] == "HIT"
    assert got.headers["referrer-policy"] == "no-referrer"
    kind, _, age = got.headers["cache-control"].partition(", max-age=")
    assert kind == "public" and 86_400 - 120 <= int(age) <= 86_400

    not_modified = fetch(w, link, **{"If-None-Match": f'"{w.key}"'})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == f'"{w.key}"'
    assert not_modified.headers["cache-control"].startswith("public, max-age=")
    assert fetch(w, link, **{"If-None-Match": '"other"'}).status_code == 200

    # max-age never outlives the link, nor the TTL (a 30-day link, a 1-day TTL)
    short = make_link(w, expires_in=60)
    assert int(short.exp) - int(time.time()) <= 60
    age = int(fetch(w, short).headers["cache-control"].rsplit("=", 1)[1])
    assert 0 < age <= 60
    long = make_link(w, expires_in=2_592_000.0)
    age = int(fetch(w, long).headers["cache-control"].rsplit("=", 1)[1])
    assert 86_400 - 120 <= age <= 86_400

    # Nothing in the logs would let someone rebuild a link (the lines of the 5 requests to
    # /m/ are written after their answers: wait for them).
    deadline = time.monotonic() + 30
    while len(shared := _shared_lines(logs := w.server.logs())) < 5:
        assert time.monotonic() < deadline, logs[-3000:]
        time.sleep(0.1)
    for secret in (link.sig, short.sig, long.sig, f"exp={link.exp}"):
        assert secret not in logs
    assert {(line["path"], line["route"]) for line in shared} == {("/m/{file}", "/m/{file}")}


def _shared_lines(logs: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    return [
        line
        for line in lines
        if line.get("logger") == "signalhub.access" and line["route"].startswith("/m/")
    ]


def _reencoded(sig: str) -> list[str]:
    raw = base64.urlsafe_b64decode(sig + "=")
    standard = base64.b64encode(raw).decode()
    # The last character carries 2 bits of data and 4 padding bits: another character with
    # the same 2 bits decodes to the same bytes.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(sig[-1])
    sibling = sig[:-1] + alphabet[last ^ 1]
    assert base64.urlsafe_b64decode(sibling + "=") == raw
    candidates = [sig + "=", standard, standard.rstrip("="), sibling, " " + sig, sig.upper()]
    # standard base64 is the same text when the signature holds no "-" or "_"
    return [text for text in candidates if text != sig]


def test_every_forged_or_changed_link_is_403(world: World) -> None:
    w = world
    link = make_link(w)
    other = w.http.post("/api/v1/charts/histogram", json=histogram_body(40), headers=w.auth)
    theirs = make_link(w, key=other.headers["x-media-key"])
    exp = int(link.exp)
    flipped = link.sig[:10] + ("A" if link.sig[10] != "A" else "B") + link.sig[11:]
    cases: dict[str, tuple[str, dict[str, str]]] = {
        "no sig": (link.path, {"exp": link.exp}),
        "no exp": (link.path, {"sig": link.sig}),
        "neither": (link.path, {}),
        "empty sig": (link.path, {"exp": link.exp, "sig": ""}),
        "made-up sig": (link.path, {"exp": link.exp, "sig": SIG}),
        "tampered sig": (link.path, {"exp": link.exp, "sig": flipped}),
        "truncated sig": (link.path, {"exp": link.exp, "sig": link.sig[:-1]}),
        "longer sig": (link.path, {"exp": link.exp, "sig": link.sig + "A"}),
        "exp + 1 s": (link.path, {"exp": str(exp + 1), "sig": link.sig}),
        "exp - 1 s": (link.path, {"exp": str(exp - 1), "sig": link.sig}),
        "exp spelled 0NNN": (link.path, {"exp": "0" + link.exp, "sig": link.sig}),
        "exp spelled +NNN": (link.path, {"exp": "+" + link.exp, "sig": link.sig}),
        "exp not a number": (link.path, {"exp": "soon", "sig": link.sig}),
        "key from another link": (link.path, theirs.params),
        "another key, this sig": (theirs.path, link.params),
        "upper-case key": (f"/m/{link.key.upper()}.png", link.params),
    }
    for n, sig in enumerate(_reencoded(link.sig)):
        cases[f"re-encoded sig #{n}"] = (link.path, {"exp": link.exp, "sig": sig})
    for name, (path, params) in cases.items():
        answer = w.http.get(path, params=params)
        assert answer.status_code == 403, (name, answer.status_code, answer.text)
        assert answer.json()["status_code"] == 403, name
        assert (
            "cache-control" not in answer.headers or "public" not in answer.headers["cache-control"]
        ), name
    # the genuine ones still work
    assert fetch(w, link).status_code == 200
    assert fetch(w, theirs).status_code == 200
    # not `<key>.png` at all: no such file
    assert w.http.get(f"/m/{link.key}", params=link.params).status_code == 404


def test_expired_is_410_and_uncached_is_404(world: World) -> None:
    w = world
    link = make_link(w)  # also makes the signing key
    (secret,) = link_secrets(w.db_url)
    # The server's own signature over the same key, for a moment already past.
    past = sign(secret.encode(), w.key, int(time.time()) - 1)
    expired = Link(w.key, str(past.exp), past.sig)
    answer = fetch(w, expired)
    assert answer.status_code == 410, answer.text
    assert answer.json()["status_code"] == 410
    # the same signature with exp moved into the future is a forgery, not a live link
    moved = Link(w.key, str(past.exp + 3600), past.sig)
    assert fetch(w, moved).status_code == 403

    assert w.cli.json("media", "purge", "--all")["deleted_files"] >= 1
    gone = fetch(w, link)
    assert gone.status_code == 404, gone.text
    # a chart not cached (any more) cannot be shared
    assert w.http.post(LINKS.format(key=w.key), headers=w.auth).status_code == 404


def test_making_a_link_refuses_bad_input(world: World) -> None:
    w = world
    cases: list[tuple[str, object, int, str | None]] = [
        (w.key, {"expires_in": 59}, 400, "expires_in"),
        (w.key, {"expires_in": 2_592_001}, 400, "expires_in"),
        (w.key, {"expires_in": 60.5}, 400, "expires_in"),
        (w.key, {"expires_in": "60"}, 400, "expires_in"),
        (w.key, {"expires_in": 600, "extra": 1}, 400, "extra"),
        (w.key, [600], 400, None),
        ("a" * 64, {}, 404, None),
        ("A" * 64, {}, 404, None),
        ("not-a-key", {}, 404, None),
    ]
    for key, body, status, field in cases:
        answer = w.http.post(LINKS.format(key=key), json=body, headers=w.auth)
        assert answer.status_code == status, (key, body, answer.text)
        if field is not None:
            assert answer.json()["field"] == field, (body, answer.text)
    broken = w.http.post(
        LINKS.format(key=w.key),
        content=b"{",
        headers={**w.auth, "Content-Type": "application/json"},
    )
    assert broken.status_code == 400
    huge = w.http.post(LINKS.format(key=w.key), content=b" " * 2048, headers=w.auth)
    assert huge.status_code == 413
    assert w.http.post(LINKS.format(key=w.key), json={}).status_code == 401
    assert make_link(w, expires_in=60).exp  # the bounds themselves are fine
    assert make_link(w, expires_in=2_592_000).exp


def test_rotation_keeps_old_links_for_the_grace_only(world: World) -> None:
    w = world
    before = make_link(w)
    # A grace long enough to outlast the CLI process's exit on a loaded machine.
    rotated = w.cli.json("media", "rotate-link-key", "--grace", "20")
    assert rotated == {"rotated": True, "grace_seconds": 20}
    after = make_link(w)
    assert after.sig != before.sig  # signed with the new key
    assert fetch(w, before).status_code == 200  # within the grace
    assert fetch(w, after).status_code == 200
    deadline = time.monotonic() + 60
    while fetch(w, before).status_code == 200:
        assert time.monotonic() < deadline, "the old key still verifies long after its grace"
        time.sleep(0.25)
    assert fetch(w, before).status_code == 403
    assert fetch(w, after).status_code == 200
    # --grace 0: the old key stops at once
    assert w.cli.json("media", "rotate-link-key", "--grace", "0")["grace_seconds"] == 0
    assert fetch(w, after).status_code == 403
    assert fetch(w, make_link(w)).status_code == 200
    # the default grace, and refusals of the verb
    assert w.cli.json("media", "rotate-link-key")["grace_seconds"] == 86_400
    for bad in (["--grace", "-1"], ["--grace", "x"], ["--grace", "999999999999"]):
        done = w.cli.run("media", "rotate-link-key", *bad)
        assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1, bad
