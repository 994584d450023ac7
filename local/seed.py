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


# A demo participant of West IOP: a full Stanley-Brown plan, a support person who consented
# to be notified (and one who did not), and a location confirmed at today's session whose
# local resources differ from the program's defaults, so a referral shows it used them.
DEMO_PARTICIPANT_ID = "ptc-west-0001"
DEMO_LOCATION = {
    "description": "home (demo address), Gresham OR",
    "crisis_line": "+15035550311",
    "mobile_crisis_team": "+15035550322",
    "emergency_department": "Legacy Mount Hood Medical Center ED",
    "emergency_department_phone": "+15035550333",
    "emergency_call_center": "+15035550344",
}
SUPPORT_CONSENTING_PHONE = "+15035550177"
SUPPORT_NOT_CONSENTING_PHONE = "+15035550178"


def participants(now: datetime) -> list[dict[str, Any]]:
    """The demo participants as admins' JSON documents (see `crisis-pager participant`)."""
    return [{
        "participant_id": DEMO_PARTICIPANT_ID,
        "program_id": PROGRAM_ID,
        "preferred_name": "Sam (demo)",
        "safety_plan": {
            "warning_signs": ["Skipping meals", "Isolating in my room"],
            "internal_coping": ["Walk around the block", "Play guitar"],
            "distractions": ["Coffee with my cousin", "The library's board-game night"],
            "help_contacts": ["My sister (demo)", "My sponsor (demo)"],
            "professionals": ["West IOP on-call line +15035550100",
                              "988 Suicide and Crisis Lifeline: call or text 988"],
            "environment_safety": ["Medications kept by my sister"],
        },
        "support_persons": [
            {"name": "Alex Demo", "relationship": "sister", "phone": SUPPORT_CONSENTING_PHONE,
             "consent_to_notify": True,
             "consent_recorded_at": (now - timedelta(days=30)).isoformat()},
            {"name": "Chris Demo", "relationship": "sponsor",
             "phone": SUPPORT_NOT_CONSENTING_PHONE, "consent_to_notify": False},
        ],
        "location": {**DEMO_LOCATION,
                     "confirmed_at": (now - timedelta(hours=2)).isoformat()},
    }]


def seed(stack: Any) -> None:
    stack.put_items("ProgramsTable", [PROGRAM, *rotas(stack.clock.now())])
    stack.put_items("CliniciansTable", CLINICIANS)
    from crisis_pager import bootstrap
    from crisis_pager.service.participants import save_participant

    for document in participants(stack.clock.now()):  # validated, as the CLI saves them
        save_participant(document, by="seed", participants=bootstrap.participants(),
                         clock=stack.clock)
    streams = getattr(stack, "streams", None)
    if streams is not None:  # the rota guard has checked the seed before anything runs
        streams.drain(flush=True)


def phone_of(clinician_id: str) -> str:
    return next(c["phone"] for c in CLINICIANS if c["clinician_id"] == clinician_id)


def name_of(clinician_id: str) -> str:
    return next(c["name"] for c in CLINICIANS if c["clinician_id"] == clinician_id)
