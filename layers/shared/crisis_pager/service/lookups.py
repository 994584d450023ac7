"""Reads of admin items that must never stop a crisis: a missing or malformed clinician
item reads as None, and the caller says so in its own words. (A program item is never
unreadable for a typo: Directory.program reads a malformed field as its stand-in.)"""

from __future__ import annotations

from ..domain.errors import InvalidItem
from .ports.directory import Directory


def clinician_name(directory: Directory, clinician_id: str) -> str | None:
    try:
        clinician = directory.clinician(clinician_id)
    except InvalidItem:
        return None
    return clinician.name if clinician else None
