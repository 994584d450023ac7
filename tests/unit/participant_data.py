"""A participant's record as an admin's JSON document, for the participant tests. Every
text in it is distinctive, so a test can scan SMS, timelines and logs for any of it."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from tests.fakes.clock import T0

PID = "ptc-7f3a"
PREFERRED_NAME = "Jordan Quillfeather"
SUPPORT_CONSENTING = {"name": "Rosa Quillfeather", "relationship": "sister",
                      "phone": "+15035550177", "consent_to_notify": True,
                      "consent_recorded_at": "2026-11-01T17:00:00Z"}
SUPPORT_NOT_CONSENTING = {"name": "Dale Marrowby", "relationship": "sponsor",
                          "phone": "+15035550178", "consent_to_notify": False}
PLAN = {
    "warning_signs": ["Stops answering texts from Rosa", "Sleeping under 4 hours"],
    "internal_coping": ["Walk the Springwater trail", "Box breathing, 4 counts"],
    "distractions": ["Saturday pottery class at Clayworks"],
    "help_contacts": ["Rosa (sister) +15035550177"],
    "professionals": ["Dr. Imani Okonkwo, therapist, +15035550166",
                      "Multnomah crisis line +15039884888"],
    "environment_safety": ["Medications locked with Rosa", "No alcohol at home"],
}
LOCATION = {
    "description": "home, 4410 SE Quillan Ave, Portland",
    "confirmed_at": (T0 - timedelta(hours=3)).isoformat(),
    "crisis_line": "+15039884888",
    "mobile_crisis_team": "+15039884999",
    "emergency_department": "OHSU Hospital Emergency Department",
    "emergency_department_phone": "+15034948311",
    "emergency_call_center": "+15038233333",
}
# What must never leave the participant's record (SMS, timeline, logs, alerts, metrics).
PLAN_TEXTS = [entry for entries in PLAN.values() for entry in entries]
PRIVATE = [PREFERRED_NAME, "Quillfeather", "Rosa", "Dale Marrowby", "Quillan Ave",
           "+15035550177", "+15035550178", *PLAN_TEXTS]


def document(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "participant_id": PID,
        "program_id": "west-iop",
        "preferred_name": PREFERRED_NAME,
        "safety_plan": copy.deepcopy(PLAN),
        "support_persons": [dict(SUPPORT_CONSENTING), dict(SUPPORT_NOT_CONSENTING)],
        "location": dict(LOCATION),
    }
    doc.update(overrides)
    return doc


def stored(version: int = 1, at: datetime = T0, by: str = "admin-kim",
           **overrides: Any) -> dict[str, Any]:
    """A version's fields as the store holds them."""
    return {**document(), "version": version, "updated_at": at.isoformat(),
            "updated_by": by, **overrides}


def location(confirmed_at: datetime, **overrides: Any) -> dict[str, Any]:
    return {**LOCATION, "confirmed_at": confirmed_at.isoformat(), **overrides}
