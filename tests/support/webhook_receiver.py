"""A real webhook receiver for the SPEC §15 tests: its own process on 127.0.0.1.

    python -m tests.support.webhook_receiver --port HOOKS --control-port CONTROL

Every request to `POST /hooks/<name>` is checked with the `standardwebhooks` library's
`Webhook.verify` (a verifier no one here wrote) against each secret configured for <name>,
separately, and recorded: webhook-id, the event's type and id, when it came, how it was
answered, which secrets verified it. A request no secret verifies is a rejection (401).

The control port (JSON) programs it:
- `PUT /hooks/<name>` `{"secrets": {"label": "whsec_…"}, "plan": [STEP, …]}`: a STEP is
  `{"status": 500, "times": 2}` (answer 500 twice, then the next step; the last step has no
  `times` and repeats), with optional `"delay": S` (answer after S seconds, noticing a
  client that hangs up meanwhile), `"body_bytes": N` (an answer body of N bytes, sent until
  the client stops reading), `"drip": S` (the body one byte every S seconds),
  `"location": URL` (a redirect).
- `GET /records[?since=SEQ]` -> `{"records": [...]}` (from that one on); `POST /down` closes the hook port and every
  connection on it (connections are refused); `POST /up` opens it again; `GET /healthz`.
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

CHUNK = 64 * 1024
WRITE_TIMEOUT_SECONDS = 30.0


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.hooks: dict[str, dict[str, Any]] = {}
        self.records: list[dict[str, Any]] = []
        self.connections: set[socket.socket] = set()

    def step(self, name: str) -> dict[str, Any]:
        """The plan's current step for <name>, consumed once."""
        with self.lock:
            plan: list[dict[str, Any]] = self.hooks[name]["plan"]
            if not plan:
                return {"status": 200}
            current = plan[0]
            if "times" in current and len(plan) > 1:
                current["times"] -= 1
                if current["times"] <= 0:
                    plan.pop(0)
            return dict(current)

    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            entry["seq"] = len(self.records)
            self.records.append(entry)
        return entry


STATE = State()


def verify(secrets: dict[str, str], body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """Each secret on its own: which labels verify this request, and the parsed body."""
    found: dict[str, Any] = {"verified_by": [], "error": None, "body": None}
    for label, secret in sorted(secrets.items()):
        try:
            found["body"] = Webhook(secret).verify(body, headers)
            found["verified_by"].append(label)
        except WebhookVerificationError as problem:
            found["error"] = f"{label}: {problem}"
    if found["verified_by"]:
        found["error"] = None
    return found


class HookHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def setup(self) -> None:
        super().setup()
        with STATE.lock:
            STATE.connections.add(self.connection)

    def finish(self) -> None:
        with STATE.lock:
            STATE.connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def do_POST(self) -> None:
        received = time.time()
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        name = self.path.removeprefix("/hooks/") if self.path.startswith("/hooks/") else ""
        headers = {k.lower(): v for k, v in self.headers.items()}
        entry: dict[str, Any] = {
            "name": name,
            "path": self.path,
            "received_at": received,
            "webhook_id": headers.get("webhook-id"),
            "webhook_timestamp": headers.get("webhook-timestamp"),
            "signature": headers.get("webhook-signature"),
            "content_type": headers.get("content-type"),
            "answered": None,
            "answered_at": None,
            "answer_ok": False,
            "client_gone_at": None,
            "bytes_sent": 0,
            "write_error": None,
        }
        hook = STATE.hooks.get(name)
        checked = verify(hook["secrets"], body, headers) if hook else None
        if checked is None or not checked["verified_by"]:
            entry.update(
                verified_by=[],
                error=checked["error"] if checked else f"no hook named {name!r}",
                raw=body[:2000].decode(errors="replace"),
            )
            STATE.record(entry)
            self.answer(entry, {"status": 401 if hook else 404})
            return
        document = checked["body"]
        data = document.get("data") if isinstance(document, dict) else None
        event = data.get("event") if isinstance(data, dict) else None
        entry.update(
            verified_by=checked["verified_by"],
            error=None,
            type=document.get("type") if isinstance(document, dict) else None,
            event_id=event.get("id") if isinstance(event, dict) else None,
            body=document,
        )
        STATE.record(entry)
        self.answer(entry, STATE.step(name))

    def answer(self, entry: dict[str, Any], step: dict[str, Any]) -> None:
        status = int(step.get("status", 200))
        try:
            if step.get("delay") and self.wait_or_gone(float(step["delay"])):
                entry["client_gone_at"] = time.time()
            self.connection.settimeout(WRITE_TIMEOUT_SECONDS)
            size = int(step.get("body_bytes") or 0)
            drip = float(step.get("drip") or 0)
            if drip and not size:
                size = 1_000_000
            self.send_response(status)
            if step.get("location"):
                self.send_header("Location", str(step["location"]))
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(size))
            self.end_headers()
            self.wfile.flush()
            sent = 0
            while sent < size:
                piece = 1 if drip else min(CHUNK, size - sent)
                self.wfile.write(b"x" * piece)
                self.wfile.flush()
                sent += piece
                entry["bytes_sent"] = sent
                if drip:
                    time.sleep(drip)
            entry["answer_ok"] = entry["client_gone_at"] is None
        except OSError as problem:
            entry["write_error"] = repr(problem)
            self.close_connection = True
        finally:
            entry["answered"] = status
            entry["answered_at"] = time.time()

    def wait_or_gone(self, seconds: float) -> bool:
        """Sleep up to `seconds`; True as soon as the client hangs up."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            ready, _, _ = select.select([self.connection], [], [], min(left, 0.1))
            if ready:
                try:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        return True
                except OSError:
                    return True
        return False


class Hooks:
    """The hook listener, which `down` closes (with every open connection) and `up` reopens."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.server: ThreadingHTTPServer | None = None
        self.thread: threading.Thread | None = None

    def up(self) -> None:
        if self.server is not None:
            return
        server = ThreadingHTTPServer(("127.0.0.1", self.port), HookHandler)
        server.daemon_threads = True
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)
        self.thread.start()

    def down(self) -> None:
        if self.server is None:
            return
        self.server.shutdown()
        self.server.server_close()
        self.server = None
        with STATE.lock:
            for conn in list(STATE.connections):
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def control_handler(hooks: Hooks) -> type[BaseHTTPRequestHandler]:
    class Control(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def reply(self, status: int, document: Any = None) -> None:
            raw = json.dumps(document).encode() if document is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            path, _, query = self.path.partition("?")
            if path == "/records":
                since = int(query.removeprefix("since=") or 0) if query else 0
                with STATE.lock:
                    snapshot = json.loads(json.dumps(STATE.records[since:]))
                self.reply(200, {"records": snapshot})
            else:
                self.reply(200 if self.path == "/healthz" else 404, {})

        def do_PUT(self) -> None:
            config = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            name = self.path.removeprefix("/hooks/")
            with STATE.lock:
                STATE.hooks[name] = {
                    "secrets": dict(config.get("secrets", {})),
                    "plan": [dict(s) for s in config.get("plan", [])],
                }
            self.reply(204)

        def do_POST(self) -> None:
            if self.path == "/down":
                hooks.down()
            elif self.path == "/up":
                hooks.up()
            else:
                self.reply(404, {})
                return
            self.reply(204)

    return Control


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--control-port", type=int, required=True)
    parser.add_argument("--down", action="store_true", help="start with the hook port closed")
    args = parser.parse_args()
    hooks = Hooks(args.port)
    if not args.down:
        hooks.up()
    control = ThreadingHTTPServer(("127.0.0.1", args.control_port), control_handler(hooks))
    control.daemon_threads = True
    control.serve_forever()


if __name__ == "__main__":
    main()
