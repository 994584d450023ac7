"""The Incidents port: an incident's lifecycle on the incidents table (create, its
program-wide code, accept, resolve, refer, the ladder's start and end)."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from ...domain.incident import Closed, Incident, Status
from .conditional import delete_if, put_if
from .items import (
    CLAIM_SK,
    INCIDENT_SK,
    CodeClaimItem,
    IncidentItem,
    close_incident,
    get_incident,
    update_incident,
)

CODE_HOLD = timedelta(days=7)  # a code is not reused for a week after its incident opened
_OPEN = (Status.TRIGGERED.value, Status.REFERRED.value)


class DynamoIncidents:
    """The Incidents port on the incidents table."""

    def get(self, incident_id: str) -> Incident | None:
        return get_incident(incident_id)

    def create(self, incident: Incident) -> bool:
        item = IncidentItem(
            incident.incident_id,
            INCIDENT_SK,
            hotline_id=incident.hotline_id,
            event_id=incident.event_id,
            program_id=incident.program_id,
            severity=incident.severity.value,
            participant_ref=incident.participant_ref,
            summary=incident.summary,
            code=incident.code,
            status=incident.status.value,
            opened_at=incident.opened_at,
            fingerprint=incident.fingerprint,
            callback_url=incident.callback_url,
            position=incident.position,
            rungs=list(incident.rungs),
            screener=dict(incident.screener) if incident.screener is not None else None,
        )
        return put_if(item, IncidentItem.pk.does_not_exist())

    def claim_code(self, program_id: str, incident_id: str, now: datetime) -> str:
        for attempt in range(60):
            digits = 3 if attempt < 30 else 4  # widen only when the 3-digit space is crowded
            code = str(10 ** (digits - 1) + secrets.randbelow(9 * 10 ** (digits - 1)))
            claim = CodeClaimItem(
                f"code#{program_id}#{code}", CLAIM_SK,
                incident_id=incident_id, expires_at=now + CODE_HOLD,
            )
            if put_if(claim, CodeClaimItem.pk.does_not_exist()
                      | (CodeClaimItem.expires_at < now)
                      | (CodeClaimItem.incident_id == incident_id)):
                return code
        raise RuntimeError(f"no free incident code for program {program_id}")

    def release_code(self, program_id: str, code: str, incident_id: str) -> None:
        delete_if(CodeClaimItem(f"code#{program_id}#{code}", CLAIM_SK),
                  CodeClaimItem.incident_id == incident_id)

    def accept(self, incident_id: str, clinician_id: str, now: datetime) -> Closed:
        return close_incident(
            incident_id,
            [IncidentItem.status.set(Status.ACCEPTED.value),
             IncidentItem.accepted_by.set(clinician_id), IncidentItem.accepted_at.set(now)],
            IncidentItem.status.is_in(*_OPEN),
            now, lambda current: current.is_open)

    def resolve(self, incident_id: str, clinician_id: str, now: datetime,
                follow_up_due: datetime | None = None) -> Closed:
        actions: list[Any] = [
            IncidentItem.status.set(Status.RESOLVED.value),
            IncidentItem.resolved_by.set(clinician_id),
            IncidentItem.resolved_at.set(now),
        ]
        if follow_up_due is not None:
            actions += [IncidentItem.follow_up_due_at.set(follow_up_due),
                        IncidentItem.follow_up_owner.set(clinician_id)]
        return close_incident(
            incident_id, actions,
            IncidentItem.status.is_in(*_OPEN)
            | ((IncidentItem.status == Status.ACCEPTED.value)
               & (IncidentItem.accepted_by == clinician_id)),
            now, lambda current: current.is_open)

    def refer(self, incident_id: str, now: datetime, referral: dict[str, str]) -> bool:
        return update_incident(
            incident_id,
            [
                IncidentItem.status.set(Status.REFERRED.value),
                IncidentItem.referred_at.set(now),
                IncidentItem.referral.set(referral),
            ],
            IncidentItem.status == Status.TRIGGERED.value,
        )

    def end_ladder(self, incident_id: str, now: datetime) -> bool:
        return update_incident(
            incident_id,
            [IncidentItem.ladder_ended_at.set(IncidentItem.ladder_ended_at | now)],
            IncidentItem.status.is_in(*_OPEN),
        )
