"""The follow-up after a crisis: the clinician who resolved a high or imminent incident
contacts the participant within 24 hours (up to 3 recorded attempts) and closes it by SMS
(``F 417 done``) or through their secure link. If it is not closed by then, its own
execution pages the supervisor like a low task: within business hours, until the end of
the next business day, a few days running."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..domain.incident import FOLLOW_UP_START, Incident, is_follow_up
from ..domain.ladder import DEFAULT_FOLLOW_UP_POLICY, parse_policy, snapshot
from ..domain.program import Program
from .ports.clock import Clock
from .ports.directory import Directory
from .ports.follow_ups import FollowUps
from .ports.incidents import Incidents
from .ports.ladder import Ladder
from .ports.timeline import Timeline


def follow_up_execution(incident_id: str) -> str:
    return f"{incident_id}-follow-up"


def follow_up_input(incident: Incident, program: Program | None) -> dict[str, Any]:
    """The follow-up execution's input: ids and its escalation rungs (the program's
    `ladder_follow_up`, frozen now; the default if the program item cannot be read)."""
    rungs = (program.follow_up_policy if program is not None
             else parse_policy(DEFAULT_FOLLOW_UP_POLICY))
    return {
        "incident_id": incident.incident_id,
        "program_id": incident.program_id,
        "severity": incident.severity.value,
        "ladder": {"rungs": snapshot(rungs)},
        "step": {"action": "start", "position": FOLLOW_UP_START},
    }


def ensure_follow_up(incident: Incident, *, directory: Directory, ladder: Ladder) -> bool:
    """Start the follow-up's timer if the incident has an open follow-up. Idempotent (the
    execution is named after the incident), so a retried reply can call it again."""
    if not incident.follow_up_open:
        return False
    program = directory.program(incident.program_id)
    ladder.start(incident.incident_id, follow_up_input(incident, program),
                      name=follow_up_execution(incident.incident_id))
    return True


FollowUpOutcome = Literal["attempt_recorded", "done", "already_done", "attempts_full",
                          "not_yours", "no_follow_up"]


@dataclass(frozen=True)
class FollowUpResult:
    outcome: FollowUpOutcome
    attempts: int | None = None  # contact attempts recorded, when one was just recorded


def record_follow_up(incident_id: str, clinician_id: str, action: str, *,
                     incidents: Incidents, follow_ups: FollowUps, timeline: Timeline,
                     ladder: Ladder, clock: Clock) -> FollowUpResult:
    """A contact attempt (``attempt``) or the follow-up done (``done``), by SMS or through
    the secure link."""
    if action not in ("attempt", "done"):
        raise ValueError(f"action must be 'attempt' or 'done', not {action!r}")
    now = clock.now()
    if action == "done":
        if follow_ups.close_follow_up(incident_id, clinician_id, now):
            current = incidents.get(incident_id)
            timeline.append(
                incident_id, now, "follow_up_done", clinician_id=clinician_id,
                attempts=len(current.follow_up_attempts) if current else None)
            if current is not None and is_follow_up(current.position) and current.task_token:
                ladder.wake(current.task_token, {"result": "follow_up_done"})
            return FollowUpResult("done")
    else:
        count = follow_ups.record_follow_up_attempt(incident_id, clinician_id, now)
        if count is not None:
            timeline.append(incident_id, now, "follow_up_attempt",
                                 clinician_id=clinician_id, attempt=count)
            return FollowUpResult("attempt_recorded", count)
    return FollowUpResult(_why_not(incidents.get(incident_id), clinician_id))


def _why_not(incident: Incident | None, clinician_id: str) -> FollowUpOutcome:
    if incident is None or incident.follow_up_due_at is None:
        return "no_follow_up"
    if incident.follow_up_done_at is not None:
        return "already_done"
    if incident.follow_up_owner != clinician_id:
        return "not_yours"
    return "attempts_full"
