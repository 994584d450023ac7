"""Opening an incident from a hotline's report, and reading one back.

The report is checked here, once, before anything is stored: its severity triaged with the
C-SSRS screen when one was sent, and its callback URL held to the callback policy. What
cannot be used raises InvalidEscalation naming the field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.callback_url import callback_url_problem
from ..domain.incident import (
    Incident,
    Severity,
    Status,
    incident_id_for,
    request_fingerprint,
)
from ..domain.ladder import snapshot
from ..domain.screener import InvalidScreener, screen_from_answers, triage
from .lookups import clinician_name
from .ports.clock import Clock
from .ports.directory import Directory
from .ports.incidents import Incidents
from .ports.ladder import Ladder
from .ports.timeline import Timeline


@dataclass(frozen=True)
class OpenEscalation:
    hotline_id: str
    event_id: str
    program_id: str
    severity: Severity | None  # as the hotline sent it; None: the screen's alone
    participant_ref: str
    summary: str
    callback_url: str | None = None
    screener: dict[str, Any] | None = None  # C-SSRS screen answers, as sent

    def triaged(self) -> Severity:
        """The incident's severity (domain.screener.triage): the screen's, unless the
        hotline said something more urgent. Raises InvalidEscalation."""
        try:
            screen = screen_from_answers(self.screener) if self.screener is not None else None
            return triage(self.severity, screen)
        except InvalidScreener as exc:
            raise InvalidEscalation("screener" if self.screener is not None else "severity",
                                    str(exc)) from None

    def fingerprint(self, severity: Severity) -> str:
        """What a retry of the same event must repeat (with the triaged severity, as
        stored)."""
        fields: dict[str, object] = {
            "program_id": self.program_id,
            "severity": severity.value,
            "participant_ref": self.participant_ref,
            "summary": self.summary,
            "callback_url": self.callback_url,
        }
        if self.screener is not None:
            fields["screener"] = dict(sorted(self.screener.items()))
        return request_fingerprint(fields)


@dataclass(frozen=True)
class Opened:
    incident: Incident
    created: bool  # False when this was a retry of an event already opened
    # The program item's malformed optional fields, read as their defaults for this crisis.
    program_problems: tuple[str, ...] = ()


class InvalidEscalation(ValueError):
    """A field of the report cannot be used; nothing was stored."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


class UnknownProgram(Exception):
    def __init__(self, program_id: str) -> None:
        super().__init__(f"program '{program_id}' is not configured in crisis-pager")
        self.program_id = program_id


class EventConflict(Exception):
    def __init__(self, event_id: str) -> None:
        super().__init__(
            f"event_id '{event_id}' was already reported with different content; "
            "a retry must send the same body, a new crisis needs a new event_id"
        )


class IncidentNotFound(Exception):
    def __init__(self, incident_id: str) -> None:
        super().__init__(f"no incident '{incident_id}' for this hotline")


def ladder_input(incident: Incident) -> dict[str, Any]:
    """The execution input: ids, severity and the frozen ladder. Nothing about the
    participant ever goes here (it is visible in the execution history)."""
    return {
        "incident_id": incident.incident_id,
        "program_id": incident.program_id,
        "severity": incident.severity.value,
        "ladder": {"rungs": list(incident.rungs)},
        "step": {"action": "start", "position": -1},
    }


def open_incident(
    cmd: OpenEscalation,
    *,
    incidents: Incidents,
    timeline: Timeline,
    directory: Directory,
    ladder: Ladder,
    clock: Clock,
    allow_http_loopback: bool = False,
) -> Opened:
    """Open the incident (once per hotline event) and start its ladder. Raises
    InvalidEscalation, UnknownProgram or EventConflict with nothing stored or paged.
    ``allow_http_loopback``: the local stack's http://127.0.0.1 callbacks."""
    severity = cmd.triaged()
    if cmd.callback_url:
        problem = callback_url_problem(cmd.callback_url, allow_http_loopback)
        if problem:
            raise InvalidEscalation("callback_url", problem)
    incident_id = incident_id_for(cmd.hotline_id, cmd.event_id)
    fingerprint = cmd.fingerprint(severity)
    program = directory.program(cmd.program_id)  # a typo on it reads as the default
    if program is None:
        existing = incidents.get(incident_id)  # opened before its program went away?
        if existing is None:
            raise UnknownProgram(cmd.program_id)
        return _replay(existing, cmd, fingerprint, ladder)

    now = clock.now()
    code = incidents.claim_code(cmd.program_id, incident_id, now)
    incident = Incident(
        incident_id=incident_id,
        hotline_id=cmd.hotline_id,
        event_id=cmd.event_id,
        program_id=cmd.program_id,
        severity=severity,
        participant_ref=cmd.participant_ref,
        summary=cmd.summary,
        code=code,
        status=Status.TRIGGERED,
        opened_at=now,
        fingerprint=fingerprint,
        callback_url=cmd.callback_url,
        rungs=tuple(snapshot(program.ladder_for(severity))),
        screener=dict(cmd.screener) if cmd.screener is not None else None,
    )
    if not incidents.create(incident):  # a retry, or a concurrent post of the same event
        winner = incidents.get(incident_id)
        assert winner is not None
        if winner.code != code:  # a claim names the incident: the same code is the winner's
            incidents.release_code(cmd.program_id, code, incident_id)
        return _replay(winner, cmd, fingerprint, ladder)

    timeline.append(
        incident_id,
        now,
        "opened",
        severity=severity.value,
        severity_from="C-SSRS screen" if cmd.screener is not None else "hotline",
        program_id=cmd.program_id,
        code=code,
        rungs=len(incident.rungs),
    )
    if program.problems:
        # Paged anyway, with those fields' defaults (a typo never refuses a crisis); the
        # audit shows which, and the rota guard has told the admins what to fix.
        timeline.append(incident_id, now, "program_defaults_used",
                        fields=sorted({p.field for p in program.problems}))
    ladder.start(incident_id, ladder_input(incident))
    return Opened(incident, created=True,
                  program_problems=tuple(str(p) for p in program.problems))


def _replay(existing: Incident, cmd: OpenEscalation, fingerprint: str,
            ladder: Ladder) -> Opened:
    """The same event again. Until its first rung is claimed, the first request may have
    stored the incident without getting the ladder going (it failed, or is still in
    flight): starting it again is safe, since the execution is named after the incident
    and Step Functions starts that name once."""
    if existing.fingerprint != fingerprint:
        raise EventConflict(cmd.event_id)
    if existing.is_open and existing.position < 0:
        ladder.start(existing.incident_id, ladder_input(existing))
    return Opened(existing, created=False)


def incident_timeline(
    incident_id: str, hotline_id: str, *, incidents: Incidents, timeline: Timeline
) -> list[dict[str, Any]]:
    """The incident's append-only timeline, oldest first, for the hotline that reported it:
    opened, each page and its delivery, calls, replies, passes, skips, the referral,
    callbacks. Entries carry ids, roles, codes and times, never participant details."""
    incident = incidents.get(incident_id)
    if incident is None or incident.hotline_id != hotline_id:
        raise IncidentNotFound(incident_id)
    return [dict(entry) for entry in timeline.entries(incident_id)]


def incident_view(
    incident_id: str, hotline_id: str, *, incidents: Incidents, directory: Directory
) -> dict[str, Any]:
    """What the hotline may see of its own incident: status and who has it, no more."""
    incident = incidents.get(incident_id)
    if incident is None or incident.hotline_id != hotline_id:
        raise IncidentNotFound(incident_id)
    accepted = None
    if incident.accepted_by and incident.accepted_at:
        accepted = {
            "clinician_id": incident.accepted_by,
            "name": clinician_name(directory, incident.accepted_by),
            "at": incident.accepted_at.isoformat(),
        }
    current = None
    if 0 <= incident.position < len(incident.rungs):
        rung = incident.rungs[incident.position]
        current = {"position": incident.position, "target": str(rung["target"])}
    return {
        "incident_id": incident.incident_id,
        "event_id": incident.event_id,
        "program_id": incident.program_id,
        "code": incident.code,
        "severity": incident.severity.value,
        "status": incident.status.value,
        "opened_at": incident.opened_at.isoformat(),
        "current_rung": current,
        "accepted": accepted,
        "referred_at": incident.referred_at.isoformat() if incident.referred_at else None,
    }
