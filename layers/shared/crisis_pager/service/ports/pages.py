"""The Pages port: a rung's claim on its incident (the paging lease) and its page."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ...domain.incident import Incident, Page


class Pages(Protocol):
    """A rung's claim, its lease, its page (SMS, delivery, call, pass): conditional writes."""

    def claim_rung(
        self, incident_id: str, position: int, target: str, clinician_id: str, task_token: str,
        lease_until: datetime,
    ) -> Incident | None:
        """Make `position` the current rung, if the incident is open and not past it, and
        hold the paging lease until ``lease_until`` (acceptances wait for it). Returns the
        incident as the claim left it; None when it could not claim (closed, moved past,
        or no such incident)."""
        ...

    def renew_lease(self, incident_id: str, position: int, lease_until: datetime) -> bool:
        """Take the paging lease again for `position`, if the incident is open and still
        at that rung; False otherwise (accepted, resolved or moved on: do not page)."""
        ...

    def release_rung(self, incident_id: str, position: int, now: datetime) -> None:
        """End the paging lease at ``now``: the rung's SMS went out (or failed). An
        acceptance (resolution, take-over) whose instant is before ``now`` waits, so
        none is ever recorded at an instant before a page that went out ahead of it."""
        ...

    def record_page(self, page: Page) -> bool:
        """Store the page of a rung; False if that rung's page is already stored."""
        ...

    def page_for(self, incident_id: str, position: int) -> Page | None: ...

    def set_page_sent(self, incident_id: str, position: int, message_sid: str,
                      released_at: datetime | None = None) -> None:
        """The rung's SMS went out: its message id on the page. With ``released_at``, the
        rung's paging lease ends then too, in the same write (as release_rung)."""
        ...

    def mark_sms_failed(self, incident_id: str, position: int, now: datetime,
                        error_code: int | None) -> bool:
        """Record that the rung's SMS did not reach the handset; False if already recorded."""
        ...

    def start_call(self, incident_id: str, position: int, now: datetime) -> bool:
        """Claim the rung's one voice call; False if it was already placed."""
        ...

    def set_call_sid(self, incident_id: str, position: int, call_sid: str) -> None: ...

    def end_call(self, incident_id: str, position: int, now: datetime, status: str) -> bool:
        """Record the end of the rung's call; False if already recorded."""
        ...

    def record_pass(self, incident_id: str, position: int, clinician_id: str,
                    now: datetime) -> bool:
        """The rung's clinician passes: only while the incident is open and still waiting
        on that rung, and once."""
        ...
