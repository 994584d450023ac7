"""Paging one rung: its SMS under the paging lease (or a voice call when the clinician opted
out of SMS, or when Twilio refuses the SMS; both at once on a +voice rung), the code the
clinician replies with, and what the rung's wait is then woken with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ..domain import messages
from ..domain.errors import InvalidItem, SendAborted, SmsError
from ..domain.incident import (
    FOLLOW_UP_ATTEMPTS,
    PAGE_LEASE_S,
    Channel,
    Incident,
    Page,
    Status,
    is_follow_up,
)
from ..domain.program import Clinician, Program
from .delivery import UNSUBSCRIBED, Deps, PagingLease, call_clinician
from .delivery import opted_out as record_opt_out
from .ladder import get_incident
from .lookups import clinician_name
from .ports.messaging import Sms

# How a rung's page went (page_rung): its SMS ``sent``, ``called`` instead (or also),
# ``already_sent`` by a retried invocation, ``closed`` (no longer pageable), ``failed``; or
# what the fallback call said when it could not be placed (delivery.CallOutcome).
PageOutcome = Literal["sent", "called", "already_sent", "closed", "failed", "moved_on",
                      "already_calling"]


@dataclass(frozen=True)
class PageResult:
    outcome: PageOutcome
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
    voice: bool = False,
) -> PageResult:
    """Page one rung: an SMS that asks for delivery reports (a voice call when the
    clinician opted out of SMS, or when Twilio refuses the SMS), under the paging lease.
    ``voice`` (a +voice rung): the SMS and a voice call at once."""
    incidents, timeline, clock = deps.incidents, deps.timeline, deps.clock
    incident = get_incident(incidents, incident_id)

    def give_up(outcome: PageOutcome, error_code: int | None = None) -> PageResult:
        # Nothing to wait for: wake the rung now instead of letting it time out.
        deps.ladder.wake(task_token, {"result": outcome})
        return PageResult(outcome, position, error_code)

    if not incident.pageable(position):
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
                          deps, sms=sms, window_s=window_s, voice=voice)
    finally:
        incidents.release_rung(incident_id, position, clock.now())


def _send_page(
    incident: Incident, program: Program, clinician: Clinician, position: int, target: str,
    task_token: str, now: datetime, deps: Deps, *, sms: Sms, window_s: int | None,
    voice: bool = False,
) -> PageResult:
    incidents, timeline, clock = deps.incidents, deps.timeline, deps.clock
    incident_id, clinician_id = incident.incident_id, clinician.clinician_id
    code = incidents.claim_page_code(clinician.phone, clinician_id, incident.code, incident_id,
                                     now)
    opted_out = deps.opt_outs is not None and deps.opt_outs.opted_out(clinician.phone)
    if opted_out:  # the call only, +voice or not
        channel = Channel.VOICE
    else:
        channel = Channel.SMS_AND_VOICE if voice else Channel.SMS
    page = Page(incident_id, position, target, clinician_id, clinician.phone, code, now,
                channel=channel, task_token=task_token)
    if not incidents.record_page(page):
        stored = incidents.page_for(incident_id, position)
        if stored is not None and (stored.message_sid or stored.calling):
            # A retried invocation: the page went out; the claim above moved the token.
            if (stored.channel is Channel.SMS_AND_VOICE and stored.message_sid
                    and not stored.calling):  # the SMS went, the call did not yet
                call_clinician(stored, "SMS and voice at once", deps)
            return PageResult("already_sent", position, code=stored.code)
    if channel is Channel.VOICE:
        timeline.append(incident_id, clock.now(), "sms_skipped", position=position,
                        clinician_id=clinician_id, reason="the clinician opted out of SMS")
        called = call_clinician(page, "opted out of SMS", deps)
        return PageResult("called" if called == "calling" else called, position, code=code)
    if is_follow_up(position):
        body = messages.follow_up_overdue_sms(
            program.display_name, code,
            clinician_name(deps.directory, incident.follow_up_owner or "")
            or "the clinician who resolved it",
            len(incident.follow_up_attempts), FOLLOW_UP_ATTEMPTS)
    elif incident.status is Status.REFERRED:
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
    if channel is Channel.SMS_AND_VOICE:
        # The call at once. It does not move the ladder on when it ends unanswered while
        # the SMS stands (delivery._call_status): the clinician may still reply to it.
        call_clinician(page, "SMS and voice at once", deps)
    return PageResult("sent", position, code=code)
