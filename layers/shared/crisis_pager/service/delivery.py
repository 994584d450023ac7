"""Getting a page to a person: the SMS, its delivery reports, the voice-call fallback, the
call's conversation, and opt-outs (STOP).

A rung's page ends well one of two ways: a person accepts (or passes), or the ladder moves
on at once. So a page that cannot reach the handset (Twilio reports ``failed`` or
``undelivered``, or refuses it outright) is followed by a voice call to the same clinician;
and a call nobody answers, that a machine answers, or that ends without a key, wakes the
rung's task token so the next rung is paged without waiting out the window. Every step is
a conditional write on the page, so a duplicated or replayed report changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ..domain import messages
from ..domain.errors import SendAborted, SmsError
from ..domain.incident import (
    CALL_ENDED,
    PAGE_LEASE_S,
    SEND_TIMEOUT_S,
    SMS_FAILED,
    AcceptOutcome,
    Channel,
    Closed,
    Incident,
    Page,
    is_follow_up,
    whole_number,
)
from ..domain.ladder import Rung
from ..domain.program import Program
from .lookups import clinician_name
from .ports.clock import Clock
from .ports.directory import Directory, DirectoryIndex
from .ports.incidents import Incidents
from .ports.ladder import Ladder
from .ports.messaging import Alerts, OptOuts, Sms, Voice
from .ports.pages import Pages
from .ports.timeline import Timeline

UNSUBSCRIBED = 21610  # Twilio: "Attempt to send to unsubscribed recipient" (texted STOP)


@dataclass
class PagingLease:
    """The AttemptGuard of one rung: each attempt at Twilio takes the paging lease (only
    while the incident is open and still at this rung) and drops it afterwards.

    ``held_until``: the lease the rung's claim has just taken (its condition was this
    one's), which the first attempt uses while it lasts instead of renewing it. ``hold``:
    keep the lease after each attempt; the caller ends it (with its record of the send)."""

    pages: Pages
    incident_id: str
    position: int
    clock: Clock
    held_until: datetime | None = None
    hold: bool = False

    def acquire(self) -> bool:
        now = self.clock.now()
        held, self.held_until = self.held_until, None  # a retry always renews
        if held is not None and now + timedelta(seconds=LEASE_MARGIN_S) < held:
            return True
        until = now + timedelta(seconds=PAGE_LEASE_S)
        return self.pages.renew_lease(self.incident_id, self.position, until)

    def release(self) -> None:
        if not self.hold:
            self.pages.release_rung(self.incident_id, self.position, self.clock.now())


# The claim's lease covers a first attempt that starts at least this long before it ends:
# what a renewed lease covers (a request, and a lookup of an ambiguous one).
LEASE_MARGIN_S = 2 * SEND_TIMEOUT_S


# What placing the rung's one voice call did.
CallOutcome = Literal["calling", "moved_on", "closed", "already_calling", "failed"]
# What a signed status report about a page did (for logs and tests): it names no page, or
# another message or call; it is noted or a duplicate; the SMS was delivered; after an
# undelivered SMS, what the fallback call did; after a call, the rung moved on (no answer),
# was answered, or waits for the SMS sent with it.
StatusOutcome = Literal["unknown_page", "other_message", "other_call", "noted", "delivered",
                        "duplicate", "no_answer", "answered", "sms_pending", CallOutcome]


# ---------------------------------------------------------------- the voice fallback


def call_clinician(page: Page, reason: str, *, incidents: Incidents, pages: Pages,
                   voice: Voice, timeline: Timeline, ladder: Ladder,
                   clock: Clock) -> CallOutcome:
    """Place the rung's one voice call (if the rung is still current and open). When the
    call cannot be placed, move the ladder on now. Returns calling | moved_on | closed |
    already_calling | failed."""
    incident = incidents.get(page.incident_id)
    if incident is None or not incident.pageable(page.position):
        return "closed"
    if incident.position != page.position:
        return "moved_on"  # the ladder is already past this rung: nothing to fall back for
    now = clock.now()
    if not pages.start_call(page.incident_id, page.position, now):
        return "already_calling"
    lease = PagingLease(pages, page.incident_id, page.position, clock)
    try:
        sid = voice.call(page.phone, page=(page.incident_id, page.position), guard=lease)
    except SendAborted:
        return "closed"
    except SmsError as exc:
        timeline.append(
            page.incident_id, clock.now(), "call_failed", position=page.position,
            clinician_id=page.clinician_id, error_code=exc.code, reason=str(exc),
        )
        # The call is over before it began: recorded as ended, so that an SMS failure
        # reported later moves the ladder on (handle_status) as after an unanswered call.
        pages.end_call(page.incident_id, page.position, clock.now(), "failed")
        current = pages.page_for(page.incident_id, page.position) or page
        if current.channel is Channel.SMS_AND_VOICE and current.sms_failed_at is None:
            return "failed"  # the SMS of an at-once page went out: the rung waits for it
        wake(page, "failed", incidents=incidents, timeline=timeline, ladder=ladder, clock=clock)
        return "failed"
    pages.set_call_sid(page.incident_id, page.position, sid)
    timeline.append(
        page.incident_id, now, "called", position=page.position, target=page.target,
        clinician_id=page.clinician_id, call_sid=sid, reason=reason,
    )
    return "calling"


# What a rung is woken with when its clinician could not be reached: the call went
# unanswered (no key, voicemail, busy) after an undelivered SMS or instead of one, or the
# call could not be placed.
UNREACHED = ("no_answer", "failed")


def keeps_its_day(incident: Incident, position: int) -> bool:
    """Is the rung at ``position`` a business-day task rung (a ``low`` task's)? Such a rung
    is not moved on when its clinician cannot be reached: the task has until the rung's
    business day closes, and moving on would page the next rung at once, most often the
    same supervisor ("once a business day for a business week"), so a supervisor reached
    only by voice would run through the whole ladder in minutes and leave the task with
    nobody. It waits out its window instead, as a page nobody answered does."""
    if is_follow_up(position) or not 0 <= position < len(incident.rungs):
        return False
    return Rung.from_input(incident.rungs[position]).is_task


def wake(page: Page, result: str, *, incidents: Incidents, timeline: Timeline, ladder: Ladder,
         clock: Clock) -> bool:
    """Complete this rung's wait, never another rung's: the incident's token while the
    incident is still at this rung (a retried PageRung has a newer token than the one the
    page was first stored with), else the page's own (then waking it is a no-op). A task
    rung whose clinician could not be reached is not woken (keeps_its_day): recorded, it
    waits out its business day."""
    incident = incidents.get(page.incident_id)
    if result in UNREACHED and incident is not None and keeps_its_day(incident, page.position):
        timeline.append(page.incident_id, clock.now(), "rung_waits",
                             position=page.position, clinician_id=page.clinician_id,
                             reason=f"{result}: a task rung keeps its business day")
        return False
    token = page.task_token
    if incident is not None and incident.waiting_on(page.position):
        token = incident.task_token or token
    if not token:
        return False
    return ladder.wake(token, {"result": result})


# ---------------------------------------------------------------- Twilio's status reports


ERROR_CODE_DIGITS = 9  # Twilio's error codes have 5; "²" or 5,000 digits read as no code


@dataclass(frozen=True)
class StatusReport:
    """The fields of a Twilio status callback that matter here (never the body)."""

    message_sid: str | None = None
    message_status: str | None = None
    call_sid: str | None = None
    call_status: str | None = None
    answered_by: str | None = None
    error_code: int | None = None

    @classmethod
    def from_form(cls, form: dict[str, str]) -> StatusReport:
        code = form.get("ErrorCode") or ""
        return cls(
            message_sid=form.get("MessageSid") or None,
            message_status=(form.get("MessageStatus") or form.get("SmsStatus") or None),
            call_sid=form.get("CallSid") or None,
            call_status=form.get("CallStatus") or None,
            answered_by=form.get("AnsweredBy") or None,
            error_code=whole_number(code, ERROR_CODE_DIGITS),
        )


def handle_status(incident_id: str, position: int, report: StatusReport, *,
                  incidents: Incidents, pages: Pages, voice: Voice, timeline: Timeline,
                  ladder: Ladder, clock: Clock, opt_outs: OptOuts, directory: DirectoryIndex,
                  alerts: Alerts, sms: Sms) -> StatusOutcome:
    """A signed status report about one page. Returns what it did (StatusOutcome).

    An SMS-and-voice page (a +voice rung) waits on both: a call that ends without a key
    moves the ladder on only once the SMS has failed too, whichever report comes last.
    Each side re-reads the page after its own conditional write, so when the two reports
    race at least one of them sees the other's and wakes the rung (a second wake of the
    same rung changes nothing)."""
    page = pages.page_for(incident_id, position)
    if page is None:
        return "unknown_page"
    if report.call_sid:
        return _call_status(page, report, incidents=incidents, pages=pages,
                            timeline=timeline, ladder=ladder, clock=clock)
    if not report.message_sid or not report.message_status:
        return "noted"
    if page.message_sid and report.message_sid != page.message_sid:
        return "other_message"
    status = report.message_status
    now = clock.now()
    if status == "delivered":
        timeline.append(incident_id, now, "page_delivered", position=position,
                        message_sid=report.message_sid)
        return "delivered"
    if status not in SMS_FAILED:
        return "noted"
    if not pages.mark_sms_failed(incident_id, position, now, report.error_code):
        return "duplicate"
    timeline.append(
        incident_id, now, "page_undelivered", position=position, clinician_id=page.clinician_id,
        message_sid=report.message_sid, status=status, error_code=report.error_code,
    )
    if report.error_code == UNSUBSCRIBED:
        opted_out(page.phone, f"Twilio error {UNSUBSCRIBED}", opt_outs=opt_outs,
                  directory=directory, alerts=alerts, sms=sms, clock=clock)
    called = call_clinician(page, f"SMS {status}", incidents=incidents, pages=pages,
                            voice=voice, timeline=timeline, ladder=ladder, clock=clock)
    if page.channel is Channel.SMS_AND_VOICE and called == "already_calling":
        # The call went out with the SMS. If it already ended unanswered, it was waiting
        # for this SMS: neither reached the clinician, so move on now.
        fresh = pages.page_for(incident_id, position)
        if (fresh is not None and fresh.call_ended_at is not None
                and _waiting_on(fresh, incidents) is not None):
            wake(fresh, "no_answer", incidents=incidents, timeline=timeline, ladder=ladder,
                 clock=clock)
            return "no_answer"
    return called


def _call_status(page: Page, report: StatusReport, *, incidents: Incidents, pages: Pages,
                 timeline: Timeline, ladder: Ladder, clock: Clock) -> StatusOutcome:
    if page.call_sid and report.call_sid != page.call_sid:
        return "other_call"
    if report.call_status not in CALL_ENDED:
        return "noted"
    now = clock.now()
    if not pages.end_call(page.incident_id, page.position, now, report.call_status or ""):
        return "duplicate"
    incident = _waiting_on(page, incidents)
    waiting = incident is not None
    # An SMS sent with the call that has not failed (as far as we know after ending the
    # call): the clinician may still reply to it within the rung's window.
    sms_stands = False
    if waiting and page.channel is Channel.SMS_AND_VOICE:
        fresh = pages.page_for(page.incident_id, page.position)
        sms_stands = fresh is not None and fresh.sms_failed_at is None
    next_step = None
    if incident is not None:
        next_step = ("waits for the SMS" if sms_stands
                     else "waits out its business day"
                     if keeps_its_day(incident, page.position) else "moves on")
    timeline.append(
        page.incident_id, now, "call_ended", position=page.position,
        clinician_id=page.clinician_id, call_sid=report.call_sid, status=report.call_status,
        answered_by=report.answered_by, ladder=next_step,
    )
    if not waiting:
        return "answered"
    if sms_stands:
        return "sms_pending"
    # Still waiting on this rung after the call: nobody accepted or passed on it (no key,
    # voicemail, busy, no answer, hang-up). Move on now.
    wake(page, "no_answer", incidents=incidents, timeline=timeline, ladder=ladder, clock=clock)
    return "no_answer"


def _waiting_on(page: Page, incidents: Incidents) -> Incident | None:
    """The incident, if the ladder is still waiting on this page's rung with nobody having
    passed it (on the call or by SMS)."""
    incident = incidents.get(page.incident_id)
    if incident is not None and incident.waiting_on(page.position) and page.passed_at is None:
        return incident
    return None


# ---------------------------------------------------------------- STOP and START


def opted_out(phone: str, via: str, *, opt_outs: OptOuts, directory: DirectoryIndex,
              alerts: Alerts, sms: Sms, clock: Clock) -> bool:
    """Record that SMS cannot reach this phone; tell the admins of every program the
    clinician is on call for that coverage is at risk. False if it was already known."""
    if not opt_outs.opt_out(phone, clock.now(), via):
        return False
    for clinician, program in _programs_of(phone, directory):
        _tell_admins(program, f"crisis-pager: coverage at risk in {program.display_name}",
                     messages.coverage_at_risk_alert(program.display_name, clinician),
                     alerts=alerts, sms=sms)
    return True


def opted_in(phone: str, *, opt_outs: OptOuts, directory: DirectoryIndex, alerts: Alerts,
             sms: Sms) -> bool:
    if not opt_outs.opt_in(phone):
        return False
    for clinician, program in _programs_of(phone, directory):
        _tell_admins(program, f"crisis-pager: SMS restored in {program.display_name}",
                     messages.coverage_restored_alert(program.display_name, clinician),
                     alerts=alerts, sms=sms)
    return True


def _programs_of(phone: str, directory: DirectoryIndex) -> list[tuple[str, Program]]:
    found: list[tuple[str, Program]] = []
    for clinician in directory.clinicians_with_phone(phone):
        for program_id in directory.programs_naming(clinician.clinician_id):
            program = directory.program(program_id)
            if program is not None:
                found.append((clinician.name, program))
    return found


def _tell_admins(program: Program, subject: str, text: str, *, alerts: Alerts,
                 sms: Sms) -> None:
    alerts.publish(program.program_id, subject, text)
    for admin in program.admin_phones:
        try:
            sms.send(admin, text)
        except SmsError:
            continue  # the SNS alert still reached them


def accepted_by_name(directory: Directory, clinician_id: str) -> str:
    """Who has it, in a message to another clinician."""
    return clinician_name(directory, clinician_id) or "another clinician"


def program_named(page: Page, incident: Incident, directory: Directory,
                  missing: str | None = None) -> tuple[str, str | None]:
    """The program's name and hotline number as the page named them; read again only for a
    page stored before pages kept them (``missing``, or the program's id, if its item is
    gone)."""
    if page.program_name is not None:
        return page.program_name, page.hotline_number
    program = directory.program(incident.program_id)
    if program is None:
        return missing or incident.program_id, None
    return program.display_name, program.hotline_number


PAGE_IN_FLIGHT_POLL_S = 0.05


def close_when_no_page_in_flight(
    close: Callable[[str, str, datetime], Closed], incident_id: str, clinician_id: str,
    clock: Clock,
) -> tuple[datetime | None, Incident | None]:
    """Accept (or resolve), waiting while another rung's page is being sent (at most its
    lease), so the change is ordered after every page that was already going out. Returns
    the instant of the change (None when the incident could not be changed) and the
    incident after it (None when there is none)."""
    deadline = clock.now() + timedelta(seconds=PAGE_LEASE_S + 1)
    while True:
        now = clock.now()
        closed = close(incident_id, clinician_id, now)
        if closed.outcome is AcceptOutcome.ACCEPTED:
            return now, closed.incident
        if closed.outcome is AcceptOutcome.NOT_OPEN or now > deadline:
            return None, closed.incident
        clock.wait(PAGE_IN_FLIGHT_POLL_S)
