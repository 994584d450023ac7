"""A clinician's SMS reply: what it does, and the answer they get back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain import messages
from ..domain.errors import InvalidItem
from ..domain.incident import PAGE_LEASE_S, AcceptOutcome, Incident, seconds_between
from ..domain.program import Program
from ..domain.replies import Accept, parse_reply
from .ports import Clock, Directory, Incidents, Ladder, Timeline


@dataclass(frozen=True)
class ReplyOutcome:
    answer: str  # the SMS answer (PHI-free)
    outcome: str  # accepted | already_yours | taken | closed | unknown_code | unrecognised
    incident_id: str | None = None
    seconds_to_accept: float | None = None
    position: int | None = None


def handle_sms_reply(
    from_phone: str,
    body: str,
    *,
    incidents: Incidents,
    timeline: Timeline,
    directory: Directory,
    ladder: Ladder,
    clock: Clock,
) -> ReplyOutcome:
    reply = parse_reply(body)
    if not isinstance(reply, Accept):
        return ReplyOutcome(messages.help_reply(), "unrecognised")
    page = incidents.find_page(from_phone, reply.code)
    incident = incidents.get(page.incident_id) if page else None
    if page is None or incident is None:
        return ReplyOutcome(messages.unknown_code_reply(reply.code), "unknown_code")

    program = _program(directory, incident)
    hotline_number = program.hotline_number if program else "the hotline"
    display = program.display_name if program else incident.program_id
    now = accept_when_no_page_in_flight(incidents, incident.incident_id, page.clinician_id, clock)
    if now is not None:
        timeline.append(
            incident.incident_id, now, "accepted", clinician_id=page.clinician_id,
            via="sms", page_position=page.position,
        )
        current = incidents.get(incident.incident_id)
        if current is not None and current.task_token:
            # Wake the rung now waiting. If it has just timed out instead, the next
            # step reads the acceptance from the table and stops the ladder all the same.
            ladder.wake(current.task_token, {"result": "accepted"})
        return ReplyOutcome(
            messages.accepted_reply(display, incident.code, hotline_number),
            "accepted",
            incident.incident_id,
            seconds_between(incident.opened_at, now),
            current.position if current else incident.position,
        )

    current = incidents.get(incident.incident_id) or incident
    if current.accepted_by == page.clinician_id:
        return ReplyOutcome(
            messages.already_yours_reply(incident.code, hotline_number), "already_yours",
            incident.incident_id,
        )
    if current.accepted_by:
        return ReplyOutcome(
            messages.taken_reply(incident.code, _name(directory, current.accepted_by)),
            "taken", incident.incident_id,
        )
    return ReplyOutcome(messages.closed_reply(incident.code), "closed", incident.incident_id)


PAGE_IN_FLIGHT_POLL_S = 0.05


def accept_when_no_page_in_flight(
    incidents: Incidents, incident_id: str, clinician_id: str, clock: Clock
) -> datetime | None:
    """Accept, waiting while another rung's SMS is being sent (at most its lease), so the
    acceptance is ordered after every page that was already going out. Returns the
    instant of acceptance, or None when the incident was no longer open."""
    deadline = clock.now() + timedelta(seconds=PAGE_LEASE_S + 1)
    while True:
        now = clock.now()
        outcome = incidents.accept(incident_id, clinician_id, now)
        if outcome is AcceptOutcome.ACCEPTED:
            return now
        if outcome is AcceptOutcome.NOT_OPEN or now > deadline:
            return None
        clock.wait(PAGE_IN_FLIGHT_POLL_S)


def _program(directory: Directory, incident: Incident) -> Program | None:
    try:
        return directory.program(incident.program_id)
    except InvalidItem:
        return None


def _name(directory: Directory, clinician_id: str) -> str:
    try:
        clinician = directory.clinician(clinician_id)
    except InvalidItem:
        clinician = None
    return clinician.name if clinician else "another clinician"
