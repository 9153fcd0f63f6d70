"""The client's address behind trusted reverse proxies, and nobody else's word for it.

``X-Forwarded-For`` is whatever the client wrote, followed by what each proxy added;
only the addresses our own proxies appended can be believed. So the header is read
only when the request comes from one of ``SDSI_TRUSTED_PROXIES`` (addresses or CIDR
networks), and from its right-hand end: every hop that is itself a trusted proxy is
passed over, and the first that is not is the client (a value that is not an
address stops the walk at the last trusted hop). ``X-Forwarded-Proto`` (``http`` or
``https``) from a trusted proxy sets the scheme. From any other peer both headers are
ignored: the login throttle counts per client, and a header a client sets itself
must not let it be anyone. Werkzeug's ``ProxyFix`` trusts a number of hops whatever
the peer, which is why this is not it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


class TrustedProxies:
    """WSGI middleware: ``REMOTE_ADDR`` and the scheme as the trusted proxies say."""

    def __init__(self, app: Callable[..., Any], networks: Iterable[str]) -> None:
        self.app = app
        self.networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(n, strict=False) for n in networks
        )

    def trusted(self, text: str | None) -> bool:
        address = _address(text) if text else None
        return address is not None and any(address in n for n in self.networks)

    def client(self, peer: str, forwarded_for: str) -> str:
        """The client's address, from the peer and its ``X-Forwarded-For``."""
        if not self.trusted(peer):
            return peer
        client = peer
        for hop in reversed([h for h in forwarded_for.split(",") if h.strip()]):
            address = _address(hop)
            if address is None:
                break
            client = str(address)
            if not self.trusted(client):
                break
        return client

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        peer = environ.get("REMOTE_ADDR") or ""
        environ["sdsi.peer"] = peer
        if self.networks and self.trusted(peer):
            environ["REMOTE_ADDR"] = self.client(
                peer, environ.get("HTTP_X_FORWARDED_FOR", "")
            )
            proto = environ.get("HTTP_X_FORWARDED_PROTO", "").split(",")[-1]
            if proto.strip().lower() in ("http", "https"):
                environ["wsgi.url_scheme"] = proto.strip().lower()
        return self.app(environ, start_response)
