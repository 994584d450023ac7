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
from datetime import timedelta
from typing import Literal

from ..domain import messages
from ..domain.errors import SendAborted, SmsError
from ..domain.incident import (
    CALL_ENDED,
    MACHINE_ANSWERS,
    PAGE_LEASE_S,
    SMS_FAILED,
    Channel,
    Incident,
    Page,
    is_follow_up,
    whole_number,
)
from ..domain.ladder import Rung
from ..domain.program import Program
from .lookups import clinician_name
from .ports.clock import Clock
from .ports.directory import Directory, ProgramIndex
from .ports.ladder import Ladder
from .ports.messaging import Alerts, OptOuts, Sms, Voice
from .ports.pages import Pages
from .ports.participants import BriefLinks
from .ports.store import IncidentStore
from .ports.timeline import Timeline

UNSUBSCRIBED = 21610  # Twilio: "Attempt to send to unsubscribed recipient" (texted STOP)


@dataclass
class PagingLease:
    """The AttemptGuard of one rung: each attempt at Twilio takes the paging lease (only
    while the incident is open and still at this rung) and drops it afterwards."""

    pages: Pages
    incident_id: str
    position: int
    clock: Clock

    def acquire(self) -> bool:
        until = self.clock.now() + timedelta(seconds=PAGE_LEASE_S)
        return self.pages.renew_lease(self.incident_id, self.position, until)

    def release(self) -> None:
        self.pages.release_rung(self.incident_id, self.position, self.clock.now())


# What placing the rung's one voice call did.
CallOutcome = Literal["calling", "moved_on", "closed", "already_calling", "failed"]
# What a signed status report about a page did (for logs and tests): it names no page, or
# another message or call; it is noted or a duplicate; the SMS was delivered; after an
# undelivered SMS, what the fallback call did; after a call, the rung moved on (no answer),
# was answered, or waits for the SMS sent with it.
StatusOutcome = Literal["unknown_page", "other_message", "other_call", "noted", "delivered",
                        "duplicate", "no_answer", "answered", "sms_pending", CallOutcome]


@dataclass
class Deps:
    """The ports the delivery paths use (one bundle: they call each other)."""

    incidents: IncidentStore
    timeline: Timeline
    directory: Directory
    ladder: Ladder
    clock: Clock
    voice: Voice | None = None
    opt_outs: OptOuts | None = None
    alerts: Alerts | None = None
    index: ProgramIndex | None = None
    sms: Sms | None = None  # admins' texts (opt-out alerts)
    links: BriefLinks | None = None  # the accepting clinician's secure link to the brief
    base_url: Callable[[], str] | None = None  # where those links point (the API's URL)


# ---------------------------------------------------------------- the voice fallback


def call_clinician(page: Page, reason: str, deps: Deps) -> CallOutcome:
    """Place the rung's one voice call (if the rung is still current and open). When the
    call cannot be placed, move the ladder on now. Returns calling | moved_on | closed |
    already_calling | failed."""
    incident = deps.incidents.get(page.incident_id)
    if incident is None or not incident.pageable(page.position):
        return "closed"
    if incident.position != page.position:
        return "moved_on"  # the ladder is already past this rung: nothing to fall back for
    if deps.voice is None:
        raise RuntimeError("no voice port wired")
    now = deps.clock.now()
    if not deps.incidents.start_call(page.incident_id, page.position, now):
        return "already_calling"
    lease = PagingLease(deps.incidents, page.incident_id, page.position, deps.clock)
    try:
        sid = deps.voice.call(page.phone, page=(page.incident_id, page.position), guard=lease)
    except SendAborted:
        return "closed"
    except SmsError as exc:
        deps.timeline.append(
            page.incident_id, deps.clock.now(), "call_failed", position=page.position,
            clinician_id=page.clinician_id, error_code=exc.code, reason=str(exc),
        )
        # The call is over before it began: recorded as ended, so that an SMS failure
        # reported later moves the ladder on (handle_status) as after an unanswered call.
        deps.incidents.end_call(page.incident_id, page.position, deps.clock.now(), "failed")
        current = deps.incidents.page_for(page.incident_id, page.position) or page
        if current.channel is Channel.SMS_AND_VOICE and current.sms_failed_at is None:
            return "failed"  # the SMS of an at-once page went out: the rung waits for it
        wake(page, "failed", deps)
        return "failed"
    deps.incidents.set_call_sid(page.incident_id, page.position, sid)
    deps.timeline.append(
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


def wake(page: Page, result: str, deps: Deps) -> bool:
    """Complete this rung's wait, never another rung's: the incident's token while the
    incident is still at this rung (a retried PageRung has a newer token than the one the
    page was first stored with), else the page's own (then waking it is a no-op). A task
    rung whose clinician could not be reached is not woken (keeps_its_day): recorded, it
    waits out its business day."""
    incident = deps.incidents.get(page.incident_id)
    if result in UNREACHED and incident is not None and keeps_its_day(incident, page.position):
        deps.timeline.append(page.incident_id, deps.clock.now(), "rung_waits",
                             position=page.position, clinician_id=page.clinician_id,
                             reason=f"{result}: a task rung keeps its business day")
        return False
    token = page.task_token
    if incident is not None and incident.waiting_on(page.position):
        token = incident.task_token or token
    if not token:
        return False
    return deps.ladder.wake(token, {"result": result})


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


def handle_status(incident_id: str, position: int, report: StatusReport,
                  deps: Deps) -> StatusOutcome:
    """A signed status report about one page. Returns what it did (StatusOutcome).

    An SMS-and-voice page (a +voice rung) waits on both: a call that ends without a key
    moves the ladder on only once the SMS has failed too, whichever report comes last.
    Each side re-reads the page after its own conditional write, so when the two reports
    race at least one of them sees the other's and wakes the rung (a second wake of the
    same rung changes nothing)."""
    page = deps.incidents.page_for(incident_id, position)
    if page is None:
        return "unknown_page"
    if report.call_sid:
        return _call_status(page, report, deps)
    if not report.message_sid or not report.message_status:
        return "noted"
    if page.message_sid and report.message_sid != page.message_sid:
        return "other_message"
    status = report.message_status
    now = deps.clock.now()
    if status == "delivered":
        deps.timeline.append(incident_id, now, "page_delivered", position=position,
                             message_sid=report.message_sid)
        return "delivered"
    if status not in SMS_FAILED:
        return "noted"
    if not deps.incidents.mark_sms_failed(incident_id, position, now, report.error_code):
        return "duplicate"
    deps.timeline.append(
        incident_id, now, "page_undelivered", position=position, clinician_id=page.clinician_id,
        message_sid=report.message_sid, status=status, error_code=report.error_code,
    )
    if report.error_code == UNSUBSCRIBED:
        opted_out(page.phone, f"Twilio error {UNSUBSCRIBED}", deps)
    called = call_clinician(page, f"SMS {status}", deps)
    if page.channel is Channel.SMS_AND_VOICE and called == "already_calling":
        # The call went out with the SMS. If it already ended unanswered, it was waiting
        # for this SMS: neither reached the clinician, so move on now.
        fresh = deps.incidents.page_for(incident_id, position)
        if fresh is not None and fresh.call_ended_at is not None and _rung_waits(fresh, deps):
            wake(fresh, "no_answer", deps)
            return "no_answer"
    return called


def _call_status(page: Page, report: StatusReport, deps: Deps) -> StatusOutcome:
    if page.call_sid and report.call_sid != page.call_sid:
        return "other_call"
    if report.call_status not in CALL_ENDED:
        return "noted"
    now = deps.clock.now()
    if not deps.incidents.end_call(page.incident_id, page.position, now, report.call_status or ""):
        return "duplicate"
    incident = _waiting_on(page, deps)
    waiting = incident is not None
    # An SMS sent with the call that has not failed (as far as we know after ending the
    # call): the clinician may still reply to it within the rung's window.
    sms_stands = False
    if waiting and page.channel is Channel.SMS_AND_VOICE:
        fresh = deps.incidents.page_for(page.incident_id, page.position)
        sms_stands = fresh is not None and fresh.sms_failed_at is None
    ladder = None
    if incident is not None:
        ladder = ("waits for the SMS" if sms_stands
                  else "waits out its business day" if keeps_its_day(incident, page.position)
                  else "moves on")
    deps.timeline.append(
        page.incident_id, now, "call_ended", position=page.position,
        clinician_id=page.clinician_id, call_sid=report.call_sid, status=report.call_status,
        answered_by=report.answered_by, ladder=ladder,
    )
    if not waiting:
        return "answered"
    if sms_stands:
        return "sms_pending"
    # Still waiting on this rung after the call: nobody accepted or passed on it (no key,
    # voicemail, busy, no answer, hang-up). Move on now.
    wake(page, "no_answer", deps)
    return "no_answer"


def _waiting_on(page: Page, deps: Deps) -> Incident | None:
    """The incident, if the ladder is still waiting on this page's rung with nobody having
    passed it (on the call or by SMS)."""
    incident = deps.incidents.get(page.incident_id)
    if incident is not None and incident.waiting_on(page.position) and page.passed_at is None:
        return incident
    return None


def _rung_waits(page: Page, deps: Deps) -> bool:
    return _waiting_on(page, deps) is not None


# ---------------------------------------------------------------- STOP and START


def opted_out(phone: str, via: str, deps: Deps) -> bool:
    """Record that SMS cannot reach this phone; tell the admins of every program the
    clinician is on call for that coverage is at risk. False if it was already known."""
    if deps.opt_outs is None or not deps.opt_outs.opt_out(phone, deps.clock.now(), via):
        return False
    for clinician, program in _programs_of(phone, deps):
        _tell_admins(program, f"crisis-pager: coverage at risk in {program.display_name}",
                     messages.coverage_at_risk_alert(program.display_name, clinician), deps)
    return True


def opted_in(phone: str, deps: Deps) -> bool:
    if deps.opt_outs is None or not deps.opt_outs.opt_in(phone):
        return False
    for clinician, program in _programs_of(phone, deps):
        _tell_admins(program, f"crisis-pager: SMS restored in {program.display_name}",
                     messages.coverage_restored_alert(program.display_name, clinician), deps)
    return True


def _programs_of(phone: str, deps: Deps) -> list[tuple[str, Program]]:
    found: list[tuple[str, Program]] = []
    if deps.index is None:
        return found
    for clinician in deps.directory.clinicians_with_phone(phone):
        for program_id in deps.index.programs_naming(clinician.clinician_id):
            program = deps.directory.program(program_id)
            if program is not None:
                found.append((clinician.name, program))
    return found


def _tell_admins(program: Program, subject: str, text: str, deps: Deps) -> None:
    if deps.alerts is not None:
        deps.alerts.publish(program.program_id, subject, text)
    if deps.sms is not None:
        for admin in program.admin_phones:
            try:
                deps.sms.send(admin, text)
            except SmsError:
                continue  # the SNS alert still reached them


# ---------------------------------------------------------------- the call's conversation


@dataclass(frozen=True)
class VoiceScript:
    """What the call says and does next; the handler renders it as TwiML."""

    say: tuple[str, ...] = ()
    gather: str | None = None  # read this while listening for one key
    then: tuple[str, ...] = ()  # said when no key was pressed
    repeat: bool = False  # go back to the page's start (key 9)


def voice_answer(incident_id: str, position: int, answered_by: str | None,
                 deps: Deps) -> VoiceScript:
    """The call connected. A machine hears nothing and the call ends (so a voicemail
    never accepts); a person hears the PHI-free page and can press a key."""
    page = deps.incidents.page_for(incident_id, position)
    incident = deps.incidents.get(incident_id)
    if page is None or incident is None:
        return VoiceScript()
    if answered_by in MACHINE_ANSWERS:
        deps.timeline.append(incident_id, deps.clock.now(), "call_machine", position=position,
                             clinician_id=page.clinician_id, answered_by=answered_by)
        return VoiceScript()
    closed = closed_script(page, incident, deps)
    if closed is not None:
        return closed
    program = deps.directory.program(incident.program_id)
    name = program.display_name if program else "your program"
    return VoiceScript(
        gather=(messages.voice_follow_up(name, page.code) if is_follow_up(page.position)
                else messages.voice_page(name, incident.severity, page.code)),
        then=(messages.voice_no_key(page.channel is Channel.SMS_AND_VOICE
                                    and page.sms_failed_at is None),),
    )


def closed_script(page: Page, incident: Incident, deps: Deps) -> VoiceScript | None:
    if incident.pageable(page.position):
        return None
    if incident.accepted_by and incident.accepted_by != page.clinician_id:
        by = accepted_by_name(deps, incident.accepted_by)
        return VoiceScript(say=(messages.voice_taken(page.code, by),))
    return VoiceScript(say=(messages.voice_closed(page.code),))


def accepted_by_name(deps: Deps, clinician_id: str) -> str:
    """Who has it, in a message to another clinician."""
    return clinician_name(deps.directory, clinician_id) or "another clinician"
