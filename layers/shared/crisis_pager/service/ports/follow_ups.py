"""The FollowUps port: a resolved crisis's follow-up (attempts, close, take-over)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ...domain.incident import Closed


class FollowUps(Protocol):
    """The follow-up's conditional writes, on the incident."""

    def record_follow_up_attempt(self, incident_id: str, clinician_id: str,
                                 now: datetime) -> int | None:
        """One contact attempt by the follow-up's owner, while it is open and fewer than
        FOLLOW_UP_ATTEMPTS are recorded; the number recorded now, or None."""
        ...

    def close_follow_up(self, incident_id: str, clinician_id: str, now: datetime) -> bool:
        """Close an open follow-up: by its owner, or by the clinician its escalation is
        waiting on. False when it is closed already or not theirs."""
        ...

    def take_follow_up(self, incident_id: str, clinician_id: str, position: int,
                       now: datetime) -> Closed:
        """The clinician an overdue follow-up's rung is waiting on takes it over (as accept:
        not while that rung's page is being sent)."""
        ...
