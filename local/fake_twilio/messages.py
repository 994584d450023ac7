"""Messages: ``POST .../Messages.json`` and the life of a message after it.

A message is recorded as a :class:`~local.fake_twilio.records.SentMessage` and answered
``201`` (status ``queued``, or ``accepted`` with only a Messaging Service); a number that
texted STOP (:meth:`Messages.opt_out`) is refused with ``400`` / code ``21610``. It then goes
``sent`` -> ``delivered``, ``sent`` -> ``undelivered`` or straight to ``failed`` as scripted
per number by :meth:`Messages.sms_outcome` (default delivered). In live mode each status is
POSTed to the message's ``StatusCallback`` if it has one, in order, twice each, or the final
one first (``sms_outcome(..., callbacks=...)``); otherwise the message takes its scripted
final status at once.
"""

from __future__ import annotations

from typing import Any

from local.fake_twilio.account import MessageState, SmsOutcome
from local.fake_twilio.records import CallbackOrder, SentMessage, SmsStatus, new_sid
from local.fake_twilio.wire import (
    API_VERSION,
    MESSAGING_SERVICE_SENDER,
    error,
    form_value,
    message_json,
)
from local.fake_twilio.workers import Workers

_DEFAULT_ERROR = {"undelivered": 30003, "failed": 30008}


class Messages(Workers):
    """The messaging part of the fake."""

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
        self._script(self._sms_scripts, to, SmsOutcome(status, error_code, callbacks), times,
                     SmsOutcome("delivered", None))

    def opt_out(self, phone: str) -> None:
        """``phone`` texted STOP: messages to it are refused with code 21610."""
        with self._cond:
            self._opted_out.add(phone)

    def opt_in(self, phone: str) -> None:
        """``phone`` texted START: messages to it are accepted again."""
        with self._cond:
            self._opted_out.discard(phone)

    def _create_message(self, account: str, data: dict[str, Any],
                        now: float) -> tuple[int, dict[str, Any]]:
        to = form_value(data.get("To"))
        from_ = form_value(data.get("From"))
        service = form_value(data.get("MessagingServiceSid"))
        body = form_value(data.get("Body"))
        if not to:
            return 400, error(400, 21604, "A 'To' phone number is required.")
        if not from_ and not service:
            return 400, error(400, 21603, "A 'From' phone number is required.")
        if not body and not data.get("MediaUrl") and not data.get("ContentSid"):
            return 400, error(400, 21602, "Message body is required.")
        if to in self._opted_out:
            return 400, error(400, 21610, "Attempt to send to unsubscribed recipient")
        sid = new_sid("SM")
        message = SentMessage(
            sid=sid,
            account_sid=account,
            to=to,
            from_=from_,
            messaging_service_sid=service,
            body=body or "",
            status_callback=form_value(data.get("StatusCallback")),
            at=now,
            params=data,
        )
        # Twilio answers "accepted" when only a Messaging Service was given.
        state = MessageState(message, "queued" if from_ else "accepted", now)
        self._messages.append(message)
        self._message_states[sid] = state
        for listener in self._listeners:
            listener(message)
        answer = message_json(state)
        outcome = self._take(self._sms_scripts, to, SmsOutcome("delivered", None))
        if self.live:
            gen = self._generation
            self._schedule(sid, f"status callbacks of {sid} to {to}",
                           lambda: self._play_message(state, outcome, gen))
        else:
            for status, code in _sms_sequence(outcome):
                self._set_message_status(state, status, code)
        return 201, answer

    def _set_message_status(self, state: MessageState, status: str,
                            error_code: int | None) -> None:
        now = self._clock()
        state.status, state.updated = status, now
        state.history.append(status)
        if status == "sent":
            state.date_sent = now
        if error_code is not None:
            state.error_code = error_code
        self._cond.notify_all()

    def _play_message(self, state: MessageState, outcome: SmsOutcome, gen: int) -> None:
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

    def _post_message_status(self, state: MessageState, status: str, code: int | None,
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


def _sms_sequence(outcome: SmsOutcome) -> list[tuple[str, int | None]]:
    if outcome.status == "failed":
        return [("failed", outcome.error_code)]
    return [("sent", None), (outcome.status, outcome.error_code)]
