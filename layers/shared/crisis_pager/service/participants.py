"""Participants' safety plans: save a new version, confirm a location, read the current plan.

Every save is a new version (the store puts it only where none exists). A save that loses
a race to a concurrent one is re-read and retried as the next version, built again on top
of the version that won, so both land; unless the caller named the version it edited
(``expected_version``), in which case it gets ParticipantConflict instead of overwriting
what it never saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..domain.errors import InvalidItem
from ..domain.participant import (
    DOCUMENT_FIELDS,
    PARTICIPANT_ID,
    VERSION_FIELDS,
    Participant,
    ParticipantConflict,
    next_version,
)
from .ports.clock import Clock
from .ports.participants import Participants

SAVE_ATTEMPTS = 10  # each lost round means another save landed: they converge


def _save(participant_id: str, changes: Mapping[str, object], *, copy_current: bool, by: str,
          participants: Participants, clock: Clock, expected_version: int | None
          ) -> Participant:
    for _ in range(SAVE_ATTEMPTS):
        latest = participants.latest_version(participant_id)
        if expected_version is not None and latest != expected_version:
            raise ParticipantConflict(
                f"participant {participant_id} is at version {latest}, not "
                f"{expected_version}: another save landed first; re-read it and edit again")
        try:
            current = participants.current(participant_id) if latest else None
        except InvalidItem:
            if copy_current:  # an edit copies the rest, which must then be readable
                raise
            current = None  # a whole new record replaces a malformed one
        if current is not None and current.version != latest:
            continue  # a save landed between the two reads
        if copy_current and current is None:
            raise LookupError(f"no participant {participant_id}")
        owner = current.program_id if current is not None else None
        if owner is not None and changes.get("program_id", owner) != owner:
            raise ParticipantConflict(
                f"participant {participant_id} belongs to another program; a save does not "
                "move a participant")
        new = next_version(current if copy_current else None, latest, changes, by=by,
                           now=clock.now(), participant_id=participant_id)
        if participants.add_version(new):
            return new
        if expected_version is not None:
            raise ParticipantConflict(
                f"participant {participant_id}: another save took version {new.version}; "
                "re-read it and edit again")
    raise ParticipantConflict(f"participant {participant_id}: {SAVE_ATTEMPTS} concurrent saves "
                              "won the race; try again")


def save_participant(document: Mapping[str, Any], *, by: str, participants: Participants,
                     clock: Clock, expected_version: int | None = None) -> Participant:
    """Save a whole record (the admin's JSON document: participant_id, program_id,
    preferred_name, safety_plan, support_persons, location) as the next version. A
    ``version`` in the document is the version it was edited from (``expected_version``).
    Raises InvalidItem (nothing saved) or ParticipantConflict."""
    participant_id = document.get("participant_id")
    if not isinstance(participant_id, str) or not PARTICIPANT_ID.fullmatch(participant_id):
        raise InvalidItem("participants", str(participant_id), "participant_id",
                          "must be 1 to 64 letters, digits, '-' or '_'")
    based_on = document.get("version")
    if expected_version is None and isinstance(based_on, int) and not isinstance(based_on, bool):
        expected_version = based_on
    changes = {k: v for k, v in document.items()
               if k not in VERSION_FIELDS and k != "participant_id"}
    return _save(participant_id, changes, copy_current=False, by=by,
                 participants=participants, clock=clock, expected_version=expected_version)


def update_participant(participant_id: str, changes: Mapping[str, Any], *, by: str,
                       participants: Participants, clock: Clock,
                       expected_version: int | None = None) -> Participant:
    """An admin edit: the given document fields replace the current version's, the rest is
    copied. Raises LookupError (no such participant), InvalidItem, ParticipantConflict."""
    unknown = sorted(k for k in changes if k not in DOCUMENT_FIELDS)
    if unknown:
        raise InvalidItem("participants", participant_id, unknown[0], "cannot be edited")
    return _save(participant_id, changes, copy_current=True, by=by, participants=participants,
                 clock=clock, expected_version=expected_version)


def confirm_location(participant_id: str, location: Mapping[str, Any], *, by: str,
                     participants: Participants, clock: Clock) -> Participant:
    """Record the participant's last confirmed location (description, confirmed_at and its
    local resources) as a new version, copying the rest of the current one. A concurrent
    save never loses this update: it is applied again on top of the version that won."""
    return update_participant(participant_id, {"location": dict(location)}, by=by,
                              participants=participants, clock=clock)


def current_plan(participant_id: str, program_id: str, *,
                 participants: Participants) -> Participant | None:
    """The participant's current version, if they belong to ``program_id``; None when there
    is no such participant or they belong to another program (the two read the same).
    Raises InvalidItem when the current version is malformed, and the store's errors."""
    if not PARTICIPANT_ID.fullmatch(participant_id):
        return None
    participant = participants.current(participant_id)
    if participant is None or participant.program_id != program_id:
        return None
    return participant


def history(participant_id: str, *,
            participants: Participants) -> list[Participant | InvalidItem]:
    """Every version, newest first (a malformed one as its InvalidItem)."""
    return participants.history(participant_id)
