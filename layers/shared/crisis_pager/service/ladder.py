"""The ladder's steps, as the state machine runs them.

DynamoDB is the truth and Step Functions the timer: after every wake-up or timeout the
state machine calls :func:`advance`, which reads the incident and decides what happens
next. Paging claims the rung with a conditional write first, so an acceptance racing a
timeout can never lead to a page after the acceptance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..domain import messages
from ..domain.errors import InvalidItem, SendAborted
from ..domain.incident import PAGE_LEASE_S, Channel, Incident, Page, Status
from ..domain.ladder import Rung, RungKind
from ..domain.program import Clinician, Program
from ..domain.rota import Gap, OnCall
from ..domain.schedule import on_call as schedule_on_call
from .delivery import UNSUBSCRIBED, Deps, PagingLease, call_clinician
from .delivery import opted_out as record_opt_out
from .lookups import program_or_none
from .ports import (
    Alerts,
    Clock,
    Directory,
    Incidents,
    Sms,
    SmsError,
    Timeline,
)


class IncidentMissing(Exception):
    def __init__(self, incident_id: str) -> None:
        super().__init__(f"incident {incident_id} does not exist")


@dataclass(frozen=True)
class Step:
    """What the ladder does next: the `Route` choice reads `action`."""

    action: str  # page | referral | accepted | resolved | exhausted
    position: int
    rung: Rung | None = None
    clinician_id: str | None = None
    skipped: tuple[str, ...] = field(default_factory=tuple)

    def to_output(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "position": self.position,
            "rung": self.rung.to_input() if self.rung else None,
            "clinician_id": self.clinician_id,
            "skipped": list(self.skipped),
        }


def get_incident(incidents: Incidents, incident_id: str) -> Incident:
    incident = incidents.get(incident_id)
    if incident is None:
        raise IncidentMissing(incident_id)
    return incident


def resolve_on_call(
    directory: Directory, program_id: str, role: str, clock: Clock
) -> tuple[Clinician, OnCall] | Gap:
    """Who answers for a role now, or an explicit gap. Malformed items are gaps."""
    try:
        on_call = schedule_on_call(directory.schedule(program_id), role, clock.now())
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
) -> Step:
    incident = get_incident(incidents, incident_id)
    if incident.status is Status.ACCEPTED:
        return Step("accepted", position)
    if incident.status is Status.RESOLVED:
        return Step("resolved", position)

    ladder = [Rung.from_input(r) for r in rungs]
    skipped: list[str] = []
    pos = position
    while True:
        pos += 1
        if pos >= len(ladder):
            timeline.append(incident_id, clock.now(), "ladder_exhausted", position=pos)
            return Step("exhausted", pos, skipped=tuple(skipped))
        rung = ladder[pos]
        if rung.kind is RungKind.REFERRAL:
            return Step("referral", pos, rung, skipped=tuple(skipped))
        found = resolve_on_call(directory, incident.program_id, rung.target, clock)
        if isinstance(found, Gap):
            _record_gap(incident, pos, rung, found, timeline, directory, alerts, clock)
            skipped.append(rung.target)
            continue
        clinician, _ = found
        return Step("page", pos, rung, clinician.clinician_id, tuple(skipped))


def _record_gap(
    incident: Incident,
    pos: int,
    rung: Rung,
    gap: Gap,
    timeline: Timeline,
    directory: Directory,
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
    program = program_or_none(directory, incident.program_id)
    name = program.display_name if program else incident.program_id
    alerts.publish(
        incident.program_id,
        f"crisis-pager: rota gap in {name}",
        messages.rota_gap_alert(name, incident.code, rung.target, gap.reason),
    )


@dataclass(frozen=True)
class PageResult:
    outcome: str  # sent | called | already_sent | closed | failed | not_on_call
    position: int
    error_code: int | None = None
    code: str | None = None  # the code the clinician replies with


def page_rung(
    incident_id: str,
    position: int,
    target: str,
    clinician_id: str,
    task_token: str,
    deps: Deps,
    *,
    sms: Sms,
    window_s: int | None = None,
) -> PageResult:
    """Page one rung: an SMS that asks for delivery reports (a voice call when the
    clinician opted out of SMS, or when Twilio refuses the SMS), under the paging lease."""
    incidents, timeline, clock = deps.incidents, deps.timeline, deps.clock
    incident = get_incident(incidents, incident_id)

    def give_up(outcome: str, error_code: int | None = None) -> PageResult:
        # Nothing to wait for: wake the rung now instead of letting it time out.
        deps.ladder.wake(task_token, {"result": outcome})
        return PageResult(outcome, position, error_code)

    if not incident.is_open:
        return give_up("closed")
    try:
        program = deps.directory.program(incident.program_id)
        clinician = deps.directory.clinician(clinician_id)
    except InvalidItem as exc:
        timeline.append(incident_id, clock.now(), "page_failed", position=position, reason=str(exc))
        return give_up("failed")
    if program is None or clinician is None:
        timeline.append(
            incident_id, clock.now(), "page_failed", position=position,
            reason="the program or clinician item disappeared",
        )
        return give_up("failed")
    now = clock.now()
    lease = now + timedelta(seconds=PAGE_LEASE_S)
    if not incidents.claim_rung(incident_id, position, target, clinician_id, task_token, lease):
        return give_up("closed")  # accepted (or resolved) since the ladder decided to page
    try:
        return _send_page(incident, program, clinician, position, target, task_token, now,
                          deps, sms=sms, window_s=window_s)
    finally:
        incidents.release_rung(incident_id, position)


def _send_page(
    incident: Incident, program: Program, clinician: Clinician, position: int, target: str,
    task_token: str, now: datetime, deps: Deps, *, sms: Sms, window_s: int | None,
) -> PageResult:
    incidents, timeline, clock = deps.incidents, deps.timeline, deps.clock
    incident_id, clinician_id = incident.incident_id, clinician.clinician_id
    code = incidents.claim_page_code(clinician.phone, clinician_id, incident.code, incident_id,
                                     now)
    opted_out = deps.opt_outs is not None and deps.opt_outs.opted_out(clinician.phone)
    channel = Channel.VOICE if opted_out else Channel.SMS
    page = Page(incident_id, position, target, clinician_id, clinician.phone, code, now,
                channel=channel, task_token=task_token)
    if not incidents.record_page(page):
        stored = incidents.page_for(incident_id, position)
        if stored is not None and (stored.message_sid or stored.calling):
            # A retried invocation: the page went out; the claim above moved the token.
            return PageResult("already_sent", position, code=stored.code)
    if channel is Channel.VOICE:
        timeline.append(incident_id, clock.now(), "sms_skipped", position=position,
                        clinician_id=clinician_id, reason="the clinician opted out of SMS")
        called = call_clinician(page, "opted out of SMS", deps)
        return PageResult("called" if called == "calling" else called, position, code=code)
    if incident.status is Status.REFERRED:
        body = messages.referral_repage_sms(program.display_name, code, program.hotline_number)
    else:
        body = messages.page_sms(program.display_name, incident.severity, code,
                                 program.hotline_number)
    guard = PagingLease(incidents, incident_id, position, clock)
    try:
        sid = sms.send(clinician.phone, body, page=(incident_id, position),
                       validity_s=window_s, guard=guard)
    except SendAborted:
        deps.ladder.wake(task_token, {"result": "closed"})
        return PageResult("closed", position, code=code)
    except SmsError as exc:
        timeline.append(
            incident_id, clock.now(), "page_failed", position=position, target=target,
            clinician_id=clinician_id, error_code=exc.code, reason=str(exc),
        )
        incidents.mark_sms_failed(incident_id, position, clock.now(), exc.code)
        if exc.code == UNSUBSCRIBED:
            record_opt_out(clinician.phone, f"Twilio error {UNSUBSCRIBED}", deps)
        called = call_clinician(page, "SMS refused by Twilio", deps)
        return PageResult("failed" if called != "calling" else "called", position, exc.code,
                          code=code)
    incidents.set_page_sent(incident_id, position, sid)
    timeline.append(
        incident_id, now, "paged", position=position, target=target,
        clinician_id=clinician_id, message_sid=sid, code=code,
    )
    return PageResult("sent", position, code=code)
