"""What the fake Twilio records, as the snapshots tests read: the REST requests it answered,
the messages and calls they created, where each message and call is in its life, the signed
requests the fake made to our service, and the exceptions raised on its worker threads.

Also the scripting vocabulary (how a message ends, how a call is answered) and
:class:`SimulatedCrash`, which :meth:`~local.fake_twilio.FakeTwilioHttpClient.crash_next`
raises in the caller.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

SmsStatus = Literal["delivered", "undelivered", "failed"]
# How a message's status callbacks reach us: each once in order, each twice (Twilio retries
# a callback it thinks failed), or the last first (callbacks race on Twilio's side).
CallbackOrder = Literal["in-order", "duplicated", "reversed"]
CallAnswer = Literal["human", "machine", "no-answer", "busy", "failed"]
WebhookKind = Literal["message-status", "voice", "call-status"]
# webhook(url, form params, headers) -> (HTTP status, body): a signed POST to our service.
Webhook = Callable[[str, dict[str, str], dict[str, str]], tuple[int, str]]


def new_sid(prefix: str) -> str:
    """A Twilio-shaped SID: two-letter prefix and 32 lowercase hex digits."""
    return prefix + uuid.uuid4().hex


class SimulatedCrash(RuntimeError):
    """Raised by :meth:`FakeTwilioHttpClient.crash_next`: the caller (a Lambda) dies right
    after Twilio took its request, before it could record the answer."""


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

    kind: WebhookKind
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
