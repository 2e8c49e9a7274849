"""CoalescingTransport (entrypoints/cli/http_transport.py): what one event-loop turn writes
reaches the socket's transport in one write, in order, and nothing waits past a turn, a
size bound or a close."""

from __future__ import annotations

import asyncio
from typing import Any

from entrypoints.cli.http_transport import FLUSH_BYTES, CoalescingTransport


class RecordingTransport:
    def __init__(self) -> None:
        self.events: list[Any] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.events.append(data)

    def write_eof(self) -> None:
        self.events.append("eof")

    def close(self) -> None:
        self.events.append("close")
        self.closing = True

    def is_closing(self) -> bool:
        return self.closing

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 50000) if name == "peername" else None


def coalescing() -> tuple[CoalescingTransport, RecordingTransport]:
    socket = RecordingTransport()
    return CoalescingTransport(socket, asyncio.get_running_loop()), socket  # type: ignore[arg-type]


async def test_the_writes_of_one_turn_go_out_in_one_write_at_its_end() -> None:
    transport, socket = coalescing()
    transport.write(b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n")
    transport.write(b"{}")
    assert socket.events == []  # nothing yet: the turn is not over
    await asyncio.sleep(0)
    assert socket.events == [b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}"]
    transport.write(b"next")
    await asyncio.sleep(0)
    assert socket.events[1:] == [b"next"]


async def test_a_write_that_reaches_the_bound_goes_at_once_with_what_was_kept() -> None:
    transport, socket = coalescing()
    transport.write(b"head")
    big = b"x" * FLUSH_BYTES
    transport.write(big)
    assert socket.events == [b"head" + big]
    transport.write(b"tail")  # kept again until the turn ends
    assert len(socket.events) == 1
    await asyncio.sleep(0)
    assert socket.events == [b"head" + big, b"tail"]


async def test_close_and_write_eof_send_what_is_kept_first() -> None:
    transport, socket = coalescing()
    transport.write(b"bye")
    transport.write_eof()
    transport.write(b"!")
    transport.close()
    await asyncio.sleep(0)
    assert socket.events == [b"bye", "eof", b"!", "close"]


async def test_nothing_is_written_once_the_connection_is_closing() -> None:
    transport, socket = coalescing()
    transport.write(b"lost")
    socket.closing = True  # the peer went away before the turn ended
    await asyncio.sleep(0)
    assert socket.events == []


async def test_a_reused_buffer_is_sent_as_it_was_when_written() -> None:
    transport, socket = coalescing()
    buffer = bytearray(b"first")
    transport.writelines([buffer, memoryview(b"-second")])
    buffer[:] = b"xxxxx"
    await asyncio.sleep(0)
    assert socket.events == [b"first-second"]


async def test_everything_else_is_the_socket_transports() -> None:
    transport, _ = coalescing()
    assert transport.get_extra_info("peername") == ("127.0.0.1", 50000)
    assert not transport.is_closing()
