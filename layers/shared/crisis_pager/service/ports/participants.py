"""The Participants and BriefLinks ports: safety plans, disclosures, notices; secure links."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ...domain.brief import BriefLink
from ...domain.errors import InvalidItem
from ...domain.participant import Participant
from ...domain.referral import EmergencyDisclosure


class BriefLinks(Protocol):
    """The clinicians' secure links (service/briefs.py): stored by the SHA-256 of their
    token, never the token itself."""

    def put(self, link: BriefLink) -> bool:
        """Store a new link; False if a link with this hash already exists (never
        overwritten)."""
        ...

    def get(self, token_hash: str) -> BriefLink | None: ...


class Participants(Protocol):
    """Participants' safety plans, versioned: each save is a new item and no version is
    ever changed. Also the record of disclosures made about a participant, and the
    referral's once-per-incident notices."""

    def current(self, participant_id: str) -> Participant | None:
        """The latest version (a consistent read); raises InvalidItem when it is malformed."""
        ...

    def latest_version(self, participant_id: str) -> int:
        """The latest version's number, however its content reads; 0 when there is none."""
        ...

    def history(self, participant_id: str) -> list[Participant | InvalidItem]:
        """Every version, newest first; a malformed one as its InvalidItem."""
        ...

    def add_version(self, participant: Participant) -> bool:
        """Store a new version; False when that version already exists (a concurrent
        save won it)."""
        ...

    def record_disclosure(self, participant_id: str, disclosure: EmergencyDisclosure) -> bool:
        """Append a disclosure to the participant's record; False if already recorded."""
        ...

    def claim_notice(self, incident_id: str, key: str, now: datetime) -> bool:
        """Claim a once-per-incident notice (a support person's SMS); False if claimed."""
        ...
