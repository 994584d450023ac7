"""The last rung and the hotline's callbacks: the local emergency referral for the warm
handoff, and the signed status callbacks (accepted, referred, resolved).

The referral is never blocked: when the participant's record cannot be used (none, another
program's, malformed, the store failed) or the program item cannot be read, it is still
made, from what is left, and says why. Consenting support persons get one PHI-free text
each (claimed before it is sent, so a retried step never texts twice); a failure to
notify never fails the referral. Delivering the referral to the hotline is a disclosure in
a medical emergency, recorded as 42 CFR 2.51 asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..domain.errors import CallbackError, InvalidItem, SendAborted, SmsError
from ..domain.incident import Incident, Status, seconds_between
from ..domain.messages import support_person_sms
from ..domain.participant import Participant
from ..domain.program import Program
from ..domain.referral import (
    HotlineRecipient,
    build_referral,
    emergency_disclosure,
    support_notice_key,
)
from .ladder import get_incident as _get
from .lookups import clinician_name
from .participants import current_plan
from .ports.clock import Clock
from .ports.directory import Directory
from .ports.hotline import Hotline
from .ports.incidents import Incidents
from .ports.messaging import Alerts, Sms
from .ports.participants import Participants
from .ports.timeline import Timeline

# A retried referral step still sends the support persons' texts it had not sent yet, but
# only this soon after the referral (never hours later, from a manual re-run).
NOTICE_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class ReferralResult:
    referred: bool
    position: int
    support_notified: int = 0


def _program(directory: Directory, incident: Incident) -> tuple[Program | None, str | None]:
    try:
        program = directory.program(incident.program_id)
    except Exception as exc:  # noqa: BLE001 (a referral is never blocked by a read)
        return None, f"the program item could not be read ({type(exc).__name__})"
    return program, None if program else "the program item is missing"


def _participant(participants: Participants | None, incident: Incident
                 ) -> tuple[Participant | None, str | None]:
    """The incident's participant, or None and why (never quoting the record)."""
    if participants is None:
        return None, "participant records are not available to this step"
    try:
        participant = current_plan(incident.participant_ref, incident.program_id,
                                   participants=participants)
    except InvalidItem as exc:
        return None, f"the participant's record is malformed (field '{exc.field}')"
    except Exception as exc:  # noqa: BLE001 (a referral is never blocked by a read)
        return None, f"the participant's record could not be read ({type(exc).__name__})"
    if participant is None:
        return None, "no participant record on file for this program"
    return participant, None


def refer(
    incident_id: str,
    position: int,
    *,
    incidents: Incidents,
    timeline: Timeline,
    directory: Directory,
    alerts: Alerts,
    clock: Clock,
    participants: Participants | None = None,
    sms: Sms | None = None,
) -> ReferralResult:
    incident = _get(incidents, incident_id)
    if incident.status is Status.REFERRED and incident.referred_at is not None:
        # A retry of a step that made the referral: finish the support persons' texts.
        if clock.now() - incident.referred_at > NOTICE_WINDOW:
            return ReferralResult(False, position)
        participant, _ = _participant(participants, incident)
        program, _ = _program(directory, incident)
        notified = notify_support_persons(incident, participant, program,
                                          participants=participants, timeline=timeline,
                                          sms=sms, clock=clock)
        return ReferralResult(False, position, notified)
    if incident.status is not Status.TRIGGERED:
        return ReferralResult(False, position)
    now = clock.now()
    program, program_problem = _program(directory, incident)
    participant, participant_problem = _participant(participants, incident)
    referral = build_referral(incident_id, program, participant, now,
                              participant_problem=participant_problem,
                              program_problem=program_problem)
    if not incidents.refer(incident_id, now, referral.as_dict()):
        return ReferralResult(False, position)
    timeline.append(incident_id, now, "referred", position=position,
                    **referral.timeline_detail())
    name = program.display_name if program is not None else incident.program_id
    alerts.publish(
        incident.program_id,
        f"crisis-pager: local emergency referral in {name}",
        f"{name}: nobody accepted incident {incident.code} in time; the local emergency "
        f"referral was made ({referral.source}) and the supervisor stays paged.",
    )
    notified = notify_support_persons(incident, participant, program,
                                      participants=participants, timeline=timeline, sms=sms,
                                      clock=clock)
    return ReferralResult(True, position, notified)


def notify_support(
    incident_id: str,
    *,
    incidents: Incidents,
    timeline: Timeline,
    directory: Directory,
    clock: Clock,
    participants: Participants | None,
    sms: Sms | None,
) -> int:
    """The ladder's step after the hotline was told of the referral (so a slow SMS never
    holds up the warm handoff): text the consenting support persons, if the referral was
    made just now. Returns how many were texted."""
    incident = _get(incidents, incident_id)
    if incident.referred_at is None or clock.now() - incident.referred_at > NOTICE_WINDOW:
        return 0
    participant, _ = _participant(participants, incident)
    program, _ = _program(directory, incident)
    return notify_support_persons(incident, participant, program, participants=participants,
                                  timeline=timeline, sms=sms, clock=clock)


def notify_support_persons(
    incident: Incident,
    participant: Participant | None,
    program: Program | None,
    *,
    participants: Participants | None,
    timeline: Timeline,
    sms: Sms | None,
    clock: Clock,
) -> int:
    """One PHI-free SMS to each support person with consent on file, at most once per
    incident and phone (claimed first). Returns how many were sent. Never raises."""
    if participant is None or participants is None or sms is None:
        return 0
    consenting = [(i, p) for i, p in enumerate(participant.support_persons)
                  if p.consent_to_notify]
    if not consenting:
        return 0
    iid = incident.incident_id
    if program is None or program.hotline_number is None:
        timeline.append(iid, clock.now(), "support_persons_not_notified",
                        reason="the program item (its hotline number) could not be read",
                        participant_version=participant.version)
        return 0
    body = support_person_sms(program.hotline_number)
    sent = 0
    for index, person in consenting:
        detail: dict[str, Any] = {"support_index": index,
                                  "participant_version": participant.version}
        try:
            if not participants.claim_notice(iid, support_notice_key(person.phone),
                                             clock.now()):
                continue  # already texted for this incident
            sid = sms.send(person.phone, body)
        except (SmsError, SendAborted) as exc:
            timeline.append(iid, clock.now(), "support_person_not_notified", **detail,
                            reason="the SMS provider refused or failed",
                            error_code=getattr(exc, "code", None))
            continue
        except Exception as exc:  # noqa: BLE001 (never fails the referral)
            timeline.append(iid, clock.now(), "support_person_not_notified", **detail,
                            reason=f"unexpected error ({type(exc).__name__})")
            continue
        timeline.append(iid, clock.now(), "support_person_notified", **detail,
                        message_sid=sid)
        sent += 1
    return sent


def notify_hotline(
    incident_id: str,
    event: str,
    *,
    incidents: Incidents,
    timeline: Timeline,
    directory: Directory,
    hotline: Hotline,
    clock: Clock,
    participants: Participants | None = None,
) -> str:
    """Post a signed status callback; raise CallbackError so the state machine retries.
    Every failure is on the timeline (callback_failed, with a code); a refused URL or
    address (permanent) is not retried and answers its code, so the ladder goes on."""
    incident = _get(incidents, incident_id)
    if not incident.callback_url:
        return "no_callback_url"
    if event == "accepted" and incident.accepted_at is None:  # (resolved since: still sent)
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
        timeline.append(incident_id, clock.now(), "callback_failed", event=event,
                        code=exc.code, reason=str(exc))
        if exc.permanent:  # a refused URL or address: a retry would be refused again
            return exc.code
        raise
    except Exception as exc:  # every failure is on record; the state machine retries it
        timeline.append(incident_id, clock.now(), "callback_failed", event=event,
                        code="callback_failed", reason=f"unexpected {type(exc).__name__}")
        raise CallbackError(f"unexpected {type(exc).__name__}") from None
    timeline.append(incident_id, clock.now(), "callback_sent", event=event, http_status=status)
    if event == "referred" and 200 <= status < 300:
        record_disclosure(incident, payload, directory=directory, hotline=hotline,
                          timeline=timeline, participants=participants, clock=clock)
    return "sent"


def record_disclosure(incident: Incident, payload: dict[str, Any], *, directory: Directory,
                      hotline: Hotline, timeline: Timeline,
                      participants: Participants | None, clock: Clock) -> None:
    """The referral reached the hotline: record the disclosure (42 CFR 2.51) on the
    incident's timeline and, when the referral read the participant's record, in that
    record too. Recording never undoes or fails the delivered callback."""
    program, _ = _program(directory, incident)
    try:
        recipient = hotline.recipient(incident.hotline_id)
    except Exception as exc:  # noqa: BLE001 (the disclosure is still recorded)
        recipient = HotlineRecipient(incident.hotline_id, f"hotline {incident.hotline_id}",
                                     f"unknown (its configuration was unreadable: "
                                     f"{type(exc).__name__})")
    disclosure = emergency_disclosure(
        incident, program.display_name if program else None, recipient, payload, clock.now())
    timeline.append(incident.incident_id, disclosure.at, "emergency_disclosure",
                    **disclosure.as_entry())
    if participants is None or "participant_version" not in (incident.referral or {}):
        return
    try:
        participants.record_disclosure(incident.participant_ref, disclosure)
    except Exception as exc:  # noqa: BLE001 (the timeline entry above stands)
        timeline.append(incident.incident_id, clock.now(), "disclosure_record_failed",
                        reason=f"the participant's record was not written ({type(exc).__name__})")

