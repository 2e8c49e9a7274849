"""The resolver behind the SSRF guard: the system's getaddrinfo, bounded in time."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Sequence


class SystemResolver:
    def __init__(self, timeout_seconds: float = 5.0) -> None:
        self._timeout = timeout_seconds

    async def resolve(self, host: str, port: int) -> Sequence[str]:
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        try:
            async with asyncio.timeout(self._timeout):
                infos = await asyncio.get_running_loop().getaddrinfo(
                    host, port, type=socket.SOCK_STREAM
                )
        except (OSError, TimeoutError, UnicodeError, ValueError):
            return []
        found: list[str] = []
        for *_, sockaddr in infos:
            address = str(sockaddr[0]).split("%", 1)[0]  # an IPv6 scope id is not part of it
            if address not in found:
                found.append(address)
        # IPv4 first: the address a delivery connects to is the first one.
        return sorted(found, key=lambda a: ":" in a)
