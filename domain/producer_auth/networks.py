"""Who is calling, by address: allowed-CIDR lists and the client address behind trusted
proxies (SPEC §11). Pure rules over the standard library's ipaddress."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from domain.errors import InvalidInput

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_ALLOWED_NETWORKS = 100


def parse_network(text: str, field: str) -> Network:
    """One CIDR (a bare address is a /32 or /128); host bits set is refused, not widened."""
    try:
        return ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as exc:
        raise InvalidInput(field, f"{text!r} is not a CIDR ({exc})") from None


def parse_networks(texts: Iterable[str], field: str) -> tuple[Network, ...]:
    """CIDRs in the given order, duplicates dropped; raise InvalidInput naming `field`."""
    networks: list[Network] = []
    for text in texts:
        network = parse_network(text, field)
        if network not in networks:
            networks.append(network)
    if len(networks) > MAX_ALLOWED_NETWORKS:
        raise InvalidInput(field, f"at most {MAX_ALLOWED_NETWORKS} CIDRs")
    return tuple(networks)


def parse_cidr_setting(value: str, field: str = "TRUSTED_PROXIES") -> tuple[Network, ...]:
    """A comma-separated CIDR list as a setting gives it ('' = none); InvalidInput names it."""
    return parse_networks([part for part in value.split(",") if part.strip()], field)


def normalise_cidrs(texts: Iterable[str], field: str = "allow_ip") -> tuple[str, ...]:
    """The canonical text of each CIDR (`10.0.0.0/8`, `2001:db8::/32`), as stored."""
    return tuple(str(n) for n in parse_networks(texts, field))


def parse_address(text: str | None) -> Address | None:
    """An address as a peer or an X-Forwarded-For hop gives it, or None when it is not one.

    Accepts `[v6]:port` and `v4:port` (some proxies add the port); an IPv4-mapped IPv6
    address is read as the IPv4 address, so `::ffff:1.2.3.4` matches `1.2.3.0/24`.
    """
    if text is None:
        return None
    text = text.strip()
    if text.startswith("["):
        text, closing, port = text[1:].partition("]")
        if not closing or not _port_suffix(port):
            return None
    elif text.count(":") == 1:
        text, _, port = text.partition(":")
        if not port.isdigit():
            return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _port_suffix(text: str) -> bool:
    return text == "" or (text[:1] == ":" and text[1:].isdigit())


def client_address(
    peer: str | None, forwarded_for: str | None, trusted_proxies: Sequence[Network]
) -> Address | None:
    """The peer's address, or the last X-Forwarded-For hop when the peer is a trusted proxy.

    An untrusted peer's X-Forwarded-For is ignored (anyone can send one). A trusted peer
    without the header is the client itself; a last hop that is not an address gives None.
    """
    peer_address = parse_address(peer)
    if peer_address is None or not forwarded_for or not in_networks(peer_address, trusted_proxies):
        return peer_address
    return parse_address(forwarded_for.rsplit(",", 1)[-1])


def in_networks(address: Address, networks: Sequence[Network]) -> bool:
    # `in` across IP versions is simply False.
    return any(address in network for network in networks)


def address_allowed(address: Address | None, allowed_cidrs: Sequence[str]) -> bool:
    """An empty list allows any caller; otherwise the address must be known and inside one."""
    if not allowed_cidrs:
        return True
    if address is None:
        return False
    return in_networks(address, [ipaddress.ip_network(c) for c in allowed_cidrs])
