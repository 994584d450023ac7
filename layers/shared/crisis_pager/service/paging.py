"""Paging one rung: its SMS under the paging lease (or a voice call when the clinician opted
out of SMS, or when Twilio refuses the SMS; both at once on a +voice rung), the code the
clinician replies with, and what the rung's wait is then woken with."""

from __future__ import annotations

import functools
from collections.abc import Callable
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
from .delivery import UNSUBSCRIBED, CallOutcome, PagingLease, call_clinician
from .delivery import opted_out as record_opt_out
from .lookups import clinician_name
from .ports.clock import Clock
from .ports.codes import ReplyCodes
from .ports.directory import DirectoryIndex
from .ports.incidents import Incidents
from .ports.ladder import Ladder
from .ports.messaging import Alerts, OptOuts, Sms, Voice
from .ports.pages import Pages
from .ports.timeline import Timeline

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
    *,
    incidents: Incidents,
    pages: Pages,
    codes: ReplyCodes,
    timeline: Timeline,
    directory: DirectoryIndex,
    ladder: Ladder,
    clock: Clock,
    sms: Sms,
    voice: Voice,
    opt_outs: OptOuts,
    alerts: Alerts,
    window_s: int | None = None,
    call_at_once: bool = False,
) -> PageResult:
    """Page one rung: an SMS that asks for delivery reports (a voice call when the
    clinician opted out of SMS, or when Twilio refuses the SMS), under the paging lease.
    ``call_at_once`` (a +voice rung): the SMS and a voice call at once. ``sms`` also
    carries the admins' alert texts when Twilio reports the clinician opted out."""

    def give_up(outcome: PageOutcome, error_code: int | None = None) -> PageResult:
        # Nothing to wait for: wake the rung now instead of letting it time out.
        ladder.wake(task_token, {"result": outcome})
        return PageResult(outcome, position, error_code)

    # The claim first: it is the check that the incident is still open and not past this
    # rung, and it answers the incident, so nothing is read before it.
    now = clock.now()
    lease = now + timedelta(seconds=PAGE_LEASE_S)
    incident = pages.claim_rung(incident_id, position, target, clinician_id, task_token, lease)
    if incident is None:
        return give_up("closed")  # accepted (or resolved) since the ladder decided to page
    result: PageResult | None = None
    try:
        try:
            program, clinician = directory.program_and_clinician(incident.program_id,
                                                                 clinician_id)
        except InvalidItem as exc:
            timeline.append(incident_id, clock.now(), "page_failed", position=position,
                            reason=str(exc))
            return give_up("failed")
        if program is None or clinician is None:
            timeline.append(
                incident_id, clock.now(), "page_failed", position=position,
                reason="the program or clinician item disappeared",
            )
            return give_up("failed")
        call = functools.partial(call_clinician, incidents=incidents, pages=pages,
                                 voice=voice, timeline=timeline, ladder=ladder, clock=clock)

        def opt_out(phone: str, via: str) -> None:
            record_opt_out(phone, via, opt_outs=opt_outs, directory=directory, alerts=alerts,
                           sms=sms, clock=clock)

        result = _send_page(incident, program, clinician, position, target, task_token, now,
                            pages=pages, codes=codes, timeline=timeline, directory=directory,
                            ladder=ladder, clock=clock, sms=sms, call=call, opt_out=opt_out,
                            sms_opted_out=opt_outs.opted_out(clinician.phone), lease=lease,
                            window_s=window_s, call_at_once=call_at_once)
        return result
    finally:
        if result is None or result.outcome != "sent":  # "sent" ended it with the SMS's id
            pages.release_rung(incident_id, position, clock.now())


def _send_page(
    incident: Incident, program: Program, clinician: Clinician, position: int, target: str,
    task_token: str, now: datetime, *, pages: Pages, codes: ReplyCodes, timeline: Timeline,
    directory: DirectoryIndex, ladder: Ladder, clock: Clock, sms: Sms,
    call: Callable[[Page, str], CallOutcome], opt_out: Callable[[str, str], None],
    sms_opted_out: bool, lease: datetime, window_s: int | None, call_at_once: bool,
) -> PageResult:
    incident_id, clinician_id = incident.incident_id, clinician.clinician_id
    code = codes.claim_page_code(clinician.phone, clinician_id, incident.code, incident_id, now)
    if sms_opted_out:  # the call only, +voice or not
        channel = Channel.VOICE
    else:
        channel = Channel.SMS_AND_VOICE if call_at_once else Channel.SMS
    page = Page(incident_id, position, target, clinician_id, clinician.phone, code, now,
                channel=channel, task_token=task_token, program_name=program.display_name,
                hotline_number=program.hotline_number)
    if not pages.record_page(page):
        stored = pages.page_for(incident_id, position)
        if stored is not None and (stored.message_sid or stored.calling):
            # A retried invocation: the page went out; the claim above moved the token.
            if (stored.channel is Channel.SMS_AND_VOICE and stored.message_sid
                    and not stored.calling):  # the SMS went, the call did not yet
                call(stored, "SMS and voice at once")
            return PageResult("already_sent", position, code=stored.code)
    if channel is Channel.VOICE:
        timeline.append(incident_id, clock.now(), "sms_skipped", position=position,
                        clinician_id=clinician_id, reason="the clinician opted out of SMS")
        called = call(page, "opted out of SMS")
        return PageResult("called" if called == "calling" else called, position, code=code)
    if is_follow_up(position):
        body = messages.follow_up_overdue_sms(
            program.display_name, code,
            clinician_name(directory, incident.follow_up_owner or "")
            or "the clinician who resolved it",
            len(incident.follow_up_attempts), FOLLOW_UP_ATTEMPTS)
    elif incident.status is Status.REFERRED:
        body = messages.referral_repage_sms(program.display_name, code, program.hotline_number)
    else:
        body = messages.page_sms(program.display_name, incident.severity, code,
                                 program.hotline_number)
    # The claim's lease covers the first attempt; the lease is kept between attempts and
    # ends with the SMS's id (set_page_sent), or in page_rung when no SMS went out.
    guard = PagingLease(pages, incident_id, position, clock, held_until=lease, hold=True)
    try:
        sid = sms.send(clinician.phone, body, page=(incident_id, position),
                       validity_s=window_s, guard=guard)
    except SendAborted:
        ladder.wake(task_token, {"result": "closed"})
        return PageResult("closed", position, code=code)
    except SmsError as exc:
        timeline.append(
            incident_id, clock.now(), "page_failed", position=position, target=target,
            clinician_id=clinician_id, error_code=exc.code, reason=str(exc),
        )
        pages.mark_sms_failed(incident_id, position, clock.now(), exc.code)
        if exc.code == UNSUBSCRIBED:
            opt_out(clinician.phone, f"Twilio error {UNSUBSCRIBED}")
        called = call(page, "SMS refused by Twilio")
        return PageResult("failed" if called != "calling" else "called", position, exc.code,
                          code=code)
    timeline.append(
        incident_id, now, "paged", position=position, target=target,
        clinician_id=clinician_id, message_sid=sid, code=code,
    )
    pages.set_page_sent(incident_id, position, sid, released_at=clock.now())
    if channel is Channel.SMS_AND_VOICE:
        # The call at once. It does not move the ladder on when it ends unanswered while
        # the SMS stands (delivery._call_status): the clinician may still reply to it.
        call(page, "SMS and voice at once")
    return PageResult("sent", position, code=code)
