"""Requests into the local stack's API from outside, signed as their senders sign them.

:class:`InboundRequests` is the part of :class:`~local.stack.LocalStack` that plays the
stack's callers:

- a hotline: :meth:`~InboundRequests.signed_request` (and ``post_escalation``,
  ``get_escalation``), signed with the hotline's secret at wall-clock time, as a hotline
  signs (``crisis_pager.domain.signature``);
- Twilio: a clinician's SMS reply (:meth:`~InboundRequests.sms_reply`), a test's own status
  report or key press (:meth:`~InboundRequests.twilio_post`), and the fake Twilio's
  callbacks (``_twilio_webhook``), each signed with ``X-Twilio-Signature``.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from local.api_gateway import ApiResponse
from local.fake_twilio import FakeTwilioHttpClient, signed_inbound_sms
from local.resources import HOTLINE_ID, TWILIO_FROM


class InboundRequests:
    """What a hotline and Twilio send the stack's API (see the module doc)."""

    public_base_url: str  # the URL Twilio signs against
    hotline_secret: str
    twilio_auth_token: str
    twilio: FakeTwilioHttpClient
    _closed: bool

    if TYPE_CHECKING:
        def api(self, method: str, path: str, body: str = "",
                headers: dict[str, str] | None = None) -> ApiResponse: ...

    def signed_request(self, method: str, path: str, body: str = "",
                       hotline_id: str = HOTLINE_ID, secret: str | None = None,
                       timestamp: int | None = None) -> ApiResponse:
        from crisis_pager.domain.signature import signed_headers

        # Signed at wall-clock time, as a hotline signs (intake checks it against wall time).
        headers = signed_headers(hotline_id, secret or self.hotline_secret,
                                 timestamp or int(time.time()), method, path, body)
        headers["Content-Type"] = "application/json"
        return self.api(method, path, body, headers)

    def post_escalation(self, payload: dict[str, Any], **kwargs: Any) -> ApiResponse:
        return self.signed_request("POST", "/v1/escalations", json.dumps(payload), **kwargs)

    def get_escalation(self, incident_id: str, **kwargs: Any) -> ApiResponse:
        return self.signed_request("GET", f"/v1/escalations/{incident_id}", **kwargs)

    def sms_reply(self, from_: str, body: str, *, auth_token: str | None = None) -> ApiResponse:
        """A clinician's reply, delivered as Twilio delivers it: a signed form post. STOP
        and START also change what Twilio lets through to that phone, as Twilio does."""
        from crisis_pager.domain.replies import OptIn, OptOut, parse_reply

        reply = parse_reply(body)
        if isinstance(reply, OptOut):
            self.twilio.opt_out(from_)
        elif isinstance(reply, OptIn):
            self.twilio.opt_in(from_)
        headers, form = signed_inbound_sms(
            self.public_base_url + "/twilio/sms", auth_token or self.twilio_auth_token,
            from_=from_, to=TWILIO_FROM, body=body,
        )
        return self.api("POST", "/twilio/sms", form, headers)

    def _twilio_webhook(self, url: str, params: dict[str, str],
                        headers: dict[str, str]) -> tuple[int, str]:
        """Twilio's callbacks (status reports, call TwiML, keys) into the API."""
        if self._closed:
            return 410, "this local stack was torn down"
        if not url.startswith(self.public_base_url):
            return 404, f"not this stack: {url}"
        response = self.api("POST", url.removeprefix(self.public_base_url),
                            urlencode(params), headers)
        return response.status, response.body

    def twilio_post(self, path: str, params: dict[str, str], *,
                    auth_token: str | None = None) -> ApiResponse:
        """POST a form to one of our Twilio webhooks, signed as Twilio signs (a test's own
        status report or key press; ``auth_token`` to forge one)."""
        from twilio.request_validator import RequestValidator

        url = self.public_base_url + path
        signature = RequestValidator(auth_token or self.twilio_auth_token).compute_signature(
            url, params)
        return self.api("POST", path, urlencode(params), {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": signature})
