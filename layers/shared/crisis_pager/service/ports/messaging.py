"""The messaging ports: SMS, voice calls, opted-out phones, admins' alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class AttemptGuard(Protocol):
    """Held around each attempt at the provider's API (the paging lease)."""

    def acquire(self) -> bool:
        """May this attempt go out? False: the incident was accepted or moved on."""
        ...

    def release(self) -> None: ...


class Sms(Protocol):
    def send(self, to: str, body: str, *, page: tuple[str, int] | None = None,
             validity_s: int | None = None, guard: AttemptGuard | None = None) -> str:
        """Send one SMS, asking for status reports about ``page`` (incident id, rung);
        return the provider's message id. Transient provider errors are retried, never
        sending twice. Raises SmsError, or SendAborted when ``guard`` said no."""
        ...


class Voice(Protocol):
    def call(self, to: str, *, page: tuple[str, int],
             guard: AttemptGuard | None = None) -> str:
        """Place the voice call of ``page`` (its TwiML and status reports are served by
        the voice and status webhooks); return the call id. Raises as Sms.send."""
        ...


class OptOuts(Protocol):
    """Phones that texted STOP (or that Twilio reports unsubscribed): SMS cannot reach them."""

    def opted_out(self, phone: str) -> bool: ...

    def opt_out(self, phone: str, now: datetime, via: str) -> bool:
        """Record the opt-out; False if the phone was already opted out."""
        ...

    def opt_in(self, phone: str) -> bool:
        """Clear the opt-out; False if the phone was not opted out."""
        ...


class Alerts(Protocol):
    def publish(self, program_id: str, subject: str, message: str) -> None: ...
