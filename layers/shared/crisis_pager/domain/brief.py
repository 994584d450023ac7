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

from .incident import Incident

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


def neutral_data(value: Any) -> Any:
    """Every string in JSON-ready data (keys included), neutral."""
    if isinstance(value, str):
        return neutral(value)
    if isinstance(value, dict):
        return {neutral_data(k): neutral_data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [neutral_data(v) for v in value]
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
