"""The clinician's brief behind the secure link (see domain/brief.py): issue a link, preview
it (what a GET shows: no PHI), open it, and record a follow-up from it.

Every use is on the incident's timeline, allowed or refused, and as what it was:
``brief_previewed`` (a GET of a live link was answered with the interstitial, which shows
nothing of the brief: a link-preview fetcher's request, or the clinician's before they
press Open), ``brief_opened`` (the brief itself was shown: who, in which format, and the
action when a form was posted) or ``brief_refused`` (why). A refusal
is recorded on the link's own incident when the link is known, and on the incident named
in the path when that incident exists. Timeline entries name the link by a prefix of its
hash (``link``), never by its token, and carry nothing from the brief itself.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..domain.brief import (
    FOLLOW_UP_ACTIONS,
    INCIDENT_ID,
    TOKEN_BYTES,
    BriefLink,
    Format,
    Purpose,
    Refusal,
    brief_path,
    link_expiry,
    refusal,
    token_hash,
    well_formed,
)
from ..domain.brief_view import Brief, Preview, build_brief
from ..domain.errors import InvalidItem
from ..domain.incident import Incident
from ..domain.participant import Participant
from .lookups import clinician_name
from .participants import current_plan
from .ports.directory import Directory
from .ports.incidents import Incidents
from .ports.participants import BriefLinks, Participants
from .ports.timeline import Timeline

# What the page says after a follow-up form was posted, by record_follow_up's outcome.
NOTICES = {
    "attempt_recorded": "Contact attempt recorded.",
    "done": "Follow-up recorded as done. Thank you.",
    "already_done": "This follow-up was already recorded as done. Nothing changed.",
    "attempts_full": "The contact attempts are all recorded already. Nothing changed: record "
                     "the follow-up done when it is.",
    "not_yours": "This follow-up is not yours to record. Nothing changed.",
    "no_follow_up": "This incident has no follow-up. Nothing changed.",
}
DEFAULT_NOTICE = "Nothing changed."

# record_follow_up(incident_id, clinician_id, action) -> its outcome word (service/followup)
FollowUpRecorder = Callable[[str, str, str], str]


@dataclass(frozen=True)
class Refused:
    """The link does not open. ``reason`` is for the timeline and logs only: the clinician
    sees the same page whatever it is."""

    reason: Refusal
    recorded_on: tuple[str, ...] = ()  # incidents whose timelines recorded the refusal
    link_id: str | None = None
    clinician_id: str | None = None


def issue_link(links: BriefLinks, base_url: str, incident_id: str, clinician_id: str,
               purpose: str, now: datetime, expires_at: datetime | None = None) -> str:
    """A new link for this clinician to read this incident's brief; returns its URL.

    ``accepted`` links expire ACCEPTED_LINK_TTL after ``now``; ``follow_up`` links at
    ``expires_at`` (the follow-up's due time), which they must be given. The token is
    random (144 bits) and only its SHA-256 is stored."""
    kind = Purpose(purpose)
    until = link_expiry(kind, now, expires_at)
    for _ in range(3):  # a collision of 144 random bits does not happen; never overwrite
        token = secrets.token_urlsafe(TOKEN_BYTES)
        link = BriefLink(token_hash(token), incident_id, clinician_id, kind, now, until)
        if links.put(link):
            return base_url.rstrip("/") + brief_path(incident_id, token)
    raise RuntimeError("could not store a new brief link")


def preview_brief(
    incident_id: str,
    token: str,
    now: datetime,
    *,
    links: BriefLinks,
    incidents: Incidents,
    timeline: Timeline,
    directory: Directory,
    fmt: Format = Format.HTML,
) -> Preview | Refused:
    """What a GET of the link gets, in either format: the interstitial if ``token`` is a
    live link to ``incident_id`` for a clinician still entitled to it, otherwise Refused,
    checked exactly as ``open_brief`` checks it. Recorded as ``brief_previewed``, never as
    ``brief_opened``: phones, messaging apps and link scanners fetch links to build
    previews, and nothing of the brief (nor the participant's record) is read or shown
    here."""
    checked = _authorize(incident_id, token, now, links, incidents, timeline, fmt)
    if isinstance(checked, Refused):
        return checked
    link, incident = checked
    _record(timeline, incident_id, now, "brief_previewed", link, format=fmt.value)
    program = directory.program(incident.program_id)
    return Preview(incident_id=incident_id,
                   program_name=program.display_name if program else incident.program_id,
                   code=incident.code, viewer_id=link.clinician_id, purpose=link.purpose)


def open_brief(
    incident_id: str,
    token: str,
    now: datetime,
    *,
    links: BriefLinks,
    incidents: Incidents,
    timeline: Timeline,
    directory: Directory,
    participants: Participants,
    fmt: Format | str = Format.HTML,
) -> Brief | Refused:
    """The brief, if ``token`` is a live link to ``incident_id`` for a clinician still
    entitled to it; otherwise Refused. Either way the use is on the timeline. Only after
    the interstitial's POST ``action=open`` (a GET gets ``preview_brief``)."""
    checked = _authorize(incident_id, token, now, links, incidents, timeline, Format(fmt))
    if isinstance(checked, Refused):
        return checked
    link, incident = checked
    _record(timeline, incident_id, now, "brief_opened", link, format=Format(fmt).value)
    return _brief(incident, link, now, directory, participants)


def record_from_brief(
    incident_id: str,
    token: str,
    action: str,
    now: datetime,
    *,
    links: BriefLinks,
    incidents: Incidents,
    timeline: Timeline,
    directory: Directory,
    participants: Participants,
    record: FollowUpRecorder,
) -> Brief | Refused:
    """A follow-up form posted from the brief (``action``: "attempt" or "done"), by the
    link's clinician. ``record(incident_id, clinician_id, action)`` is the follow-up use
    case; its outcome word is on the timeline and the page shows what happened."""
    if action not in FOLLOW_UP_ACTIONS:
        raise ValueError(f"action must be one of {sorted(FOLLOW_UP_ACTIONS)}")
    checked = _authorize(incident_id, token, now, links, incidents, timeline, Format.HTML)
    if isinstance(checked, Refused):
        return checked
    link, incident = checked
    outcome = record(incident_id, link.clinician_id, action)  # it checks whose it is
    _record(timeline, incident_id, now, "brief_opened", link, format=Format.HTML.value,
            action=action, outcome=outcome)
    current = incidents.get(incident_id) or incident
    return _brief(current, link, now, directory, participants,
                  notice=NOTICES.get(outcome, DEFAULT_NOTICE))


# ---------------------------------------------------------------- the checks


def _authorize(incident_id: str, token: str, now: datetime, links: BriefLinks,
               incidents: Incidents, timeline: Timeline, fmt: Format
               ) -> tuple[BriefLink, Incident] | Refused:
    link = links.get(token_hash(token)) if well_formed(incident_id, token) else None
    incident = incidents.get(link.incident_id) if link is not None else None
    reason = refusal(link, incident_id, incident, now)
    if reason is None:
        assert link is not None and incident is not None
        return link, incident
    recorded: list[str] = []
    if link is not None and incident is not None:
        _record(timeline, link.incident_id, now, "brief_refused", link, reason=reason.value,
                format=fmt.value)
        recorded.append(link.incident_id)
    if incident_id not in recorded and INCIDENT_ID.fullmatch(incident_id):
        if incidents.get(incident_id) is not None:
            _record(timeline, incident_id, now, "brief_refused", link, reason=reason.value,
                    format=fmt.value)
            recorded.append(incident_id)
    return Refused(reason, tuple(recorded), link.link_id if link else None,
                   link.clinician_id if link else None)


def _record(timeline: Timeline, incident_id: str, now: datetime, kind: str,
            link: BriefLink | None, **detail: Any) -> None:
    fields: dict[str, Any] = {}
    if link is not None:
        fields = {"clinician_id": link.clinician_id, "purpose": link.purpose.value,
                  "link": link.link_id}
    fields.update({k: v for k, v in detail.items() if v is not None})
    timeline.append(incident_id, now, kind, **fields)


# ---------------------------------------------------------------- the view


def _brief(incident: Incident, link: BriefLink, now: datetime, directory: Directory,
           participants: Participants, notice: str | None = None) -> Brief:
    program = directory.program(incident.program_id)
    ids = {cid for cid in (link.clinician_id, incident.accepted_by, incident.resolved_by,
                           incident.follow_up_owner, incident.follow_up_done_by) if cid}
    names = {cid: clinician_name(directory, cid) or cid for cid in sorted(ids)}
    found, problem = _participant(incident, participants)
    return build_brief(incident, link, program_name=program.display_name if program
                       else incident.program_id, names=names, participant=found,
                       participant_problem=problem, now=now, notice=notice)


def _participant(incident: Incident, participants: Participants
                 ) -> tuple[Participant | None, str | None]:
    """The participant's current record; a record that cannot be read still lets the
    brief show the incident (and says why the rest is missing)."""
    try:
        found = current_plan(incident.participant_ref, incident.program_id,
                             participants=participants)
    except InvalidItem:
        return None, ("The participant's record could not be read (it is malformed); "
                      "ask the hotline for the safety plan.")
    except Exception:  # noqa: BLE001 (the incident's part of the brief is still shown)
        return None, ("The participant's record could not be read right now; reload in a "
                      "minute, or ask the hotline for the safety plan.")
    if found is None:
        return None, ("No participant record was found for this incident; ask the hotline "
                      "for the safety plan.")
    return found, None
