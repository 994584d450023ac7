"""A fake transport for the real ``twilio.rest.Client``, and inbound SMS signed like Twilio's.

``Client(account_sid, auth_token, http_client=FakeTwilioHttpClient())`` runs all of the real
client's code (parameter serialisation, auth, response parsing, ``TwilioRestException``);
only the HTTP round trip is replaced. Outbound ``POST .../Messages.json`` and
``POST .../Calls.json`` are recorded as :class:`SentMessage` / :class:`PlacedCall` and
answered with the JSON Twilio returns (``201``, status ``queued``). :meth:`fail_next` makes
the next requests fail with a Twilio error body, for retry tests.

:func:`signed_inbound_sms` builds the webhook Twilio would POST for an inbound SMS, signed
with ``X-Twilio-Signature`` exactly as Twilio signs it (``RequestValidator``).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode, urlparse

from twilio.http import HttpClient
from twilio.http.request import Request as TwilioRequest
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

__all__ = [
    "FakeTwilioHttpClient",
    "PlacedCall",
    "RecordedRequest",
    "SentMessage",
    "new_sid",
    "signed_inbound_sms",
]

LOG = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
_ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9A-Za-z]+)/(?P<rest>.+)$")

T = TypeVar("T")


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two-letter prefix and 32 lowercase hex digits."""
    return prefix + uuid.uuid4().hex


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    url: str
    params: Mapping[str, Any]
    data: Mapping[str, Any]
    headers: Mapping[str, str]  # without Authorization
    username: str | None  # the basic-auth user (account SID or API key SID)
    status: int
    at: float


@dataclass(frozen=True)
class SentMessage:
    sid: str
    account_sid: str
    to: str
    from_: str | None
    messaging_service_sid: str | None
    body: str
    status_callback: str | None
    at: float
    params: Mapping[str, Any] = field(default_factory=dict)  # every field the client posted


@dataclass(frozen=True)
class PlacedCall:
    sid: str
    account_sid: str
    to: str
    from_: str
    twiml: str | None
    url: str | None
    status_callback: str | None
    at: float
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _Failure:
    status: int
    code: int
    message: str
    more_info: str


class FakeTwilioHttpClient(HttpClient):
    """Records Twilio REST requests instead of sending them. Thread-safe."""

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        *,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        """``clock`` stamps records and response dates (seconds since the epoch).

        ``credentials`` (username, password), when given, are checked like Twilio does:
        other basic-auth credentials get ``401`` / code ``20003``.
        """
        super().__init__(logger=LOG, is_async=False, timeout=None)
        self._clock = clock
        self._credentials = credentials
        self._cond = threading.Condition(threading.RLock())
        self._requests: list[RecordedRequest] = []
        self._messages: list[SentMessage] = []
        self._calls: list[PlacedCall] = []
        self._failures: deque[_Failure] = deque()

    # ------------------------------------------------------------------ inspection

    @property
    def messages(self) -> list[SentMessage]:
        with self._cond:
            return list(self._messages)

    @property
    def calls(self) -> list[PlacedCall]:
        with self._cond:
            return list(self._calls)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._cond:
            return list(self._requests)

    def clear(self) -> None:
        """Forget every record and every pending :meth:`fail_next`."""
        with self._cond:
            self._requests.clear()
            self._messages.clear()
            self._calls.clear()
            self._failures.clear()

    def wait_for(
        self, predicate: Callable[[FakeTwilioHttpClient], T], timeout: float = 5.0
    ) -> T:
        """Wait (wall time) until ``predicate(self)`` is truthy and return its value.

        Raises TimeoutError describing what was recorded if it does not become truthy.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate(self)
                if result:
                    return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"fake Twilio: condition not met within {timeout} s; recorded "
                        f"{len(self._messages)} message(s) to "
                        f"{[m.to for m in self._messages]} and {len(self._calls)} call(s)"
                    )
                self._cond.wait(remaining)

    # ------------------------------------------------------------------ failure injection

    def fail_next(self, status: int, code: int, message: str, times: int = 1,
                  more_info: str | None = None) -> None:
        """Answer the next ``times`` requests with ``status`` and a Twilio error body."""
        if times < 1:
            raise ValueError("times must be >= 1")
        failure = _Failure(status, code, message,
                           more_info or f"https://www.twilio.com/docs/errors/{code}")
        with self._cond:
            self._failures.extend([failure] * times)

    # ------------------------------------------------------------------ transport

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        method = method.upper()
        params = dict(params or {})
        data = dict(data or {})
        headers = dict(headers or {})
        self._test_only_last_request = TwilioRequest(
            method=method, url=url, auth=auth, params=params, data=data, headers=headers
        )
        with self._cond:
            now = self._clock()
            status, body = self._answer(method, url, data, auth, now)
            self._requests.append(RecordedRequest(
                method=method,
                url=url,
                params=params,
                data=data,
                headers={k: v for k, v in headers.items() if k.lower() != "authorization"},
                username=auth[0] if auth else None,
                status=status,
                at=now,
            ))
            self._cond.notify_all()
        response = Response(status, _json(body), {"Content-Type": "application/json"})
        self._test_only_last_response = response
        return response

    def _answer(self, method: str, url: str, data: dict[str, Any],
                auth: tuple[str, str] | None, now: float) -> tuple[int, dict[str, Any]]:
        if self._failures:
            f = self._failures.popleft()
            return f.status, _error(f.status, f.code, f.message, f.more_info)
        if self._credentials is not None and auth != self._credentials:
            return 401, _error(401, 20003, "Authenticate")
        match = _ACCOUNT_PATH.match(urlparse(url).path)
        if match and method == "POST" and match["rest"] == "Messages.json":
            return self._create_message(match["account"], data, now)
        if match and method == "POST" and match["rest"] == "Calls.json":
            return self._create_call(match["account"], data, now)
        return 404, _error(
            404, 20404, f"The requested resource {urlparse(url).path} was not found",
            "https://www.twilio.com/docs/errors/20404",
        )

    def _create_message(self, account: str, data: dict[str, Any],
                        now: float) -> tuple[int, dict[str, Any]]:
        to = _str(data.get("To"))
        from_ = _str(data.get("From"))
        service = _str(data.get("MessagingServiceSid"))
        body = _str(data.get("Body"))
        if not to:
            return 400, _error(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            return 400, _error(400, 21603, "A 'From' phone number is required.")
        if not body and not data.get("MediaUrl") and not data.get("ContentSid"):
            return 400, _error(400, 21602, "Message body is required.")
        sid = new_sid("SM")
        self._messages.append(SentMessage(
            sid=sid,
            account_sid=account,
            to=to,
            from_=from_,
            messaging_service_sid=service,
            body=body or "",
            status_callback=_str(data.get("StatusCallback")),
            at=now,
            params=data,
        ))
        uri = f"/{API_VERSION}/Accounts/{account}/Messages/{sid}"
        date = _rfc2822(now)
        return 201, {
            "account_sid": account,
            "api_version": API_VERSION,
            "body": body or "",
            "date_created": date,
            "date_sent": None,
            "date_updated": date,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            # Twilio answers "accepted" when only a Messaging Service was given.
            "status": "queued" if from_ else "accepted",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        }

    def _create_call(self, account: str, data: dict[str, Any],
                     now: float) -> tuple[int, dict[str, Any]]:
        to = _str(data.get("To"))
        from_ = _str(data.get("From"))
        if not to:
            return 400, _error(400, 21201, "No 'To' number is specified")
        if not from_:
            return 400, _error(400, 21213, "No 'From' number is specified")
        sid = new_sid("CA")
        self._calls.append(PlacedCall(
            sid=sid,
            account_sid=account,
            to=to,
            from_=from_,
            twiml=_str(data.get("Twiml")),
            url=_str(data.get("Url")),
            status_callback=_str(data.get("StatusCallback")),
            at=now,
            params=data,
        ))
        uri = f"/{API_VERSION}/Accounts/{account}/Calls/{sid}"
        date = _rfc2822(now)
        return 201, {
            "account_sid": account,
            "annotation": None,
            "answered_by": None,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": date,
            "date_updated": date,
            "direction": "outbound-api",
            "duration": None,
            "end_time": None,
            "forwarded_from": None,
            "from": from_,
            "from_formatted": from_,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": None,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": sid,
            "start_time": None,
            "status": "queued",
            "subresource_uris": {
                "notifications": f"{uri}/Notifications.json",
                "recordings": f"{uri}/Recordings.json",
                "events": f"{uri}/Events.json",
            },
            "to": to,
            "to_formatted": to,
            "trunk_sid": None,
            "uri": f"{uri}.json",
        }


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
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(auth_token).compute_signature(url, params),
        "User-Agent": "TwilioProxy/1.1",
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
    }
    return headers, urlencode(params)


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = value[0] if value else None
        return None if value is None else str(value)
    return str(value)


def _rfc2822(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")


def _error(status: int, code: int, message: str, more_info: str | None = None) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": more_info or f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _json(body: Mapping[str, Any]) -> str:
    return json.dumps(body)
