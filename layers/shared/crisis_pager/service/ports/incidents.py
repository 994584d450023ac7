"""The Incidents port: an incident's lifecycle. Every status change is a conditional write."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ...domain.incident import Closed, Incident


class Incidents(Protocol):
    """The incident store: open, code, accept, resolve, refer, and the ladder's start and end."""

    def get(self, incident_id: str) -> Incident | None: ...

    def create(self, incident: Incident) -> bool:
        """Store a new incident; False if one with this id already exists."""
        ...

    def claim_code(self, program_id: str, incident_id: str, now: datetime) -> str:
        """Reserve a short code, unique among the program's recent incidents."""
        ...

    def release_code(self, program_id: str, code: str, incident_id: str) -> None: ...

    def accept(self, incident_id: str, clinician_id: str, now: datetime) -> Closed:
        """open -> accepted, unless a page is being sent (its lease not yet lapsed); with
        the incident as the write left it (or as it stands, when it was not written)."""
        ...

    def resolve(self, incident_id: str, clinician_id: str, now: datetime,
                follow_up_due: datetime | None = None) -> Closed:
        """open or accepted -> resolved, unless a page is being sent (as for accept). With
        ``follow_up_due``, the resolving clinician owns a follow-up due then."""
        ...

    def refer(self, incident_id: str, now: datetime, referral: dict[str, str]) -> bool:
        """triggered -> referred; False when the incident was not triggered."""
        ...

    def end_ladder(self, incident_id: str, now: datetime) -> bool:
        """Record that the ladder ran out (``ladder_ended_at``, the first instant kept)
        while the incident is open; False when it was accepted or resolved first."""
        ...
