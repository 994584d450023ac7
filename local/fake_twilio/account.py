"""One fake Twilio account's state, shared by the parts of the fake: the base of every mixin
of :class:`~local.fake_twilio.FakeTwilioHttpClient`, which sets it all up in ``__init__``.

It declares what the parts share (records, scripts, the lock they are kept under, the
callback settings) and holds the small helpers they all use: whether callbacks are made
(:attr:`Account.live`), a number's scripted outcomes, and the check that stops a worker once
the fake was cleared. The mutable state of one message or call (its snapshots are
``records.MessageStatus`` and ``records.CallTranscript``) is here too.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from local.fake_twilio.records import (
    CallAnswer,
    CallbackError,
    CallbackOrder,
    CallTranscript,
    MessageStatus,
    PlacedCall,
    RecordedRequest,
    SentMessage,
    SmsStatus,
    Webhook,
    WebhookPost,
)

if TYPE_CHECKING:
    from local.fake_twilio.faults import Fault

T = TypeVar("T")


@dataclass(frozen=True)
class SmsOutcome:
    status: SmsStatus
    error_code: int | None
    callbacks: CallbackOrder = "in-order"


@dataclass(frozen=True)
class CallOutcome:
    answer: CallAnswer
    keys: str


@dataclass
class Script:
    """A number's standing outcome, and one-shot outcomes used first."""

    standing: Any
    once: deque[Any] = field(default_factory=deque)

    def take(self) -> Any:
        return self.once.popleft() if self.once else self.standing


@dataclass
class MessageState:
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
class CallState:
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


class Cancelled(Exception):
    """The fake was cleared while a worker ran: stop quietly."""


class Account:
    """What the parts of the fake share; see the module doc."""

    _clock: Callable[[], float]
    _credentials: tuple[str, str] | None
    _auth_token: str | None
    _webhook: Webhook | None
    _callback_delay: float
    _activity: Callable[[bool], None] | None
    _cond: threading.Condition  # every record below is read and written with it held
    _requests: list[RecordedRequest]
    _messages: list[SentMessage]
    _calls: list[PlacedCall]
    _message_states: dict[str, MessageState]
    _call_states: dict[str, CallState]
    _webhooks: list[WebhookPost]
    _callback_errors: list[CallbackError]
    _faults: deque[Fault]
    _sms_scripts: dict[str, Script]
    _call_scripts: dict[str, Script]
    _opted_out: set[str]
    _pending: dict[int, str]  # callback jobs not yet played: job id -> name
    _job_ids: Iterator[int]
    _listeners: list[Callable[[SentMessage | PlacedCall], None]]
    _generation: int  # bumped by clear(): workers of an earlier generation stop

    @property
    def live(self) -> bool:
        """Whether callbacks are made (a webhook and an auth token were given)."""
        return self._webhook is not None and self._auth_token is not None

    def _check(self, gen: int) -> None:
        if gen != self._generation:
            raise Cancelled

    def _script(self, scripts: dict[str, Script], to: str, outcome: Any, times: int | None,
                default: Any) -> None:
        if times is not None and times < 1:
            raise ValueError("times must be >= 1")
        with self._cond:
            script = scripts.setdefault(to, Script(default))
            if times is None:
                script.standing = outcome
            else:
                script.once.extend([outcome] * times)

    def _take(self, scripts: dict[str, Script], to: str, default: T) -> T:
        script = scripts.get(to)
        return default if script is None else script.take()  # type: ignore[no-any-return]
