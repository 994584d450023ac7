"""The last rung and the hotline's callbacks: the local emergency referral for the warm
handoff, and the signed status callbacks (accepted, referred, resolved)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..domain.errors import InvalidItem
from ..domain.incident import Status, seconds_between
from ..domain.referral import build_referral
from .ladder import get_incident as _get
from .lookups import clinician_name
from .ports import Alerts, CallbackError, Clock, Directory, Hotline, Incidents, Timeline


@dataclass(frozen=True)
class ReferralResult:
    referred: bool
    position: int


def refer(
    incident_id: str,
    position: int,
    *,
    incidents: Incidents,
    timeline: Timeline,
    directory: Directory,
    alerts: Alerts,
    clock: Clock,
) -> ReferralResult:
    incident = _get(incidents, incident_id)
    if incident.status is not Status.TRIGGERED:
        return ReferralResult(False, position)
    now = clock.now()
    try:
        program = directory.program(incident.program_id)
        problem = None if program else "the program item is missing"
    except InvalidItem as exc:
        program, problem = None, str(exc)
    if program is not None:
        details = build_referral(incident_id, program, now).as_dict()
        name = program.display_name
    else:
        # Still refer: the hotline must hand off now, with its own local resources.
        details = {"source": f"unavailable ({problem}); use the hotline's local resources",
                   "made_at": now.isoformat()}
        name = incident.program_id
    if not incidents.refer(incident_id, now, details):
        return ReferralResult(False, position)
    timeline.append(incident_id, now, "referred", position=position, **details)
    alerts.publish(
        incident.program_id,
        f"crisis-pager: local emergency referral in {name}",
        f"{name}: nobody accepted incident {incident.code} in time; the local emergency "
        "referral was made and the supervisor stays paged.",
    )
    return ReferralResult(True, position)


def notify_hotline(
    incident_id: str,
    event: str,
    *,
    incidents: Incidents,
    timeline: Timeline,
    directory: Directory,
    hotline: Hotline,
    clock: Clock,
) -> str:
    """Post a signed status callback; raise CallbackError so the state machine retries."""
    incident = _get(incidents, incident_id)
    if not incident.callback_url:
        return "no_callback_url"
    if event == "accepted" and incident.status is not Status.ACCEPTED:
        return "not_accepted"
    if event == "referred" and incident.referred_at is None:
        return "not_referred"
    if event == "resolved" and incident.status is not Status.RESOLVED:
        return "not_resolved"
    payload: dict[str, Any] = {
        "event": event,
        "incident_id": incident.incident_id,
        "event_id": incident.event_id,
        "program_id": incident.program_id,
        "code": incident.code,
        "status": incident.status.value,
        "sent_at": clock.now().isoformat(),
    }
    if event == "accepted" and incident.accepted_by and incident.accepted_at:
        payload["accepted"] = {
            "clinician_id": incident.accepted_by,
            "name": clinician_name(directory, incident.accepted_by),
            "at": incident.accepted_at.isoformat(),
            "seconds_to_accept": round(seconds_between(incident.opened_at, incident.accepted_at)),
        }
    if event == "referred":
        payload["referral"] = dict(incident.referral or {})
    if event == "resolved" and incident.resolved_at:
        payload["resolved"] = {"clinician_id": incident.resolved_by,
                               "at": incident.resolved_at.isoformat()}
    try:
        status = hotline.post(incident.callback_url, incident.hotline_id, payload)
    except CallbackError as exc:
        timeline.append(incident_id, clock.now(), "callback_failed", event=event, reason=str(exc))
        raise
    timeline.append(incident_id, clock.now(), "callback_sent", event=event, http_status=status)
    return "sent"

