"""Participants: their Stanley-Brown safety plan, support persons and last confirmed location.

PHI lives here and only here (and in the participants table): the preferred name, the
safety plan, the support persons and the location never appear in an SMS, a log line, a
metric, an execution input or a timeline entry. Versioned: each save is a new version;
a version is never changed once written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from .errors import DomainError, InvalidItem
from .program import E164, LocalResources

TABLE = "participants"
PARTICIPANT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")  # opaque; always fullmatch
PROGRAM_ID = re.compile(r"[a-z0-9][a-z0-9-]{1,62}")  # as the intake checks it
MAX_ENTRIES = 20  # per safety-plan section
MAX_ENTRY = 300  # characters per entry
MAX_SUPPORT_PERSONS = 5
MAX_VERSION = 999_999
# A location may be confirmed at most this long after the version that records it was saved
# (clock skew between the session system and us).
FUTURE_TOLERANCE = timedelta(minutes=5)


@dataclass(frozen=True)
class SafetyPlan:
    """The six sections of a Stanley-Brown safety plan, each a list of short entries."""

    warning_signs: tuple[str, ...] = ()
    internal_coping: tuple[str, ...] = ()
    distractions: tuple[str, ...] = ()  # people and social settings that provide distraction
    help_contacts: tuple[str, ...] = ()  # people whom the participant can ask for help
    professionals: tuple[str, ...] = ()  # professionals and agencies (name and phone as text)
    environment_safety: tuple[str, ...] = ()  # making the environment safe

    # (field, title), in the order of the plan: render the sections in this order.
    SECTIONS: ClassVar[tuple[tuple[str, str], ...]] = (
        ("warning_signs", "Warning signs"),
        ("internal_coping", "Internal coping strategies"),
        ("distractions", "People and social settings that provide distraction"),
        ("help_contacts", "People whom I can ask for help"),
        ("professionals", "Professionals or agencies I can contact during a crisis"),
        ("environment_safety", "Making the environment safe"),
    )

    def sections(self) -> list[tuple[str, str, tuple[str, ...]]]:
        """(field, title, entries) for each section, in the plan's order."""
        return [(name, title, getattr(self, name)) for name, title in self.SECTIONS]

    @property
    def is_empty(self) -> bool:
        return not any(entries for _, _, entries in self.sections())


@dataclass(frozen=True)
class SupportPerson:
    name: str
    relationship: str  # "sister", "sponsor", ...
    phone: str  # E.164
    consent_to_notify: bool  # the participant consented to this person being notified
    consent_recorded_at: datetime | None = None


@dataclass(frozen=True)
class Location:
    """Where the participant said they are, when, and the local resources for that place."""

    description: str  # e.g. "home, SE Portland"; PHI: never logged or sent in an SMS
    confirmed_at: datetime
    resources: LocalResources  # emergency_call_center required here


@dataclass(frozen=True)
class Participant:
    participant_id: str  # opaque; the incident's participant_ref
    program_id: str
    version: int  # 1, 2, ...: each save is a new version
    updated_at: datetime
    updated_by: str  # who saved this version (an admin, "session", ...)
    preferred_name: str | None
    plan: SafetyPlan
    support_persons: tuple[SupportPerson, ...] = ()
    location: Location | None = None


class ParticipantConflict(DomainError):
    """A save could not land as the next version: another save won (when the caller named
    the version it edited), or the participant belongs to another program."""


def version_key(version: int) -> str:
    """The sort key of a version: v#000001 (sorts in version order)."""
    return f"v#{version:06d}"


# ---------------------------------------------------------------- validation
#
# Reasons never quote the value: a participant's record is PHI, and an error message may
# reach a log line or an admin alert.

DOCUMENT_FIELDS = ("program_id", "preferred_name", "safety_plan", "support_persons", "location")
VERSION_FIELDS = ("version", "updated_at", "updated_by")
SUPPORT_FIELDS = ("name", "relationship", "phone", "consent_to_notify", "consent_recorded_at")
LOCATION_FIELDS = ("description", "confirmed_at", "crisis_line", "mobile_crisis_team",
                   "emergency_department", "emergency_department_phone",
                   "emergency_call_center")


class _Check:
    def __init__(self, participant_id: str, version: object) -> None:
        self.key = (f"{participant_id} / {version_key(version)}"
                    if isinstance(version, int) and not isinstance(version, bool)
                    else participant_id)

    def fail(self, field: str, reason: str) -> InvalidItem:
        return InvalidItem(TABLE, self.key, field, reason)

    def text(self, field: str, value: object, limit: int, *, optional: bool = False
             ) -> str | None:
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, "is missing or empty")
        if len(value.strip()) > limit:
            raise self.fail(field, f"is longer than {limit} characters")
        return value.strip()

    def required(self, field: str, value: object, limit: int) -> str:
        text = self.text(field, value, limit)
        assert text is not None
        return text

    def phone(self, field: str, value: object) -> str:
        if not isinstance(value, str) or not E164.fullmatch(value):
            raise self.fail(field, "is not an E.164 number like +15035550100")
        return value

    def instant(self, field: str, value: object) -> datetime:
        if isinstance(value, datetime):
            at = value
        elif isinstance(value, str):
            try:
                at = datetime.fromisoformat(value.strip())
            except ValueError:
                raise self.fail(field, "is not an ISO 8601 date and time") from None
        else:
            raise self.fail(field, "is missing or not an ISO 8601 date and time")
        if at.tzinfo is None:
            raise self.fail(field, "has no UTC offset (write e.g. 2026-11-23T18:00:00Z)")
        return at.astimezone(UTC)

    def mapping(self, field: str, value: object, allowed: tuple[str, ...]
                ) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(field, "is not a map")
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise self.fail(f"{field}.{unknown[0]}" if field else unknown[0],
                            f"is not a field (expected one of: {', '.join(allowed)})")
        return value

    def entries(self, field: str, value: object) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, (list, tuple)):
            raise self.fail(field, "is not a list of texts")
        if len(value) > MAX_ENTRIES:
            raise self.fail(field, f"has more than {MAX_ENTRIES} entries")
        return tuple(self.required(f"{field}[{i}]", v, MAX_ENTRY) for i, v in enumerate(value))


def _plan(check: _Check, value: object) -> SafetyPlan:
    if value is None:
        return SafetyPlan()
    names = tuple(name for name, _ in SafetyPlan.SECTIONS)
    raw = check.mapping("safety_plan", value, names)
    return SafetyPlan(**{n: check.entries(f"safety_plan.{n}", raw.get(n)) for n in names})


def _support_person(check: _Check, i: int, value: object) -> SupportPerson:
    field = f"support_persons[{i}]"
    raw = check.mapping(field, value, SUPPORT_FIELDS)
    consent = raw.get("consent_to_notify", False)
    if not isinstance(consent, bool):
        raise check.fail(f"{field}.consent_to_notify", "must be true or false")
    recorded = raw.get("consent_recorded_at")
    recorded_at = (check.instant(f"{field}.consent_recorded_at", recorded)
                   if recorded is not None else None)
    if consent and recorded_at is None:
        raise check.fail(f"{field}.consent_recorded_at",
                         "is missing: record when the participant gave consent")
    return SupportPerson(
        name=check.required(f"{field}.name", raw.get("name"), 80),
        relationship=check.required(f"{field}.relationship", raw.get("relationship"), 40),
        phone=check.phone(f"{field}.phone", raw.get("phone")),
        consent_to_notify=consent,
        consent_recorded_at=recorded_at,
    )


def location_from_fields(check: _Check, value: object, saved_at: datetime | None) -> Location:
    raw = check.mapping("location", value, LOCATION_FIELDS)
    confirmed_at = check.instant("location.confirmed_at", raw.get("confirmed_at"))
    if saved_at is not None and confirmed_at > saved_at + FUTURE_TOLERANCE:
        raise check.fail("location.confirmed_at", "is later than the time this version was saved")
    return Location(
        description=check.required("location.description", raw.get("description"), 200),
        confirmed_at=confirmed_at,
        resources=LocalResources(
            crisis_line=check.phone("location.crisis_line", raw.get("crisis_line")),
            mobile_crisis_team=check.phone("location.mobile_crisis_team",
                                           raw.get("mobile_crisis_team")),
            emergency_department=check.required("location.emergency_department",
                                                raw.get("emergency_department"), 80),
            emergency_department_phone=check.phone("location.emergency_department_phone",
                                                   raw.get("emergency_department_phone")),
            emergency_call_center=check.phone("location.emergency_call_center",
                                              raw.get("emergency_call_center")),
        ),
    )


def participant_from_fields(participant_id: str, fields: Mapping[str, object]) -> Participant:
    """A version as stored (or about to be): the document fields (DOCUMENT_FIELDS) and the
    version's own (version, updated_at, updated_by). Raises InvalidItem naming the table,
    the key (participant id / v#NNNNNN), the field and the reason, never the value."""
    version = fields.get("version")
    check = _Check(participant_id, version)
    if not PARTICIPANT_ID.fullmatch(participant_id):
        raise check.fail("participant_id", "must be 1 to 64 letters, digits, '-' or '_'")
    check.mapping("", fields, DOCUMENT_FIELDS + VERSION_FIELDS + ("participant_id",))
    if fields.get("participant_id", participant_id) != participant_id:
        raise check.fail("participant_id", "does not match the item's key")
    if isinstance(version, bool) or not isinstance(version, int) or not (
            1 <= version <= MAX_VERSION):
        raise check.fail("version", f"must be a whole number from 1 to {MAX_VERSION}")
    program_id = fields.get("program_id")
    if not isinstance(program_id, str) or not PROGRAM_ID.fullmatch(program_id):
        raise check.fail("program_id", "is not a program id like west-iop")
    updated_at = check.instant("updated_at", fields.get("updated_at"))
    persons = fields.get("support_persons") or []
    if not isinstance(persons, (list, tuple)):
        raise check.fail("support_persons", "is not a list")
    if len(persons) > MAX_SUPPORT_PERSONS:
        raise check.fail("support_persons", f"has more than {MAX_SUPPORT_PERSONS} persons")
    location = fields.get("location")
    return Participant(
        participant_id=participant_id,
        program_id=program_id,
        version=version,
        updated_at=updated_at,
        updated_by=check.required("updated_by", fields.get("updated_by"), 64),
        preferred_name=check.text("preferred_name", fields.get("preferred_name"), 60,
                                  optional=True),
        plan=_plan(check, fields.get("safety_plan")),
        support_persons=tuple(_support_person(check, i, p) for i, p in enumerate(persons)),
        location=(location_from_fields(check, location, updated_at)
                  if location is not None else None),
    )


def _iso(at: datetime | None) -> str | None:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z") if at is not None else None


def location_document(location: Location) -> dict[str, Any]:
    r = location.resources
    doc: dict[str, Any] = {
        "description": location.description,
        "confirmed_at": _iso(location.confirmed_at),
        "crisis_line": r.crisis_line,
        "mobile_crisis_team": r.mobile_crisis_team,
        "emergency_department": r.emergency_department,
        "emergency_department_phone": r.emergency_department_phone,
    }
    if r.emergency_call_center is not None:
        doc["emergency_call_center"] = r.emergency_call_center
    return doc


def participant_document(p: Participant) -> dict[str, Any]:
    """The version as fields (the inverse of participant_from_fields): what is stored, and
    the admin's JSON file. Absent values are left out."""
    doc: dict[str, Any] = {
        "participant_id": p.participant_id,
        "program_id": p.program_id,
        "version": p.version,
        "updated_at": _iso(p.updated_at),
        "updated_by": p.updated_by,
        "safety_plan": {name: list(entries) for name, _, entries in p.plan.sections()},
        "support_persons": [
            {k: v for k, v in {
                "name": s.name, "relationship": s.relationship, "phone": s.phone,
                "consent_to_notify": s.consent_to_notify,
                "consent_recorded_at": _iso(s.consent_recorded_at)}.items() if v is not None}
            for s in p.support_persons],
    }
    if p.preferred_name is not None:
        doc["preferred_name"] = p.preferred_name
    if p.location is not None:
        doc["location"] = location_document(p.location)
    return doc


def next_version(current: Participant | None, latest: int, changes: Mapping[str, object],
                 *, by: str, now: datetime, participant_id: str) -> Participant:
    """The version after ``latest``: ``changes`` (document fields) over the current
    version's (an admin edit or a location update copies the rest), validated."""
    base = participant_document(current) if current is not None else {}
    for name in VERSION_FIELDS:
        base.pop(name, None)
    fields: dict[str, object] = {**base, **dict(changes)}
    fields.update(version=latest + 1, updated_at=now, updated_by=by)
    fields.setdefault("participant_id", participant_id)
    return participant_from_fields(participant_id, fields)
