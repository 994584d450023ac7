"""What a DynamoDB stream record (Lambda's event shape) is about, from its keys and who
made it only: never its images, which carry phone numbers and incident details."""

from __future__ import annotations

from typing import Any

from ...domain.edits import CLINICIANS, PROGRAMS, Edit
from ...domain.timeline import TimelineChange
from .admin_items import ClinicianItem, ProgramItem
from .timeline import TimelineEntry


def _stream_key(record: dict[str, Any], name: str) -> str | None:
    """A string key attribute of a DynamoDB stream record (Lambda's event shape)."""
    value = (record.get("dynamodb", {}).get("Keys") or {}).get(name)
    return str(value["S"]) if isinstance(value, dict) and "S" in value else None


def timeline_change_from_stream(record: dict[str, Any]) -> TimelineChange:
    """What a timeline stream record says, from its keys and who made it only (never its
    images). A TTL expiry names DynamoDB as a Service principal in userIdentity."""
    identity = record.get("userIdentity") or {}
    return TimelineChange(
        event=str(record.get("eventName", "")),
        incident_id=_stream_key(record, TimelineEntry.incident_id.attr_name) or "?",
        seq=_stream_key(record, TimelineEntry.seq.attr_name) or "?",
        service=(str(identity.get("principalId", ""))
                 if identity.get("type") == "Service" else None),
    )


# ---------------------------------------------------------------- admin-edited tables


def edit_from_stream(record: dict[str, Any]) -> Edit | None:
    """The admin edit a DynamoDB stream record (Lambda's event shape) is about, from its
    Keys only (never its images, which carry phone numbers); None for items the rota guard
    does not watch."""
    def text(name: str) -> str | None:
        return _stream_key(record, name)

    program_id, key = text(ProgramItem.program_id.attr_name), text(ProgramItem.key.attr_name)
    if program_id is not None and key is not None:
        watched = key == "program" or key.startswith(("rota#", "override#"))
        return Edit(PROGRAMS, key, program_id) if watched else None
    clinician_id = text(ClinicianItem.clinician_id.attr_name)
    return Edit(CLINICIANS, clinician_id) if clinician_id is not None else None
