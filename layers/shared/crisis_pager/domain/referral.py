"""The local emergency referral handed to the hotline for the warm handoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .program import LocalResources, Program


@dataclass(frozen=True)
class Referral:
    incident_id: str
    made_at: datetime
    resources: LocalResources
    source: str  # where the resources came from

    def as_dict(self) -> dict[str, str]:
        return {**self.resources.as_dict(), "source": self.source,
                "made_at": self.made_at.isoformat()}


def build_referral(incident_id: str, program: Program, now: datetime) -> Referral:
    return Referral(incident_id, now, program.resources, source="program defaults")
