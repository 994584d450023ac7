"""Outbound SMS and voice calls through the real Twilio client. Only functions that page
import this (twilio.rest is the heaviest import of the layer).

Every request is bounded (SEND_TIMEOUT_S) and transient failures (HTTP 429 and 5xx,
timeouts, dropped connections) are retried with jittered exponential backoff (tenacity),
at most SEND_ATTEMPTS times. Twilio's Messages and Calls APIs take no idempotency key, so
before retrying an *ambiguous* failure (one where Twilio may have taken the request: a
read timeout, a dropped connection, a 5xx) the adapter looks for what the first attempt
created (same recipient, same body, created since the first attempt) and returns it
instead of sending a second page. Each attempt (and its lookup) runs inside the caller's
AttemptGuard: the paging lease, released during the backoff so an acceptance is never
held up by more than one request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from requests.exceptions import ConnectTimeout, RequestException
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ..domain.errors import SendAborted, SmsError
from ..domain.incident import SEND_ATTEMPTS, SEND_TIMEOUT_S, status_path, voice_path

# Ring this long before Twilio gives up ("no-answer"), and never talk longer than this.
CALL_RING_S = 25
CALL_TIME_LIMIT_S = 180
# Twilio accepts ValidityPeriod from 1 to 36000 s and advises at least 5.
VALIDITY_MIN_S, VALIDITY_MAX_S = 5, 36_000
# How far back an ambiguous attempt's message or call is looked for (clock skew margin).
LOOKBACK = timedelta(seconds=30)


class _Transient(Exception):
    """A failure worth retrying. ``ambiguous``: Twilio may have acted on the request."""

    def __init__(self, message: str, code: int | None, ambiguous: bool) -> None:
        super().__init__(message)
        self.code = code
        self.ambiguous = ambiguous


def _classify(exc: Exception, what: str) -> Exception:
    """Twilio's and the transport's exceptions as SmsError (permanent) or _Transient."""
    if isinstance(exc, TwilioRestException):
        status = int(exc.status or 0)
        if status == 429 or status >= 500:
            return _Transient(f"Twilio answered {status} to the {what}: {exc.msg}", exc.code,
                              ambiguous=status != 429)
        return SmsError(f"Twilio refused the {what}: {exc.msg}", exc.code)
    if isinstance(exc, RequestException):
        # A connect timeout never reached Twilio; anything later may have.
        return _Transient(f"Twilio did not answer the {what}: {type(exc).__name__}", None,
                          ambiguous=not isinstance(exc, ConnectTimeout))
    return _Transient(f"Twilio's answer to the {what} was unreadable: {type(exc).__name__}",
                      None, ambiguous=True)


class TwilioApi:
    """The Sms and Voice ports on Twilio's REST API."""

    def __init__(
        self,
        credentials: dict[str, str],
        *,
        base_url: Callable[[], str],
        http_client: Any = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._client = Client(
            credentials["account_sid"], credentials["auth_token"],
            http_client=http_client or TwilioHttpClient(timeout=SEND_TIMEOUT_S),
        )
        self._from = credentials.get("from_number") or None
        self._service = credentials.get("messaging_service_sid") or None
        if not (self._from or self._service):
            raise ValueError("Twilio secret needs from_number or messaging_service_sid")
        self._base_url = base_url
        self._sleep = sleep

    # ------------------------------------------------------------------ the ports

    def send(self, to: str, body: str, *, page: tuple[str, int] | None = None,
             validity_s: int | None = None, guard: Any = None) -> str:
        kwargs: dict[str, Any] = {"to": to, "body": body}
        if self._service:
            kwargs["messaging_service_sid"] = self._service
        else:
            kwargs["from_"] = self._from
        base = self._base_url()
        if page is not None and base:
            kwargs["status_callback"] = base + status_path(*page)
        if validity_s is not None:
            kwargs["validity_period"] = max(VALIDITY_MIN_S, min(VALIDITY_MAX_S, int(validity_s)))

        def create() -> str:
            return str(self._client.messages.create(**kwargs).sid)

        def find(since: datetime) -> str | None:
            for message in self._client.messages.list(to=to, limit=20):
                created = message.date_created
                if message.body == body and created is not None and created >= since:
                    return str(message.sid)
            return None

        return self._attempts("SMS", create, find, guard)

    def call(self, to: str, *, page: tuple[str, int], guard: Any = None) -> str:
        if not self._from:
            raise SmsError("no from_number in the Twilio secret: voice calls need one")
        base = self._base_url()
        if not base:
            raise SmsError("no public base URL: Twilio cannot fetch the call's TwiML")
        kwargs: dict[str, Any] = {
            "to": to, "from_": self._from,
            "url": base + voice_path(*page), "method": "POST",
            "status_callback": base + status_path(*page), "status_callback_method": "POST",
            "status_callback_event": ["completed"],
            "machine_detection": "Enable",  # AnsweredBy: a voicemail never hears the keys
            "timeout": CALL_RING_S, "time_limit": CALL_TIME_LIMIT_S,
        }

        def recent() -> list[Any]:
            return list(self._client.calls.list(to=to, from_=self._from, limit=20))

        # A call carries nothing that names its page, so the lookup after an ambiguous
        # failure only trusts calls that did not exist before the first attempt.
        try:
            known: set[str] | None = {str(c.sid) for c in recent()}
        except (TwilioException, RequestException):
            known = None  # then: created since the first attempt (the lookback margin)

        def create() -> str:
            return str(self._client.calls.create(**kwargs).sid)

        def find(since: datetime) -> str | None:
            for call in recent():
                created = call.date_created
                fresh = (str(call.sid) not in known) if known is not None else (
                    created is not None and created >= since)
                if fresh:
                    return str(call.sid)
            return None

        return self._attempts("call", create, find, guard)

    # ------------------------------------------------------------------ retries

    def _attempts(self, what: str, create: Callable[[], str],
                  find: Callable[[datetime], str | None], guard: Any) -> str:
        since = datetime.now(UTC) - LOOKBACK
        ambiguous = False
        retrying = Retrying(
            stop=stop_after_attempt(SEND_ATTEMPTS),
            wait=wait_exponential_jitter(multiplier=0.25, max=1.0, jitter=0.25),
            retry=retry_if_exception_type(_Transient),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    if guard is not None and not guard.acquire():
                        # The rung closed meanwhile. An earlier ambiguous attempt may still
                        # have gone out (before the close): say so rather than "not sent".
                        found = self._quietly(find, since) if ambiguous else None
                        if found:
                            return found
                        raise SendAborted(f"the {what} was not sent: the rung is no longer open")
                    try:
                        if ambiguous:
                            found = find(since)
                            if found:
                                return found
                        return create()
                    except (TwilioException, RequestException) as exc:
                        failure = _classify(exc, what)
                        if isinstance(failure, _Transient):
                            ambiguous = ambiguous or failure.ambiguous
                        raise failure from None
                    finally:
                        if guard is not None:
                            guard.release()
        except _Transient as exc:
            raise SmsError(f"{exc} (after {SEND_ATTEMPTS} attempts)", exc.code,
                           permanent=False) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    @staticmethod
    def _quietly(find: Callable[[datetime], str | None], since: datetime) -> str | None:
        try:
            return find(since)
        except (TwilioException, RequestException):
            return None
