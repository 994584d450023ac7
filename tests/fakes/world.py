"""A whole world of fakes, wired as bootstrap wires the ports, and the participant data
that must never leave it."""

from __future__ import annotations

import inspect
from typing import Any

from crisis_pager.domain.incident import (
    Status,
)
from tests.fakes.clock import FakeClock
from tests.fakes.directory import FakeDirectory
from tests.fakes.hotline import FakeHotline
from tests.fakes.incidents import FakeIncidents
from tests.fakes.ladder import FakeLadder
from tests.fakes.messaging import FakeAlerts, FakeOptOuts, FakeSms, FakeVoice
from tests.fakes.participants import FakeBriefLinks
from tests.fakes.timeline import FakeTimeline

# Participant data that must never appear in an SMS, a call, an alert or the timeline.
SUMMARY = "Participant Jane Okonkwo disclosed a plan; safety plan reviewed"
REF = "p-secret-ref-42"
PHI = (SUMMARY, REF, "Jane", "Okonkwo")  # no short names: a link token could hold one

ANA, BEN, CARO = "+15035550101", "+15035550102", "+15035550103"
ADMIN = "+15035550199"


class World:
    """Every port faked, wired as the functions wire bootstrap's (one Twilio for the page
    SMS, the calls and the admins' texts; one incident table for the incidents, pages,
    reply codes and follow-ups ports)."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.incidents = FakeIncidents()
        self.timeline = FakeTimeline()
        self.directory = FakeDirectory()
        self.ladder = FakeLadder()
        self.sms = FakeSms()
        self.voice = FakeVoice()
        self.opt_outs = FakeOptOuts()
        self.alerts = FakeAlerts()
        self.hotline = FakeHotline()
        self.links = FakeBriefLinks()
        self.answers: list[str] = []  # every SMS answer and every spoken text

    def ports_for(self, use_case: Any) -> dict[str, Any]:
        """The ports ``use_case`` takes, by the names the use cases give them."""
        ports = {
            "incidents": self.incidents, "pages": self.incidents, "codes": self.incidents,
            "follow_ups": self.incidents, "timeline": self.timeline,
            "directory": self.directory, "ladder": self.ladder, "clock": self.clock,
            "sms": self.sms, "voice": self.voice, "opt_outs": self.opt_outs,
            "alerts": self.alerts, "links": self.links,
            "base_url": lambda: "https://pager.example",
        }
        taken = inspect.signature(use_case).parameters
        return {name: port for name, port in ports.items() if name in taken}

    def open(self, event_id: str = "evt-1", severity: Any = None, summary: str = SUMMARY,
             program_id: str = "west-iop") -> Any:
        from crisis_pager.domain.incident import Severity
        from crisis_pager.service import intake

        cmd = intake.OpenEscalation(
            hotline_id="hl", event_id=event_id, program_id=program_id,
            severity=severity or Severity.HIGH, participant_ref=REF, summary=summary,
            callback_url="https://hotline.example/cb",
        )
        return intake.open_incident(cmd, incidents=self.incidents, timeline=self.timeline,
                                    directory=self.directory, ladder=self.ladder,
                                    clock=self.clock)

    def advance(self, incident_id: str, position: int, step: Any = None, *,
                execution: str | None = None) -> Any:
        """The Advance state of the execution ``execution`` (default: the incident's
        ladder; ``<id>-follow-up`` for its follow-up). ``step``: the previous Step."""
        from crisis_pager.service.ladder import advance

        rungs = self.ladder.started[execution or incident_id]["ladder"]["rungs"]
        return advance(incident_id, position, rungs, incidents=self.incidents,
                       timeline=self.timeline, directory=self.directory, alerts=self.alerts,
                       clock=self.clock, step=step.to_output() if step is not None else None)

    def page(self, incident_id: str, step: Any, token: str = "tok",
             window_s: int | None = 300) -> Any:
        from crisis_pager.service.paging import page_rung

        self.ladder.live_tokens.add(token)
        return page_rung(incident_id, step.position, step.rung.target, step.clinician_id,
                         token, window_s=window_s, **self.ports_for(page_rung))

    def reply(self, phone: str, body: str) -> Any:
        from crisis_pager.service.replies import handle_sms_reply

        outcome = handle_sms_reply(phone, body, **self.ports_for(handle_sms_reply))
        if outcome.answer:
            self.answers.append(outcome.answer)
        return outcome

    def status(self, incident_id: str, position: int, **form: str) -> str:
        from crisis_pager.service.delivery import StatusReport, handle_status

        return handle_status(incident_id, position, StatusReport.from_form(form),
                             **self.ports_for(handle_status))

    def answer_call(self, incident_id: str, position: int,
                    answered_by: str | None = "human") -> Any:
        from crisis_pager.service.voice import voice_answer

        script = voice_answer(incident_id, position, answered_by,
                              **self.ports_for(voice_answer))
        self._heard(script)
        return script

    def key(self, incident_id: str, position: int, digits: str) -> Any:
        from crisis_pager.service.voice import voice_key

        script = voice_key(incident_id, position, digits, **self.ports_for(voice_key))
        self._heard(script)
        return script

    def _heard(self, script: Any) -> None:
        self.answers.extend([*script.say, *script.then])
        if script.gather:
            self.answers.append(script.gather)

    def started(self, event_id: str = "evt-1", token: str = "t0",
                **kw: Any) -> tuple[str, str]:
        """Open an incident and page its first rung: (incident id, the code it was paged
        with)."""
        opened = self.open(event_id, **kw)
        iid = opened.incident.incident_id
        result = self.page(iid, self.advance(iid, -1), token=token)
        return iid, result.code

    def status_of(self, incident_id: str) -> Status:
        incident = self.incidents.get(incident_id)
        assert incident is not None
        return incident.status

    def everything_said(self) -> str:
        """All text that left the system or was recorded: SMS, calls, answers, alerts,
        timeline details and ladder inputs."""
        return repr([self.sms.messages, self.voice.calls, self.answers, self.alerts.published,
                     self.timeline.rows, self.ladder.started, self.ladder.woken,
                     self.hotline.posted])

    def assert_no_phi(self) -> None:
        text = self.everything_said()
        for secret in PHI:
            assert secret not in text, f"participant data {secret!r} leaked"
