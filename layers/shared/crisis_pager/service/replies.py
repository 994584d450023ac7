"""What a clinician's reply does (an SMS, or a key pressed on a page's call), and the
answer they get back. A reply changes an incident only when it names it unambiguously:
by a code this phone holds, or bare (``A``) when the phone holds exactly one open page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..domain import messages
from ..domain.incident import PAGE_LEASE_S, AcceptOutcome, Incident, Page, seconds_between
from ..domain.replies import (
    Command,
    Help,
    OptIn,
    OptOut,
    StatusRequest,
    Verb,
    parse_reply,
)
from .delivery import (
    Deps,
    VoiceScript,
    accepted_by_name,
    call_clinician,
    closed_script,
    opted_in,
    opted_out,
    wake,
)
from .lookups import program_or_none
from .ports import Clock


@dataclass(frozen=True)
class ReplyOutcome:
    answer: str | None  # the SMS answer (PHI-free); None: no answer (after STOP)
    outcome: str  # accepted | already_yours | taken | closed | passed | pass_too_late |
    #               resolved | not_yours | unknown_code | choose_code | no_open_pages |
    #               help | status | opted_out | opted_in | unrecognised
    incident_id: str | None = None
    seconds_to_accept: float | None = None
    position: int | None = None


def handle_sms_reply(from_phone: str, body: str, deps: Deps) -> ReplyOutcome:
    reply = parse_reply(body)
    if isinstance(reply, OptOut):
        # Twilio has already stopped SMS to this phone (and answers STOP itself).
        opted_out(from_phone, reply.keyword, deps)
        _call_waiting_pages(from_phone, deps)
        return ReplyOutcome(None, "opted_out")
    if isinstance(reply, OptIn):
        opted_in(from_phone, deps)
        return ReplyOutcome(messages.opted_in_reply(), "opted_in")
    if isinstance(reply, Help):
        return ReplyOutcome(messages.help_reply(), "help")
    if isinstance(reply, StatusRequest):
        return ReplyOutcome(messages.status_reply(_open_pages(from_phone, deps)), "status")
    if not isinstance(reply, Command):
        return ReplyOutcome(messages.unrecognised_reply(), "unrecognised")

    code = reply.code
    if code is None:
        held = [c for c, incident in deps.incidents.open_codes(from_phone)
                if reply.verb is Verb.RESOLVE or incident.is_open]
        if not held:
            return ReplyOutcome(messages.no_open_pages_reply(reply.verb), "no_open_pages")
        if len(held) > 1:
            return ReplyOutcome(messages.choose_code_reply(reply.verb, held), "choose_code")
        code = held[0]
    page = deps.incidents.find_page(from_phone, code)
    incident = deps.incidents.get(page.incident_id) if page else None
    if page is None or incident is None:
        return ReplyOutcome(messages.unknown_code_reply(code), "unknown_code")
    if reply.verb is Verb.ACCEPT:
        return accept_page(page, incident, "sms", deps)
    if reply.verb is Verb.PASS:
        return pass_page(page, incident, "sms", deps)
    return resolve_page(page, incident, "sms", deps)


# ---------------------------------------------------------------- the three actions


def accept_page(page: Page, incident: Incident, via: str, deps: Deps) -> ReplyOutcome:
    program = program_or_none(deps.directory, incident.program_id)
    hotline = program.hotline_number if program else "the hotline"
    display = program.display_name if program else incident.program_id
    now = _close_when_no_page_in_flight(deps.incidents.accept, incident.incident_id,
                                        page.clinician_id, deps.clock)
    if now is not None:
        deps.timeline.append(incident.incident_id, now, "accepted",
                             clinician_id=page.clinician_id, via=via, page_position=page.position)
        current = deps.incidents.get(incident.incident_id)
        if current is not None and current.task_token:
            # Wake the rung now waiting. If it has just timed out instead, the next
            # step reads the acceptance from the table and stops the ladder all the same.
            deps.ladder.wake(current.task_token, {"result": "accepted"})
        return ReplyOutcome(
            messages.accepted_reply(display, page.code, hotline), "accepted",
            incident.incident_id, seconds_between(incident.opened_at, now),
            current.position if current else incident.position,
        )
    current = deps.incidents.get(incident.incident_id) or incident
    if current.accepted_by == page.clinician_id:
        return ReplyOutcome(messages.already_yours_reply(page.code, hotline), "already_yours",
                            incident.incident_id)
    if current.accepted_by:
        by = accepted_by_name(deps, current.accepted_by)
        return ReplyOutcome(messages.taken_reply(page.code, by), "taken", incident.incident_id)
    return ReplyOutcome(messages.closed_reply(page.code), "closed", incident.incident_id)


def pass_page(page: Page, incident: Incident, via: str, deps: Deps) -> ReplyOutcome:
    """Only the clinician the ladder is waiting on can pass, once; it wakes that rung."""
    if not incident.is_open:
        return _closed(page, incident, deps)
    now = deps.clock.now()
    if not deps.incidents.record_pass(incident.incident_id, page.position, page.clinician_id,
                                      now):
        return ReplyOutcome(messages.pass_too_late_reply(page.code), "pass_too_late",
                            incident.incident_id)
    deps.timeline.append(incident.incident_id, now, "passed", clinician_id=page.clinician_id,
                         via=via, position=page.position)
    wake(page, "passed", deps)
    return ReplyOutcome(messages.passed_reply(page.code), "passed", incident.incident_id,
                        position=page.position)


def resolve_page(page: Page, incident: Incident, via: str, deps: Deps) -> ReplyOutcome:
    """Any paged clinician may resolve an open incident; once accepted, only the one who
    accepted it. It stops the ladder (and any paging) at once."""
    if incident.accepted_by and incident.accepted_by != page.clinician_id:
        return ReplyOutcome(
            messages.resolve_not_yours_reply(page.code,
                                             accepted_by_name(deps, incident.accepted_by)),
            "not_yours", incident.incident_id)
    now = _close_when_no_page_in_flight(deps.incidents.resolve, incident.incident_id,
                                        page.clinician_id, deps.clock)
    if now is None:
        return _closed(page, deps.incidents.get(incident.incident_id) or incident, deps)
    deps.timeline.append(incident.incident_id, now, "resolved", clinician_id=page.clinician_id,
                         via=via)
    current = deps.incidents.get(incident.incident_id)
    if current is not None and current.task_token and incident.is_open:
        deps.ladder.wake(current.task_token, {"result": "resolved"})
    return ReplyOutcome(messages.resolved_reply(page.code), "resolved", incident.incident_id)


def _closed(page: Page, incident: Incident, deps: Deps) -> ReplyOutcome:
    if incident.accepted_by and incident.accepted_by != page.clinician_id:
        by = accepted_by_name(deps, incident.accepted_by)
        return ReplyOutcome(messages.taken_reply(page.code, by), "taken", incident.incident_id)
    return ReplyOutcome(messages.closed_reply(page.code), "closed", incident.incident_id)


PAGE_IN_FLIGHT_POLL_S = 0.05


def _close_when_no_page_in_flight(
    close: Callable[[str, str, datetime], AcceptOutcome], incident_id: str, clinician_id: str,
    clock: Clock,
) -> datetime | None:
    """Accept (or resolve), waiting while another rung's page is being sent (at most its
    lease), so the change is ordered after every page that was already going out. Returns
    the instant of the change, or None when the incident could not be changed."""
    deadline = clock.now() + timedelta(seconds=PAGE_LEASE_S + 1)
    while True:
        now = clock.now()
        outcome = close(incident_id, clinician_id, now)
        if outcome is AcceptOutcome.ACCEPTED:
            return now
        if outcome is AcceptOutcome.NOT_OPEN or now > deadline:
            return None
        clock.wait(PAGE_IN_FLIGHT_POLL_S)


# ---------------------------------------------------------------- STATUS and STOP


def _open_pages(phone: str, deps: Deps) -> list[messages.OpenPage]:
    pages: list[messages.OpenPage] = []
    for code, incident in deps.incidents.open_codes(phone):
        page = deps.incidents.find_page(phone, code)
        program = program_or_none(deps.directory, incident.program_id)
        if page is None:
            continue
        if not incident.is_open:
            state = "accepted"
        elif incident.referred_at is not None:
            state = "referred"
        elif incident.position == page.position:
            state = "waiting"
        else:
            state = "moved_on"
        pages.append(messages.OpenPage(code, program.display_name if program else
                                       incident.program_id, incident.severity, state))
    return pages


def _call_waiting_pages(phone: str, deps: Deps) -> None:
    """A clinician who texts STOP while a rung waits on them gets that page as a call."""
    for code, incident in deps.incidents.open_codes(phone):
        page = deps.incidents.find_page(phone, code)
        if page is not None and incident.is_open and incident.position == page.position:
            call_clinician(page, "SMS opted out (STOP)", deps)


# ---------------------------------------------------------------- a key on the call


def voice_key(incident_id: str, position: int, digits: str, deps: Deps) -> VoiceScript:
    """1 accept, 2 pass, 9 repeat; anything else is said to do nothing, then repeats."""
    page = deps.incidents.page_for(incident_id, position)
    incident = deps.incidents.get(incident_id)
    if page is None or incident is None:
        return VoiceScript()
    if digits == "9":
        return VoiceScript(repeat=True)
    if digits == "1":
        outcome = accept_page(page, incident, "voice", deps)
        if outcome.outcome in ("accepted", "already_yours"):
            program = program_or_none(deps.directory, incident.program_id)
            hotline = program.hotline_number if program else ""
            return VoiceScript(say=(messages.voice_accepted(page.code, hotline),))
        return closed_script(page, deps.incidents.get(incident_id) or incident, deps) \
            or VoiceScript(say=(messages.voice_closed(page.code),))
    if digits == "2":
        outcome = pass_page(page, incident, "voice", deps)
        if outcome.outcome == "passed":
            return VoiceScript(say=(messages.voice_passed(page.code),))
        return closed_script(page, deps.incidents.get(incident_id) or incident, deps) \
            or VoiceScript(say=(messages.voice_closed(page.code),))
    return VoiceScript(say=(messages.voice_invalid_key(),), repeat=True)
