"""Host names and addresses: is a configured host well-formed, and is it really loopback.

Two rules live here. A host from the config (``imap.host``, the webhook URL's host) must be a
usable DNS name or IP literal, so a typo such as ``a..b`` is a config error when the config
loads, not a crash on the first request. And "loopback" (the only place ``plain`` IMAP and
``http://`` webhooks may go) is decided by the addresses a name resolves to at connect time,
never by the name: a resolver may map ``portal.localhost`` anywhere. Every resolved address
must be loopback, and the caller then connects to one of those addresses, not to the name
again, so a second, different answer cannot slip in between the check and the connection.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable

#: Resolves (host, port) to IP address strings; ``socket.gaierror`` when it cannot.
Resolver = Callable[[str, int], list[str]]

_LABEL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$")


class NotLoopback(ValueError):
    """A host that must be loopback resolved to at least one other address."""

    def __init__(self, host: str, addresses: list[str]) -> None:
        self.host = host
        self.addresses = addresses
        others = [a for a in addresses if not _is_loopback_ip(a)]
        super().__init__(
            f"{host} resolves to {', '.join(others) or 'no address'}, which is not a loopback "
            "address"
        )


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address ``host`` spells (``[::1]`` brackets allowed), or None for a name."""
    h = host.strip()
    if h.startswith("[") and h.endswith("]"):
        h = h[1:-1]
    try:
        return ipaddress.ip_address(h.split("%", 1)[0])
    except ValueError:
        return None


def host_problem(host: str) -> str | None:
    """Why ``host`` is not a usable host name or IP literal; None when it is fine."""
    if not host:
        return "the host is empty"
    if ip_literal(host) is not None:
        return None
    name = host[:-1] if host.endswith(".") else host
    if not name or len(name) > 253:
        return f"{host!r} is not a valid host name (empty or longer than 253 characters)"
    if any(c.isspace() or ord(c) < 32 or c in "/\\@:[]%" for c in name):
        return f"{host!r} is not a valid host name (it contains characters a host cannot have)"
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        return f"{host!r} is not a valid host name (an empty or too long label between dots)"
    labels = ascii_name.split(".")
    for label in labels:
        if not _LABEL.match(label):
            return (f"{host!r} is not a valid host name (label {label!r}: letters, digits "
                    "and inner hyphens only)")
    if labels[-1].isdigit():
        return f"{host!r} is neither a host name nor a valid IP address"
    return None


def port_problem(port: int | None) -> str | None:
    """Why ``port`` is not a usable TCP port; None when it is fine (None = the default)."""
    if port is None or 1 <= port <= 65535:
        return None
    return f"port {port} is out of range (1-65535)"


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses the system resolver gives for ``host`` (in its order, no repeats)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0])
        if addr not in seen:
            seen.append(addr)
    return seen


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, 127.0.0.0/8 and ::1 (brackets allowed)."""
    h = host.strip().strip("[]").rstrip(".").lower()
    if h == "localhost" or h.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(h).is_loopback
    except ValueError:
        return False


def _is_loopback_ip(address: str) -> bool:
    ip = ip_literal(address)
    if ip is None:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def loopback_address(host: str, port: int, resolver: Resolver = system_resolver) -> str:
    """The address to connect to for ``host``, which must be loopback by every address.

    An IP literal is checked as it is. A name is resolved; when any of its addresses is not
    loopback, :class:`NotLoopback` is raised (nothing has been sent yet). Of the addresses,
    IPv4 is preferred (local test servers usually listen on 127.0.0.1 only).
    Raises ``socket.gaierror`` (or ``UnicodeError``) when the name cannot be resolved.
    """
    literal = ip_literal(host)
    if literal is not None:
        if not _is_loopback_ip(str(literal)):
            raise NotLoopback(host, [str(literal)])
        return str(literal)
    addresses = resolver(host.rstrip("."), port)
    if not addresses or not all(_is_loopback_ip(a) for a in addresses):
        raise NotLoopback(host, list(addresses))
    v4 = [a for a in addresses if ":" not in a]
    return (v4 or addresses)[0]
