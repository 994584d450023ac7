"""The demo program: West IOP, three clinicians, rotas for primary, backup and supervisor.

Items are written exactly as an admin would write them at the DynamoDB console.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

PROGRAM_ID = "west-iop"
TIMEZONE = "America/Los_Angeles"
HANDOFF = "08:00"

CLINICIANS = [
    {"clinician_id": "clin-ana", "name": "Ana Alvarez", "phone": "+15035550101"},
    {"clinician_id": "clin-ben", "name": "Ben Okafor", "phone": "+15035550102"},
    {"clinician_id": "clin-caro", "name": "Caro Lindqvist", "phone": "+15035550103"},
]

PROGRAM = {
    "program_id": PROGRAM_ID,
    "key": "program",
    "display_name": "West IOP",
    "hotline_number": "+15035550100",
    "crisis_line": "+15035550111",
    "mobile_crisis_team": "+15035550122",
    "emergency_department": "Providence Portland Medical Center ED",
    "emergency_department_phone": "+15035550133",
}


def current_shift_start(now: datetime) -> str:
    """The local date of the handoff that began the shift running at `now`, so the
    demo's rotas put Ana on primary, Ben on backup and Caro on supervisor today."""
    local = now.astimezone(ZoneInfo(TIMEZONE))
    hh, mm = (int(x) for x in HANDOFF.split(":"))
    day = local.date()
    if (local.hour, local.minute) < (hh, mm):
        day -= timedelta(days=1)
    return day.isoformat()


def rotas(now: datetime) -> list[dict[str, Any]]:
    starts_on = current_shift_start(now)

    def rota(name: str, members: list[str]) -> dict[str, Any]:
        return {"program_id": PROGRAM_ID, "key": f"rota#{name}", "timezone": TIMEZONE,
                "handoff": HANDOFF, "shift_days": 7, "starts_on": starts_on,
                "members": members}

    return [
        rota("primary", ["clin-ana", "clin-ben"]),
        rota("backup", ["clin-ben", "clin-ana"]),
        rota("supervisor", ["clin-caro"]),
    ]


def seed(stack: Any) -> None:
    stack.put_items("ProgramsTable", [PROGRAM, *rotas(stack.clock.now())])
    stack.put_items("CliniciansTable", CLINICIANS)
    streams = getattr(stack, "streams", None)
    if streams is not None:  # the rota guard has checked the seed before anything runs
        streams.drain(flush=True)


def phone_of(clinician_id: str) -> str:
    return next(c["phone"] for c in CLINICIANS if c["clinician_id"] == clinician_id)


def name_of(clinician_id: str) -> str:
    return next(c["name"] for c in CLINICIANS if c["clinician_id"] == clinician_id)
