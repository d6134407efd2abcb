"""Where the project may send an HTTP request it was configured to send (webhooks, group robots).

A channels file is input like any other: a robot or webhook URL pointing at the cloud's metadata
service (``http://169.254.169.254/…``) or at a port on the worker's own host would make the worker a
proxy into places nobody meant to reach (SSRF). Only ``http``/``https`` URLs are allowed, and their
host may not be (or, at send time, resolve to):

- loopback (127.0.0.0/8, ::1), the unspecified address (0.0.0.0, ::);
- link-local (169.254.0.0/16, fe80::/10), which holds the cloud metadata services;
- the metadata addresses by name or number: 169.254.169.254, 100.100.100.200 (Alibaba Cloud),
  fd00:ec2::254 (AWS IPv6), metadata.google.internal, metadata;
- private, shared and reserved ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, multicast, …).

An internal OA webhook is allowed explicitly: ``allow_private: true`` on the channel (or at the top of
the channels file), or ``PDCA_ALLOW_PRIVATE_URLS=1`` for the whole process (the test suite's local
servers on 127.0.0.1). The cloud metadata addresses stay refused even then.

``url_problem(url, allow_private)`` checks the text (config load); ``resolved_problem(url, allow_private)``
checks every address the host resolves to (send time: a name may resolve to a forbidden address).
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse

from settings import get_settings

__all__ = ["METADATA_HOSTS", "private_allowed", "resolved_problem", "url_problem"]

METADATA_HOSTS = frozenset({"metadata.google.internal", "metadata", "metadata.goog"})
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "100.100.100.200", "fd00:ec2::254", "169.254.170.2", "168.63.129.16")
)
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
HINT = " (an internal endpoint: set allow_private: true on the channel)"


def private_allowed(allow: bool = False) -> bool:
    """``allow`` (the channel's or the file's ``allow_private``), or PDCA_ALLOW_PRIVATE_URLS."""
    return allow or get_settings().allow_private_urls


def _address_problem(address: IPAddress, allow_private: bool) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return f"{address} is a cloud metadata address"
    if allow_private:
        return None
    if address.is_unspecified:
        return f"{address} is the unspecified address"
    if address.is_loopback:
        return f"{address} is a loopback address{HINT}"
    if address.is_link_local:
        return f"{address} is a link-local address"
    if address.is_private or address.is_reserved or address.is_multicast or not address.is_global:
        return f"{address} is a private or reserved address{HINT}"
    return None


def url_problem(url: str, allow_private: bool = False) -> str | None:
    """Why ``url`` may not be used (None: it may), from its text alone: the scheme, and the host when
    it is a literal address or a metadata name."""
    allow_private = private_allowed(allow_private)
    try:
        parts = urllib.parse.urlsplit(url.strip())
        port = parts.port  # raises for a port that is not a number
    except ValueError as error:
        return f"not a valid URL ({error})"
    del port
    if parts.scheme not in ("http", "https"):
        return f"only http:// or https:// URLs are allowed, not {parts.scheme + ':' if parts.scheme else repr(url[:40])}"
    host = (parts.hostname or "").rstrip(".").lower()
    if not host:
        return "the URL has no host"
    if host in METADATA_HOSTS:
        return f"{host} is a cloud metadata address"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if not allow_private and (host == "localhost" or host.endswith(".localhost")):
            return f"{host} is a loopback address{HINT}"
        return None  # a name: checked again once resolved
    return _address_problem(address, allow_private)


def resolved_problem(url: str, allow_private: bool = False) -> str | None:
    """``url_problem``, then every address its host resolves to (a name that resolves to a forbidden
    address is refused). A name that does not resolve is left to the HTTP client to report."""
    problem = url_problem(url, allow_private)
    if problem:
        return problem
    parts = urllib.parse.urlsplit(url.strip())
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    allow = private_allowed(allow_private)
    for info in infos:
        try:
            address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        except ValueError:
            continue
        found = _address_problem(address, allow)
        if found:
            return f"{host} resolves to {found}"
    return None
