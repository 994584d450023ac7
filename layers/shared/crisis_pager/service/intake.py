"""Opening an incident from a hotline's report, and reading one back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.incident import (
    Incident,
    Severity,
    Status,
    incident_id_for,
    request_fingerprint,
)
from ..domain.ladder import snapshot
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
    severity: Severity
    participant_ref: str
    summary: str
    callback_url: str | None = None
    screener: dict[str, bool] | None = None  # C-SSRS screen answers (severity came from it)

    def fingerprint(self) -> str:
        fields: dict[str, object] = {
            "program_id": self.program_id,
            "severity": self.severity.value,
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
) -> Opened:
    incident_id = incident_id_for(cmd.hotline_id, cmd.event_id)
    fingerprint = cmd.fingerprint()
    existing = incidents.get(incident_id)
    if existing is not None:
        return _replay(existing, cmd, fingerprint, incidents, ladder)

    program = directory.program(cmd.program_id)  # a typo on it reads as the default
    if program is None:
        raise UnknownProgram(cmd.program_id)

    now = clock.now()
    code = incidents.claim_code(cmd.program_id, incident_id, now)
    incident = Incident(
        incident_id=incident_id,
        hotline_id=cmd.hotline_id,
        event_id=cmd.event_id,
        program_id=cmd.program_id,
        severity=cmd.severity,
        participant_ref=cmd.participant_ref,
        summary=cmd.summary,
        code=code,
        status=Status.TRIGGERED,
        opened_at=now,
        fingerprint=fingerprint,
        callback_url=cmd.callback_url,
        rungs=tuple(snapshot(program.ladder_for(cmd.severity))),
        screener=dict(cmd.screener) if cmd.screener is not None else None,
    )
    if not incidents.create(incident):  # a concurrent post of the same event won
        incidents.release_code(cmd.program_id, code, incident_id)
        winner = incidents.get(incident_id)
        assert winner is not None
        return _replay(winner, cmd, fingerprint, incidents, ladder)

    timeline.append(
        incident_id,
        now,
        "opened",
        severity=cmd.severity.value,
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
    _start(incident, incidents, ladder)
    return Opened(incident, created=True,
                  program_problems=tuple(str(p) for p in program.problems))


def _replay(
    existing: Incident,
    cmd: OpenEscalation,
    fingerprint: str,
    incidents: Incidents,
    ladder: Ladder,
) -> Opened:
    if existing.fingerprint != fingerprint:
        raise EventConflict(cmd.event_id)
    if not existing.ladder_started:
        # The first request stored the incident but did not get the ladder going (it
        # failed or is still in flight): starting under the same execution name is safe.
        _start(existing, incidents, ladder)
    return Opened(existing, created=False)


def _start(incident: Incident, incidents: Incidents, ladder: Ladder) -> None:
    ladder.start(incident.incident_id, ladder_input(incident))
    incidents.mark_ladder_started(incident.incident_id)


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
