"""Requests signed exactly as Twilio signs them: ``X-Twilio-Signature``, the HMAC-SHA1 of the
full URL followed by every form field name and value in sorted order (``RequestValidator``).

:func:`signed_inbound_sms` is the webhook Twilio POSTs for an inbound SMS (a clinician's
reply); :func:`signed_headers` signs any form the fake posts (status callbacks, voice).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from local.fake_twilio.records import new_sid
from local.fake_twilio.wire import API_VERSION


def signed_inbound_sms(
    url: str,
    auth_token: str,
    from_: str,
    to: str,
    body: str,
    message_sid: str | None = None,
    *,
    account_sid: str | None = None,
) -> tuple[dict[str, str], str]:
    """The (headers, urlencoded body) of Twilio's inbound-SMS webhook POST to ``url``.

    Signed with ``auth_token`` exactly as Twilio signs: HMAC-SHA1 over the full URL followed
    by every form field name and value in sorted order (``RequestValidator``).
    """
    sid = message_sid or new_sid("SM")
    params = {
        "ToCountry": "US",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "ToZip": "",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": account_sid or "AC" + "0" * 32,
        "From": from_,
        "ApiVersion": API_VERSION,
    }
    return signed_headers(url, params, auth_token), urlencode(params)


def signed_headers(url: str, params: Mapping[str, str], auth_token: str) -> dict[str, str]:
    """The headers of a form POST to ``url`` as Twilio sends it, signed with ``auth_token``."""
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(auth_token).compute_signature(url, params),
        "User-Agent": "TwilioProxy/1.1",
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
    }
