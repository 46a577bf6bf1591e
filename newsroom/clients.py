"""The address of the client behind a request, for throttling and logs.

`X-Forwarded-For` is a header any client can send. It is believed only as far as it was written
by proxies listed in `TRUSTED_PROXIES` (addresses or CIDR networks): starting from the peer that
connected to us (`REMOTE_ADDR`), each hop that is a trusted proxy hands over to the address it
says it received the request from, and the first address that is not a trusted proxy is the
client. With no trusted proxies (the default) the header is ignored: a spoofed value changes
nothing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """`TRUSTED_PROXIES` as networks; a bare address is a network of one."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value)


@lru_cache(maxsize=8)
def _trusted(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    # "[::1]:8080" and "1.2.3.4:8080" as some proxies write them.
    if value.startswith("[") and "]" in value:
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def is_trusted_proxy(address: str) -> bool:
    """Whether the peer at `address` (a REMOTE_ADDR) is one of `TRUSTED_PROXIES`."""
    peer = _address(address)
    return peer is not None and any(
        peer in network for network in _trusted(tuple(settings.TRUSTED_PROXIES))
    )


def client_address(meta: dict) -> str:
    """The client's address from a request's META (see the module docstring)."""
    remote = meta.get("REMOTE_ADDR") or ""
    trusted = _trusted(tuple(settings.TRUSTED_PROXIES))
    peer = _address(remote)
    if peer is None or not trusted:
        return remote
    client = peer
    hops = [hop for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not any(client in network for network in trusted):
            break
        forwarded = _address(hop)
        if forwarded is None:
            # A trusted proxy passed on a value it could not have written itself: stop at the
            # last address we can vouch for.
            break
        client = forwarded
    return str(client)
