"""The ladder's steps, as the state machine runs them.

DynamoDB is the truth and Step Functions the timer: after every wake-up or timeout the
state machine calls :func:`advance`, which reads the incident and decides what happens
next. paging.py pages a rung, claiming it with a conditional write first, so an acceptance
racing a timeout can never lead to a page after the acceptance.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from ..domain import messages
from ..domain.errors import InvalidItem
from ..domain.hours import DEFAULT_BUSINESS_HOURS, BusinessHours, parse_business_hours
from ..domain.incident import (
    FOLLOW_UP_BASE,
    FOLLOW_UP_START,
    Incident,
    Status,
)
from ..domain.ladder import MIN_WINDOW_S, Rung, RungKind
from ..domain.program import Clinician, Program
from ..domain.rota import Gap, OnCall
from ..domain.schedule import Schedule
from ..domain.schedule import on_call as schedule_on_call
from .intake import ladder_input
from .ports.clock import Clock
from .ports.directory import Directory
from .ports.incidents import Incidents
from .ports.ladder import Ladder
from .ports.messaging import Alerts
from .ports.timeline import Timeline


class IncidentMissing(Exception):
    def __init__(self, incident_id: str) -> None:
        super().__init__(f"incident {incident_id} does not exist")


# What the ladder does next. The state machine's Route choice reads it: `page`, `referral`,
# `wait`, `accepted`, `resolved` and `follow_up_closed` each have their branch; `exhausted`
# (no rung left) takes the default, the end.
Action = Literal["page", "referral", "accepted", "resolved", "exhausted", "wait",
                 "follow_up_closed"]
@dataclass(frozen=True)
class Step:
    """What the ladder does next: the `Route` choice reads `action`.

    ``wait``: the ladder sleeps ``wait_s`` seconds (a business-hours task before the
    program opens, or a follow-up not yet due), then asks again from ``position``.
    ``due_by``/``due_for``: the deadline of the business-days rung at ``due_for``, fixed
    when that rung became due, carried across the wait.
    """

    action: Action
    position: int
    rung: Rung | None = None
    clinician_id: str | None = None
    skipped: tuple[str, ...] = field(default_factory=tuple)
    wait_s: int | None = None
    due_by: str | None = None
    due_for: int | None = None

    def to_output(self) -> dict[str, Any]:
        rung = None
        if self.rung is not None:
            rung = {**self.rung.to_input(), "voice": self.rung.voice}
        return {
            "action": self.action,
            "position": self.position,
            "rung": rung,
            "clinician_id": self.clinician_id,
            "skipped": list(self.skipped),
            "wait_s": self.wait_s,
            "due_by": self.due_by,
            "due_for": self.due_for,
        }


def get_incident(incidents: Incidents, incident_id: str) -> Incident:
    incident = incidents.get(incident_id)
    if incident is None:
        raise IncidentMissing(incident_id)
    return incident


def resolve_on_call(
    directory: Directory, program_id: str, role: str, clock: Clock,
    schedule: Callable[[], Schedule] | None = None,
) -> tuple[Clinician, OnCall] | Gap:
    """Who answers for a role now, or an explicit gap. Malformed items are gaps.
    ``schedule``: the program's schedule when the caller has read it already."""
    try:
        read = schedule() if schedule is not None else directory.schedule(program_id)
        on_call = schedule_on_call(read, role, clock.now())
        if isinstance(on_call, Gap):
            return on_call
        clinician = directory.clinician(on_call.clinician_id)
        if clinician is None:
            return Gap(f"'{on_call.clinician_id}' is on call but has no clinician item")
        return clinician, on_call
    except InvalidItem as exc:
        return Gap(str(exc))


def advance(
    incident_id: str,
    position: int,
    rungs: list[dict[str, Any]],
    *,
    incidents: Incidents,
    timeline: Timeline,
    directory: Directory,
    alerts: Alerts,
    clock: Clock,
    step: dict[str, Any] | None = None,
) -> Step:
    """The next step after ``position``. ``step`` is the previous step's output (its
    ``due_by`` survives a wait for business hours)."""
    incident = get_incident(incidents, incident_id)
    ladder = [Rung.from_input(r) for r in rungs]
    if position >= FOLLOW_UP_START:  # the follow-up's own execution
        return _follow_up_step(incident, position, ladder, step or {}, incidents=incidents,
                               timeline=timeline, directory=directory, alerts=alerts,
                               clock=clock)
    closed = _closed_step(incident, position, step or {})
    if closed is not None:
        return closed
    found = _next_rung(incident, position, ladder, 0, step or {}, timeline=timeline,
                       directory=directory, alerts=alerts, clock=clock)
    if found.action != "exhausted":
        return found
    # The execution ends here. Recorded first, conditionally: an acceptance written before
    # it is this execution's to tell the hotline; one written after it starts its own
    # (notify_accepted_after_the_ladder). Either way the hotline hears `accepted` once.
    if not incidents.end_ladder(incident_id, clock.now()):
        return _closed_step(get_incident(incidents, incident_id), position, step or {}) or found
    timeline.append(incident_id, clock.now(), "ladder_exhausted", position=found.position)
    return found


def _closed_step(incident: Incident, position: int, step: dict[str, Any]) -> Step | None:
    """The step for an incident no longer open, or None while it is."""
    # An incident accepted and then resolved before this step (A then R at once) was
    # accepted: the hotline hears `accepted`; a resolution after an acceptance is on the
    # timeline only.
    if incident.status is Status.ACCEPTED or (
            incident.status is Status.RESOLVED and incident.accepted_at is not None):
        if incident.ladder_ended_at is not None and step.get("action") != NOTIFY_ACCEPTED:
            # This ladder had ended (a retried last step): the acceptance's own execution
            # tells the hotline, not this one.
            return Step("exhausted", position)
        return Step("accepted", position)
    if incident.status is Status.RESOLVED:
        return Step("resolved", position)
    return None


NOTIFY_ACCEPTED = "notify_accepted"  # the first step of an acceptance's own execution


def accepted_execution(incident_id: str) -> str:
    return f"{incident_id}-accepted"


def notify_accepted_after_the_ladder(incident: Incident, ladder: Ladder) -> bool:
    """An acceptance after the ladder ended: start an execution that only tells the
    hotline (its Advance routes straight to NotifyAccepted). Idempotent: the execution is
    named after the incident, so a repeated reply can call it again."""
    if incident.ladder_ended_at is None or incident.accepted_at is None:
        return False
    payload = {**ladder_input(incident),
               "step": {"action": NOTIFY_ACCEPTED, "position": incident.position}}
    ladder.start(incident.incident_id, payload, name=accepted_execution(incident.incident_id))
    return True


def _follow_up_step(
    incident: Incident, position: int, ladder: list[Rung], step: dict[str, Any], *,
    incidents: Incidents, timeline: Timeline, directory: Directory, alerts: Alerts,
    clock: Clock,
) -> Step:
    """The follow-up's own execution: sleep until it is due; if it is still open then,
    page its escalation rungs (business-hours tasks for the supervisor)."""
    if not incident.pageable(max(position, FOLLOW_UP_BASE)):
        return Step("follow_up_closed", position)  # done, or taken over by the supervisor
    now = clock.now()
    due = incident.follow_up_due_at
    assert due is not None  # pageable: the follow-up is open
    if now < due:
        return Step("wait", position, wait_s=_seconds_until(now, due))
    if position == FOLLOW_UP_START and step.get("due_for") is None:
        timeline.append(
            incident.incident_id, now, "follow_up_overdue", due_at=due.isoformat(),
            owner=incident.follow_up_owner, attempts=len(incident.follow_up_attempts),
        )
    return _next_rung(incident, position, ladder, FOLLOW_UP_BASE, step, timeline=timeline,
                      directory=directory, alerts=alerts, clock=clock)


def _next_rung(
    incident: Incident, position: int, ladder: list[Rung], base: int, step: dict[str, Any],
    *, timeline: Timeline, directory: Directory, alerts: Alerts, clock: Clock,
) -> Step:
    """The first rung after ``position`` that has someone to page (``base``: the position
    of ``ladder[0]``); gaps are skipped, recorded and alerted."""
    skipped: list[str] = []
    # Read at most once per step, whatever the rungs and gaps ask of them.
    schedule = functools.cache(lambda: directory.schedule(incident.program_id))
    program = functools.cache(lambda: directory.program(incident.program_id))
    pos = position
    while True:
        pos += 1
        if pos - base >= len(ladder):
            if base:  # the follow-up's own execution (the crisis ladder's: advance)
                timeline.append(incident.incident_id, clock.now(), "ladder_exhausted",
                                position=pos)
            return Step("exhausted", pos, skipped=tuple(skipped))
        rung = ladder[pos - base]
        if rung.kind is RungKind.REFERRAL:
            return Step("referral", pos, rung, skipped=tuple(skipped))
        if rung.business_days:
            now = clock.now()
            hours = business_hours(program(), rung.target, schedule)
            carried = step.get("due_by") if step.get("due_for") == pos else None
            due_by = (datetime.fromisoformat(carried) if carried
                      else hours.close_of_business_day_after(now, rung.business_days))
            if not hours.is_open(now):
                # Wait for the program to open; the deadline stays the one fixed now.
                return Step("wait", pos - 1, skipped=tuple(skipped),
                            wait_s=_seconds_until(now, hours.next_open(now)),
                            due_by=due_by.isoformat(), due_for=pos)
            rung = dataclasses.replace(
                rung, window_s=max(MIN_WINDOW_S, _seconds_until(now, due_by)))
        found = resolve_on_call(directory, incident.program_id, rung.target, clock, schedule)
        if isinstance(found, Gap):
            _record_gap(incident, pos, rung, found, timeline, program(), alerts, clock)
            skipped.append(rung.target)
            continue
        clinician, _ = found
        return Step("page", pos, rung, clinician.clinician_id, tuple(skipped))


def _seconds_until(now: datetime, then: datetime) -> int:
    return max(1, math.ceil((then - now).total_seconds()))


def business_hours(program: Program | None, role: str,
                   schedule: Callable[[], Schedule]) -> BusinessHours:
    """The program's business hours, in its time zone, else in the time zone of the rota
    being paged (rotas always have one), else UTC. A malformed program item (None) gets
    the default hours: a task is never lost to a typo."""
    if program is not None and program.timezone:
        return program.hours(program.timezone)
    timezone = "UTC"
    try:
        rotas = schedule().rotas_for(role)
        if rotas:
            timezone = rotas[0].timezone.key
    except InvalidItem:
        pass
    if program is not None:
        return program.hours(timezone)
    return parse_business_hours(DEFAULT_BUSINESS_HOURS, timezone)


def _record_gap(
    incident: Incident,
    pos: int,
    rung: Rung,
    gap: Gap,
    timeline: Timeline,
    program: Program | None,
    alerts: Alerts,
    clock: Clock,
) -> None:
    timeline.append(
        incident.incident_id,
        clock.now(),
        "rung_skipped",
        position=pos,
        target=rung.target,
        reason=gap.reason,
    )
    name = program.display_name if program else incident.program_id
    alerts.publish(
        incident.program_id,
        f"crisis-pager: rota gap in {name}",
        messages.rota_gap_alert(name, incident.code, rung.target, gap.reason),
    )
