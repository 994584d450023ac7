"""The page's voice call, once it connects: what it says (never a participant detail) and
what a key pressed on it does (1 accept, 2 pass, 9 repeat). A machine that answers hears
nothing, so a voicemail never accepts."""

from __future__ import annotations

from dataclasses import dataclass

from ..domain import messages
from ..domain.incident import MACHINE_ANSWERS, Channel, Incident, Page, is_follow_up
from .delivery import accepted_by_name, program_named
from .ports.clock import Clock
from .ports.directory import Directory
from .ports.follow_ups import FollowUps
from .ports.incidents import Incidents
from .ports.ladder import Ladder
from .ports.pages import Pages
from .ports.timeline import Timeline
from .replies import accept_page, pass_page


@dataclass(frozen=True)
class VoiceScript:
    """What the call says and does next; the handler renders it as TwiML."""

    say: tuple[str, ...] = ()
    gather: str | None = None  # read this while listening for one key
    then: tuple[str, ...] = ()  # said when no key was pressed
    repeat: bool = False  # go back to the page's start (key 9)


def voice_answer(incident_id: str, position: int, answered_by: str | None, *,
                 incidents: Incidents, pages: Pages, directory: Directory,
                 timeline: Timeline, clock: Clock) -> VoiceScript:
    """The call connected. A machine hears nothing and the call ends (so a voicemail
    never accepts); a person hears the PHI-free page and can press a key."""
    page = pages.page_for(incident_id, position)
    incident = incidents.get(incident_id)
    if page is None or incident is None:
        return VoiceScript()
    if answered_by in MACHINE_ANSWERS:
        timeline.append(incident_id, clock.now(), "call_machine", position=position,
                        clinician_id=page.clinician_id, answered_by=answered_by)
        return VoiceScript()
    closed = closed_script(page, incident, directory)
    if closed is not None:
        return closed
    name, _ = program_named(page, incident, directory, missing="your program")
    return VoiceScript(
        gather=(messages.voice_follow_up(name, page.code) if is_follow_up(page.position)
                else messages.voice_page(name, incident.severity, page.code)),
        then=(messages.voice_no_key(page.channel is Channel.SMS_AND_VOICE
                                    and page.sms_failed_at is None),),
    )


def closed_script(page: Page, incident: Incident, directory: Directory) -> VoiceScript | None:
    if incident.pageable(page.position):
        return None
    if incident.accepted_by and incident.accepted_by != page.clinician_id:
        by = accepted_by_name(directory, incident.accepted_by)
        return VoiceScript(say=(messages.voice_taken(page.code, by),))
    return VoiceScript(say=(messages.voice_closed(page.code),))


def voice_key(incident_id: str, position: int, digits: str, *, incidents: Incidents,
              pages: Pages, follow_ups: FollowUps, timeline: Timeline, directory: Directory,
              ladder: Ladder, clock: Clock) -> VoiceScript:
    """1 accept, 2 pass, 9 repeat; anything else is said to do nothing, then repeats."""
    page = pages.page_for(incident_id, position)
    incident = incidents.get(incident_id)
    if page is None or incident is None:
        return VoiceScript()
    if digits == "9":
        return VoiceScript(repeat=True)
    if digits == "1":
        outcome = accept_page(page, "voice", incidents=incidents, follow_ups=follow_ups,
                              timeline=timeline, directory=directory, ladder=ladder,
                              clock=clock)
        if outcome.outcome == "follow_up_taken" or (
                is_follow_up(page.position) and outcome.outcome == "already_yours"):
            return VoiceScript(say=(messages.voice_follow_up_taken(page.code),))
        if outcome.outcome in ("accepted", "already_yours"):
            _, hotline = program_named(page, incident, directory)
            return VoiceScript(say=(messages.voice_accepted(page.code, hotline),))
        return closed_script(page, incidents.get(incident_id) or incident, directory) \
            or VoiceScript(say=(messages.voice_closed(page.code),))
    if digits == "2":
        outcome = pass_page(page, incident, "voice", incidents=incidents, pages=pages,
                            timeline=timeline, directory=directory, ladder=ladder,
                            clock=clock)
        if outcome.outcome == "passed":
            return VoiceScript(say=(messages.voice_passed(page.code),))
        return closed_script(page, incidents.get(incident_id) or incident, directory) \
            or VoiceScript(say=(messages.voice_closed(page.code),))
    return VoiceScript(say=(messages.voice_invalid_key(),), repeat=True)
