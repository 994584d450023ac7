"""Incidents: their states, the transitions allowed between them, and their identity."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Severity(StrEnum):
    IMMINENT = "imminent"
    HIGH = "high"
    MODERATE = "moderate"
    LOW = "low"


class Status(StrEnum):
    """Where an incident stands. DynamoDB holds it; every change is a conditional write."""

    TRIGGERED = "triggered"  # the ladder is paging; nobody has accepted yet
    ACCEPTED = "accepted"  # a clinician accepted by SMS
    REFERRED = "referred"  # nobody accepted in time; the local emergency referral was made
    RESOLVED = "resolved"  # the crisis is handled and closed


# The statuses each transition may start from. A write that finds any other status fails.
OPEN_STATUSES: frozenset[Status] = frozenset({Status.TRIGGERED, Status.REFERRED})
ACCEPT_FROM = OPEN_STATUSES
REFER_FROM = frozenset({Status.TRIGGERED})
PAGE_FROM = OPEN_STATUSES
RESOLVE_FROM = frozenset({Status.TRIGGERED, Status.REFERRED, Status.ACCEPTED})

# While a rung's SMS is being sent (or its fallback call placed) the incident carries a
# short lease (paging_until). An acceptance waits for the send to finish (or the lease to
# lapse, if the sender died), so no page ever goes out after an acceptance: it went out
# before, or not at all. The lease is taken for each attempt at Twilio's API and dropped
# during the backoff between attempts, so it covers one request (SEND_TIMEOUT_S) plus one
# lookup of whether an ambiguous attempt went through (another SEND_TIMEOUT_S). Dropping
# the lease ends it at that instant (paging_until = the release), so an acceptance that
# read its clock before a page went out but wrote after it retries with a later instant:
# it is recorded after every page that went out ahead of it, never stamped before one.
SEND_TIMEOUT_S = 3.0
SEND_ATTEMPTS = 3
PAGE_LEASE_S = 10.0


class AcceptOutcome(StrEnum):
    """The outcome of a conditional close (an acceptance or a resolution)."""

    ACCEPTED = "accepted"  # done (accepted, or resolved)
    NOT_OPEN = "not_open"  # accepted by someone, or closed
    PAGE_IN_FLIGHT = "page_in_flight"  # a page is being sent right now: try again shortly


def incident_id_for(hotline_id: str, event_id: str) -> str:
    """The incident id for a hotline's event: the same event always yields the same id.

    Deterministic so that a retried or concurrent post of one event lands on one item
    and one execution name, whichever request wins.
    """
    digest = hashlib.sha256(f"{hotline_id}\x00{event_id}".encode()).digest()[:15]
    return "inc_" + base64.b32encode(digest).decode().lower()


def request_fingerprint(fields: dict[str, object]) -> str:
    """A stable hash of what the hotline asked for, to tell a retry from a different request."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Incident:
    incident_id: str
    hotline_id: str
    event_id: str
    program_id: str
    severity: Severity
    participant_ref: str
    summary: str
    code: str
    status: Status
    opened_at: datetime
    fingerprint: str
    callback_url: str | None = None
    position: int = -1  # index of the ladder rung reached; -1 before the first page
    current_target: str | None = None
    task_token: str | None = None
    accepted_by: str | None = None
    accepted_at: datetime | None = None
    referred_at: datetime | None = None
    resolved_by: str | None = None
    resolved_at: datetime | None = None
    # The ladder ran out of rungs and its execution ended while the incident was open; an
    # acceptance after this starts its own execution to tell the hotline.
    ladder_ended_at: datetime | None = None
    referral: dict[str, str] | None = None
    rungs: tuple[dict[str, object], ...] = field(default_factory=tuple)
    screener: dict[str, bool] | None = None  # C-SSRS answers: stored, never texted
    # The follow-up after a high or imminent crisis (see FOLLOW_UP_SEVERITIES).
    follow_up_due_at: datetime | None = None
    follow_up_owner: str | None = None  # the accepting clinician, or who took it over
    follow_up_attempts: tuple[datetime, ...] = ()  # recorded contact attempts
    follow_up_done_at: datetime | None = None
    follow_up_done_by: str | None = None
    follow_up_taken_at: datetime | None = None  # a paged supervisor took it over

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def follow_up_open(self) -> bool:
        """A follow-up is due and nobody has closed it yet."""
        return (self.status is Status.RESOLVED and self.follow_up_due_at is not None
                and self.follow_up_done_at is None)

    def pageable(self, position: int) -> bool:
        """May the rung at `position` page? Crisis rungs while the incident is open;
        follow-up rungs while its follow-up is overdue and nobody has taken it over."""
        if is_follow_up(position):
            return self.follow_up_open and self.follow_up_taken_at is None
        return self.is_open

    def waiting_on(self, position: int) -> bool:
        """Is the ladder waiting on the rung at `position` right now?"""
        return self.pageable(position) and self.position == position


class Channel(StrEnum):
    SMS = "sms"  # an SMS, with a voice call as its fallback
    VOICE = "voice"  # a voice call only (the clinician opted out of SMS)
    SMS_AND_VOICE = "sms+voice"  # an SMS and a voice call at once (a +voice rung)


@dataclass(frozen=True)
class Closed:
    """What a conditional close (accept, resolve, take over a follow-up) did, and the
    incident after it: as the write left it when ACCEPTED (DynamoDB answers the item it
    wrote, so no read follows), else as read to say why (None: no such incident)."""

    outcome: AcceptOutcome
    incident: Incident | None


# Twilio's final SMS statuses that mean the page did not reach the handset.
SMS_FAILED = frozenset({"failed", "undelivered"})
# Twilio's final call statuses. "completed" without a key pressed counts as no answer.
CALL_ENDED = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})
# Twilio's AnsweredBy values that are not a person (answering-machine detection).
MACHINE_ANSWERS = frozenset({"machine_start", "machine_end_beep", "machine_end_silence",
                             "machine_end_other", "fax"})


@dataclass(frozen=True)
class Page:
    """One page of one rung to one clinician: an SMS (with a voice call as its fallback),
    or a voice call only. ``code`` is the code this clinician replies with: unique among
    their open pages (usually the incident's code)."""

    incident_id: str
    position: int
    target: str
    clinician_id: str
    phone: str
    code: str
    sent_at: datetime
    message_sid: str | None = None
    channel: Channel = Channel.SMS
    task_token: str | None = None  # the rung's token: waking it never skips another rung
    sms_failed_at: datetime | None = None
    error_code: int | None = None
    call_sid: str | None = None
    call_started_at: datetime | None = None
    call_ended_at: datetime | None = None
    passed_at: datetime | None = None
    # The program as the page named it (its SMS said so): the answer to a reply names the
    # same, without reading the program again. None on pages stored before they kept it.
    program_name: str | None = None
    hotline_number: str | None = None

    @property
    def calling(self) -> bool:
        return self.call_started_at is not None


# An accepted incident keeps its code on the accepting clinician's phone this long, so a
# late "R 417" still names it; then the code may be reused for another of their pages.
CODE_HOLD_AFTER_ACCEPT = timedelta(hours=12)


# After a high or imminent crisis is resolved, the clinician who handled it follows up
# with the participant within FOLLOW_UP_DUE, recording up to FOLLOW_UP_ATTEMPTS contact
# attempts; if it is not closed in time, it escalates to the supervisor like a low task.
# The follow-up's rungs run in their own execution, at positions from FOLLOW_UP_BASE, so
# their pages never share a position (a page item) with the crisis ladder's.
FOLLOW_UP_SEVERITIES = frozenset({Severity.IMMINENT, Severity.HIGH})
FOLLOW_UP_DUE = timedelta(hours=24)
FOLLOW_UP_ATTEMPTS = 3
FOLLOW_UP_BASE = 100
FOLLOW_UP_START = FOLLOW_UP_BASE - 1  # the follow-up execution's position before its first rung


def is_follow_up(position: int) -> bool:
    """Is this the position of a follow-up rung (not a crisis rung)?"""
    return position >= FOLLOW_UP_BASE


_WHOLE_NUMBER = re.compile(r"0|[1-9][0-9]*")  # [0-9]: ASCII digits only, whatever the flags
POSITION_DIGITS = 4  # a rung's position: at most FOLLOW_UP_BASE + MAX_RUNGS


def whole_number(text: str | None, max_digits: int) -> int | None:
    """A number written as we write one: ASCII digits only, no sign, space or leading zero,
    at most ``max_digits``; None for anything else. (``str.isdigit`` takes ``²``, which
    ``int`` refuses, and ``١``, which ``int`` reads as 1.)"""
    if text is None or len(text) > max_digits or not _WHOLE_NUMBER.fullmatch(text):
        return None
    return int(text)


# One page (incident, rung) per URL: Twilio signs the whole URL, so the page a status
# report or a key press is about cannot be changed without breaking the signature.


def status_path(incident_id: str, position: int) -> str:
    return f"/twilio/status/{incident_id}/{position}"


def voice_path(incident_id: str, position: int) -> str:
    return f"/twilio/voice/{incident_id}/{position}"


def key_path(incident_id: str, position: int) -> str:
    return voice_path(incident_id, position) + "/key"


def page_position(text: str) -> int | None:
    """A rung's position as a URL carries it (status_path, voice_path), else None."""
    return whole_number(text, POSITION_DIGITS)


def follow_up_due(severity: Severity, resolved_at: datetime) -> datetime | None:
    """When the follow-up of a crisis resolved at `resolved_at` is due, if it needs one."""
    return resolved_at + FOLLOW_UP_DUE if severity in FOLLOW_UP_SEVERITIES else None


def holds_code(incident: Incident, clinician_id: str, now: datetime) -> bool:
    """Is this incident still an open page for this clinician (its code not reusable)?"""
    if incident.is_open:
        return True
    if incident.follow_up_open and (incident.follow_up_owner == clinician_id
                                    or is_follow_up(incident.position)):
        return True  # "F 417 done" must still name it
    return (incident.status is Status.ACCEPTED and incident.accepted_by == clinician_id
            and incident.accepted_at is not None
            and now - incident.accepted_at < CODE_HOLD_AFTER_ACCEPT)


def seconds_between(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())
