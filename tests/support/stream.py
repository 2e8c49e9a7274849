"""SSE clients for the tests of SPEC §10: httpx-sse in a thread, and a client that never reads."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_sse import connect_sse

STREAM = "/api/v1/stream"
DEADLINE_SECONDS = 15.0


def wait_until(
    condition: Callable[[], bool], what: str, deadline: float = DEADLINE_SECONDS
) -> None:
    end = time.monotonic() + deadline
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"not within {deadline}s: {what}")
        time.sleep(0.02)


@dataclass
class Message:
    id: int
    event: str
    data: dict[str, Any]


class Listener:
    """An httpx-sse client reading a stream in a thread; `stop_after` drops the connection
    after that many messages (a client that goes away)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        last_event_id: int | None = None,
        params: dict[str, str] | None = None,
        stop_after: int | None = None,
    ) -> None:
        self.messages: list[Message] = []
        self.status: int | None = None
        self.body: Any = None
        self.error: BaseException | None = None
        self.ended = threading.Event()
        self._opened = threading.Event()
        headers = {"Authorization": f"Bearer {token}"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self._args = (base_url, headers, params or {}, stop_after)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        wait_until(self._opened.is_set, "the stream answered")

    def _run(self) -> None:
        base_url, headers, params, stop_after = self._args
        try:
            with (
                httpx.Client(base_url=base_url, timeout=httpx.Timeout(30, read=None)) as http,
                connect_sse(http, "GET", STREAM, headers=headers, params=params) as source,
            ):
                self.status = source.response.status_code
                if self.status != 200:
                    self.body = json.loads(source.response.read())
                    self._opened.set()
                    return
                self._opened.set()
                for sse in source.iter_sse():
                    self.messages.append(Message(int(sse.id), sse.event, sse.json()))
                    if stop_after is not None and len(self.messages) >= stop_after:
                        return
        except BaseException as exc:  # the server went away: recorded for the test to see
            self.error = exc
        finally:
            self._opened.set()
            self.ended.set()

    @property
    def ids(self) -> list[int]:
        return [m.id for m in self.messages]

    def wait_for(self, n: int) -> list[Message]:
        wait_until(lambda: len(self.messages) >= n or self.ended.is_set(), f"{n} messages")
        assert len(self.messages) >= n, f"stream ended after {self.ids}: {self.error!r}"
        return self.messages[:n]


class DeafClient:
    """Opens a stream over a raw socket with a tiny receive buffer and does not read."""

    def __init__(self, host: str, port: int, token: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.connect((host, port))
        request = (
            f"GET {STREAM} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        )
        self.sock.sendall(request.encode())

    def drain(self) -> bytes:
        """Everything the server wrote before it closed the connection."""
        self.sock.settimeout(DEADLINE_SECONDS)
        chunks = []
        while chunk := self.sock.recv(65536):
            chunks.append(chunk)
        self.sock.close()
        return b"".join(chunks)


def ids_in(raw: bytes) -> list[int]:
    """The ids of the complete messages in a raw (chunked) SSE response."""
    ids = []
    for block in raw.replace(b"\r\n", b"\n").split(b"\n\n"):
        lines = block.split(b"\n")
        has_data = any(line.startswith(b"data: {") and line.endswith(b"}}") for line in lines)
        for line in lines:
            if line.startswith(b"id: ") and has_data:
                ids.append(int(line[4:]))
    return ids
