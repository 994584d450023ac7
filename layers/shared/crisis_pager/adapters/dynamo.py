"""DynamoDB through PynamoDB: the only code that knows table and attribute names.

Items admins edit (programs, rotas, clinicians) are flat, readable strings and
numbers. They are read as they are and validated by the domain, so that a malformed
edit becomes an error naming the table, the item, the field and the reason, never a
crash deep inside a deserialiser.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import (
    AttributeDeserializationError,
    DeleteError,
    PutError,
    UpdateError,
)
from pynamodb.expressions.condition import size
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from ..config import settings
from ..domain.edits import CLINICIANS, PROGRAMS, Edit
from ..domain.errors import InvalidItem
from ..domain.incident import (
    FOLLOW_UP_ATTEMPTS,
    FOLLOW_UP_BASE,
    AcceptOutcome,
    Channel,
    Incident,
    Page,
    Severity,
    Status,
    holds_code,
)
from ..domain.program import Clinician, Program, clinician_from_fields, program_from_fields
from ..domain.rota import Rota, rota_from_fields
from ..domain.schedule import Override, Schedule, override_from_fields
from ..domain.timeline import TimelineChange

_S = settings()
_M = TypeVar("_M", bound=Model)
INCIDENT_SK = "incident"
CLAIM_SK = "claim"
OPT_OUT_SK = "sms-opt-out"
CODE_HOLD = timedelta(days=7)  # a code is not reused for a week after its incident opened
# A phone's claim on a reply code is expired by TTL this long after it was made: far past
# any ladder (the longest default, a low task, runs about a working week) or follow-up.
PHONE_CODE_TTL = timedelta(days=45)
# Timeline entries are compliance records: kept 6 years (HIPAA documentation retention,
# 45 CFR 164.316(b)(2)), counted generously, then expired by DynamoDB's TTL.
TIMELINE_RETENTION = timedelta(days=6 * 366)


def _conditional_failed(exc: Exception) -> bool:
    return getattr(exc, "cause_response_code", None) == "ConditionalCheckFailedException"


def put_if(item: Model, condition: Any) -> bool:
    """Save ``item`` where ``condition`` holds (usually: its key does not exist yet); False
    when it did not. Every other error is raised."""
    try:
        item.save(condition=condition)
    except PutError as exc:
        if _conditional_failed(exc):
            return False
        raise
    return True


def update_if(item: Model, actions: list[Any], condition: Any) -> bool:
    """Update ``item`` where ``condition`` holds; False when it did not. On success the
    item holds the updated attributes (PynamoDB asks for them back)."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as exc:
        if _conditional_failed(exc):
            return False
        raise
    return True


# ---------------------------------------------------------------- incidents table


class IncidentItem(Model):
    class Meta:
        table_name = _S.incidents_table
        region = _S.region

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
    ladder_started = BooleanAttribute(default=False)
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
            ladder_started=bool(self.ladder_started),
            ladder_ended_at=self.ladder_ended_at,
            rungs=tuple(_plain(r) for r in self.rungs or []),
            referral=_plain(self.referral) if self.referral is not None else None,
            screener=({k: bool(v) for k, v in _plain(self.screener).items()}
                      if self.screener is not None else None),
            follow_up_due_at=self.follow_up_due_at,
            follow_up_owner=self.follow_up_owner,
            follow_up_attempts=tuple(datetime.fromisoformat(a)
                                     for a in self.follow_up_attempts or ()),
            follow_up_done_at=self.follow_up_done_at,
            follow_up_done_by=self.follow_up_done_by,
            follow_up_taken_at=self.follow_up_taken_at,
        )


def _plain(value: Any) -> Any:
    """Raw map/list attributes come back as MapAttribute/Decimal; make plain Python."""
    if isinstance(value, MapAttribute):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if hasattr(value, "as_integer_ratio") and not isinstance(value, (int, float)):
        return int(value) if value == int(value) else float(value)
    return value


class PhoneIndex(GlobalSecondaryIndex["PageItem"]):
    class Meta:
        index_name = "by_phone"
        projection = AllProjection()

    phone = UnicodeAttribute(hash_key=True)
    code_key = UnicodeAttribute(range_key=True)


class PageItem(Model):
    class Meta:
        table_name = _S.incidents_table
        region = _S.region

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
        )


class CodeClaimItem(Model):
    class Meta:
        table_name = _S.incidents_table
        region = _S.region

    pk = UnicodeAttribute(hash_key=True)  # code#<program>#<code>
    sk = UnicodeAttribute(range_key=True, default=CLAIM_SK)
    incident_id = UnicodeAttribute()
    expires_at = TTLAttribute()


class PhoneCodeItem(Model):
    """The code a phone replies with for one incident: unique among the phone's open pages
    (the condition on every claim), reused only once that incident no longer holds it."""

    class Meta:
        table_name = _S.incidents_table
        region = _S.region

    pk = UnicodeAttribute(hash_key=True)  # phone#<E.164>
    sk = UnicodeAttribute(range_key=True)  # code#<code>
    incident_id = UnicodeAttribute()
    clinician_id = UnicodeAttribute()
    claimed_at = UTCDateTimeAttribute()
    # Claims are reused, never deleted by the application; DynamoDB's TTL removes those
    # long past any use, so a phone's claims (read on every page) do not grow forever.
    expires_at = TTLAttribute(null=True)


class OptOutItem(Model):
    """A phone that texted STOP (or that Twilio reports unsubscribed, error 21610)."""

    class Meta:
        table_name = _S.incidents_table
        region = _S.region

    pk = UnicodeAttribute(hash_key=True)  # phone#<E.164>
    sk = UnicodeAttribute(range_key=True, default=OPT_OUT_SK)
    opted_out_at = UTCDateTimeAttribute()
    via = UnicodeAttribute()


def _phone_pk(phone: str) -> str:
    return f"phone#{phone}"


def _page_sk(position: int) -> str:
    return f"page#{position:02d}"




class DynamoIncidents:
    """The Incidents port on the incidents table."""

    def get(self, incident_id: str) -> Incident | None:
        try:
            return IncidentItem.get(incident_id, INCIDENT_SK, consistent_read=True).to_domain()
        except IncidentItem.DoesNotExist:
            return None

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
        try:
            CodeClaimItem(f"code#{program_id}#{code}", CLAIM_SK).delete(
                condition=CodeClaimItem.incident_id == incident_id
            )
        except DeleteError as exc:
            if not _conditional_failed(exc):
                raise

    def _update(self, incident_id: str, actions: list[Any], condition: Any = None) -> bool:
        return update_if(IncidentItem(incident_id, INCIDENT_SK), actions, condition)

    def _close(self, incident_id: str, actions: list[Any], condition: Any, now: datetime,
               still_open: Callable[[Incident], bool]) -> AcceptOutcome:
        """A conditional close (accept, resolve, take over a follow-up) that must wait out a
        page being sent: done, or why not (a page in flight while still open, or closed)."""
        lease_lapsed = (IncidentItem.paging_until.does_not_exist()
                        | (IncidentItem.paging_until <= now))
        if self._update(incident_id, [*actions, IncidentItem.paging_until.remove()],
                        condition & lease_lapsed):
            return AcceptOutcome.ACCEPTED
        current = self.get(incident_id)
        if current is not None and still_open(current):
            return AcceptOutcome.PAGE_IN_FLIGHT
        return AcceptOutcome.NOT_OPEN

    def mark_ladder_started(self, incident_id: str) -> None:
        self._update(
            incident_id, [IncidentItem.ladder_started.set(True)], IncidentItem.pk.exists()
        )

    @staticmethod
    def _pageable(position: int) -> Any:
        """The condition of Incident.pageable(position), as DynamoDB evaluates it."""
        if position >= FOLLOW_UP_BASE:
            return (_follow_up_open() & IncidentItem.follow_up_taken_at.does_not_exist())
        return IncidentItem.status.is_in(Status.TRIGGERED.value, Status.REFERRED.value)

    def claim_rung(
        self, incident_id: str, position: int, target: str, clinician_id: str, task_token: str,
        lease_until: datetime,
    ) -> bool:
        return self._update(
            incident_id,
            [
                IncidentItem.position.set(position),
                IncidentItem.current_target.set(target),
                IncidentItem.current_clinician.set(clinician_id),
                IncidentItem.task_token.set(task_token),
                IncidentItem.paging_until.set(lease_until),
            ],
            self._pageable(position) & (IncidentItem.position <= position),
        )

    def renew_lease(self, incident_id: str, position: int, lease_until: datetime) -> bool:
        return self._update(
            incident_id, [IncidentItem.paging_until.set(lease_until)],
            self._pageable(position) & (IncidentItem.position == position),
        )

    def release_rung(self, incident_id: str, position: int, now: datetime) -> None:
        # Only this rung's lease: a later rung may already hold its own. The lease ends at
        # `now` rather than vanishing: a close that read its clock before the page went
        # out (its write landing after the release) fails `paging_until <= now` and retries
        # with a later instant, so it is never stamped before the page.
        self._update(incident_id, [IncidentItem.paging_until.set(now)],
                     IncidentItem.position == position)

    def record_page(self, page: Page) -> bool:
        item = PageItem(
            page.incident_id,
            _page_sk(page.position),
            position=page.position,
            target=page.target,
            clinician_id=page.clinician_id,
            phone=page.phone,
            code=page.code,
            code_key=f"{page.code}#{page.sent_at.isoformat()}#{page.incident_id}",
            sent_at=page.sent_at,
            channel=page.channel.value,
            task_token=page.task_token,
        )
        return put_if(item, PageItem.sk.does_not_exist())

    def page_for(self, incident_id: str, position: int) -> Page | None:
        try:
            return PageItem.get(incident_id, _page_sk(position), consistent_read=True).to_domain()
        except PageItem.DoesNotExist:
            return None

    def set_page_sent(self, incident_id: str, position: int, message_sid: str) -> None:
        PageItem(incident_id, _page_sk(position)).update(
            actions=[PageItem.message_sid.set(message_sid)], condition=PageItem.sk.exists()
        )

    def _update_page(self, incident_id: str, position: int, actions: list[Any],
                     condition: Any) -> bool:
        return update_if(PageItem(incident_id, _page_sk(position)), actions,
                         PageItem.sk.exists() & condition)

    def mark_sms_failed(self, incident_id: str, position: int, now: datetime,
                        error_code: int | None) -> bool:
        actions = [PageItem.sms_failed_at.set(now)]
        if error_code is not None:
            actions.append(PageItem.error_code.set(error_code))
        return self._update_page(incident_id, position, actions,
                                 PageItem.sms_failed_at.does_not_exist())

    def start_call(self, incident_id: str, position: int, now: datetime) -> bool:
        return self._update_page(incident_id, position, [PageItem.call_started_at.set(now)],
                                 PageItem.call_started_at.does_not_exist())

    def set_call_sid(self, incident_id: str, position: int, call_sid: str) -> None:
        self._update_page(incident_id, position, [PageItem.call_sid.set(call_sid)],
                          PageItem.call_started_at.exists())

    def end_call(self, incident_id: str, position: int, now: datetime, status: str) -> bool:
        return self._update_page(
            incident_id, position,
            [PageItem.call_ended_at.set(now), PageItem.call_status.set(status)],
            PageItem.call_started_at.exists() & PageItem.call_ended_at.does_not_exist())

    def record_pass(self, incident_id: str, position: int, clinician_id: str,
                    now: datetime) -> bool:
        passed = self._update(
            incident_id, [IncidentItem.passed_position.set(position)],
            self._pageable(position)
            & (IncidentItem.position == position)
            & (IncidentItem.current_clinician == clinician_id)
            & (IncidentItem.passed_position.does_not_exist()
               | (IncidentItem.passed_position < position)),
        )
        if passed:
            self._update_page(incident_id, position, [PageItem.passed_at.set(now)],
                              PageItem.passed_at.does_not_exist())
        return passed

    # ---------------------------------------------------------------- reply codes

    def _code_claims(self, phone: str) -> list[PhoneCodeItem]:
        return list(PhoneCodeItem.query(_phone_pk(phone), PhoneCodeItem.sk.startswith("code#"),
                                        consistent_read=True))

    def _incidents(self, incident_ids: set[str]) -> dict[str, Incident]:
        found: dict[str, Incident] = {}
        for item in IncidentItem.batch_get([(i, INCIDENT_SK) for i in incident_ids],
                                           consistent_read=True):
            found[item.pk] = item.to_domain()
        return found

    def claim_page_code(self, phone: str, clinician_id: str, preferred: str,
                        incident_id: str, now: datetime) -> str:
        claims = self._code_claims(phone)
        for claim in claims:
            if claim.incident_id == incident_id:
                return claim.sk.removeprefix("code#")  # one code per incident per phone
        holders = self._incidents({c.incident_id for c in claims})
        held = {c.sk.removeprefix("code#"): c for c in claims}
        candidates = [preferred] + [
            str(10 ** (d - 1) + secrets.randbelow(9 * 10 ** (d - 1)))
            for d in [3] * 30 + [4] * 30
        ]
        condition: Any
        for code in candidates:
            taken = held.get(code)
            if taken is not None:
                holder = holders.get(taken.incident_id)
                if holder is not None and holds_code(holder, taken.clinician_id, now):
                    continue
                condition = PhoneCodeItem.incident_id == taken.incident_id
            else:
                condition = PhoneCodeItem.pk.does_not_exist()
            item = PhoneCodeItem(_phone_pk(phone), f"code#{code}", incident_id=incident_id,
                                 clinician_id=clinician_id, claimed_at=now,
                                 expires_at=now + PHONE_CODE_TTL)
            if put_if(item, condition):
                return code
            # Another page claimed it meanwhile: maybe for this very incident.
            raced = PhoneCodeItem.get(_phone_pk(phone), f"code#{code}", consistent_read=True)
            if raced.incident_id == incident_id:
                return code
        raise RuntimeError("no free reply code for this phone")

    def open_codes(self, phone: str, now: datetime) -> list[tuple[str, Incident]]:
        claims = self._code_claims(phone)
        incidents = self._incidents({c.incident_id for c in claims})
        found = [
            (c.sk.removeprefix("code#"), incidents[c.incident_id]) for c in claims
            if c.incident_id in incidents
            and holds_code(incidents[c.incident_id], c.clinician_id, now)
        ]
        return sorted(found, key=lambda pair: pair[1].opened_at)

    def find_page(self, phone: str, code: str) -> Page | None:
        for item in PageItem.by_phone.query(
            phone, PageItem.code_key.startswith(f"{code}#"), scan_index_forward=False, limit=1
        ):
            return item.to_domain()
        return None

    def accept(self, incident_id: str, clinician_id: str, now: datetime) -> AcceptOutcome:
        return self._close(
            incident_id,
            [IncidentItem.status.set(Status.ACCEPTED.value),
             IncidentItem.accepted_by.set(clinician_id), IncidentItem.accepted_at.set(now)],
            IncidentItem.status.is_in(Status.TRIGGERED.value, Status.REFERRED.value),
            now, lambda current: current.is_open)

    def resolve(self, incident_id: str, clinician_id: str, now: datetime,
                follow_up_due: datetime | None = None) -> AcceptOutcome:
        actions: list[Any] = [
            IncidentItem.status.set(Status.RESOLVED.value),
            IncidentItem.resolved_by.set(clinician_id),
            IncidentItem.resolved_at.set(now),
        ]
        if follow_up_due is not None:
            actions += [IncidentItem.follow_up_due_at.set(follow_up_due),
                        IncidentItem.follow_up_owner.set(clinician_id)]
        return self._close(
            incident_id, actions,
            IncidentItem.status.is_in(Status.TRIGGERED.value, Status.REFERRED.value)
            | ((IncidentItem.status == Status.ACCEPTED.value)
               & (IncidentItem.accepted_by == clinician_id)),
            now, lambda current: current.is_open)

    def record_follow_up_attempt(self, incident_id: str, clinician_id: str,
                                 now: datetime) -> int | None:
        item = IncidentItem(incident_id, INCIDENT_SK)
        if not update_if(
            item,
            [IncidentItem.follow_up_attempts.set(
                (IncidentItem.follow_up_attempts | []).append([now.astimezone(UTC).isoformat()]))],
            _follow_up_open() & (IncidentItem.follow_up_owner == clinician_id)
            & (IncidentItem.follow_up_attempts.does_not_exist()
               | (size(IncidentItem.follow_up_attempts) < FOLLOW_UP_ATTEMPTS)),
        ):
            return None
        return len(item.follow_up_attempts or [])  # the update answers with the new list

    def close_follow_up(self, incident_id: str, clinician_id: str, now: datetime) -> bool:
        return self._update(
            incident_id,
            [IncidentItem.follow_up_done_at.set(now), IncidentItem.follow_up_done_by.set(
                clinician_id), IncidentItem.paging_until.remove()],
            _follow_up_open()
            & ((IncidentItem.follow_up_owner == clinician_id)
               | ((IncidentItem.position >= FOLLOW_UP_BASE)
                  & (IncidentItem.current_clinician == clinician_id))),
        )

    def take_follow_up(self, incident_id: str, clinician_id: str, position: int,
                       now: datetime) -> AcceptOutcome:
        return self._close(
            incident_id,
            [IncidentItem.follow_up_owner.set(clinician_id),
             IncidentItem.follow_up_taken_at.set(now)],
            self._pageable(position) & (IncidentItem.position == position)
            & (IncidentItem.current_clinician == clinician_id),
            now, lambda current: current.waiting_on(position))

    def refer(self, incident_id: str, now: datetime, referral: dict[str, str]) -> bool:
        return self._update(
            incident_id,
            [
                IncidentItem.status.set(Status.REFERRED.value),
                IncidentItem.referred_at.set(now),
                IncidentItem.referral.set(referral),
            ],
            IncidentItem.status == Status.TRIGGERED.value,
        )

    def end_ladder(self, incident_id: str, now: datetime) -> bool:
        return self._update(
            incident_id,
            [IncidentItem.ladder_ended_at.set(IncidentItem.ladder_ended_at | now)],
            IncidentItem.status.is_in(Status.TRIGGERED.value, Status.REFERRED.value),
        )


def _follow_up_open() -> Any:
    return ((IncidentItem.status == Status.RESOLVED.value)
            & IncidentItem.follow_up_due_at.exists()
            & IncidentItem.follow_up_done_at.does_not_exist())


class DynamoOptOuts:
    """The OptOuts port: one item per opted-out phone in the incidents table."""

    def opted_out(self, phone: str) -> bool:
        try:
            OptOutItem.get(_phone_pk(phone), OPT_OUT_SK, consistent_read=True)
        except OptOutItem.DoesNotExist:
            return False
        return True

    def opt_out(self, phone: str, now: datetime, via: str) -> bool:
        return put_if(OptOutItem(_phone_pk(phone), OPT_OUT_SK, opted_out_at=now, via=via),
                      OptOutItem.pk.does_not_exist())

    def opt_in(self, phone: str) -> bool:
        try:
            OptOutItem(_phone_pk(phone), OPT_OUT_SK).delete(condition=OptOutItem.pk.exists())
        except DeleteError as exc:
            if _conditional_failed(exc):
                return False
            raise
        return True


# ---------------------------------------------------------------- timeline table


class TimelineEntry(Model):
    """Append-only: the application only ever puts new entries (IAM grants no update)."""

    class Meta:
        table_name = _S.timeline_table
        region = _S.region

    incident_id = UnicodeAttribute(hash_key=True)
    seq = UnicodeAttribute(range_key=True)  # <ISO instant>#<random>: sorts by time
    at = UTCDateTimeAttribute()
    kind = UnicodeAttribute()
    detail = MapAttribute[str, Any](default=dict)
    expires_at = TTLAttribute(null=True)  # at + TIMELINE_RETENTION; DynamoDB expires it


class DynamoTimeline:
    def append(self, incident_id: str, at: datetime, kind: str, **detail: Any) -> None:
        entry = TimelineEntry(
            incident_id,
            f"{at.astimezone(UTC).isoformat(timespec='microseconds')}#{secrets.token_hex(4)}",
            at=at,
            kind=kind,
            detail={k: v for k, v in detail.items() if v is not None},
            expires_at=at + TIMELINE_RETENTION,
        )
        entry.save(condition=TimelineEntry.seq.does_not_exist())

    def entries(self, incident_id: str) -> list[dict[str, Any]]:
        return [
            {"at": e.at.isoformat(), "kind": e.kind, **_plain(e.detail)}
            for e in TimelineEntry.query(incident_id, consistent_read=True)
        ]


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


class ProgramItem(Model):
    """key = "program": the program's settings. Flat strings an admin can edit."""

    class Meta:
        table_name = _S.programs_table
        region = _S.region

    program_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True, default="program")
    display_name = UnicodeAttribute(null=True)
    hotline_number = UnicodeAttribute(null=True)
    crisis_line = UnicodeAttribute(null=True)
    mobile_crisis_team = UnicodeAttribute(null=True)
    emergency_department = UnicodeAttribute(null=True)
    emergency_department_phone = UnicodeAttribute(null=True)
    emergency_call_center = UnicodeAttribute(null=True)  # optional: the local PSAP, E.164
    location_max_age_hours = NumberAttribute(null=True)  # optional: default 24
    ladder_imminent = UnicodeAttribute(null=True)
    ladder_high = UnicodeAttribute(null=True)
    ladder_moderate = UnicodeAttribute(null=True)
    ladder_low = UnicodeAttribute(null=True)
    ladder_follow_up = UnicodeAttribute(null=True)  # optional: "supervisor 1bd x3"
    admin_phones = ListAttribute[str](null=True)
    business_hours = UnicodeAttribute(null=True)  # optional: "Mon-Fri 09:00-17:00"
    timezone = UnicodeAttribute(null=True)  # optional IANA name; else the rota's
    closed_dates = ListAttribute[str](null=True)  # optional: "2026-12-25", ...

    FIELDS = (
        "admin_phones", "business_hours", "timezone", "closed_dates",
        "display_name", "hotline_number", "crisis_line", "mobile_crisis_team",
        "emergency_department", "emergency_department_phone",
        "emergency_call_center", "location_max_age_hours",
        "ladder_imminent", "ladder_high", "ladder_moderate", "ladder_low", "ladder_follow_up",
    )


class RotaItem(Model):
    """key = "rota#<name>": a weekly (or n-day) rotation. See domain/rota.py."""

    class Meta:
        table_name = _S.programs_table
        region = _S.region

    program_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    timezone = UnicodeAttribute(null=True)
    handoff = UnicodeAttribute(null=True)
    shift_days = NumberAttribute(null=True)
    shift_hours = NumberAttribute(null=True)
    starts_on = UnicodeAttribute(null=True)
    members = ListAttribute[str](null=True)
    active = ListAttribute[str](null=True)

    FIELDS = ("timezone", "handoff", "shift_days", "shift_hours", "starts_on", "members",
              "active")


class OverrideItem(Model):
    """key = "override#<role>#<when>#<id>": one clinician covers a role for a window."""

    class Meta:
        table_name = _S.programs_table
        region = _S.region

    program_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    rota = UnicodeAttribute(null=True)
    clinician = UnicodeAttribute(null=True)
    starts = UnicodeAttribute(null=True)
    ends = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)

    FIELDS = ("rota", "clinician", "starts", "ends", "timezone", "created_at")


class ClinicianItem(Model):
    class Meta:
        table_name = _S.clinicians_table
        region = _S.region

    clinician_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)

    FIELDS = ("name", "phone")


_BAD_TYPE = re.compile(r"Cannot deserialize '(?P<field>[^']+)' attribute from type: (?P<t>\w+)")
_TYPE_NAMES = {"S": "text", "N": "a number", "L": "a list", "M": "a map", "BOOL": "true/false",
               "SS": "a string set", "NS": "a number set", "NULL": "null"}


def _read(model: type[_M], table: str, key_text: str, hash_key: str,
          range_key: str | None = None) -> _M | None:
    """Get an admin-edited item; a DynamoDB type an admin got wrong becomes InvalidItem."""
    try:
        return model.get(hash_key, range_key, consistent_read=True)
    except model.DoesNotExist:
        return None
    except AttributeDeserializationError as exc:
        raise _type_error(table, key_text, exc) from None


def _type_error(table: str, key_text: str, exc: AttributeDeserializationError) -> InvalidItem:
    m = _BAD_TYPE.search(str(exc))
    field = m["field"] if m else "?"
    expected = _TYPE_NAMES.get(m["t"], m["t"]) if m else "another type"
    return InvalidItem(table, key_text, field, f"must be {expected} (it has another DynamoDB type)")


def _partition(model: type[Model], hash_key: str) -> Iterator[dict[str, Any]]:
    """Raw items of one partition, every page (so one bad item cannot hide the others)."""
    connection = model._get_connection()
    start: dict[str, Any] | None = None
    while True:
        page = connection.query(hash_key, consistent_read=True, exclusive_start_key=start)
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def _from_raw(model: type[_M], raw: dict[str, Any], key_text: str) -> _M:
    try:
        return model.from_raw_data(raw)
    except AttributeDeserializationError as exc:
        raise _type_error("programs", key_text, exc) from None


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def program_from_raw(program_id: str, raw: dict[str, Any]) -> Program:
    """A program item as DynamoDB returns it. Each field is deserialized on its own: a field
    an admin gave the wrong DynamoDB type (a number typed as text at the console) reaches
    program_from_fields as its InvalidItem, and reads as its stand-in like any other
    malformed field."""
    attributes = ProgramItem.get_attributes()
    fields: dict[str, object] = {}
    for f in ProgramItem.FIELDS:
        value = raw.get(f)
        if not value or "NULL" in value:  # as PynamoDB reads an absent or null attribute
            continue
        attribute = attributes[f]
        try:
            fields[f] = _number(attribute.deserialize(attribute.get_value(value)))
        except AttributeDeserializationError as exc:
            fields[f] = _type_error("programs", f"{program_id} / program", exc)
    return program_from_fields(program_id, fields)


class DynamoDirectory:
    """The Directory port: programs, rotas and clinicians, validated on every read."""

    def program(self, program_id: str) -> Program | None:
        raw = ProgramItem._get_connection().get_item(
            program_id, "program", consistent_read=True).get("Item")
        return program_from_raw(program_id, raw) if raw is not None else None

    def schedule(self, program_id: str) -> Schedule:
        """Every rota and override of a program in one query. Each item is validated on
        its own: a malformed one is listed in ``invalid`` and the others still cover."""
        rotas: list[Rota] = []
        overrides: list[Override] = []
        invalid: list[InvalidItem] = []
        for raw in _partition(ProgramItem, program_id):
            key = str(raw.get("key", {}).get("S", ""))
            try:
                if key.startswith("rota#"):
                    item = _from_raw(RotaItem, raw, f"{program_id} / {key}")
                    fields = {f: _number(getattr(item, f)) for f in RotaItem.FIELDS}
                    rotas.append(rota_from_fields(program_id, key.removeprefix("rota#"),
                                                  **fields))
                elif key.startswith("override#"):
                    o = _from_raw(OverrideItem, raw, f"{program_id} / {key}")
                    overrides.append(override_from_fields(
                        program_id, key, {f: getattr(o, f) for f in OverrideItem.FIELDS}))
            except InvalidItem as exc:
                invalid.append(exc)
        return Schedule(program_id, tuple(rotas), tuple(overrides), tuple(invalid))

    def clinicians(self, clinician_ids: list[str]) -> dict[str, Clinician | InvalidItem | None]:
        """Validated clinician items by id (None: no such item)."""
        found: dict[str, Clinician | InvalidItem | None] = dict.fromkeys(clinician_ids)
        for cid in clinician_ids:
            try:
                found[cid] = self.clinician(cid)
            except InvalidItem as exc:
                found[cid] = exc
        return found

    def clinician(self, clinician_id: str) -> Clinician | None:
        item = _read(ClinicianItem, "clinicians", clinician_id, clinician_id)
        if item is None:
            return None
        return clinician_from_fields(
            clinician_id, {f: getattr(item, f) for f in ClinicianItem.FIELDS}
        )

    def clinicians_with_phone(self, phone: str) -> list[Clinician]:
        """A scan: the clinicians table is small and this runs only on STOP and START."""
        found: list[Clinician] = []
        connection = ClinicianItem._get_connection()
        start: Any = None  # LastEvaluatedKey
        while True:  # raw pages: one item an admin typed wrong must not hide the others
            page = connection.scan(filter_condition=ClinicianItem.phone == phone,
                                   exclusive_start_key=start)
            for raw in page.get("Items", []):
                try:
                    item = ClinicianItem.from_raw_data(raw)
                    found.append(clinician_from_fields(
                        item.clinician_id, {f: getattr(item, f) for f in ClinicianItem.FIELDS}))
                except (AttributeDeserializationError, InvalidItem):
                    continue
            start = page.get("LastEvaluatedKey")
            if not start:
                return sorted(found, key=lambda c: c.clinician_id)

    # The ProgramIndex port (the rota guard).

    def program_ids(self) -> list[str]:
        return program_ids()

    def programs_naming(self, clinician_id: str) -> list[str]:
        return programs_naming(clinician_id)


# ---------------------------------------------------------------- admin reads and writes


def program_ids() -> list[str]:
    """Every configured program (its program item), for the daily coverage check."""
    return sorted({item.program_id for item in ProgramItem.scan(ProgramItem.key == "program")})


def programs_naming(clinician_id: str) -> list[str]:
    """Programs whose rotas or overrides name this clinician (a clinician edit affects them)."""
    found: set[str] = set()
    for item in RotaItem.scan(RotaItem.members.contains(clinician_id)):
        found.add(item.program_id)
    for override in OverrideItem.scan(OverrideItem.clinician == clinician_id):
        found.add(override.program_id)
    return sorted(found)


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


TRANSACTION_LIMIT = 100  # DynamoDB TransactWriteItems


def _item_for(program_id: str, key: str, fields: dict[str, Any]) -> Model:
    model: type[RotaItem] | type[OverrideItem]
    if key.startswith("rota#"):
        model = RotaItem
    elif key.startswith("override#"):
        model = OverrideItem
    else:
        raise ValueError(f"not a rota or override key: {key}")
    item = model(program_id, key)
    for name in model.FIELDS:
        setattr(item, name, fields.get(name))
    return item


def raw_schedule_items(program_id: str) -> list[dict[str, Any]]:
    """The program's rota and override items as plain dicts (for export)."""
    out: list[dict[str, Any]] = []
    for raw in _partition(ProgramItem, program_id):
        key = str(raw.get("key", {}).get("S", ""))
        if key.startswith(("rota#", "override#")):
            model = RotaItem if key.startswith("rota#") else OverrideItem
            try:
                item = model.from_raw_data(raw)
            except AttributeDeserializationError as exc:
                raise _type_error("programs", f"{program_id} / {key}", exc) from None
            fields = {f: _number(getattr(item, f)) for f in model.FIELDS}  # type: ignore[attr-defined]
            out.append({"key": key, **{k: v for k, v in fields.items() if v is not None}})
    return out


def replace_schedule(program_id: str, items: list[dict[str, Any]]) -> int:
    """Make the program's rotas and overrides exactly ``items`` (each with its "key"), in one
    transaction: all of it is written, or none of it. Validate before calling."""
    from pynamodb.connection import Connection
    from pynamodb.transactions import TransactWrite

    wanted = {item["key"] for item in items}
    stale = [raw["key"]["S"] for raw in _partition(ProgramItem, program_id)
             if raw["key"]["S"].startswith(("rota#", "override#"))
             and raw["key"]["S"] not in wanted]
    if len(items) + len(stale) > TRANSACTION_LIMIT:
        raise ValueError(f"{len(items) + len(stale)} changes; one import writes at most "
                         f"{TRANSACTION_LIMIT} items")
    with TransactWrite(connection=Connection(region=_S.region)) as transaction:
        for item in items:
            fields = {k: v for k, v in item.items() if k != "key"}
            transaction.save(_item_for(program_id, item["key"], fields))
        for key in stale:
            model = RotaItem if key.startswith("rota#") else OverrideItem
            transaction.delete(model(program_id, key))
    return len(items) + len(stale)


def put_override(program_id: str, key: str, fields: dict[str, Any]) -> None:
    """Add one override item; never overwrites an existing one."""
    _item_for(program_id, key, fields).save(condition=OverrideItem.key.does_not_exist())
