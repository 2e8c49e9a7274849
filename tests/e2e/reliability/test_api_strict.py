"""The schemathesis CLI with every check over the whole OpenAPI document, against a real server.

`schemathesis run --checks all` (positive and negative data acceptance, status codes, content
types, response schemas and headers, the `Allow` header, missing headers, ignored auth,
stateful links ...) as a user would run it: a server process on SQLite, a bearer token, a
producer whose secret the hooks (schemathesis_hooks.py) sign ingestion with, real signals and
a real chart for the `{signal_id}` and `{key}` operations. The only failures the hooks drop
are the documented refusals JSON Schema cannot state (docs/reliability.md); the one operation
left out is the endless SSE stream (SPEC §10), whose refusals test_api_fuzz.py covers.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.charts import histogram_body
from tests.support.signalhub import Cli, base_env, launch
from tests.support.signals import XAU, Producer, post

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
MAX_EXAMPLES = "25"  # per operation and phase: about 1100 requests, well under two minutes
SEED = os.environ.get("SIGNALHUB_STRICT_SEED", "20261128")  # fixed: the same run every time
REAL_SIGNALS = 10


def test_schemathesis_with_all_checks_passes_over_the_whole_document(tmp_path: Path) -> None:
    cli = Cli(base_env(f"sqlite:///{tmp_path}/var/db.sqlite3", tmp_path), tmp_path)
    user = cli.json("users", "create", "strict")
    producer = cli.json(
        "producers", "create", "strict-relay", "--user", user["user_id"], "--tradingview"
    )
    server = launch(cli, env={"RENDER_WORKERS": "2"})
    try:
        relay = Producer(producer["producer_id"], producer["secret"])
        auth = {"Authorization": f"Bearer {user['token']}"}
        with server.client() as http:
            ids = [
                post(http, relay, {**XAU, "instrument": f"STRICT{i}"}).json()["id"]
                for i in range(REAL_SIGNALS)
            ]
            chart = http.post("/api/v1/charts/histogram", json=histogram_body(50), headers=auth)
            assert chart.status_code == 200, chart.text
            # A public address literal (no lookup) and an instrument no fuzzed signal has:
            # the run never sends a webhook anywhere.
            subscription = http.post(
                "/api/v1/subscriptions",
                json={"url": "https://93.184.215.14/hook", "instrument": "NOT.FUZZED"},
                headers=auth,
            )
            assert subscription.status_code == 201, subscription.text
            # OPTIONS names every documented method of its path (litestar#4169 on GET+POST)
            for path, methods in http.get("/schema/openapi.json").json()["paths"].items():
                concrete = (
                    path.replace("{signal_id}", ids[0])
                    .replace("{key}", "0" * 64)
                    .replace("{subscription_id}", subscription.json()["id"])
                    .replace("{event_id}", "1")
                )
                allow = http.options(concrete).headers["allow"]
                expected = {m.upper() for m in methods} | {"OPTIONS"}
                assert set(allow.split(", ")) == expected, (path, allow)
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": str(HOOKS),
            "SIGNALHUB_FUZZ_PRODUCER_ID": producer["producer_id"],
            "SIGNALHUB_FUZZ_SECRET": producer["secret"],
            "SIGNALHUB_FUZZ_SIGNAL_IDS": ",".join(ids),
            "SIGNALHUB_FUZZ_MEDIA_KEY": chart.headers["x-media-key"],
            "SIGNALHUB_FUZZ_TRADINGVIEW_TOKEN": producer["tradingview_url"].rsplit("/", 1)[1],
            "SIGNALHUB_FUZZ_SUBSCRIPTION_ID": subscription.json()["id"],
        }
        done = subprocess.run(
            [
                str(SCHEMATHESIS),
                "run",
                f"{server.url}/schema/openapi.json",
                "--checks",
                "all",
                "-H",
                f"Authorization: Bearer {user['token']}",
                "--max-examples",
                MAX_EXAMPLES,
                "--seed",
                SEED,
                "--request-timeout",
                "60",
                "--no-color",
                # SPEC §10: an accepted stream never ends, so its 200 cannot be read whole;
                # test_stream.py reads its messages and test_api_fuzz.py fuzzes its refusals.
                "--exclude-path",
                "/api/v1/stream",
            ],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        report = done.stdout + done.stderr
        assert done.returncode == 0, report
        assert "21 selected / 22 total" in report, report
        print("\n" + report[report.find("SUMMARY") :])
    finally:
        server.stop()
    assert "unhandled_error" not in server.logs()
