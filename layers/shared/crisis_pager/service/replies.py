"""What a clinician's reply does (an SMS, or a key pressed on a page's call), and the
answer they get back. A reply changes an incident only when it names it unambiguously:
by a code this phone holds, or bare (``A``) when the phone holds exactly one open page.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ..domain import messages
from ..domain.brief import ACCEPTED_LINK_TTL
from ..domain.incident import (
    FOLLOW_UP_ATTEMPTS,
    Closed,
    Incident,
    Page,
    Severity,
    Status,
    follow_up_due,
    is_follow_up,
    seconds_between,
)
from ..domain.replies import (
    Command,
    FollowUpReport,
    Help,
    OptIn,
    OptOut,
    StatusRequest,
    Verb,
    parse_reply,
)
from .briefs import issue_link
from .delivery import (
    accepted_by_name,
    call_clinician,
    close_when_no_page_in_flight,
    opted_in,
    opted_out,
    program_named,
    wake,
)
from .followup import FollowUpOutcome, ensure_follow_up, record_follow_up
from .ladder import notify_accepted_after_the_ladder
from .ports.clock import Clock
from .ports.codes import ReplyCodes
from .ports.directory import Directory, DirectoryIndex
from .ports.follow_ups import FollowUps
from .ports.incidents import Incidents
from .ports.ladder import Ladder
from .ports.messaging import Alerts, OptOuts, Sms, Voice
from .ports.pages import Pages
from .ports.participants import BriefLinks
from .ports.timeline import Timeline

logger = logging.getLogger("crisis-pager")


# What a reply did (the sms_inbound and twilio_voice functions log and count it). A
# follow-up's outcomes (followup.FollowUpOutcome) are among them.
Outcome = Literal[
    "accepted", "already_yours", "taken", "closed", "passed", "pass_too_late", "resolved",
    "not_yours", "unknown_code", "choose_code", "no_open_pages", "help", "status",
    "opted_out", "opted_in", "unrecognised", "follow_up_taken", "choose_follow_up",
    FollowUpOutcome]


@dataclass(frozen=True)
class ReplyOutcome:
    answer: str | None  # the SMS answer (PHI-free); None: no answer (after STOP)
    outcome: Outcome
    incident_id: str | None = None
    seconds_to_accept: float | None = None
    position: int | None = None


def handle_sms_reply(
    from_phone: str, body: str, *, incidents: Incidents, pages: Pages, codes: ReplyCodes,
    follow_ups: FollowUps, timeline: Timeline, directory: DirectoryIndex, ladder: Ladder,
    clock: Clock, voice: Voice, opt_outs: OptOuts, alerts: Alerts, sms: Sms,
    links: BriefLinks | None = None, base_url: Callable[[], str] | None = None,
) -> ReplyOutcome:
    """An SMS from ``from_phone``. ``sms`` carries the admins' alert texts (STOP, START);
    ``links`` and ``base_url`` the accepting clinician's secure link to the brief (the
    answer goes out without one when they are not given)."""
    reply = parse_reply(body)
    if isinstance(reply, OptOut):
        # Twilio has already stopped SMS to this phone (and answers STOP itself).
        opted_out(from_phone, reply.keyword, opt_outs=opt_outs, directory=directory,
                  alerts=alerts, sms=sms, clock=clock)
        _call_waiting_pages(from_phone, codes=codes, clock=clock, call=functools.partial(
            call_clinician, incidents=incidents, pages=pages, voice=voice, timeline=timeline,
            ladder=ladder, clock=clock))
        return ReplyOutcome(None, "opted_out")
    if isinstance(reply, OptIn):
        opted_in(from_phone, opt_outs=opt_outs, directory=directory, alerts=alerts, sms=sms)
        return ReplyOutcome(messages.opted_in_reply(), "opted_in")
    if isinstance(reply, Help):
        return ReplyOutcome(messages.help_reply(), "help")
    if isinstance(reply, StatusRequest):
        return ReplyOutcome(messages.status_reply(
            _open_pages(from_phone, codes=codes, directory=directory, clock=clock)), "status")
    if isinstance(reply, FollowUpReport):
        return follow_up_report(from_phone, reply, incidents=incidents, codes=codes,
                                follow_ups=follow_ups, timeline=timeline, ladder=ladder,
                                clock=clock)
    if not isinstance(reply, Command):
        return ReplyOutcome(messages.unrecognised_reply(), "unrecognised")

    code = reply.code
    if code is None:
        held = [c for c, incident in codes.open_codes(from_phone, clock.now())
                if incident.is_open or (reply.verb is Verb.RESOLVE
                                        and incident.status is Status.ACCEPTED)
                or (reply.verb is not Verb.RESOLVE and incident.pageable(incident.position)
                    and is_follow_up(incident.position))]
        if not held:
            return ReplyOutcome(messages.no_open_pages_reply(reply.verb), "no_open_pages")
        if len(held) > 1:
            return ReplyOutcome(messages.choose_code_reply(reply.verb, held), "choose_code")
        code = held[0]
    page = codes.find_page(from_phone, code)
    if page is not None and reply.verb is Verb.ACCEPT:  # the accept reads what it writes
        return accept_page(page, "sms", follow_ups=follow_ups, links=links,
                           base_url=base_url, incidents=incidents,
                           timeline=timeline, directory=directory, ladder=ladder,
                           clock=clock)
    incident = incidents.get(page.incident_id) if page else None
    if page is None or incident is None:
        return ReplyOutcome(messages.unknown_code_reply(code), "unknown_code")
    if reply.verb is Verb.PASS:
        return pass_page(page, incident, "sms", pages=pages, incidents=incidents,
                         timeline=timeline, directory=directory, ladder=ladder,
                         clock=clock)
    return resolve_page(page, incident, "sms", links=links, base_url=base_url, incidents=incidents,
                        timeline=timeline, directory=directory, ladder=ladder, clock=clock)


# ---------------------------------------------------------------- the three actions


def accept_page(page: Page, via: str, *, incidents: Incidents, follow_ups: FollowUps,
                timeline: Timeline, directory: Directory, ladder: Ladder, clock: Clock,
                links: BriefLinks | None = None,
                base_url: Callable[[], str] | None = None) -> ReplyOutcome:
    """Accept the incident this page is about (take over its follow-up, on a follow-up's
    page). Nothing is read first: the conditional write answers the incident as it left
    it, or as it stands when it could not change it."""
    if is_follow_up(page.position):
        return take_follow_up(page, via, follow_ups=follow_ups, timeline=timeline,
                              ladder=ladder, clock=clock, links=links, base_url=base_url)
    now, current = close_when_no_page_in_flight(incidents.accept, page.incident_id,
                                                 page.clinician_id, clock)
    if current is None:
        return ReplyOutcome(messages.unknown_code_reply(page.code), "unknown_code")
    display, hotline = program_named(page, current, directory)
    if now is not None:
        timeline.append(current.incident_id, now, "accepted",
                        clinician_id=page.clinician_id, via=via, page_position=page.position)
        if current.task_token:
            # Wake the rung now waiting. If it has just timed out instead, the next
            # step reads the acceptance from the table and stops the ladder all the same.
            ladder.wake(current.task_token, {"result": "accepted"})
        _notify_accepted_after_the_ladder(current, ladder)
        link = (_brief_link(current.incident_id, page.clinician_id, "accepted", now,
                            links, base_url)
                if via == "sms" else None)  # a call cannot carry it: issue none
        return ReplyOutcome(
            messages.accepted_reply(display, page.code, hotline, link=link,
                                    task=current.severity is Severity.LOW), "accepted",
            current.incident_id, seconds_between(current.opened_at, now), current.position,
        )
    if current.accepted_by == page.clinician_id:
        _notify_accepted_after_the_ladder(current, ladder)  # (if the first reply's failed)
        return ReplyOutcome(messages.already_yours_reply(page.code, hotline), "already_yours",
                            current.incident_id)
    if current.accepted_by:
        by = accepted_by_name(directory, current.accepted_by)
        return ReplyOutcome(messages.taken_reply(page.code, by), "taken", current.incident_id)
    return ReplyOutcome(messages.closed_reply(page.code), "closed", current.incident_id)


def _notify_accepted_after_the_ladder(incident: Incident, ladder: Ladder) -> None:
    """The ladder had already ended (every rung ran): no execution is left to tell the
    hotline, so the acceptance starts one. A failure to start it never costs the
    clinician their answer; a repeated A starts it again."""
    try:
        notify_accepted_after_the_ladder(incident, ladder)
    except Exception:  # noqa: BLE001 (the reply matters more; the A can be repeated)
        logger.exception("accepted callback execution not started")


def pass_page(page: Page, incident: Incident, via: str, *, incidents: Incidents,
              pages: Pages, timeline: Timeline, directory: Directory, ladder: Ladder,
              clock: Clock) -> ReplyOutcome:
    """Only the clinician the ladder is waiting on can pass, once; it wakes that rung."""
    if not incident.pageable(page.position):
        return _closed(page, incident, directory)
    now = clock.now()
    if not pages.record_pass(incident.incident_id, page.position, page.clinician_id, now):
        return ReplyOutcome(messages.pass_too_late_reply(page.code), "pass_too_late",
                            incident.incident_id)
    timeline.append(incident.incident_id, now, "passed", clinician_id=page.clinician_id,
                    via=via, position=page.position)
    wake(page, "passed", incidents=incidents, timeline=timeline, ladder=ladder, clock=clock)
    return ReplyOutcome(messages.passed_reply(page.code), "passed", incident.incident_id,
                        position=page.position)


def resolve_page(page: Page, incident: Incident, via: str, *, incidents: Incidents,
                 timeline: Timeline, directory: Directory, ladder: Ladder, clock: Clock,
                 links: BriefLinks | None = None,
                 base_url: Callable[[], str] | None = None) -> ReplyOutcome:
    """Any paged clinician may resolve an open incident; once accepted, only the one who
    accepted it. It stops the ladder (and any paging) at once."""
    if incident.accepted_by and incident.accepted_by != page.clinician_id:
        return ReplyOutcome(
            messages.resolve_not_yours_reply(page.code,
                                             accepted_by_name(directory, incident.accepted_by)),
            "not_yours", incident.incident_id)
    def resolve(incident_id: str, clinician_id: str, now: datetime) -> Closed:
        return incidents.resolve(incident_id, clinician_id, now,
                                 follow_up_due(incident.severity, now))

    now, after = close_when_no_page_in_flight(resolve, incident.incident_id,
                                               page.clinician_id, clock)
    if now is None:
        current = after or incident
        if current.resolved_by == page.clinician_id and current.follow_up_open:
            # A repeated R (perhaps after our answer was lost): make sure the follow-up
            # timer runs, and say what is due.
            ensure_follow_up(current, directory=directory, ladder=ladder)
            return ReplyOutcome(messages.resolved_follow_up_reply(page.code), "resolved",
                                incident.incident_id)
        return _closed(page, current, directory)
    resolved = after
    timeline.append(incident.incident_id, now, "resolved", clinician_id=page.clinician_id,
                    via=via)
    if resolved is not None and resolved.task_token and incident.is_open:
        ladder.wake(resolved.task_token, {"result": "resolved"})
    if resolved is not None and resolved.follow_up_open:
        timeline.append(incident.incident_id, clock.now(), "follow_up_due",
                        owner=resolved.follow_up_owner,
                        due_at=resolved.follow_up_due_at.isoformat()
                        if resolved.follow_up_due_at else None)
        ensure_follow_up(resolved, directory=directory, ladder=ladder)
        link = _brief_link(incident.incident_id, page.clinician_id, "follow_up", now,
                           links, base_url, resolved.follow_up_due_at)
        return ReplyOutcome(messages.resolved_follow_up_reply(page.code, link), "resolved",
                            incident.incident_id)
    return ReplyOutcome(messages.resolved_reply(page.code), "resolved", incident.incident_id)


# ---------------------------------------------------------------- the follow-up


def follow_up_report(phone: str, reply: FollowUpReport, *, incidents: Incidents,
                     codes: ReplyCodes, follow_ups: FollowUps, timeline: Timeline,
                     ladder: Ladder, clock: Clock) -> ReplyOutcome:
    """``F 417 done`` or ``F 417 tried``; bare ``F done`` with exactly one open follow-up."""
    code = reply.code
    if code is None:
        held = [c for c, incident in codes.open_codes(phone, clock.now())
                if incident.follow_up_open]
        if not held:
            return ReplyOutcome(messages.no_follow_up_reply(None), "no_follow_up")
        if len(held) > 1:
            return ReplyOutcome(messages.choose_follow_up_reply(held), "choose_follow_up")
        code = held[0]
    page = codes.find_page(phone, code)
    if page is None:
        return ReplyOutcome(messages.no_follow_up_reply(code), "no_follow_up")
    result = record_follow_up(page.incident_id, page.clinician_id,
                              "done" if reply.done else "attempt", incidents=incidents,
                              follow_ups=follow_ups, timeline=timeline, ladder=ladder,
                              clock=clock)
    outcome = result.outcome
    answer = {
        "done": lambda: messages.follow_up_done_reply(code),
        "attempt_recorded": lambda: messages.follow_up_attempt_reply(
            code, result.attempts or 0, FOLLOW_UP_ATTEMPTS),
        "already_done": lambda: messages.follow_up_closed_reply(code),
        "attempts_full": lambda: messages.follow_up_attempts_full_reply(
            code, FOLLOW_UP_ATTEMPTS),
        "not_yours": lambda: messages.follow_up_not_yours_reply(code),
        "no_follow_up": lambda: messages.no_follow_up_reply(code),
    }[outcome]()
    return ReplyOutcome(answer, outcome, page.incident_id)


def take_follow_up(page: Page, via: str, *, follow_ups: FollowUps, timeline: Timeline,
                   ladder: Ladder, clock: Clock,
                   links: BriefLinks | None = None,
                   base_url: Callable[[], str] | None = None) -> ReplyOutcome:
    """``A 417`` on an overdue follow-up's page: the supervisor takes the follow-up over,
    which ends its escalation."""

    def take(incident_id: str, clinician_id: str, now: datetime) -> Closed:
        return follow_ups.take_follow_up(incident_id, clinician_id, page.position, now)

    now, current = close_when_no_page_in_flight(take, page.incident_id, page.clinician_id,
                                                 clock)
    if current is None:
        return ReplyOutcome(messages.unknown_code_reply(page.code), "unknown_code")
    if now is None:
        if current.follow_up_done_at is not None:
            return ReplyOutcome(messages.follow_up_closed_reply(page.code), "already_done",
                                current.incident_id)
        if current.follow_up_owner == page.clinician_id:
            return ReplyOutcome(messages.follow_up_taken_reply(page.code), "already_yours",
                                current.incident_id)
        return ReplyOutcome(messages.closed_reply(page.code), "closed", current.incident_id)
    timeline.append(current.incident_id, now, "follow_up_taken",
                    clinician_id=page.clinician_id, via=via, position=page.position)
    if current.task_token:
        ladder.wake(current.task_token, {"result": "follow_up_taken"})
    link = (_brief_link(current.incident_id, page.clinician_id, "follow_up", now, links,
                        base_url, current.follow_up_due_at) if via == "sms" else None)
    return ReplyOutcome(messages.follow_up_taken_reply(page.code, link), "follow_up_taken",
                        current.incident_id, position=page.position)


def _brief_link(incident_id: str, clinician_id: str, purpose: str, now: datetime,
                links: BriefLinks | None, base_url: Callable[[], str] | None,
                expires_at: datetime | None = None) -> str | None:
    """The clinician's secure link to the brief, or None when links are not wired or the
    link could not be made: the answer then goes out without it (never held up by it)."""
    if links is None or base_url is None:
        return None
    if purpose == "follow_up":
        # A follow-up link lasts until the follow-up is due, at least as long as the
        # acceptance link (a supervisor may take over an overdue one).
        floor = now + ACCEPTED_LINK_TTL
        expires_at = max(expires_at, floor) if expires_at else floor
    try:
        return issue_link(links, base_url(), incident_id, clinician_id, purpose, now,
                          expires_at)
    except Exception:  # noqa: BLE001 (the reply matters more than the link)
        logger.exception("brief link not issued")
        return None


def _closed(page: Page, incident: Incident, directory: Directory) -> ReplyOutcome:
    if incident.accepted_by and incident.accepted_by != page.clinician_id:
        by = accepted_by_name(directory, incident.accepted_by)
        return ReplyOutcome(messages.taken_reply(page.code, by), "taken", incident.incident_id)
    return ReplyOutcome(messages.closed_reply(page.code), "closed", incident.incident_id)


# ---------------------------------------------------------------- STATUS and STOP


def _open_pages(phone: str, *, codes: ReplyCodes, directory: Directory,
                clock: Clock) -> list[messages.OpenPage]:
    pages: list[messages.OpenPage] = []
    for code, incident in codes.open_codes(phone, clock.now()):
        page = codes.find_page(phone, code)
        program = directory.program(incident.program_id)
        if page is None:
            continue
        if incident.follow_up_open:
            state = "follow_up"
        elif not incident.is_open:
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


def _call_waiting_pages(phone: str, *, codes: ReplyCodes, clock: Clock,
                        call: Callable[[Page, str], object]) -> None:
    """A clinician who texts STOP while a rung waits on them gets that page as a call."""
    for code, incident in codes.open_codes(phone, clock.now()):
        page = codes.find_page(phone, code)
        if page is not None and incident.waiting_on(page.position):
            call(page, "SMS opted out (STOP)")
