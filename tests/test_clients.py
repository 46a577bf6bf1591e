"""The client address for throttling and logs: X-Forwarded-For only through trusted proxies."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import AnonRateThrottle

from newsroom.clients import client_address

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_a_minute(monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute"})
    cache.clear()
    yield
    cache.clear()


def statuses(client, n, headers_for) -> list[int]:
    return [client.get("/api/v1/tags/", **headers_for(i)).status_code for i in range(n)]


def test_a_spoofed_forwarded_for_from_an_untrusted_client_does_not_escape_the_throttle(
    three_a_minute, settings
):
    settings.TRUSTED_PROXIES = []
    client = APIClient(REMOTE_ADDR="198.51.100.7")
    assert statuses(client, 3, lambda i: {}) == [200, 200, 200]

    spoofed = statuses(client, 100, lambda i: {"HTTP_X_FORWARDED_FOR": f"203.0.113.{i}"})

    assert spoofed == [429] * 100


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(three_a_minute, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    proxy = APIClient(REMOTE_ADDR="10.1.2.3")

    first = statuses(proxy, 4, lambda i: {"HTTP_X_FORWARDED_FOR": "203.0.113.5"})
    second = statuses(proxy, 1, lambda i: {"HTTP_X_FORWARDED_FOR": "203.0.113.6"})
    # The client put its own value in front of what the proxy appended: still 203.0.113.5.
    prefixed = statuses(proxy, 10, lambda i: {"HTTP_X_FORWARDED_FOR": f"192.0.2.{i}, 203.0.113.5"})

    assert first == [200, 200, 200, 429]
    assert second == [200]
    assert prefixed == [429] * 10


@pytest.mark.parametrize(
    ("remote", "forwarded", "trusted", "expected"),
    [
        ("198.51.100.7", "203.0.113.1", [], "198.51.100.7"),
        ("198.51.100.7", "203.0.113.1", ["10.0.0.0/8"], "198.51.100.7"),
        ("10.0.0.2", "203.0.113.1", ["10.0.0.0/8"], "203.0.113.1"),
        # Two trusted hops (balancer, then a local proxy): the first untrusted address wins.
        ("127.0.0.1", "1.1.1.1, 203.0.113.1, 10.0.0.9", ["127.0.0.1", "10.0.0.0/8"], "203.0.113.1"),
        # Every hop trusted: the left-most address is the client.
        ("127.0.0.1", "10.0.0.4, 10.0.0.9", ["127.0.0.1", "10.0.0.0/8"], "10.0.0.4"),
        # A value that is no address stops the walk at the last address vouched for.
        ("10.0.0.2", "203.0.113.1, junk", ["10.0.0.0/8"], "10.0.0.2"),
        ("10.0.0.2", "[2001:db8::1]:4711", ["10.0.0.0/8"], "2001:db8::1"),
        ("10.0.0.2", "203.0.113.1:4711", ["10.0.0.0/8"], "203.0.113.1"),
        ("10.0.0.2", "", ["10.0.0.0/8"], "10.0.0.2"),
    ],
)
def test_the_client_address_trusts_forwarded_for_only_as_far_as_trusted_proxies_wrote_it(
    settings, remote, forwarded, trusted, expected
):
    settings.TRUSTED_PROXIES = trusted
    meta = {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}

    assert client_address(meta) == expected
