"""The FollowUps port: after a high or imminent crisis is resolved, its follow-up's
contact attempts, its close, and a supervisor taking it over."""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.expressions.condition import size

from ...domain.incident import FOLLOW_UP_ATTEMPTS, FOLLOW_UP_BASE, Closed
from .conditional import update_if
from .items import (
    INCIDENT_SK,
    IncidentItem,
    close_incident,
    follow_up_open,
    pageable,
    update_incident,
)


class DynamoFollowUps:
    def record_follow_up_attempt(self, incident_id: str, clinician_id: str,
                                 now: datetime) -> int | None:
        item = IncidentItem(incident_id, INCIDENT_SK)
        if not update_if(
            item,
            [IncidentItem.follow_up_attempts.set(
                (IncidentItem.follow_up_attempts | []).append([now.astimezone(UTC).isoformat()]))],
            follow_up_open() & (IncidentItem.follow_up_owner == clinician_id)
            & (IncidentItem.follow_up_attempts.does_not_exist()
               | (size(IncidentItem.follow_up_attempts) < FOLLOW_UP_ATTEMPTS)),
        ):
            return None
        return len(item.follow_up_attempts or [])  # the update answers with the new list

    def close_follow_up(self, incident_id: str, clinician_id: str, now: datetime) -> bool:
        return update_incident(
            incident_id,
            [IncidentItem.follow_up_done_at.set(now), IncidentItem.follow_up_done_by.set(
                clinician_id), IncidentItem.paging_until.remove()],
            follow_up_open()
            & ((IncidentItem.follow_up_owner == clinician_id)
               | ((IncidentItem.position >= FOLLOW_UP_BASE)
                  & (IncidentItem.current_clinician == clinician_id))),
        )

    def take_follow_up(self, incident_id: str, clinician_id: str, position: int,
                       now: datetime) -> Closed:
        return close_incident(
            incident_id,
            [IncidentItem.follow_up_owner.set(clinician_id),
             IncidentItem.follow_up_taken_at.set(now)],
            pageable(position) & (IncidentItem.position == position)
            & (IncidentItem.current_clinician == clinician_id),
            now, lambda current: current.waiting_on(position))
