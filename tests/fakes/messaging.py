"""The Sms, Voice, OptOuts and Alerts ports in memory: what was sent, placed, published."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from crisis_pager.domain.errors import SendAborted, SmsError
from crisis_pager.service.ports.messaging import AttemptGuard


class SentSms(NamedTuple):
    to: str
    body: str
    page: tuple[str, int] | None
    validity_s: int | None


class PlacedCall(NamedTuple):
    to: str
    page: tuple[str, int]


class _Provider:
    """One attempt at the provider's API, as the Twilio adapter makes it: the guard is
    acquired first (SendAborted, nothing sent, when it says no) and released afterwards,
    whether the attempt succeeded or not. ``fail_with`` makes every attempt raise (the
    adapter's outcome after its retries: permanent, or transient with permanent=False).
    ``before_attempt`` runs just before the guard is asked, ``during_send`` while it is
    held and the message is going out (another actor's moment)."""

    def __init__(self) -> None:
        self.fail_with: SmsError | None = None
        self.before_attempt: Callable[[], None] | None = None
        self.during_send: Callable[[], None] | None = None
        self.attempts = 0
        self.aborted = 0

    def _attempt(self, guard: AttemptGuard | None, send: Callable[[], str]) -> str:
        if self.before_attempt is not None:
            self.before_attempt()
        self.attempts += 1
        if guard is not None and not guard.acquire():
            self.aborted += 1
            raise SendAborted("the guard refused the attempt")
        try:
            if self.fail_with is not None:
                raise self.fail_with
            if self.during_send is not None:
                self.during_send()
            return send()
        finally:
            if guard is not None:
                guard.release()


class FakeSms(_Provider):
    """``sent`` keeps (to, body) pairs; ``messages`` the full record of each SMS."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []
        self.messages: list[SentSms] = []

    def send(self, to: str, body: str, *, page: tuple[str, int] | None = None,
             validity_s: int | None = None, guard: AttemptGuard | None = None) -> str:
        def go() -> str:
            self.sent.append((to, body))
            self.messages.append(SentSms(to, body, page, validity_s))
            return f"SM{len(self.sent):032d}"

        return self._attempt(guard, go)


class FakeVoice(_Provider):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[PlacedCall] = []

    def call(self, to: str, *, page: tuple[str, int],
             guard: AttemptGuard | None = None) -> str:
        def go() -> str:
            self.calls.append(PlacedCall(to, page))
            return f"CA{len(self.calls):032d}"

        return self._attempt(guard, go)


class FakeOptOuts:
    def __init__(self) -> None:
        self.phones: dict[str, tuple[datetime, str]] = {}  # phone -> (when, via)

    def opted_out(self, phone: str) -> bool:
        return phone in self.phones

    def opt_out(self, phone: str, now: datetime, via: str) -> bool:
        if phone in self.phones:
            return False
        self.phones[phone] = (now, via)
        return True

    def opt_in(self, phone: str) -> bool:
        return self.phones.pop(phone, None) is not None


class FakeAlerts:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, str]] = []

    def publish(self, program_id: str, subject: str, message: str) -> None:
        self.published.append((program_id, subject, message))
