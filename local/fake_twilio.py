"""A fake transport for the real ``twilio.rest.Client`` that behaves like a Twilio account.

``Client(account_sid, auth_token, http_client=FakeTwilioHttpClient(...))`` runs all of the
real client's code (parameter serialisation, auth, paging, response parsing,
``TwilioRestException``); only the HTTP round trip is replaced.

REST API (answered synchronously, recorded in :attr:`~FakeTwilioHttpClient.requests`):

- ``POST .../Messages.json`` records a :class:`SentMessage` and answers ``201`` (status
  ``queued``, or ``accepted`` with only a Messaging Service). A number that texted STOP
  (:meth:`~FakeTwilioHttpClient.opt_out`) is refused with ``400`` / code ``21610``.
- ``POST .../Calls.json`` records a :class:`PlacedCall` and answers ``201`` (``queued``).
- ``GET .../Messages.json`` (To, From, DateSent, DateSent<, DateSent>, PageSize, Page) and
  ``GET .../Calls.json`` (To, From, Status, PageSize, Page) answer Twilio's list pages, newest
  first; ``GET .../Messages/SM....json`` and ``.../Calls/CA....json`` fetch one record.
- :meth:`~FakeTwilioHttpClient.crash_next` lets the next requests take effect and then raises
  :class:`SimulatedCrash` in the caller (a Lambda dying before it records Twilio's answer).
- :meth:`~FakeTwilioHttpClient.fail_next` answers the next requests with a Twilio error body;
  :meth:`~FakeTwilioHttpClient.timeout_next` raises ``requests.exceptions.ReadTimeout`` (as
  the real ``TwilioHttpClient`` does), optionally after the request took effect (the
  ambiguous case). Both can target one kind of request (``path_suffix``, ``method``).

Callbacks ("live" mode, when both ``webhook`` and ``auth_token`` are given): after
``callback_delay`` real seconds, on a daemon worker thread per message or call, the fake
POSTs to our service through ``webhook(url, params, headers) -> (status, body)``, every
request signed exactly as Twilio signs it (``X-Twilio-Signature`` from ``RequestValidator``):

- a message goes ``sent`` -> ``delivered``, ``sent`` -> ``undelivered`` or straight to
  ``failed`` as scripted per number by :meth:`~FakeTwilioHttpClient.sms_outcome` (default
  delivered); each status is POSTed to the message's ``StatusCallback`` if it has one,
  in order, twice each, or the final one first (``sms_outcome(..., callbacks=...)``).
- a call is answered by a human or a machine, or is not answered / busy / failed, as
  scripted by :meth:`~FakeTwilioHttpClient.call_outcome` (default no-answer). When
  answered, its ``Url`` (or inline ``Twiml``) is fetched and the TwiML interpreted like
  Twilio: ``<Say>``, ``<Pause>``, ``<Gather>`` (the human presses the scripted keys; a
  machine never does), ``<Redirect>``, ``<Hangup>``. The ``StatusCallback`` gets the final
  status. :meth:`~FakeTwilioHttpClient.transcript` tells what was said and pressed.

Outside live mode nothing is posted: a message takes its scripted final status at once and a
call stays ``queued``. :meth:`~FakeTwilioHttpClient.drain` waits for every worker; an
exception in one is kept in :attr:`~FakeTwilioHttpClient.callback_errors`, never lost.

:func:`signed_inbound_sms` builds the webhook Twilio would POST for an inbound SMS, signed
with ``X-Twilio-Signature`` exactly as Twilio signs it (``RequestValidator``).
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import threading
import time
import traceback
import uuid
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl, urlencode, urljoin, urlparse

from requests.exceptions import ReadTimeout
from twilio.http import HttpClient
from twilio.http.request import Request as TwilioRequest
from twilio.http.response import Response
from twilio.request_validator import RequestValidator

__all__ = [
    "MESSAGING_SERVICE_SENDER",
    "CallTranscript",
    "CallbackError",
    "FakeTwilioHttpClient",
    "MessageStatus",
    "PlacedCall",
    "RecordedRequest",
    "SentMessage",
    "SimulatedCrash",
    "WebhookPost",
    "new_sid",
    "signed_inbound_sms",
]

LOG = logging.getLogger(__name__)

API_VERSION = "2010-04-01"
MESSAGING_SERVICE_SENDER = "+15005550006"  # the number a Messaging Service sends from
MAX_TWIML_DOCUMENTS = 20  # per call: a Redirect/Gather loop ends the call after this many
_ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9A-Za-z]+)/(?P<rest>.+)$")
_INSTANCE = re.compile(r"^(?P<kind>Messages|Calls)/(?P<sid>[A-Z]{2}[0-9a-fA-F]{32})\.json$")
_DEFAULT_ERROR = {"undelivered": 30003, "failed": 30008}

SmsStatus = Literal["delivered", "undelivered", "failed"]
# How a message's status callbacks reach us: each once in order, each twice (Twilio retries
# a callback it thinks failed), or the last first (callbacks race on Twilio's side).
CallbackOrder = Literal["in-order", "duplicated", "reversed"]
CallAnswer = Literal["human", "machine", "no-answer", "busy", "failed"]
Webhook = Callable[[str, dict[str, str], dict[str, str]], tuple[int, str]]
T = TypeVar("T")


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two-letter prefix and 32 lowercase hex digits."""
    return prefix + uuid.uuid4().hex


# ---------------------------------------------------------------------- records


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    url: str
    params: Mapping[str, Any]
    data: Mapping[str, Any]
    headers: Mapping[str, str]  # without Authorization
    username: str | None  # the basic-auth user (account SID or API key SID)
    status: int  # what Twilio answered; 0 when it never took the request (timeout_next)
    at: float
    timed_out: bool = False  # the client got ReadTimeout instead of the answer
    crashed: bool = False  # the caller died right after Twilio took it (crash_next)
    wall_at: float = 0.0  # wall-clock time (time.time()) of the request


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

    def carries(self, code: str) -> bool:
        """Whether the body carries this incident code as a word ("incident 503.", "A 503"),
        not as digits of a phone number ("+1 503-555-0100") or of a link: codes are random,
        and a substring test is wrong whenever one is 503, 555 or 100."""
        return re.search(rf"(?<![\w+-]){re.escape(code)}(?![\w-])", self.body) is not None


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
class MessageStatus:
    """Where a message is in its life (a snapshot)."""

    sid: str
    to: str
    status: str  # queued|accepted, then sent, then delivered|undelivered; or failed
    error_code: int | None  # set with undelivered / failed
    date_sent: float | None  # clock time it reached "sent"; None before (and when failed)
    history: list[str]  # every status reached after creation, in order


@dataclass(frozen=True)
class CallTranscript:
    """What happened on a call (a snapshot)."""

    sid: str
    to: str
    status: str  # queued, in-progress, then completed | no-answer | busy | failed
    answered_by: str | None  # human / machine_start / machine_end_beep; only with AMD
    said: list[str]  # the text of every <Say> played, in order
    keys: list[str]  # the Digits of every Gather the callee answered, in order
    requests: list[tuple[str, int | None]]  # each TwiML URL fetched and its HTTP status
    # (None when the webhook raised)
    verbs: list[str]  # every TwiML verb executed, in order (Say, Gather, Redirect, ...)
    error: str | None  # why the call ended early: HTTP error, bad TwiML, loop
    duration: int | None  # CallDuration in seconds, once the call has ended


@dataclass(frozen=True)
class WebhookPost:
    """One signed request the fake made to our service."""

    kind: Literal["message-status", "voice", "call-status"]
    sid: str  # the message or call
    url: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    status: int | None  # the HTTP status our service answered; None if the webhook raised
    body: str
    at: float


@dataclass(frozen=True)
class CallbackError:
    """An exception raised on a worker thread (by the webhook or by the fake itself)."""

    sid: str
    url: str | None
    exception: BaseException
    traceback: str


# ---------------------------------------------------------------------- internals


class SimulatedCrash(RuntimeError):
    """Raised by :meth:`FakeTwilioHttpClient.crash_next`: the caller (a Lambda) dies right
    after Twilio took its request, before it could record the answer."""


@dataclass(frozen=True)
class _Fault:
    kind: Literal["fail", "timeout", "crash"]
    after_processing: bool
    path_suffix: str | None
    method: str | None
    status: int = 0
    code: int = 0
    message: str = ""
    more_info: str = ""

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method.upper() == method)
                and (self.path_suffix is None or path.endswith(self.path_suffix)))


@dataclass(frozen=True)
class _SmsOutcome:
    status: SmsStatus
    error_code: int | None
    callbacks: CallbackOrder = "in-order"


@dataclass(frozen=True)
class _CallOutcome:
    answer: CallAnswer
    keys: str


@dataclass
class _Script:
    """A number's standing outcome, and one-shot outcomes used first."""

    standing: Any
    once: deque[Any] = field(default_factory=deque)

    def take(self) -> Any:
        return self.once.popleft() if self.once else self.standing


@dataclass
class _MessageState:
    message: SentMessage
    status: str
    updated: float
    error_code: int | None = None
    date_sent: float | None = None
    history: list[str] = field(default_factory=list)

    def snapshot(self) -> MessageStatus:
        return MessageStatus(self.message.sid, self.message.to, self.status, self.error_code,
                             self.date_sent, list(self.history))


@dataclass
class _CallState:
    call: PlacedCall
    updated: float
    status: str = "queued"
    answered_by: str | None = None
    said: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    requests: list[tuple[str, int | None]] = field(default_factory=list)
    verbs: list[str] = field(default_factory=list)
    error: str | None = None
    duration: int | None = None
    start_time: float | None = None
    end_time: float | None = None
    sequence: int = 0

    def snapshot(self) -> CallTranscript:
        return CallTranscript(self.call.sid, self.call.to, self.status, self.answered_by,
                              list(self.said), list(self.keys), list(self.requests),
                              list(self.verbs), self.error, self.duration)


class _Cancelled(Exception):
    """The fake was cleared while a worker ran: stop quietly."""


class FakeTwilioHttpClient(HttpClient):
    """Records Twilio REST requests instead of sending them, and plays Twilio's callbacks.

    Thread-safe: the REST side is called from handler threads, callbacks run on daemon
    worker threads, and the webhook is never called with the fake's lock held (so a handler
    answering a callback may use the client again).
    """

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        *,
        credentials: tuple[str, str] | None = None,
        auth_token: str | None = None,
        webhook: Webhook | None = None,
        callback_delay: float = 0.02,
        activity: Callable[[bool], None] | None = None,
    ) -> None:
        """``clock`` stamps records, response dates and callbacks (seconds since the epoch).

        ``credentials`` (username, password), when given, are checked like Twilio does:
        other basic-auth credentials get ``401`` / code ``20003``.

        ``webhook(url, params, headers) -> (http status, body)`` POSTs a form to our service;
        with ``auth_token`` (which signs every request) it turns callbacks on. Each message or
        call is played on its own daemon thread, ``callback_delay`` real seconds after it
        was created. ``activity(True)`` is called when such a job is scheduled and
        ``activity(False)`` when it has run (a ladder clock holds its time meanwhile).
        """
        super().__init__(logger=LOG, is_async=False, timeout=None)
        if callback_delay < 0:
            raise ValueError("callback_delay must be >= 0")
        self._clock = clock
        self._credentials = credentials
        self._auth_token = auth_token
        self._webhook = webhook
        self._callback_delay = callback_delay
        self._activity = activity
        self._cond = threading.Condition(threading.RLock())
        self._requests: list[RecordedRequest] = []
        self._messages: list[SentMessage] = []
        self._calls: list[PlacedCall] = []
        self._message_states: dict[str, _MessageState] = {}
        self._call_states: dict[str, _CallState] = {}
        self._webhooks: list[WebhookPost] = []
        self._callback_errors: list[CallbackError] = []
        self._faults: deque[_Fault] = deque()
        self._sms_scripts: dict[str, _Script] = {}
        self._call_scripts: dict[str, _Script] = {}
        self._opted_out: set[str] = set()
        self._pending: dict[int, str] = {}
        self._listeners: list[Callable[[SentMessage | PlacedCall], None]] = []
        self._job_ids = itertools.count(1)
        self._generation = 0

    @property
    def live(self) -> bool:
        """Whether callbacks are made (a webhook and an auth token were given)."""
        return self._webhook is not None and self._auth_token is not None

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

    @property
    def webhooks(self) -> list[WebhookPost]:
        """Every signed request made to our service, in the order they were answered."""
        with self._cond:
            return list(self._webhooks)

    @property
    def callback_errors(self) -> list[CallbackError]:
        """Exceptions raised on worker threads (the webhook's included)."""
        with self._cond:
            return list(self._callback_errors)

    def message_status(self, sid: str) -> MessageStatus:
        """The message's current status and error code. KeyError for an unknown SID."""
        with self._cond:
            return self._message_states[sid].snapshot()

    def transcript(self, call_sid: str) -> CallTranscript:
        """What was said and pressed on the call so far. KeyError for an unknown SID."""
        with self._cond:
            return self._call_states[call_sid].snapshot()

    def clear(self) -> None:
        """Forget every record, pending failure, script and opt-out.

        Workers still running stop at their next step without posting anything more.
        """
        with self._cond:
            self._generation += 1
            self._requests.clear()
            self._messages.clear()
            self._calls.clear()
            self._message_states.clear()
            self._call_states.clear()
            self._webhooks.clear()
            self._callback_errors.clear()
            self._faults.clear()
            self._sms_scripts.clear()
            self._call_scripts.clear()
            self._opted_out.clear()
            self._cond.notify_all()

    def wait_for(
        self, predicate: Callable[[FakeTwilioHttpClient], T], timeout: float = 5.0
    ) -> T:
        """Wait (wall time) until ``predicate(self)`` is truthy and return its value.

        Re-evaluated whenever something is recorded (requests, statuses, callbacks).
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

    def drain(self, timeout: float = 5.0) -> None:
        """Wait (wall time) until every scheduled callback and call has been played,
        including those scheduled meanwhile (a callback's handler may send again).

        Raises TimeoutError naming what is still pending.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"fake Twilio: {len(self._pending)} callback job(s) still pending "
                        f"after {timeout} s: {sorted(self._pending.values())}"
                    )
                self._cond.wait(remaining)

    # ------------------------------------------------------------------ scripting

    def sms_outcome(self, to: str, status: SmsStatus = "delivered",
                    error_code: int | None = None, *, times: int | None = None,
                    callbacks: CallbackOrder = "in-order") -> None:
        """How messages to ``to`` end: delivered (``sent``, ``delivered``), undelivered
        (``sent``, ``undelivered`` + ``error_code``, default 30003) or failed (``failed`` +
        ``error_code``, default 30008).

        ``callbacks`` is how the status callbacks reach us: ``"duplicated"`` posts each
        one twice, ``"reversed"`` posts the final status before ``sent`` (the message still
        goes through its statuses in order; only the callbacks are out of order).

        ``times=None`` sets the number's standing outcome; ``times=n`` makes only the next
        ``n`` messages end so, before the standing outcome applies again.
        """
        if status not in ("delivered", "undelivered", "failed"):
            raise ValueError(f"unknown SMS outcome {status!r}")
        if callbacks not in ("in-order", "duplicated", "reversed"):
            raise ValueError(f"unknown callback order {callbacks!r}")
        if status == "delivered" and error_code is not None:
            raise ValueError("a delivered message has no error code")
        if status != "delivered" and error_code is None:
            error_code = _DEFAULT_ERROR[status]
        self._script(self._sms_scripts, to, _SmsOutcome(status, error_code, callbacks), times,
                     _SmsOutcome("delivered", None))

    def call_outcome(self, to: str, answer: CallAnswer = "no-answer", keys: str = "", *,
                     times: int | None = None) -> None:
        """How calls to ``to`` go: answered by a ``human`` (who presses ``keys``, one Gather
        at a time) or a ``machine`` (never presses), or ``no-answer`` / ``busy`` /
        ``failed``. Unscripted numbers do not answer. ``times`` as for :meth:`sms_outcome`.
        """
        if answer not in ("human", "machine", "no-answer", "busy", "failed"):
            raise ValueError(f"unknown call outcome {answer!r}")
        if keys and answer != "human":
            raise ValueError("only a human presses keys")
        self._script(self._call_scripts, to, _CallOutcome(answer, keys), times,
                     _CallOutcome("no-answer", ""))

    def opt_out(self, phone: str) -> None:
        """``phone`` texted STOP: messages to it are refused with code 21610."""
        with self._cond:
            self._opted_out.add(phone)

    def opt_in(self, phone: str) -> None:
        """``phone`` texted START: messages to it are accepted again."""
        with self._cond:
            self._opted_out.discard(phone)

    def _script(self, scripts: dict[str, _Script], to: str, outcome: Any, times: int | None,
                default: Any) -> None:
        if times is not None and times < 1:
            raise ValueError("times must be >= 1")
        with self._cond:
            script = scripts.setdefault(to, _Script(default))
            if times is None:
                script.standing = outcome
            else:
                script.once.extend([outcome] * times)

    def _take(self, scripts: dict[str, _Script], to: str, default: T) -> T:
        script = scripts.get(to)
        return default if script is None else script.take()  # type: ignore[no-any-return]

    # ------------------------------------------------------------------ failure injection

    def fail_next(self, status: int, code: int, message: str, times: int = 1,
                  more_info: str | None = None, *, path_suffix: str | None = None,
                  method: str | None = None, after_processing: bool = False) -> None:
        """Answer the next ``times`` requests with ``status`` and a Twilio error body.

        ``path_suffix`` (e.g. ``"Messages.json"``) and ``method`` (e.g. ``"POST"``) limit it
        to matching requests; note that listing messages is ``GET .../Messages.json`` too.
        With ``after_processing`` the request takes effect (and its callbacks happen) before
        the error is answered.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        fault = _Fault("fail", after_processing, path_suffix, method, status, code, message,
                       more_info or f"https://www.twilio.com/docs/errors/{code}")
        with self._cond:
            self._faults.extend([fault] * times)

    def timeout_next(self, times: int = 1, *, after_processing: bool = False,
                     path_suffix: str | None = None, method: str | None = None) -> None:
        """The next ``times`` requests raise ``requests.exceptions.ReadTimeout``.

        With ``after_processing`` the message or call is created and recorded (and its
        callbacks happen) first: Twilio took it but the answer never arrived.
        ``path_suffix`` and ``method`` as for :meth:`fail_next`.
        """
        if times < 1:
            raise ValueError("times must be >= 1")
        fault = _Fault("timeout", after_processing, path_suffix, method)
        with self._cond:
            self._faults.extend([fault] * times)

    def crash_next(self, times: int = 1, *, path_suffix: str | None = None,
                   method: str | None = None) -> None:
        """The next ``times`` requests take effect (the message or call is created, its
        callbacks happen) and then raise :class:`SimulatedCrash` in the caller: a Lambda
        that dies after Twilio took the request and before it recorded the answer.
        ``path_suffix`` and ``method`` as for :meth:`fail_next`."""
        if times < 1:
            raise ValueError("times must be >= 1")
        fault = _Fault("crash", True, path_suffix, method)
        with self._cond:
            self._faults.extend([fault] * times)

    def add_listener(self, listener: Callable[[SentMessage | PlacedCall], None]) -> None:
        """Call ``listener(record)`` for every message or call created from now on, with
        the fake's lock held (keep it short; never call the fake from it)."""
        with self._cond:
            self._listeners.append(listener)

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for i, fault in enumerate(self._faults):
            if fault.matches(method, path):
                del self._faults[i]
                return fault
        return None

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
        parsed = urlparse(url)
        query = {k: v for k, v in parse_qsl(parsed.query, keep_blank_values=True)}
        query.update({k: _str(v) or "" for k, v in params.items()})
        with self._cond:
            now = self._clock()
            fault = self._take_fault(method, parsed.path)
            status, body = 0, dict[str, Any]()
            if fault is None or fault.after_processing:
                status, body = self._answer(method, parsed.path, query, data, auth, now)
            if fault is not None and fault.kind == "fail":
                status, body = fault.status, _error(fault.status, fault.code, fault.message,
                                                    fault.more_info)
            timed_out = fault is not None and fault.kind == "timeout"
            crashed = fault is not None and fault.kind == "crash"
            self._requests.append(RecordedRequest(
                method=method,
                url=url,
                params=params,
                data=data,
                headers={k: v for k, v in headers.items() if k.lower() != "authorization"},
                username=auth[0] if auth else None,
                status=status,
                at=now,
                timed_out=timed_out,
                crashed=crashed,
                wall_at=time.time(),
            ))
            self._cond.notify_all()
        if crashed:
            raise SimulatedCrash(f"simulated crash after Twilio took {method} {parsed.path}")
        if timed_out:
            self._test_only_last_response = None
            raise ReadTimeout(
                f"HTTPSConnectionPool(host='{parsed.hostname}', port=443): Read timed out. "
                f"(read timeout={timeout if timeout is not None else self.timeout})"
            )
        response = Response(status, _json(body), {"Content-Type": "application/json"})
        self._test_only_last_response = response
        return response

    def _answer(self, method: str, path: str, query: dict[str, str], data: dict[str, Any],
                auth: tuple[str, str] | None, now: float) -> tuple[int, dict[str, Any]]:
        if self._credentials is not None and auth != self._credentials:
            return 401, _error(401, 20003, "Authenticate")
        match = _ACCOUNT_PATH.match(path)
        if match:
            account, rest = match["account"], match["rest"]
            if method == "POST" and rest == "Messages.json":
                return self._create_message(account, data, now)
            if method == "POST" and rest == "Calls.json":
                return self._create_call(account, data, now)
            if method == "GET" and rest in ("Messages.json", "Calls.json"):
                return self._list(account, rest, path, query)
            instance = _INSTANCE.match(rest)
            if method == "GET" and instance:
                found = self._fetch(account, instance["kind"], instance["sid"])
                if found is not None:
                    return 200, found
        return 404, _error(
            404, 20404, f"The requested resource {path} was not found",
            "https://www.twilio.com/docs/errors/20404",
        )

    # ------------------------------------------------------------------ messages

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
        if to in self._opted_out:
            return 400, _error(400, 21610, "Attempt to send to unsubscribed recipient")
        sid = new_sid("SM")
        message = SentMessage(
            sid=sid,
            account_sid=account,
            to=to,
            from_=from_,
            messaging_service_sid=service,
            body=body or "",
            status_callback=_str(data.get("StatusCallback")),
            at=now,
            params=data,
        )
        # Twilio answers "accepted" when only a Messaging Service was given.
        state = _MessageState(message, "queued" if from_ else "accepted", now)
        self._messages.append(message)
        self._message_states[sid] = state
        for listener in self._listeners:
            listener(message)
        answer = _message_json(state)
        outcome = self._take(self._sms_scripts, to, _SmsOutcome("delivered", None))
        if self.live:
            gen = self._generation
            self._schedule(sid, f"status callbacks of {sid} to {to}",
                           lambda: self._play_message(state, outcome, gen))
        else:
            for status, code in _sms_sequence(outcome):
                self._set_message_status(state, status, code)
        return 201, answer

    def _set_message_status(self, state: _MessageState, status: str,
                            error_code: int | None) -> None:
        now = self._clock()
        state.status, state.updated = status, now
        state.history.append(status)
        if status == "sent":
            state.date_sent = now
        if error_code is not None:
            state.error_code = error_code
        self._cond.notify_all()

    def _play_message(self, state: _MessageState, outcome: _SmsOutcome, gen: int) -> None:
        sequence = _sms_sequence(outcome)
        if outcome.callbacks == "reversed":  # every status reached, then posted last first
            with self._cond:
                self._check(gen)
                for status, code in sequence:
                    self._set_message_status(state, status, code)
            for status, code in reversed(sequence):
                self._post_message_status(state, status, code, gen)
            return
        for status, code in sequence:
            with self._cond:
                self._check(gen)
                self._set_message_status(state, status, code)
            for _ in range(2 if outcome.callbacks == "duplicated" else 1):
                self._post_message_status(state, status, code, gen)

    def _post_message_status(self, state: _MessageState, status: str, code: int | None,
                             gen: int) -> None:
        message = state.message
        if message.status_callback:
            params = {
                "MessageSid": message.sid,
                "SmsSid": message.sid,
                "MessageStatus": status,
                "SmsStatus": status,
                "To": message.to,
                "From": message.from_ or MESSAGING_SERVICE_SENDER,
                "AccountSid": message.account_sid,
                "ApiVersion": API_VERSION,
            }
            if message.messaging_service_sid:
                params["MessagingServiceSid"] = message.messaging_service_sid
            if code is not None:
                params["ErrorCode"] = str(code)
            self._post("message-status", message.sid, message.status_callback, params, gen)

    # ------------------------------------------------------------------ calls

    def _create_call(self, account: str, data: dict[str, Any],
                     now: float) -> tuple[int, dict[str, Any]]:
        to = _str(data.get("To"))
        from_ = _str(data.get("From"))
        if not to:
            return 400, _error(400, 21201, "No 'To' number is specified")
        if not from_:
            return 400, _error(400, 21213, "No 'From' number is specified")
        url, twiml = _str(data.get("Url")), _str(data.get("Twiml"))
        if not url and not twiml and not data.get("ApplicationSid"):
            return 400, _error(400, 21205, "Url parameter is required.")
        sid = new_sid("CA")
        call = PlacedCall(
            sid=sid,
            account_sid=account,
            to=to,
            from_=from_,
            twiml=twiml,
            url=url,
            status_callback=_str(data.get("StatusCallback")),
            at=now,
            params=data,
        )
        state = _CallState(call, now)
        self._calls.append(call)
        self._call_states[sid] = state
        for listener in self._listeners:
            listener(call)
        answer = _call_json(state)
        outcome = self._take(self._call_scripts, to, _CallOutcome("no-answer", ""))
        if self.live and (url or twiml):
            gen = self._generation
            self._schedule(sid, f"call {sid} to {to}",
                           lambda: self._play_call(state, outcome, gen))
        return 201, answer

    def _play_call(self, state: _CallState, outcome: _CallOutcome, gen: int) -> None:
        call = state.call
        amd = _str(call.params.get("MachineDetection"))
        requested = set(_list(call.params.get("StatusCallbackEvent"))) or {"completed"}

        def status_callback(status: str, **extra: str) -> None:
            event = "answered" if status == "in-progress" else status
            if status in ("completed", "no-answer", "busy", "failed"):
                event = "completed"
            if call.status_callback and event in requested:
                with self._cond:
                    self._check(gen)
                    sequence = state.sequence
                    state.sequence += 1
                params = self._call_fields(state, status)
                params.update(CallbackSource="call-progress-events",
                              SequenceNumber=str(sequence), Timestamp=_rfc2822(self._clock()),
                              **extra)
                self._post("call-status", call.sid, call.status_callback, params, gen)

        if outcome.answer != "failed":
            status_callback("initiated")
        if outcome.answer in ("no-answer", "busy"):
            self._set_call(state, gen, status="ringing")
            status_callback("ringing")
        if outcome.answer in ("no-answer", "busy", "failed"):
            self._set_call(state, gen, status=outcome.answer, duration=0, ended=True)
            status_callback(outcome.answer, CallDuration="0", Duration="0")
            return

        answered_by = None
        if amd:
            answered_by = "human" if outcome.answer == "human" else (
                "machine_end_beep" if amd == "DetectMessageEnd" else "machine_start")
        self._set_call(state, gen, status="ringing")
        status_callback("ringing")
        self._set_call(state, gen, status="in-progress", answered_by=answered_by, started=True)
        status_callback("in-progress")
        try:
            self._run_twiml(state, list(outcome.keys) if outcome.answer == "human" else [],
                            gen)
        finally:
            with self._cond:
                duration = 5 + 2 * len(state.said) + 3 * len(state.keys)
            if gen == self._generation:
                self._set_call(state, gen, status="completed", duration=duration, ended=True)
                extra = {"CallDuration": str(duration), "Duration": str(-(-duration // 60))}
                status_callback("completed", **extra)

    def _call_fields(self, state: _CallState, status: str) -> dict[str, str]:
        call = state.call
        fields = {
            "CallSid": call.sid,
            "AccountSid": call.account_sid,
            "From": call.from_,
            "To": call.to,
            "Caller": call.from_,
            "Called": call.to,
            "CallStatus": status,
            "Direction": "outbound-api",
            "ApiVersion": API_VERSION,
        }
        if state.answered_by is not None:
            fields["AnsweredBy"] = state.answered_by
        return fields

    def _set_call(self, state: _CallState, gen: int, *, status: str,
                  answered_by: str | None = None, duration: int | None = None,
                  started: bool = False, ended: bool = False) -> None:
        with self._cond:
            self._check(gen)
            now = self._clock()
            state.status, state.updated = status, now
            if answered_by is not None:
                state.answered_by = answered_by
            if duration is not None:
                state.duration = duration
            if started:
                state.start_time = now
            if ended:
                state.end_time = now
            self._cond.notify_all()

    def _run_twiml(self, state: _CallState, keys: list[str], gen: int) -> None:
        """Fetch and interpret TwiML documents until the call ends."""
        call = state.call
        url: str | None = call.url
        extra: dict[str, str] = {}
        inline = call.twiml if not call.url else None
        documents = 0
        while True:
            documents += 1
            if documents > MAX_TWIML_DOCUMENTS:
                self._end_call(state, f"more than {MAX_TWIML_DOCUMENTS} TwiML documents "
                                      f"(a Redirect/Gather loop?)")
                return
            if inline is not None:
                text, inline = inline, None
            else:
                assert url is not None
                params = self._call_fields(state, "in-progress")
                params.update(extra)
                if "Digits" in extra:
                    with self._cond:
                        state.keys.append(extra["Digits"])
                status, text = self._post("voice", call.sid, url, params, gen)
                with self._cond:
                    state.requests.append((url, status))
                    self._cond.notify_all()
                if status is None:
                    self._end_call(state, f"the webhook raised for {url}")
                    return
                if not 200 <= status < 300:
                    self._end_call(state, f"HTTP {status} from {url}")
                    return
            try:
                root = ET.fromstring(text)
            except ET.ParseError as exc:
                self._end_call(state, f"unparsable TwiML from {url or 'Twiml'}: {exc}")
                return
            if _tag(root) != "Response":
                self._end_call(state, f"TwiML root is <{_tag(root)}>, not <Response>")
                return
            step = self._interpret(state, root, url, keys)
            if step is None:
                return
            url, extra = step
            if url is None:
                self._end_call(state, "a Gather or Redirect without a URL in inline TwiML")
                return

    def _interpret(self, state: _CallState, root: ET.Element, url: str | None,
                   keys: list[str]) -> tuple[str | None, dict[str, str]] | None:
        """Play one document; the next URL to POST (and extra fields), or None to hang up."""
        for verb in root:
            name = _tag(verb)
            with self._cond:
                state.verbs.append(name)
            if name == "Say":
                self._say(state, verb)
            elif name == "Gather":
                for nested in verb:
                    if _tag(nested) == "Say":
                        self._say(state, nested)
                action = verb.get("action")
                target = urljoin(url, action) if url and action else (action or url)
                digits = _press(verb, keys)
                if digits:
                    return target, {"Digits": digits}
                if verb.get("actionOnEmptyResult") == "true":
                    return target, {"Digits": ""}
                # nobody pressed anything: Twilio goes on with the next verb
            elif name == "Redirect":
                target = (verb.text or "").strip()
                return (urljoin(url, target) if url else target or None), {}
            elif name in ("Hangup", "Reject"):
                return None
            # Pause, Play and anything else: nothing to record beyond the verb
        return None

    def _say(self, state: _CallState, verb: ET.Element) -> None:
        text = " ".join("".join(verb.itertext()).split())
        with self._cond:
            state.said.append(text)
            self._cond.notify_all()

    def _end_call(self, state: _CallState, error: str) -> None:
        with self._cond:
            state.error = error
            self._cond.notify_all()
        LOG.info("fake Twilio: call %s ended: %s", state.call.sid, error)

    # ------------------------------------------------------------------ listing, fetching

    def _list(self, account: str, rest: str, path: str,
              query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        try:
            page_size = min(max(int(query.get("PageSize") or 50), 1), 1000)
            page = max(int(query.get("Page") or 0), 0)
        except ValueError:
            return 400, _error(400, 20001, "Invalid paging parameter")
        records: list[dict[str, Any]] = []
        if rest == "Messages.json":
            key = "messages"
            try:
                filters = [(op, _parse_date(query[name]))
                           for op, name in (("=", "DateSent"), ("<", "DateSent<"),
                                            (">", "DateSent>"))
                           if query.get(name)]
            except ValueError:
                return 400, _error(400, 20001, "Invalid date value.")
            for m in reversed(self._messages):
                state = self._message_states[m.sid]
                sender = m.from_ or (MESSAGING_SERVICE_SENDER if state.date_sent else None)
                if m.account_sid != account or (query.get("To") and m.to != query["To"]):
                    continue
                if query.get("From") and sender != query["From"]:
                    continue
                if filters and (state.date_sent is None or not all(
                        _date_matches(state.date_sent, op, d) for op, d in filters)):
                    continue
                records.append(_message_json(state))
        else:
            key = "calls"
            for c in reversed(self._calls):
                call_state = self._call_states[c.sid]
                if c.account_sid != account or (query.get("To") and c.to != query["To"]):
                    continue
                if query.get("From") and c.from_ != query["From"]:
                    continue
                if query.get("Status") and call_state.status != query["Status"]:
                    continue
                records.append(_call_json(call_state))
        start = page * page_size
        chunk = records[start:start + page_size]
        filters_only = {k: v for k, v in query.items()
                        if k not in ("Page", "PageSize", "PageToken")}

        def uri(n: int) -> str:
            return f"{path}?{urlencode({**filters_only, 'PageSize': page_size, 'Page': n})}"

        more = len(records) > start + page_size
        return 200, {
            key: chunk,
            "end": start + len(chunk) - 1 if chunk else start,
            "first_page_uri": uri(0),
            "next_page_uri": f"{uri(page + 1)}&PageToken=PA{start + page_size}" if more else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": uri(page - 1) if page > 0 else None,
            "start": start,
            "uri": uri(page),
        }

    def _fetch(self, account: str, kind: str, sid: str) -> dict[str, Any] | None:
        if kind == "Messages":
            message = self._message_states.get(sid)
            if message is not None and message.message.account_sid == account:
                return _message_json(message)
        else:
            call = self._call_states.get(sid)
            if call is not None and call.call.account_sid == account:
                return _call_json(call)
        return None

    # ------------------------------------------------------------------ workers

    def _schedule(self, sid: str, name: str, job: Callable[[], None]) -> None:
        """Run ``job`` on a daemon thread after ``callback_delay``. Call with the lock held."""
        job_id = next(self._job_ids)
        self._pending[job_id] = name
        if self._activity is not None:
            self._activity(True)
        try:
            threading.Thread(target=self._run_job, args=(job_id, sid, name, job),
                             name=f"fake-twilio {name}", daemon=True).start()
        except BaseException:
            self._pending.pop(job_id, None)
            if self._activity is not None:
                self._activity(False)
            raise

    def _run_job(self, job_id: int, sid: str, name: str, job: Callable[[], None]) -> None:
        try:
            if self._callback_delay:
                time.sleep(self._callback_delay)
            job()
        except _Cancelled:
            pass
        except Exception as exc:  # kept for the test to see, never lost
            LOG.exception("fake Twilio: %s failed", name)
            with self._cond:
                self._callback_errors.append(
                    CallbackError(sid, None, exc, traceback.format_exc()))
        finally:
            with self._cond:
                self._pending.pop(job_id, None)
                self._cond.notify_all()
            if self._activity is not None:
                self._activity(False)

    def _check(self, gen: int) -> None:
        if gen != self._generation:
            raise _Cancelled

    def _post(self, kind: Literal["message-status", "voice", "call-status"], sid: str,
              url: str, params: dict[str, str], gen: int) -> tuple[int | None, str]:
        """POST a signed form to our service; (status, body), status None if it raised."""
        with self._cond:
            self._check(gen)
        assert self._webhook is not None and self._auth_token is not None
        headers = _signed_headers(url, params, self._auth_token)
        at = self._clock()
        status: int | None
        try:
            status, body = self._webhook(url, dict(params), dict(headers))
            status = int(status)
        except Exception as exc:
            LOG.exception("fake Twilio: webhook %s for %s raised", url, sid)
            status, body = None, ""
            with self._cond:
                self._callback_errors.append(
                    CallbackError(sid, url, exc, traceback.format_exc()))
        with self._cond:
            self._check(gen)
            self._webhooks.append(WebhookPost(kind, sid, url, params, headers, status,
                                              body or "", at))
            self._cond.notify_all()
        return status, body or ""


# ---------------------------------------------------------------------- inbound SMS


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
    return _signed_headers(url, params, auth_token), urlencode(params)


def _signed_headers(url: str, params: Mapping[str, str], auth_token: str) -> dict[str, str]:
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(auth_token).compute_signature(url, params),
        "User-Agent": "TwilioProxy/1.1",
        "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
    }


# ---------------------------------------------------------------------- helpers


def _sms_sequence(outcome: _SmsOutcome) -> list[tuple[str, int | None]]:
    if outcome.status == "failed":
        return [("failed", outcome.error_code)]
    return [("sent", None), (outcome.status, outcome.error_code)]


def _press(gather: ET.Element, keys: list[str]) -> str:
    """The digits a callee with ``keys`` left enters on ``gather`` (consumed from keys)."""
    if "dtmf" not in (gather.get("input") or "dtmf").split():
        return ""
    try:
        wanted = int(gather.get("numDigits") or 1)
    except ValueError:
        wanted = 1
    finish = gather.get("finishOnKey", "#")
    digits = ""
    while keys and len(digits) < wanted:
        key = keys.pop(0)
        if finish and key == finish:
            break
        digits += key
    return digits


def _message_json(state: _MessageState) -> dict[str, Any]:
    m = state.message
    uri = f"/{API_VERSION}/Accounts/{m.account_sid}/Messages/{m.sid}"
    sender = m.from_ or (MESSAGING_SERVICE_SENDER if state.date_sent is not None else None)
    return {
        "account_sid": m.account_sid,
        "api_version": API_VERSION,
        "body": m.body,
        "date_created": _rfc2822(m.at),
        "date_sent": _rfc2822(state.date_sent) if state.date_sent is not None else None,
        "date_updated": _rfc2822(state.updated),
        "direction": "outbound-api",
        "error_code": state.error_code,
        "error_message": None,
        "from": sender,
        "messaging_service_sid": m.messaging_service_sid,
        "num_media": "0",
        "num_segments": "1",
        "price": None,
        "price_unit": "USD",
        "sid": m.sid,
        "status": state.status,
        "subresource_uris": {"media": f"{uri}/Media.json"},
        "to": m.to,
        "uri": f"{uri}.json",
    }


def _call_json(state: _CallState) -> dict[str, Any]:
    c = state.call
    uri = f"/{API_VERSION}/Accounts/{c.account_sid}/Calls/{c.sid}"
    return {
        "account_sid": c.account_sid,
        "annotation": None,
        "answered_by": state.answered_by,
        "api_version": API_VERSION,
        "caller_name": None,
        "date_created": _rfc2822(c.at),
        "date_updated": _rfc2822(state.updated),
        "direction": "outbound-api",
        "duration": None if state.duration is None else str(state.duration),
        "end_time": None if state.end_time is None else _rfc2822(state.end_time),
        "forwarded_from": None,
        "from": c.from_,
        "from_formatted": c.from_,
        "group_sid": None,
        "parent_call_sid": None,
        "phone_number_sid": None,
        "price": None,
        "price_unit": "USD",
        "queue_time": "0",
        "sid": c.sid,
        "start_time": None if state.start_time is None else _rfc2822(state.start_time),
        "status": state.status,
        "subresource_uris": {
            "notifications": f"{uri}/Notifications.json",
            "recordings": f"{uri}/Recordings.json",
            "events": f"{uri}/Events.json",
        },
        "to": c.to,
        "to_formatted": c.to,
        "trunk_sid": None,
        "uri": f"{uri}.json",
    }


def _tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def _parse_date(value: str) -> date | datetime:
    """A DateSent filter: ``YYYY-MM-DD`` or an ISO 8601 time (the client sends ``...Z``)."""
    if len(value) == 10:
        return date.fromisoformat(value)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _date_matches(sent: float, op: str, bound: date | datetime) -> bool:
    """Twilio's inclusive DateSent filters: a date compares days, a time compares times."""
    at = datetime.fromtimestamp(sent, UTC)
    if not isinstance(bound, datetime):
        day = at.date()
        return {"=": day == bound, "<": day <= bound, ">": day >= bound}[op]
    at = at.replace(microsecond=0)
    return {"=": at.date() == bound.date(), "<": at <= bound, ">": at >= bound}[op]


def _str(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list | tuple):
        value = value[0] if value else None
        return None if value is None else str(value)
    return str(value)


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


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
