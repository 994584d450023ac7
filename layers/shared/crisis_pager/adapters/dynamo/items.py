"""The incidents table's items: an incident, its pages, its codes, opted-out phones.

One table holds them all (the key prefixes below); the adapters of the Incidents, Pages,
ReplyCodes, FollowUps and OptOuts ports read and write them, and the helpers at the end
are the conditions they share (an incident that may be paged at a position, a follow-up
still open, a close that waits out a page in flight).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex

from ...domain.incident import (
    FOLLOW_UP_BASE,
    AcceptOutcome,
    Channel,
    Closed,
    Incident,
    Page,
    Severity,
    Status,
)
from .conditional import update_if
from .tables import TableModel, plain

INCIDENT_SK = "incident"
CLAIM_SK = "claim"
OPT_OUT_SK = "sms-opt-out"


class IncidentItem(TableModel):
    setting = "incidents_table"

    class Meta:
        table_name = ""

    pk = UnicodeAttribute(hash_key=True)  # incident id
    sk = UnicodeAttribute(range_key=True, default=INCIDENT_SK)
    hotline_id = UnicodeAttribute()
    event_id = UnicodeAttribute()
    program_id = UnicodeAttribute()
    severity = UnicodeAttribute()
    participant_ref = UnicodeAttribute()
    summary = UnicodeAttribute()
    code = UnicodeAttribute()
    status = UnicodeAttribute()
    opened_at = UTCDateTimeAttribute()
    fingerprint = UnicodeAttribute()
    callback_url = UnicodeAttribute(null=True)
    position = NumberAttribute(default=-1)
    current_target = UnicodeAttribute(null=True)
    current_clinician = UnicodeAttribute(null=True)
    task_token = UnicodeAttribute(null=True)
    paging_until = UTCDateTimeAttribute(null=True)  # lease while a rung's SMS is being sent
    accepted_by = UnicodeAttribute(null=True)
    accepted_at = UTCDateTimeAttribute(null=True)
    referred_at = UTCDateTimeAttribute(null=True)
    resolved_by = UnicodeAttribute(null=True)
    resolved_at = UTCDateTimeAttribute(null=True)
    passed_position = NumberAttribute(null=True)  # the last rung whose clinician passed
    referral = MapAttribute[str, Any](null=True)
    ladder_ended_at = UTCDateTimeAttribute(null=True)
    rungs = ListAttribute[Any](default=list)
    screener = MapAttribute[str, Any](null=True)  # C-SSRS answers; encrypted at rest
    follow_up_due_at = UTCDateTimeAttribute(null=True)
    follow_up_owner = UnicodeAttribute(null=True)
    follow_up_attempts = ListAttribute[str](null=True)  # ISO instants of contact attempts
    follow_up_done_at = UTCDateTimeAttribute(null=True)
    follow_up_done_by = UnicodeAttribute(null=True)
    follow_up_taken_at = UTCDateTimeAttribute(null=True)

    def to_domain(self) -> Incident:
        return Incident(
            incident_id=self.pk,
            hotline_id=self.hotline_id,
            event_id=self.event_id,
            program_id=self.program_id,
            severity=Severity(self.severity),
            participant_ref=self.participant_ref,
            summary=self.summary,
            code=self.code,
            status=Status(self.status),
            opened_at=self.opened_at,
            fingerprint=self.fingerprint,
            callback_url=self.callback_url,
            position=int(self.position),
            current_target=self.current_target,
            task_token=self.task_token,
            accepted_by=self.accepted_by,
            accepted_at=self.accepted_at,
            referred_at=self.referred_at,
            resolved_by=self.resolved_by,
            resolved_at=self.resolved_at,
            ladder_ended_at=self.ladder_ended_at,
            rungs=tuple(plain(r) for r in self.rungs or []),
            referral=plain(self.referral) if self.referral is not None else None,
            screener=({k: bool(v) for k, v in plain(self.screener).items()}
                      if self.screener is not None else None),
            follow_up_due_at=self.follow_up_due_at,
            follow_up_owner=self.follow_up_owner,
            follow_up_attempts=tuple(datetime.fromisoformat(a)
                                     for a in self.follow_up_attempts or ()),
            follow_up_done_at=self.follow_up_done_at,
            follow_up_done_by=self.follow_up_done_by,
            follow_up_taken_at=self.follow_up_taken_at,
        )



class PhoneIndex(GlobalSecondaryIndex["PageItem"]):
    class Meta:
        index_name = "by_phone"
        projection = AllProjection()

    phone = UnicodeAttribute(hash_key=True)
    code_key = UnicodeAttribute(range_key=True)


class PageItem(TableModel):
    setting = "incidents_table"

    class Meta:
        table_name = ""

    pk = UnicodeAttribute(hash_key=True)  # incident id
    sk = UnicodeAttribute(range_key=True)  # page#NN
    position = NumberAttribute()
    target = UnicodeAttribute()
    clinician_id = UnicodeAttribute()
    phone = UnicodeAttribute()
    code = UnicodeAttribute()
    code_key = UnicodeAttribute()  # <code>#<sent_at>#<incident>: newest last in by_phone
    sent_at = UTCDateTimeAttribute()
    channel = UnicodeAttribute(default=Channel.SMS.value)
    task_token = UnicodeAttribute(null=True)
    message_sid = UnicodeAttribute(null=True)
    sms_failed_at = UTCDateTimeAttribute(null=True)
    error_code = NumberAttribute(null=True)
    call_sid = UnicodeAttribute(null=True)
    call_started_at = UTCDateTimeAttribute(null=True)
    call_ended_at = UTCDateTimeAttribute(null=True)
    call_status = UnicodeAttribute(null=True)
    passed_at = UTCDateTimeAttribute(null=True)
    program_name = UnicodeAttribute(null=True)  # the program as the page named it
    hotline_number = UnicodeAttribute(null=True)
    by_phone = PhoneIndex()

    def to_domain(self) -> Page:
        return Page(
            incident_id=self.pk,
            position=int(self.position),
            target=self.target,
            clinician_id=self.clinician_id,
            phone=self.phone,
            code=self.code,
            sent_at=self.sent_at,
            message_sid=self.message_sid,
            channel=Channel(self.channel or Channel.SMS.value),
            task_token=self.task_token,
            sms_failed_at=self.sms_failed_at,
            error_code=int(self.error_code) if self.error_code is not None else None,
            call_sid=self.call_sid,
            call_started_at=self.call_started_at,
            call_ended_at=self.call_ended_at,
            passed_at=self.passed_at,
            program_name=self.program_name,
            hotline_number=self.hotline_number,
        )


class CodeClaimItem(TableModel):
    setting = "incidents_table"

    class Meta:
        table_name = ""

    pk = UnicodeAttribute(hash_key=True)  # code#<program>#<code>
    sk = UnicodeAttribute(range_key=True, default=CLAIM_SK)
    incident_id = UnicodeAttribute()
    expires_at = TTLAttribute()


class PhoneCodeItem(TableModel):
    """The code a phone replies with for one incident: unique among the phone's open pages
    (the condition on every claim), reused only once that incident no longer holds it."""

    setting = "incidents_table"

    class Meta:
        table_name = ""

    pk = UnicodeAttribute(hash_key=True)  # phone#<E.164>
    sk = UnicodeAttribute(range_key=True)  # code#<code>
    incident_id = UnicodeAttribute()
    clinician_id = UnicodeAttribute()
    claimed_at = UTCDateTimeAttribute()
    # Claims are reused, never deleted by the application; DynamoDB's TTL removes those
    # long past any use, so a phone's claims (read on every page) do not grow forever.
    expires_at = TTLAttribute(null=True)


class OptOutItem(TableModel):
    """A phone that texted STOP (or that Twilio reports unsubscribed, error 21610)."""

    setting = "incidents_table"

    class Meta:
        table_name = ""

    pk = UnicodeAttribute(hash_key=True)  # phone#<E.164>
    sk = UnicodeAttribute(range_key=True, default=OPT_OUT_SK)
    opted_out_at = UTCDateTimeAttribute()
    via = UnicodeAttribute()



def phone_pk(phone: str) -> str:
    return f"phone#{phone}"


def page_sk(position: int) -> str:
    return f"page#{position:02d}"


# ---------------------------------------------------------------- shared conditions


def get_incident(incident_id: str) -> Incident | None:
    try:
        return IncidentItem.get(incident_id, INCIDENT_SK, consistent_read=True).to_domain()
    except IncidentItem.DoesNotExist:
        return None


def incidents_by_id(incident_ids: set[str]) -> dict[str, Incident]:
    found: dict[str, Incident] = {}
    for item in IncidentItem.batch_get([(i, INCIDENT_SK) for i in incident_ids],
                                       consistent_read=True):
        found[item.pk] = item.to_domain()
    return found


def update_incident(incident_id: str, actions: list[Any], condition: Any = None) -> bool:
    return update_if(IncidentItem(incident_id, INCIDENT_SK), actions, condition)


def update_page(incident_id: str, position: int, actions: list[Any], condition: Any) -> bool:
    return update_if(PageItem(incident_id, page_sk(position)), actions,
                     PageItem.sk.exists() & condition)


def close_incident(incident_id: str, actions: list[Any], condition: Any, now: datetime,
                   still_open: Callable[[Incident], bool]) -> Closed:
    """A conditional close (accept, resolve, take over a follow-up) that must wait out a
    page being sent: done, with the incident as written (the update answers it), or why
    not (a page in flight while still open, or closed), with the incident as read."""
    lease_lapsed = (IncidentItem.paging_until.does_not_exist()
                    | (IncidentItem.paging_until <= now))
    item = IncidentItem(incident_id, INCIDENT_SK)
    if update_if(item, [*actions, IncidentItem.paging_until.remove()], condition & lease_lapsed):
        return Closed(AcceptOutcome.ACCEPTED, item.to_domain())
    current = get_incident(incident_id)
    if current is not None and still_open(current):
        return Closed(AcceptOutcome.PAGE_IN_FLIGHT, current)
    return Closed(AcceptOutcome.NOT_OPEN, current)


def pageable(position: int) -> Any:
    """The condition of Incident.pageable(position), as DynamoDB evaluates it."""
    if position >= FOLLOW_UP_BASE:
        return follow_up_open() & IncidentItem.follow_up_taken_at.does_not_exist()
    return IncidentItem.status.is_in(Status.TRIGGERED.value, Status.REFERRED.value)


def follow_up_open() -> Any:
    return ((IncidentItem.status == Status.RESOLVED.value)
            & IncidentItem.follow_up_due_at.exists()
            & IncidentItem.follow_up_done_at.does_not_exist())
