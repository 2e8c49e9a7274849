"""SPEC §13, black-box: two `signalhub serve` processes, one PostgreSQL database, one bucket on
a real S3-compatible server (SeaweedFS), and the CLI pointed at the same bucket; share links
(SPEC §12) made on one host work on the other."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.support.charts import candle_body, histogram_body
from tests.support.databases import create_pg_database, drop_pg_database
from tests.support.s3server import S3Server
from tests.support.share_links import Link
from tests.support.signalhub import Cli, Server, base_env, free_port, launch, media_counters


@dataclass
class Hosts:
    cli: Cli
    a: Server
    b: Server
    auth: dict[str, str]
    s3: S3Server
    bucket: str


@pytest.fixture(scope="module")
def hosts(tmp_path_factory: pytest.TempPathFactory, s3_server: S3Server) -> Iterator[Hosts]:
    workdir = tmp_path_factory.mktemp("hosts")
    database = asyncio.run(create_pg_database())
    bucket = s3_server.create_bucket()
    # Each instance gets its own MEDIA_DIR: nothing may go through the local disk.
    env = base_env(database, workdir, **s3_server.env(bucket), RENDER_WORKERS="1")
    cli = Cli(env, workdir)
    token = cli.json("users", "create", "trader")["token"]
    a = launch(cli, env={"MEDIA_DIR": str(workdir / "media-a")})
    b = launch(cli, env={"MEDIA_DIR": str(workdir / "media-b")})
    try:
        yield Hosts(cli, a, b, {"Authorization": f"Bearer {token}"}, s3_server, bucket)
    finally:
        a.stop()
        b.stop()
        asyncio.run(drop_pg_database(database))
    # A clean exit: the S3 client is released before the process ends (see S3MediaStore.close).
    assert (a.process.returncode, b.process.returncode) == (0, 0), a.logs()[-2000:]


def post_at_once(
    servers: list[Server], path: str, body: object, auth: dict[str, str]
) -> list[httpx.Response]:
    """The same request at every server, released together."""
    barrier = threading.Barrier(len(servers))
    responses: list[httpx.Response | None] = [None] * len(servers)

    def send(i: int, server: Server) -> None:
        with server.client(headers=auth) as http:
            barrier.wait()
            responses[i] = http.post(path, json=body)

    threads = [threading.Thread(target=send, args=(i, s)) for i, s in enumerate(servers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r is not None for r in responses)
    return [r for r in responses if r is not None]


def counters(server: Server) -> dict[str, float]:
    with server.client() as http:
        return media_counters(http)


def test_both_instances_are_ready_on_the_bucket(hosts: Hosts) -> None:
    for server in (hosts.a, hosts.b):
        with server.client() as http:
            ready = http.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["media_bucket"] is True
    # With MEDIA_STORE=s3 serve leaves MEDIA_DIR alone (it is not used).
    assert not (hosts.cli.cwd / "media-a").exists()
    assert not (hosts.cli.cwd / "media-b").exists()


def test_identical_requests_at_two_hosts_are_rendered_once(hosts: Hosts) -> None:
    before = [counters(hosts.a), counters(hosts.b)]
    # Big enough that the two renders would overlap if both hosts rendered.
    body = candle_body(4000, seed=41, width=2400, height=1400)
    servers = [hosts.a, hosts.b, hosts.a, hosts.b]
    responses = post_at_once(servers, "/api/v1/charts/candlestick", body, hosts.auth)
    assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
    assert len({r.headers["X-Media-Key"] for r in responses}) == 1
    assert len({r.content for r in responses}) == 1
    assert sorted(r.headers["X-Cache"] for r in responses) == ["HIT", "HIT", "HIT", "MISS"]
    after = [counters(hosts.a), counters(hosts.b)]
    rendered = sum(after[i]["media_render_total"] - before[i]["media_render_total"] for i in (0, 1))
    hits = sum(
        after[i]["media_cache_hits_total"] - before[i]["media_cache_hits_total"] for i in (0, 1)
    )
    assert (rendered, hits) == (1, 3)


def test_a_chart_rendered_on_one_host_downloads_from_the_other(hosts: Hosts) -> None:
    with hosts.a.client(headers=hosts.auth) as http:
        made = http.post("/api/v1/charts/histogram", json=histogram_body(500, bins=12))
    assert made.status_code == 200, made.text
    key = made.headers["X-Media-Key"]
    before = counters(hosts.b)
    with hosts.b.client(headers=hosts.auth) as http:
        got = http.get(f"/api/v1/media/{key}")
        again = http.post("/api/v1/charts/histogram", json=histogram_body(500, bins=12))
        unchanged = http.get(f"/api/v1/media/{key}", headers={"If-None-Match": f'"{key}"'})
    assert got.status_code == 200
    assert got.content == made.content
    assert (got.headers["ETag"], got.headers["Content-Type"]) == (f'"{key}"', "image/png")
    assert (again.headers["X-Cache"], again.content) == ("HIT", made.content)
    assert unchanged.status_code == 304
    assert counters(hosts.b)["media_render_total"] == before["media_render_total"]


def test_a_share_link_made_on_one_host_works_on_the_other(hosts: Hosts) -> None:
    with hosts.a.client(headers=hosts.auth) as http:
        made = http.post("/api/v1/charts/histogram", json=histogram_body(120, bins=9))
    assert made.status_code == 200, made.text
    key = made.headers["X-Media-Key"]
    # Both hosts make a link at once: the first one needs the signing key, made once in the
    # shared database, so each host's link verifies on the other.
    path = f"/api/v1/media/{key}/links"
    made_links = post_at_once([hosts.a, hosts.b], path, {"expires_in": 600}, hosts.auth)
    assert [r.status_code for r in made_links] == [201, 201], [r.text for r in made_links]
    on_a, on_b = (Link.of(r.json()["url"]) for r in made_links)
    for link, server in ((on_a, hosts.b), (on_b, hosts.a)):
        with server.client() as http:  # no token
            got = http.get(link.path, params=link.params)
            assert got.status_code == 200, got.text
            assert got.content == made.content
            assert got.headers["Referrer-Policy"] == "no-referrer"
            assert got.headers["Cache-Control"].startswith("public, max-age=")
            forged = http.get(link.path, params={**link.params, "exp": str(int(link.exp) + 1)})
            assert forged.status_code == 403
    # A rotation from the CLI with no grace is seen by both hosts at once.
    assert hosts.cli.json("media", "rotate-link-key", "--grace", "0")["grace_seconds"] == 0
    for server in (hosts.a, hosts.b):
        with server.client() as http:
            assert http.get(on_a.path, params=on_a.params).status_code == 403


def test_readyz_is_503_when_the_bucket_is_missing_or_unreachable(
    hosts: Hosts, tmp_path: Path
) -> None:
    cases = {
        "missing": {"MEDIA_S3_BUCKET": "no-such-bucket-here"},
        "unreachable": {"MEDIA_S3_ENDPOINT": f"http://127.0.0.1:{free_port()}"},
    }
    for name, overrides in cases.items():
        server = launch(hosts.cli, env={"MEDIA_DIR": str(tmp_path / name), **overrides})
        try:
            with server.client() as http:
                ready = http.get("/readyz")
        finally:
            server.stop()
        assert ready.status_code == 503, (name, ready.text)
        assert ready.json()["media_bucket"] is False, name
        assert ready.json()["database"] is True, name


def test_stats_and_purge_from_the_cli_are_seen_by_both_hosts(hosts: Hosts) -> None:
    keys = []
    for seed, server in ((51, hosts.a), (52, hosts.b)):
        with server.client(headers=hosts.auth) as http:
            made = http.post("/api/v1/charts/candlestick", json=candle_body(60, seed=seed))
        assert made.status_code == 200, made.text
        keys.append(made.headers["X-Media-Key"])
    stats = hosts.cli.json("media", "stats")
    assert stats["files"] >= 2 and stats["bytes"] > 0
    assert stats["expired_files"] == 0
    dry = hosts.cli.json("media", "purge", "--all", "--dry-run")
    assert (dry["deleted_files"], dry["dry_run"]) == (stats["files"], True)
    assert hosts.cli.json("media", "stats")["files"] == stats["files"]
    expired = hosts.cli.json("media", "purge", "--expired")
    assert expired == {"deleted_files": 0, "freed_bytes": 0, "dry_run": False}
    done = hosts.cli.json("media", "purge", "--all")
    assert done == {
        "deleted_files": stats["files"],
        "freed_bytes": stats["bytes"],
        "dry_run": False,
    }
    for server in (hosts.a, hosts.b):
        with server.client(headers=hosts.auth) as http:
            for key in keys:
                assert http.get(f"/api/v1/media/{key}").status_code == 404
    assert hosts.cli.json("media", "stats") == {"files": 0, "bytes": 0, "expired_files": 0}


def test_an_expired_chart_is_gone_on_every_host_and_purged_by_expired(
    hosts: Hosts, tmp_path: Path
) -> None:
    # A third instance and the CLI with a 1-second TTL see the bucket's charts as expired.
    with hosts.a.client(headers=hosts.auth) as http:
        made = http.post("/api/v1/charts/candlestick", json=candle_body(40, seed=61))
    key = made.headers["X-Media-Key"]
    short = {"MEDIA_TTL_SECONDS": "1", "MEDIA_DIR": str(tmp_path / "media-c")}
    waited = 0
    while hosts.cli.json("media", "stats", env=short)["expired_files"] == 0:
        waited += 1
        assert waited < 100, "a chart never became expired under a 1 s TTL"
        threading.Event().wait(0.05)
    c = launch(hosts.cli, env=short)
    try:
        with c.client(headers=hosts.auth) as http:
            assert http.get(f"/api/v1/media/{key}").status_code == 404
    finally:
        c.stop()
    purged = hosts.cli.json("media", "purge", "--expired", env=short)
    assert purged["deleted_files"] == 1
    with hosts.b.client(headers=hosts.auth) as http:
        assert http.get(f"/api/v1/media/{key}").status_code == 404


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("MEDIA_S3_BUCKET", ""),
        ("MEDIA_S3_ENDPOINT", "s3.example.com"),
        ("MEDIA_STORE", "ftp"),
        ("AWS_SECRET_ACCESS_KEY", ""),
    ],
)
def test_a_bad_s3_setting_stops_start_up_with_one_line(
    hosts: Hosts, variable: str, value: str
) -> None:
    for verb in (["serve"], ["media", "stats"]):
        done = hosts.cli.run(*verb, env={variable: value})
        assert done.returncode != 0, (verb, done.stdout)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and variable in lines[0], (verb, done.stderr)
