"""Reads of admin items that must never stop a crisis: a missing or malformed program or
clinician item reads as None, and the caller says so in its own words."""

from __future__ import annotations

from ..domain.errors import InvalidItem
from ..domain.program import Program
from .ports import Directory


def program_or_none(directory: Directory, program_id: str) -> Program | None:
    try:
        return directory.program(program_id)
    except InvalidItem:
        return None


def clinician_name(directory: Directory, clinician_id: str) -> str | None:
    try:
        clinician = directory.clinician(clinician_id)
    except InvalidItem:
        return None
    return clinician.name if clinician else None
