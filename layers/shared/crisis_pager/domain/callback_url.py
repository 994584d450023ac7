"""What a hotline's callback_url may be, and which addresses a callback may reach.

Checked at intake (the URL as written) and again at send time by adapters/hotline.py on
every address the name resolves to, so that a callback never reaches our own network:
loopback, private, link-local, shared, multicast, reserved and unspecified addresses are
refused (IPv4, IPv6 and IPv4 inside IPv6: mapped, NAT64, 6to4, Teredo). The one escape
hatch is the local stack's http receiver on loopback (``allow_http_loopback``, set only
by local/stack.py).

Problems name the rule, never the URL: it may carry a hotline's token.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address

# WHATWG URL: a host whose last label is a number is an IPv4 address, in any of the forms
# inet_aton reads (0x7f000001, 2130706433, 017700000001, 127.1). Only dotted quads are
# written as IPv4 here; the other forms are refused rather than guessed at.
_NUMERIC_LABEL = re.compile(r"(0x[0-9a-f]*|[0-9]+)", re.IGNORECASE)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True)
class CallbackTarget:
    """A callback URL that passed the rules: where to connect and what to sign."""

    scheme: str
    host: str  # a DNS name, or an IP literal without brackets
    port: int
    target: str  # path and query, as sent on the request line
    path: str  # what the signature covers

    @property
    def address(self) -> Address | None:
        """The host as an IP address when it is written as one."""
        return _ip(self.host)


def _ip(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _embedded(ip: Address) -> list[Address]:
    """The IPv4 addresses an IPv6 address carries (mapped, NAT64, 6to4, Teredo)."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    inner: list[Address] = []
    if ip.ipv4_mapped:
        inner.append(ip.ipv4_mapped)
    if ip in _NAT64:
        inner.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour:
        inner.append(ip.sixtofour)
    if ip.teredo:
        inner.extend(ip.teredo)
    return inner


def address_problem(ip: Address, allow_loopback: bool = False) -> str | None:
    """Why a callback may not connect to this address, or None. Only public unicast
    addresses are allowed (loopback too with ``allow_loopback``, the local stack's)."""
    for inner in _embedded(ip):
        problem = address_problem(inner, allow_loopback)
        if problem:
            return problem
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    for kind in ("unspecified", "link_local", "multicast", "private", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return kind.replace("_", "-")
    if not ip.is_global:
        return "not public"
    return None


def parse_callback_url(url: str, allow_http_loopback: bool = False) -> CallbackTarget | str:
    """The target of an acceptable callback URL, or why it is not acceptable.

    https only, to a DNS name or a public IP address; no user or password, no whitespace
    or control characters, ASCII only (send an internationalised name in its xn-- form),
    a port from 1 to 65535. With ``allow_http_loopback`` (the local stack only), http and
    https to loopback are allowed too."""
    if not url.isascii() or _FORBIDDEN_CHARS.search(url):
        return ("callback_url must be ASCII with no spaces or control characters "
                "(percent-encode them)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "callback_url is not a valid URL (its host or port cannot be read)"
    host = (parts.hostname or "").rstrip(".")
    if not host:
        return "callback_url must be an absolute URL"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "callback_url must not carry a user name or password"
    if port is not None and not 1 <= port <= 65535:  # noqa: PLR2004
        return "callback_url's port must be from 1 to 65535"
    ip = _ip(host)
    loopback = host == "localhost" or host.endswith(".localhost") or bool(ip and ip.is_loopback)
    if parts.scheme not in ("https", "http") or (
            parts.scheme == "http" and not (allow_http_loopback and loopback)):
        return "callback_url must use https"
    if ip is None and _NUMERIC_LABEL.fullmatch(host.rsplit(".", 1)[-1]):
        return "callback_url's host must be a DNS name or an IP address in standard form"
    if loopback and ip is None and not allow_http_loopback:
        return "callback_url must not point at this machine (localhost)"
    if ip is not None:
        problem = address_problem(ip, allow_http_loopback)
        if problem:
            return f"callback_url's address is not allowed ({problem}); use a public address"
    return _target(parts, host, port)


def _target(parts: SplitResult, host: str, port: int | None) -> CallbackTarget:
    path = parts.path or "/"
    return CallbackTarget(
        scheme=parts.scheme, host=host,
        port=port or (443 if parts.scheme == "https" else 80),
        target=path + (f"?{parts.query}" if parts.query else ""), path=path)


def callback_url_problem(url: str, allow_http_loopback: bool) -> str | None:
    """Why a callback URL is not acceptable, or None (see parse_callback_url)."""
    parsed = parse_callback_url(url, allow_http_loopback)
    return parsed if isinstance(parsed, str) else None
