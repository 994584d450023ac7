"""The local emergency referral handed to the hotline for the warm handoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .program import Program


@dataclass(frozen=True)
class Referral:
    incident_id: str
    made_at: datetime
    crisis_line: str
    mobile_crisis_team: str
    emergency_department: str
    emergency_department_phone: str
    source: str  # where the resources came from

    def as_dict(self) -> dict[str, str]:
        return {
            "crisis_line": self.crisis_line,
            "mobile_crisis_team": self.mobile_crisis_team,
            "emergency_department": self.emergency_department,
            "emergency_department_phone": self.emergency_department_phone,
            "source": self.source,
            "made_at": self.made_at.isoformat(),
        }


def build_referral(incident_id: str, program: Program, now: datetime) -> Referral:
    r = program.resources
    return Referral(
        incident_id=incident_id,
        made_at=now,
        crisis_line=r.crisis_line,
        mobile_crisis_team=r.mobile_crisis_team,
        emergency_department=r.emergency_department,
        emergency_department_phone=r.emergency_department_phone,
        source="program defaults",
    )
