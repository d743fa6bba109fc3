"""The client address (trust_portal.clients): REMOTE_ADDR unless proxies are trusted, then the Nth
X-Forwarded-For entry from the right; IPv6 clients counted by their /64."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from trust_portal.clients import client_address


def request(remote: str = "203.0.113.7", forwarded: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings) -> None:
    settings.TRUSTED_PROXIES = 0
    assert client_address(request(forwarded="198.51.100.1")) == "203.0.113.7"


def test_with_one_proxy_the_right_most_entry_is_the_client(settings) -> None:
    settings.TRUSTED_PROXIES = 1
    # The client forged the first entry; our proxy appended the address it saw.
    assert client_address(request("10.0.0.2", "198.51.100.1, 192.0.2.44")) == "192.0.2.44"


def test_with_two_proxies_the_second_entry_from_the_right_is_the_client(settings) -> None:
    settings.TRUSTED_PROXIES = 2
    assert client_address(request("10.0.0.2", "6.6.6.6, 192.0.2.44, 10.0.0.9")) == "192.0.2.44"


def test_a_header_shorter_than_the_proxy_chain_falls_back_to_the_peer(settings) -> None:
    settings.TRUSTED_PROXIES = 2
    assert client_address(request("203.0.113.7", "192.0.2.44")) == "203.0.113.7"


def test_a_forwarded_entry_that_is_not_an_address_falls_back_to_the_peer(settings) -> None:
    settings.TRUSTED_PROXIES = 1
    assert client_address(request("203.0.113.7", "1.2.3.4, not-an-address")) == "203.0.113.7"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [("192.0.2.44:51234", "192.0.2.44"), ("[2001:db8::1]:443", "2001:db8::/64"), ("::ffff:192.0.2.44", "192.0.2.44")],
)
def test_ports_and_mapped_addresses_are_read_as_the_address(settings, forwarded: str, expected: str) -> None:
    settings.TRUSTED_PROXIES = 1
    assert client_address(request("10.0.0.2", forwarded)) == expected


def test_ipv6_clients_are_counted_by_their_64_network(settings) -> None:
    settings.TRUSTED_PROXIES = 0
    first = client_address(request("2001:db8:1:2::1"))
    rotated = client_address(request("2001:db8:1:2:ffff:ffff:ffff:fffe"))
    elsewhere = client_address(request("2001:db8:1:3::1"))
    assert first == rotated == "2001:db8:1:2::/64"
    assert elsewhere != first
