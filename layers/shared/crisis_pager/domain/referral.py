"""The local emergency referral handed to the hotline for the warm handoff, and the record
of that disclosure (42 CFR 2.51).

The referral uses the participant's last confirmed location and its local resources when
that location is fresh (confirmed within the program's ``location_max_age``, 24 hours by
default: virtual IOP sessions confirm where the participant is at each session). Otherwise
it falls back to the program's defaults and says why in ``source``. 988 and 911 route by
the caller's location, not the participant's, so the referral carries direct local
numbers, including the local emergency call center (PSAP).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .incident import Incident
from .participant import Location, Participant
from .program import DEFAULT_LOCATION_MAX_AGE, RESOURCE_FIELDS, LocalResources, Program

SOURCE_LOCATION = "participant's last confirmed location"
NO_CALL_CENTER = ("no direct number of the local emergency call center is on file; 911 "
                  "from the hotline reaches the hotline's own area, not the participant's")
# A location confirmed a little "in the future" is clock skew between systems, not an error.
FUTURE_TOLERANCE = timedelta(minutes=5)
REGULATION = "42 CFR 2.51 (medical emergency)"


def age_text(age: timedelta) -> str:
    """A readable age: '45 minutes', '26 hours', '3 days'."""
    minutes = int(age.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hours"
    return f"{hours // 24} days"


@dataclass(frozen=True)
class Referral:
    incident_id: str
    made_at: datetime
    resources: LocalResources | None  # None: neither the participant's nor the program's
    source: str  # where the resources came from, and why (in words the hotline reads)
    stale: bool = False  # a location was on file but too old to use (or dated ahead)
    location: Location | None = None  # the participant's location, when it was used
    location_confirmed_at: datetime | None = None  # of the location on file, used or not
    participant_version: int | None = None  # the plan version read, if any

    @property
    def missing(self) -> list[str]:
        if self.resources is not None and not self.resources.emergency_call_center:
            return ["emergency_call_center"]
        return []

    def as_dict(self) -> dict[str, Any]:
        """What the hotline receives (and the incident item keeps): the resources, the
        location's description and confirmation time when used, the source, the flag."""
        out: dict[str, Any] = dict(self.resources.as_dict()) if self.resources else {}
        out.update(source=self.source, stale=self.stale, made_at=self.made_at.isoformat())
        if self.missing:
            out["missing"] = self.missing
        if self.location is not None:
            out["location_description"] = self.location.description
        if self.location_confirmed_at is not None:
            out["location_confirmed_at"] = self.location_confirmed_at.isoformat()
        if self.participant_version is not None:
            out["participant_version"] = self.participant_version
        return out

    def timeline_detail(self) -> dict[str, Any]:
        """The timeline's record of it: never the location's description, nor the emergency
        department's name (it places the participant); the source, when the location was
        confirmed, staleness, and the numbers handed over."""
        out: dict[str, Any] = {"source": self.source, "stale": self.stale,
                               "made_at": self.made_at.isoformat()}
        if self.resources is not None:
            r = self.resources
            out.update(crisis_line=r.crisis_line, mobile_crisis_team=r.mobile_crisis_team,
                       emergency_department_phone=r.emergency_department_phone)
            if r.emergency_call_center:
                out["emergency_call_center"] = r.emergency_call_center
        if self.missing:
            out["missing"] = self.missing
        if self.location_confirmed_at is not None:
            out["location_confirmed_at"] = self.location_confirmed_at.isoformat()
        out["location_used"] = self.location is not None
        if self.participant_version is not None:
            out["participant_version"] = self.participant_version
        return out


def build_referral(
    incident_id: str,
    program: Program | None,
    participant: Participant | None,
    now: datetime,
    *,
    participant_problem: str | None = None,
    program_problem: str | None = None,
) -> Referral:
    """The referral, never refused: the participant's fresh location, else the program's
    defaults (saying why), else nothing but the reason (the hotline uses its own).

    ``participant_problem`` says why ``participant`` is None (no record, a malformed one, the
    store failed); ``program_problem`` why ``program`` is None."""
    max_age = program.location_max_age if program is not None else DEFAULT_LOCATION_MAX_AGE
    location = participant.location if participant is not None else None
    version = participant.version if participant is not None else None
    confirmed = location.confirmed_at if location is not None else None
    stale = False
    if location is not None:
        age = now - location.confirmed_at
        if -FUTURE_TOLERANCE <= age <= max_age:
            return Referral(incident_id, now, location.resources, SOURCE_LOCATION,
                            location=location, location_confirmed_at=confirmed,
                            participant_version=version)
        stale = True
        why = (f"the participant's location was last confirmed {age_text(age)} ago "
               f"(older than {age_text(max_age)})" if age > max_age else
               "the participant's location has a confirmation time in the future")
    elif participant is not None:
        why = "no location on file for the participant"
    else:
        why = participant_problem or "no participant record on file"
    if program is None or program.resources is None:
        if program is None:
            problem = program_problem or "the program item is missing"
        else:
            fields = sorted({p.field for p in program.problems if p.field in RESOURCE_FIELDS})
            problem = (f"the program item's {' and '.join(fields)} "
                       f"{'is' if len(fields) == 1 else 'are'} malformed")
        return Referral(incident_id, now, None,
                        f"unavailable ({problem}; {why}); use the hotline's local resources",
                        stale=stale, location_confirmed_at=confirmed,
                        participant_version=version)
    source = f"program defaults: {why}"
    if not program.resources.emergency_call_center:
        source += f"; {NO_CALL_CENTER}"
    return Referral(incident_id, now, program.resources, source, stale=stale,
                    location_confirmed_at=confirmed, participant_version=version)


# ---------------------------------------------------------------- the disclosure record


@dataclass(frozen=True)
class HotlineRecipient:
    """Who receives the hotline's callbacks: the name and affiliation a disclosure names."""

    hotline_id: str
    name: str
    affiliation: str


@dataclass(frozen=True)
class EmergencyDisclosure:
    """What 42 CFR 2.51(c) asks a program to record when it discloses in a medical
    emergency: who received it and their affiliation, who disclosed it, when, and the
    nature of the emergency; plus which categories of information went (names, not values)."""

    incident_id: str
    at: datetime
    recipient: str
    recipient_affiliation: str
    recipient_id: str
    disclosed_by: str
    nature_of_emergency: str
    information_disclosed: tuple[str, ...]
    severity: str
    minutes_without_acceptance: int
    regulation: str = REGULATION

    def as_entry(self) -> dict[str, Any]:
        return {
            "recipient": self.recipient,
            "recipient_affiliation": self.recipient_affiliation,
            "recipient_id": self.recipient_id,
            "disclosed_by": self.disclosed_by,
            "disclosed_at": self.at.isoformat(),
            "nature_of_emergency": self.nature_of_emergency,
            "severity": self.severity,
            "minutes_without_acceptance": self.minutes_without_acceptance,
            "information_disclosed": list(self.information_disclosed),
            "regulation": self.regulation,
        }


def disclosed_categories(payload: dict[str, Any]) -> tuple[str, ...]:
    """The field names of a callback payload, nested ones dotted: ``referral.crisis_line``."""
    names: list[str] = []
    for key, value in payload.items():
        if isinstance(value, dict):
            names += [f"{key}.{sub}" for sub in value]
        else:
            names.append(key)
    return tuple(names)


def emergency_disclosure(incident: Incident, program_name: str | None,
                         recipient: HotlineRecipient, payload: dict[str, Any],
                         now: datetime) -> EmergencyDisclosure:
    """The disclosure made by posting the referral (``payload``) to the hotline."""
    referred_at = incident.referred_at or now
    minutes = max(0, round((referred_at - incident.opened_at).total_seconds() / 60))
    who = (f"{program_name} ({incident.program_id})" if program_name
           else incident.program_id)
    return EmergencyDisclosure(
        incident_id=incident.incident_id,
        at=now,
        recipient=recipient.name,
        recipient_affiliation=recipient.affiliation,
        recipient_id=recipient.hotline_id,
        disclosed_by=f"{who}, via crisis-pager (automated emergency escalation)",
        nature_of_emergency=(
            f"{incident.severity.value} crisis: no on-call clinician accepted within "
            f"{minutes} minutes; local emergency referral for the hotline's warm handoff"),
        information_disclosed=disclosed_categories(payload),
        severity=incident.severity.value,
        minutes_without_acceptance=minutes,
    )


def support_notice_key(phone: str) -> str:
    """The once-per-incident key of a support person's text: by phone (hashed, so the
    claim item holds no number), so neither a new plan version nor two entries with one
    number text a person twice."""
    return "support#" + hashlib.sha256(phone.encode()).hexdigest()[:24]
