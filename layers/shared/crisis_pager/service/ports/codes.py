"""The ReplyCodes port: the code each phone replies with for each incident that paged it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ...domain.incident import Incident, Page


class ReplyCodes(Protocol):
    """Reply codes, unique among one phone's open pages, and the page a reply names."""

    def claim_page_code(self, phone: str, clinician_id: str, preferred: str,
                        incident_id: str, now: datetime) -> str:
        """The code this phone replies with for this incident: ``preferred`` unless another
        open incident already holds it for this phone; stable for one incident."""
        ...

    def open_codes(self, phone: str, now: datetime) -> list[tuple[str, Incident]]:
        """The codes this phone holds for incidents that are still open, oldest first."""
        ...

    def find_page(self, phone: str, code: str) -> Page | None:
        """The latest page with this code sent to this phone number."""
        ...
