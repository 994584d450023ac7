"""The hotline: its shared secrets (Secrets Manager) and signed status callbacks.

The secret is a JSON object with one entry per hotline id. An entry is the shared secret
itself (``{"metro": "<secret>"}``, the original form), or an object that also names who
receives the callbacks, for the disclosure record of a referral (42 CFR 2.51):

    {"metro": {"secret": "<secret>", "name": "Metro Crisis Line",
               "affiliation": "988 Lifeline network crisis center"}}
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any

from ..domain.callback_url import Address, CallbackTarget, address_problem, parse_callback_url
from ..domain.errors import CallbackError
from ..domain.referral import HotlineRecipient
from ..domain.signature import signed_headers

CALLBACK_TIMEOUT_S = 5


class _PinnedConnection(http.client.HTTPSConnection):
    """An HTTP(S) connection to a vetted address: TLS, SNI and Host still name the URL's
    host, but the socket goes only to ``address``, so a second DNS answer (rebinding)
    cannot send the callback elsewhere. No redirect is ever followed (http.client
    follows none): a 3xx is not a delivered callback."""

    def __init__(self, target: CallbackTarget, address: Address, timeout: float) -> None:
        self._tls = ssl.create_default_context() if target.scheme == "https" else None
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = str(address)

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        if self._tls is not None:
            self.sock = self._tls.wrap_socket(self.sock, server_hostname=self.host)


def resolve(host: str, port: int) -> list[Address]:
    """Every address the name resolves to (an IP literal is itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]


UNNAMED_AFFILIATION = "not configured (add name and affiliation to the hotline's entry)"


class HotlineGateway:
    def __init__(self, load_secrets: Callable[[], dict[str, Any]], *,
                 allow_http_loopback: bool = False) -> None:
        self._load = load_secrets
        self._allow_http_loopback = allow_http_loopback  # the local stack's receiver only

    def _entry(self, hotline_id: str) -> dict[str, Any]:
        entry = self._load().get(hotline_id)
        if isinstance(entry, str):
            return {"secret": entry}
        return entry if isinstance(entry, dict) else {}

    def secret_for(self, hotline_id: str) -> str | None:
        secret = self._entry(hotline_id).get("secret")
        return secret if isinstance(secret, str) and secret else None

    def recipient(self, hotline_id: str) -> HotlineRecipient:
        """Who receives this hotline's callbacks; its id when its entry names nobody."""
        entry = self._entry(hotline_id)
        name, affiliation = entry.get("name"), entry.get("affiliation")
        return HotlineRecipient(
            hotline_id,
            name.strip() if isinstance(name, str) and name.strip() else f"hotline {hotline_id}",
            (affiliation.strip() if isinstance(affiliation, str) and affiliation.strip()
             else UNNAMED_AFFILIATION),
        )

    def post(self, url: str, hotline_id: str, payload: dict[str, Any]) -> int:
        secret = self.secret_for(hotline_id)
        if secret is None:
            raise CallbackError(f"no shared secret for hotline '{hotline_id}'")
        address, target = self._vetted(url)
        body = json.dumps(payload, separators=(",", ":"))
        headers = signed_headers(hotline_id, secret, int(time.time()), "POST", target.path, body)
        headers["Content-Type"] = "application/json"
        connection = _PinnedConnection(target, address, CALLBACK_TIMEOUT_S)
        try:
            connection.request("POST", target.target, body=body.encode(), headers=headers)
            status = int(connection.getresponse().status)
        except OSError as exc:  # refused, reset, timed out, TLS: never the URL itself
            raise CallbackError(f"hotline unreachable: {type(exc).__name__}: "
                                f"{exc.strerror or exc}", "unreachable",
                                permanent=False) from None
        except (http.client.HTTPException, ValueError) as exc:  # their text quotes the URL
            raise CallbackError(f"hotline unreachable: {type(exc).__name__}",
                                "unreachable", permanent=False) from None
        finally:
            connection.close()
        if not 200 <= status < 300:  # noqa: PLR2004
            raise CallbackError(f"hotline answered HTTP {status}", "http_error",
                                permanent=False)
        return status

    def _vetted(self, url: str) -> tuple[Address, CallbackTarget]:
        """The URL's target and the one address to connect to, after the rules (again:
        intake checked them) and name resolution. Every address the name resolves to
        must be allowed, or none is used."""
        target = parse_callback_url(url, self._allow_http_loopback)
        if isinstance(target, str):
            raise CallbackError(f"callback refused: {target}", "callback_refused",
                                permanent=True)
        try:
            addresses = [target.address] if target.address else resolve(target.host,
                                                                        target.port)
        except (OSError, UnicodeError, ValueError) as exc:
            raise CallbackError(f"hotline unreachable: its name did not resolve "
                                f"({type(exc).__name__})", "unreachable",
                                permanent=False) from None
        for address in addresses:
            problem = address_problem(address, self._allow_http_loopback)
            if problem:
                raise CallbackError(f"callback refused: the callback_url's host resolves to "
                                    f"an address that is not allowed ({problem})",
                                    "address_not_allowed", permanent=True)
        if not addresses:
            raise CallbackError("hotline unreachable: its name did not resolve",
                                "unreachable", permanent=False)
        return addresses[0], target
