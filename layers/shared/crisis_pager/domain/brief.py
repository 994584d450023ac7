"""The clinician's brief: the secure link that lets one clinician read one incident's
details (the hotline's summary, the screen answers, the participant's safety plan, support
persons and last confirmed location) for a short while, and the view of it. Pure.

A link is ``{public base URL}/brief/{incident_id}/{token}``. Only the SHA-256 of the token
is stored (a reader of the table cannot use what it holds), bound to the incident, the
clinician and a purpose:

- ``accepted``: sent in the acceptance reply; expires ACCEPTED_LINK_TTL after it is issued;
  works while the clinician is the one who accepted (or resolved) the incident;
- ``follow_up``: sent with the follow-up task; expires when the follow-up is due; works
  while the clinician owns the follow-up.

Nothing of the brief is ever sent in an SMS: the SMS carries only the link.

Phones and messaging apps fetch the links in an SMS to build previews, so a plain GET of a
live link never shows the brief: it shows the interstitial (``Preview``: the program's name
and the incident's code, what the SMS already carries) with one button, a POST of
``action=open`` to the same URL, which shows the brief.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from .incident import FOLLOW_UP_ATTEMPTS, Incident
from .participant import Participant
from .screener import QUESTIONS, RECENCY, Screen

ACCEPTED_LINK_TTL = timedelta(hours=2)
# A link item is kept this long after it expires (then DynamoDB's TTL removes it), so a use
# of an expired link is still recognised and recorded as such on the incident's timeline.
LINK_RECORD_KEEP = timedelta(days=30)
TOKEN_BYTES = 18  # secrets.token_urlsafe(18): 24 URL-safe characters, 144 random bits
TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")
INCIDENT_ID = re.compile(r"inc_[a-z2-7]{24}")
LINK_ID_LENGTH = 12  # the hash prefix the timeline and logs name a link by
# The follow-up's forms on the page: action (record_follow_up's) -> button label.
FOLLOW_UP_ACTIONS = {"attempt": "Record a contact attempt", "done": "Follow-up done"}
# The interstitial's one form: POST action=open to the link's own URL opens the brief.
OPEN_ACTION = "open"

# Unicode's Bidi_Control characters: the embeddings and overrides (U+202A-U+202E), the
# isolates (U+2066-U+2069) and the marks (LRM, RLM, ALM). In text from outside (the
# hotline's summary, a safety plan) they can reorder what a clinician reads ("call" and a
# number shown backwards), so the brief shows each as BIDI_SHOWN, in HTML and JSON alike:
# visible, so the reader knows something was there. The stored text is unchanged.
BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
BIDI_SHOWN = "\ufffd"
_NEUTRAL = str.maketrans(dict.fromkeys(BIDI_CONTROLS, BIDI_SHOWN))


def neutral(text: str) -> str:
    """The text with every bidi control shown as BIDI_SHOWN."""
    return text.translate(_NEUTRAL)


def _neutral_data(value: Any) -> Any:
    """Every string in JSON-ready data (keys included), neutral."""
    if isinstance(value, str):
        return neutral(value)
    if isinstance(value, dict):
        return {_neutral_data(k): _neutral_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_neutral_data(v) for v in value]
    return value


class Purpose(StrEnum):
    ACCEPTED = "accepted"  # the acceptance reply's link
    FOLLOW_UP = "follow_up"  # the follow-up task's link


class Refusal(StrEnum):
    """Why a link was refused. Recorded on the timeline and in logs; never shown: the
    page says only that the link is invalid or expired."""

    UNKNOWN = "unknown_link"  # malformed, or no such token
    WRONG_INCIDENT = "wrong_incident"  # the token belongs to another incident
    EXPIRED = "expired"
    NOT_ENTITLED = "not_entitled"  # the clinician no longer holds the incident (or follow-up)
    NO_INCIDENT = "no_incident"  # the link's incident is gone


class Format(StrEnum):
    HTML = "html"
    JSON = "json"


def token_hash(token: str) -> str:
    """What is stored in place of the token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def well_formed(incident_id: str, token: str) -> bool:
    """Could this path name a link at all? (Checked before anything is read.)"""
    return bool(INCIDENT_ID.fullmatch(incident_id) and TOKEN.fullmatch(token))


def brief_path(incident_id: str, token: str) -> str:
    return f"/brief/{incident_id}/{token}"


@dataclass(frozen=True)
class BriefLink:
    token_hash: str
    incident_id: str
    clinician_id: str
    purpose: Purpose
    issued_at: datetime
    expires_at: datetime

    @property
    def link_id(self) -> str:
        """A short name for the link in the timeline and logs (a prefix of its hash)."""
        return self.token_hash[:LINK_ID_LENGTH]


def link_expiry(purpose: Purpose, now: datetime, expires_at: datetime | None) -> datetime:
    """An acceptance link lasts ACCEPTED_LINK_TTL; a follow-up link until ``expires_at``
    (the follow-up's due time), which it must be given."""
    if purpose is Purpose.ACCEPTED:
        return expires_at or now + ACCEPTED_LINK_TTL
    if expires_at is None:
        raise ValueError("a follow_up link needs its expires_at (the follow-up's due time)")
    if expires_at <= now:
        raise ValueError("a follow_up link must expire after it is issued")
    return expires_at


def follow_up_owner(incident: Incident) -> str | None:
    """Who owns the incident's follow-up: its owner, else the clinician who accepted it."""
    return incident.follow_up_owner or incident.accepted_by


def entitled(incident: Incident, clinician_id: str, purpose: Purpose | str) -> bool:
    """May this clinician read the incident through a link of this purpose (now)?"""
    if purpose == Purpose.ACCEPTED:
        return clinician_id in {incident.accepted_by, incident.resolved_by} - {None}
    if purpose == Purpose.FOLLOW_UP:
        return follow_up_owner(incident) == clinician_id
    return False


def refusal(link: BriefLink | None, incident_id: str, incident: Incident | None,
            now: datetime) -> Refusal | None:
    """Why ``link`` (found by the token in the path) may not open ``incident_id``, or None.
    ``incident`` is the link's incident, read after the link was found."""
    if link is None:
        return Refusal.UNKNOWN
    if link.incident_id != incident_id:
        return Refusal.WRONG_INCIDENT
    if now >= link.expires_at:
        return Refusal.EXPIRED
    if incident is None:
        return Refusal.NO_INCIDENT
    if not entitled(incident, link.clinician_id, link.purpose):
        return Refusal.NOT_ENTITLED
    return None


# ---------------------------------------------------------------- the view


@dataclass(frozen=True)
class Preview:
    """What a GET of a live link shows (the interstitial): nothing the SMS did not already
    carry, so a link-preview fetcher learns nothing. ``viewer_id`` and ``purpose`` are for
    the timeline and logs, not shown."""

    incident_id: str
    program_name: str
    code: str
    viewer_id: str
    purpose: Purpose


SCREENER_TEXT: dict[str, str] = {  # the C-SSRS screen's questions, as the hotline asked them
    "1": "Wished you were dead or wished you could go to sleep and not wake up? (past month)",
    "2": "Actually had any thoughts of killing yourself? (past month)",
    "3": "Been thinking about how you might do this?",
    "4": "Had these thoughts and had some intention of acting on them?",
    "5": "Started to work out or worked out the details of how to kill yourself? "
         "Intend to carry out this plan?",
    "6": "Ever done anything, started to do anything, or prepared to do anything to end "
         "your life?",
    RECENCY: "If so: was it within the past 3 months?",
}

RESOURCE_LABELS: dict[str, str] = {
    "crisis_line": "Local crisis line",
    "mobile_crisis_team": "Mobile crisis team",
    "emergency_department": "Nearest emergency department",
    "emergency_department_phone": "Emergency department phone",
    "emergency_call_center": "Local emergency call center (10-digit)",
    "source": "Source",
    "made_at": "Made at",
}


@dataclass(frozen=True)
class ScreenerAnswer:
    question: str  # "1".."6", "6_past_3_months"
    text: str
    answer: bool | None  # None: not asked (the screen skips 3-5 when 2 is no)


@dataclass(frozen=True)
class FollowUp:
    """The follow-up task as the brief shows it (when the incident has one)."""

    state: str  # "due", "overdue", "taken over by <name>", "done"
    due_at: datetime
    attempts: tuple[datetime, ...]
    owner: str | None  # clinician id
    open: bool  # contact attempts and "done" can still be recorded
    done_at: datetime | None = None
    done_by: str | None = None  # a name

    @property
    def max_attempts(self) -> int:
        return FOLLOW_UP_ATTEMPTS

    @property
    def can_attempt(self) -> bool:
        return self.open and len(self.attempts) < FOLLOW_UP_ATTEMPTS


@dataclass(frozen=True)
class Brief:
    incident_id: str
    program_name: str
    code: str
    severity: str
    status: str
    opened_at: datetime
    accepted_by: str | None  # a name (or the id, when the clinician item is unreadable)
    accepted_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None
    summary: str
    screener: tuple[ScreenerAnswer, ...] | None
    screener_severity: str | None
    referral: tuple[tuple[str, str], ...] | None  # (label, value)
    participant: Participant | None
    participant_problem: str | None  # why the participant's details are not shown
    follow_up: FollowUp | None
    viewer_id: str
    viewer_name: str
    purpose: Purpose
    link_expires_at: datetime
    now: datetime
    notice: str | None = None  # the outcome of a form just posted

    @property
    def can_record_follow_up(self) -> bool:
        """May the viewer record an attempt or close the follow-up from this page?"""
        return (self.follow_up is not None and self.follow_up.open
                and self.follow_up.owner == self.viewer_id)


def screener_answers(answers: dict[str, bool] | None
                     ) -> tuple[tuple[ScreenerAnswer, ...], str] | None:
    if answers is None:
        return None
    rows = tuple(ScreenerAnswer(q, SCREENER_TEXT[q], answers.get(q))
                 for q in (*QUESTIONS, RECENCY)
                 if q != RECENCY or RECENCY in answers)
    return rows, Screen(dict(answers)).severity.value


def follow_up_view(incident: Incident, names: dict[str, str], now: datetime
                   ) -> FollowUp | None:
    """The incident's follow-up, if it has one."""
    due = incident.follow_up_due_at
    if due is None:
        return None
    owner = follow_up_owner(incident)
    if incident.follow_up_done_at is not None:
        state = "done"
    elif incident.follow_up_taken_at is not None:
        state = f"taken over by {names.get(owner, owner) if owner else 'the supervisor'}"
    else:
        state = "overdue" if now >= due else "due"
    done_by = incident.follow_up_done_by
    return FollowUp(state=state, due_at=due, attempts=tuple(incident.follow_up_attempts),
                    owner=owner, open=incident.follow_up_open,
                    done_at=incident.follow_up_done_at,
                    done_by=names.get(done_by, done_by) if done_by else None)


def build_brief(incident: Incident, link: BriefLink, *, program_name: str,
                names: dict[str, str], participant: Participant | None,
                participant_problem: str | None, now: datetime,
                notice: str | None = None) -> Brief:
    """The view of ``incident`` for the link's clinician. ``names``: clinician id -> name."""
    screen = screener_answers(incident.screener)
    referral = None
    if incident.referral:
        referral = tuple((RESOURCE_LABELS.get(k, k.replace("_", " ").capitalize()), str(v))
                         for k, v in incident.referral.items())

    def name(cid: str | None) -> str | None:
        return names.get(cid, cid) if cid else None

    return Brief(
        incident_id=incident.incident_id,
        program_name=program_name,
        code=incident.code,
        severity=incident.severity.value,
        status=incident.status.value,
        opened_at=incident.opened_at,
        accepted_by=name(incident.accepted_by),
        accepted_at=incident.accepted_at,
        resolved_by=name(incident.resolved_by),
        resolved_at=incident.resolved_at,
        summary=incident.summary,
        screener=screen[0] if screen else None,
        screener_severity=screen[1] if screen else None,
        referral=referral,
        participant=participant,
        participant_problem=None if participant is not None else (
            participant_problem or "No participant record was found for this incident."),
        follow_up=follow_up_view(incident, names, now),
        viewer_id=link.clinician_id,
        viewer_name=names.get(link.clinician_id, link.clinician_id),
        purpose=link.purpose,
        link_expires_at=link.expires_at,
        now=now,
        notice=notice,
    )


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def preview_json(preview: Preview) -> dict[str, Any]:
    """What a GET of a live link answers in JSON: what the SMS already carried, and how to
    open the brief (the same POST the page's button makes). Bidi controls neutral."""
    return _neutral_data({
        "incident": {"incident_id": preview.incident_id, "program": preview.program_name,
                     "code": preview.code},
        "open": {"method": "POST", "form": {"action": OPEN_ACTION}},
    })


def brief_json(brief: Brief) -> dict[str, Any]:
    """The brief as JSON-ready data (the page's content, nothing more), its text with every
    bidi control shown as BIDI_SHOWN, as the page shows it."""
    participant: dict[str, Any] | None = None
    p = brief.participant
    if p is not None:
        participant = {
            "participant_id": p.participant_id,
            "preferred_name": p.preferred_name,
            "plan_version": p.version,
            "plan_updated_at": _iso(p.updated_at),
            "safety_plan": [{"section": field, "title": title, "entries": list(entries)}
                            for field, title, entries in p.plan.sections()],
            "support_persons": [
                {"name": s.name, "relationship": s.relationship, "phone": s.phone,
                 "consent_to_notify": s.consent_to_notify}
                for s in p.support_persons],
            "location": None if p.location is None else {
                "description": p.location.description,
                "confirmed_at": _iso(p.location.confirmed_at),
                "resources": p.location.resources.as_dict(),
            },
        }
    f = brief.follow_up
    return _neutral_data({
        "incident": {
            "incident_id": brief.incident_id,
            "program": brief.program_name,
            "code": brief.code,
            "severity": brief.severity,
            "status": brief.status,
            "opened_at": _iso(brief.opened_at),
            "accepted_by": brief.accepted_by,
            "accepted_at": _iso(brief.accepted_at),
            "resolved_by": brief.resolved_by,
            "resolved_at": _iso(brief.resolved_at),
            "summary": brief.summary,
            "screener": None if brief.screener is None else {
                "severity": brief.screener_severity,
                "answers": [{"question": a.question, "text": a.text, "answer": a.answer}
                            for a in brief.screener],
            },
            "referral": None if brief.referral is None else dict(brief.referral),
        },
        "participant": participant,
        "participant_problem": brief.participant_problem,
        "follow_up": None if f is None else {
            "state": f.state, "due_at": _iso(f.due_at),
            "attempts": [_iso(a) for a in f.attempts], "max_attempts": f.max_attempts,
            "owner": f.owner, "done_at": _iso(f.done_at), "done_by": f.done_by,
            "can_record": brief.can_record_follow_up,
        },
        "link": {"for": brief.viewer_id, "purpose": brief.purpose.value,
                 "expires_at": _iso(brief.link_expires_at)},
        "notice": brief.notice,
    })
