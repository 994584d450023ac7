"""Calls: ``POST .../Calls.json`` and how a call goes after it.

A call is recorded as a :class:`~local.fake_twilio.records.PlacedCall` and answered ``201``
(``queued``). In live mode it is then answered by a human or a machine, or is not answered /
busy / failed, as scripted per number by :meth:`Calls.call_outcome` (default no-answer);
answered, its TwiML is played (``twiml.Conversation``). Its ``StatusCallback`` gets the
events it asked for (``StatusCallbackEvent``, by default only the final status), with
``AnsweredBy`` when it asked for answering-machine detection (``MachineDetection``).
Outside live mode a call stays ``queued``.
"""

from __future__ import annotations

from typing import Any

from local.fake_twilio.account import CallOutcome, CallState
from local.fake_twilio.records import CallAnswer, PlacedCall, new_sid
from local.fake_twilio.twiml import Conversation
from local.fake_twilio.wire import call_fields, call_json, error, form_value, form_values, rfc2822


class Calls(Conversation):
    """The voice part of the fake."""

    def call_outcome(self, to: str, answer: CallAnswer = "no-answer", keys: str = "", *,
                     times: int | None = None) -> None:
        """How calls to ``to`` go: answered by a ``human`` (who presses ``keys``, one Gather
        at a time) or a ``machine`` (never presses), or ``no-answer`` / ``busy`` /
        ``failed``. Unscripted numbers do not answer. ``times`` as for ``sms_outcome``.
        """
        if answer not in ("human", "machine", "no-answer", "busy", "failed"):
            raise ValueError(f"unknown call outcome {answer!r}")
        if keys and answer != "human":
            raise ValueError("only a human presses keys")
        self._script(self._call_scripts, to, CallOutcome(answer, keys), times,
                     CallOutcome("no-answer", ""))

    def _create_call(self, account: str, data: dict[str, Any],
                     now: float) -> tuple[int, dict[str, Any]]:
        to = form_value(data.get("To"))
        from_ = form_value(data.get("From"))
        if not to:
            return 400, error(400, 21201, "No 'To' number is specified")
        if not from_:
            return 400, error(400, 21213, "No 'From' number is specified")
        url, twiml = form_value(data.get("Url")), form_value(data.get("Twiml"))
        if not url and not twiml and not data.get("ApplicationSid"):
            return 400, error(400, 21205, "Url parameter is required.")
        sid = new_sid("CA")
        call = PlacedCall(
            sid=sid,
            account_sid=account,
            to=to,
            from_=from_,
            twiml=twiml,
            url=url,
            status_callback=form_value(data.get("StatusCallback")),
            at=now,
            params=data,
        )
        state = CallState(call, now)
        self._calls.append(call)
        self._call_states[sid] = state
        for listener in self._listeners:
            listener(call)
        answer = call_json(state)
        outcome = self._take(self._call_scripts, to, CallOutcome("no-answer", ""))
        if self.live and (url or twiml):
            gen = self._generation
            self._schedule(sid, f"call {sid} to {to}",
                           lambda: self._play_call(state, outcome, gen))
        return 201, answer

    def _play_call(self, state: CallState, outcome: CallOutcome, gen: int) -> None:
        call = state.call
        amd = form_value(call.params.get("MachineDetection"))
        requested = set(form_values(call.params.get("StatusCallbackEvent"))) or {"completed"}

        def status_callback(status: str, **extra: str) -> None:
            event = "answered" if status == "in-progress" else status
            if status in ("completed", "no-answer", "busy", "failed"):
                event = "completed"
            if call.status_callback and event in requested:
                with self._cond:
                    self._check(gen)
                    sequence = state.sequence
                    state.sequence += 1
                params = call_fields(state, status)
                params.update(CallbackSource="call-progress-events",
                              SequenceNumber=str(sequence), Timestamp=rfc2822(self._clock()),
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

    def _set_call(self, state: CallState, gen: int, *, status: str,
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
