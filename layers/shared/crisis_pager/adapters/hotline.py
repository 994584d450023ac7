"""The hotline: its shared secrets (Secrets Manager) and signed status callbacks.

The secret is a JSON object with one entry per hotline id. An entry is the shared secret
itself (``{"metro": "<secret>"}``, the original form), or an object that also names who
receives the callbacks, for the disclosure record of a referral (42 CFR 2.51):

    {"metro": {"secret": "<secret>", "name": "Metro Crisis Line",
               "affiliation": "988 Lifeline network crisis center"}}
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ..domain.errors import CallbackError
from ..domain.referral import HotlineRecipient
from ..domain.signature import signed_headers

CALLBACK_TIMEOUT_S = 5
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def callback_url_problem(url: str, allow_http_loopback: bool) -> str | None:
    """Why a callback URL is not acceptable, or None. https only (loopback http locally)."""
    parts = urlsplit(url)
    if not parts.hostname:
        return "callback_url must be an absolute URL"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and allow_http_loopback and parts.hostname in LOOPBACK_HOSTS:
        return None
    return "callback_url must use https"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A callback answered with a redirect is not delivered: urllib would re-send it as a
    GET without its body, to an address nobody checked, carrying our signature headers."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]  # noqa: ANN001, PLR0913
        raise urllib.error.HTTPError(req.full_url, code, f"redirected ({msg})", headers, fp)


_OPENER = urllib.request.build_opener(_NoRedirects)


UNNAMED_AFFILIATION = "not configured (add name and affiliation to the hotline's entry)"


class HotlineGateway:
    def __init__(self, load_secrets: Callable[[], dict[str, Any]]) -> None:
        self._load = load_secrets

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
        body = json.dumps(payload, separators=(",", ":"))
        path = urlsplit(url).path or "/"
        headers = signed_headers(hotline_id, secret, int(time.time()), "POST", path, body)
        headers["Content-Type"] = "application/json"
        if urlsplit(url).scheme not in ("https", "http"):  # intake allows https (loopback http)
            raise CallbackError("callback_url scheme is not https")
        request = urllib.request.Request(  # noqa: S310 (scheme checked just above)
            url, data=body.encode(), headers=headers, method="POST")
        try:
            with _OPENER.open(request, timeout=CALLBACK_TIMEOUT_S) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            raise CallbackError(f"hotline answered HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise CallbackError(f"hotline unreachable: {exc}") from None
