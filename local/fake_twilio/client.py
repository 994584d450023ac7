"""The transport itself: :class:`FakeTwilioHttpClient`, what the real ``twilio.rest.Client``
sends its HTTP requests to, and what a test inspects afterwards.

Every REST request is answered synchronously and recorded (:attr:`~FakeTwilioHttpClient.
requests`), after the first matching injected fault (``faults``) had its say; the answer
comes from the part of the fake it is for: ``messages`` (``POST .../Messages.json``),
``calls`` (``POST .../Calls.json``) or ``listing`` (the ``GET``\\s). Credentials, when
given, are checked like Twilio does. :meth:`~FakeTwilioHttpClient.wait_for` and
:meth:`~FakeTwilioHttpClient.drain` wait for what the worker threads do (``workers``).
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlparse

from requests.exceptions import ReadTimeout
from twilio.http import HttpClient
from twilio.http.request import Request as TwilioRequest
from twilio.http.response import Response

from local.fake_twilio.calls import Calls
from local.fake_twilio.faults import Faults
from local.fake_twilio.listing import Listing
from local.fake_twilio.messages import Messages
from local.fake_twilio.records import (
    CallbackError,
    CallTranscript,
    MessageStatus,
    PlacedCall,
    RecordedRequest,
    SentMessage,
    SimulatedCrash,
    Webhook,
    WebhookPost,
)
from local.fake_twilio.wire import error, form_value, to_json

LOG = logging.getLogger(__name__)

_ACCOUNT_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>AC[0-9A-Za-z]+)/(?P<rest>.+)$")
_INSTANCE = re.compile(r"^(?P<kind>Messages|Calls)/(?P<sid>[A-Z]{2}[0-9a-fA-F]{32})\.json$")
T = TypeVar("T")


class FakeTwilioHttpClient(Messages, Calls, Listing, Faults, HttpClient):
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
        # The records and scripts (declared, with what they hold, by account.Account).
        self._requests = []
        self._messages = []
        self._calls = []
        self._message_states = {}
        self._call_states = {}
        self._webhooks = []
        self._callback_errors = []
        self._faults = deque()
        self._sms_scripts = {}
        self._call_scripts = {}
        self._opted_out = set()
        self._pending = {}
        self._listeners = []
        self._job_ids = itertools.count(1)
        self._generation = 0

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

    def add_listener(self, listener: Callable[[SentMessage | PlacedCall], None]) -> None:
        """Call ``listener(record)`` for every message or call created from now on, with
        the fake's lock held (keep it short; never call the fake from it)."""
        with self._cond:
            self._listeners.append(listener)

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
        query.update({k: form_value(v) or "" for k, v in params.items()})
        with self._cond:
            now = self._clock()
            fault = self._take_fault(method, parsed.path)
            status, body = 0, dict[str, Any]()
            if fault is None or fault.after_processing:
                status, body = self._answer(method, parsed.path, query, data, auth, now)
            if fault is not None and fault.kind == "fail":
                status, body = fault.status, error(fault.status, fault.code, fault.message,
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
        response = Response(status, to_json(body), {"Content-Type": "application/json"})
        self._test_only_last_response = response
        return response

    def _answer(self, method: str, path: str, query: dict[str, str], data: dict[str, Any],
                auth: tuple[str, str] | None, now: float) -> tuple[int, dict[str, Any]]:
        if self._credentials is not None and auth != self._credentials:
            return 401, error(401, 20003, "Authenticate")
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
        return 404, error(
            404, 20404, f"The requested resource {path} was not found",
            "https://www.twilio.com/docs/errors/20404",
        )

