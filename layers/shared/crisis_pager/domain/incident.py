"""Incidents: their states, the transitions allowed between them, and their identity."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
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

# While a rung's SMS is being sent the incident carries a short lease (paging_until). An
# acceptance waits for the send to finish (or the lease to lapse, if the sender died),
# so no page ever goes out after an acceptance: it went out before, or not at all.
PAGE_LEASE_S = 10.0


class AcceptOutcome(StrEnum):
    ACCEPTED = "accepted"
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
    ladder_started: bool = False
    referral: dict[str, str] | None = None
    rungs: tuple[dict[str, object], ...] = field(default_factory=tuple)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


@dataclass(frozen=True)
class Page:
    """One SMS page of one rung to one clinician."""

    incident_id: str
    position: int
    target: str
    clinician_id: str
    phone: str
    code: str
    sent_at: datetime
    message_sid: str | None = None


def seconds_between(start: datetime, end: datetime) -> float:
    return max(0.0, (end - start).total_seconds())
