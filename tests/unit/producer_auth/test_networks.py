"""Allowed-CIDR lists and the client address behind trusted proxies (SPEC §11)."""

from __future__ import annotations

import ipaddress

import pytest

from domain.errors import InvalidInput
from domain.producer_auth import (
    address_allowed,
    client_address,
    normalise_cidrs,
    parse_address,
    parse_cidr_setting,
    parse_networks,
)

PROXIES = parse_networks(["10.0.0.0/8", "fd00::/8"], "TRUSTED_PROXIES")
TRADINGVIEW = normalise_cidrs(["52.89.214.238", "34.212.75.30", "54.218.53.128", "52.32.178.7"])


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


def test_cidrs_are_stored_in_canonical_form_without_duplicates() -> None:
    assert normalise_cidrs(["52.89.214.238", " 10.0.0.0/8 ", "2001:DB8::/32", "10.0.0.0/8"]) == (
        "52.89.214.238/32",
        "10.0.0.0/8",
        "2001:db8::/32",
    )
    assert normalise_cidrs([]) == ()


@pytest.mark.parametrize(
    "bad", ["", "10.0.0.1/8", "300.1.1.1", "10.0.0.0/33", "example.com", "::g"]
)
def test_bad_cidrs_are_refused_naming_the_field(bad: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalise_cidrs(["1.2.3.4", bad], "allow_ip")
    assert caught.value.field == "allow_ip"


def test_too_many_cidrs_are_refused() -> None:
    with pytest.raises(InvalidInput):
        normalise_cidrs([f"10.0.{i // 256}.{i % 256}" for i in range(101)])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.2.3.4", "1.2.3.4"),
        (" 1.2.3.4 ", "1.2.3.4"),
        ("1.2.3.4:5678", "1.2.3.4"),
        ("2001:db8::1", "2001:db8::1"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("::ffff:52.89.214.238", "52.89.214.238"),
    ],
)
def test_addresses_as_peers_and_proxies_write_them(text: str, expected: str) -> None:
    assert parse_address(text) == ip(expected)


@pytest.mark.parametrize(
    "text", [None, "", "unknown", "_hidden", "1.2.3", "1.2.3.4.5", "[::1", "[::1]x", "1.2.3.4:x"]
)
def test_non_addresses_are_none(text: str | None) -> None:
    assert parse_address(text) is None


def test_untrusted_peer_is_the_client_and_its_forwarded_for_is_ignored() -> None:
    # A spoofed X-Forwarded-For from the internet must not pick the address.
    assert client_address("203.0.113.9", "52.89.214.238", PROXIES) == ip("203.0.113.9")
    assert client_address("203.0.113.9", "52.89.214.238", ()) == ip("203.0.113.9")


def test_trusted_peer_hands_over_the_last_forwarded_for_hop() -> None:
    assert client_address("10.1.2.3", "52.89.214.238", PROXIES) == ip("52.89.214.238")
    # Only the last hop was written by our proxy; earlier ones are the client's own claims.
    assert client_address("10.1.2.3", "1.1.1.1, 52.89.214.238", PROXIES) == ip("52.89.214.238")
    assert client_address("10.1.2.3", "1.1.1.1,52.89.214.238 ", PROXIES) == ip("52.89.214.238")
    assert client_address("fd00::5", "2001:db8::7", PROXIES) == ip("2001:db8::7")


def test_trusted_peer_without_forwarded_for_is_the_client() -> None:
    assert client_address("10.1.2.3", None, PROXIES) == ip("10.1.2.3")
    assert client_address("10.1.2.3", "", PROXIES) == ip("10.1.2.3")


def test_trusted_peer_with_a_garbage_last_hop_is_unknown() -> None:
    assert client_address("10.1.2.3", "52.89.214.238, unknown", PROXIES) is None
    assert client_address("10.1.2.3", "52.89.214.238,", PROXIES) is None


def test_no_peer_is_unknown() -> None:
    assert client_address(None, "52.89.214.238", PROXIES) is None


def test_empty_allow_list_allows_anyone_even_unknown() -> None:
    assert address_allowed(ip("203.0.113.9"), ())
    assert address_allowed(None, ())


def test_allow_list_allows_inside_only() -> None:
    assert address_allowed(ip("52.89.214.238"), TRADINGVIEW)
    assert not address_allowed(ip("52.89.214.239"), TRADINGVIEW)
    assert not address_allowed(None, TRADINGVIEW)
    assert address_allowed(ip("10.200.1.1"), ("10.0.0.0/8",))
    assert not address_allowed(ip("2001:db8::1"), TRADINGVIEW)  # other IP version
    assert address_allowed(ip("2001:db8::1"), ("2001:db8::/32", "1.2.3.4/32"))


def test_spoofed_forwarded_for_cannot_reach_an_allow_list() -> None:
    spoofed = client_address("203.0.113.9", "52.89.214.238", PROXIES)
    assert not address_allowed(spoofed, TRADINGVIEW)
    proxied = client_address("10.0.0.2", "203.0.113.9, 52.89.214.238", PROXIES)
    assert address_allowed(proxied, TRADINGVIEW)


def test_trusted_proxies_setting_is_a_comma_separated_list() -> None:
    assert parse_cidr_setting("") == ()
    assert parse_cidr_setting(" 10.0.0.0/8 , 127.0.0.1,::1,") == parse_networks(
        ["10.0.0.0/8", "127.0.0.1", "::1"], "TRUSTED_PROXIES"
    )
    with pytest.raises(InvalidInput) as caught:
        parse_cidr_setting("10.0.0.0/8,nope")
    assert caught.value.field == "TRUSTED_PROXIES"
