"""The Pages port: a rung's claim on its incident (the paging lease) and its page item
(the SMS, its delivery, the fallback call, a pass)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from ...domain.incident import Incident, Page
from .conditional import put_if, update_if
from .items import (
    INCIDENT_SK,
    IncidentItem,
    PageItem,
    page_sk,
    pageable,
    update_incident,
    update_page,
)
from .tables import connection


def _release(position: int, now: datetime) -> tuple[list[Any], Any]:
    """Ending a rung's paging lease at ``now``: only while the incident is at that rung."""
    return [IncidentItem.paging_until.set(now)], IncidentItem.position == position


def _cancelled_only_by_the_lease(exc: TransactWriteError) -> bool:
    """Did the transaction fail only on the incident's condition (its second write)?"""
    reasons = [r.code if r is not None else None  # None: that write was not the cause
               for r in exc.cancellation_reasons or []]
    return reasons == [None, "ConditionalCheckFailed"]


class DynamoPages:
    def claim_rung(
        self, incident_id: str, position: int, target: str, clinician_id: str, task_token: str,
        lease_until: datetime,
    ) -> Incident | None:
        item = IncidentItem(incident_id, INCIDENT_SK)
        claimed = update_if(
            item,
            [
                IncidentItem.position.set(position),
                IncidentItem.current_target.set(target),
                IncidentItem.current_clinician.set(clinician_id),
                IncidentItem.task_token.set(task_token),
                IncidentItem.paging_until.set(lease_until),
            ],
            pageable(position) & (IncidentItem.position <= position),
        )
        return item.to_domain() if claimed else None  # the update answers the item

    def renew_lease(self, incident_id: str, position: int, lease_until: datetime) -> bool:
        return update_incident(
            incident_id, [IncidentItem.paging_until.set(lease_until)],
            pageable(position) & (IncidentItem.position == position),
        )

    def release_rung(self, incident_id: str, position: int, now: datetime) -> None:
        # Only this rung's lease: a later rung may already hold its own. The lease ends at
        # `now` rather than vanishing: a close that read its clock before the page went
        # out (its write landing after the release) fails `paging_until <= now` and retries
        # with a later instant, so it is never stamped before the page.
        update_incident(incident_id, *_release(position, now))

    def record_page(self, page: Page) -> bool:
        item = PageItem(
            page.incident_id,
            page_sk(page.position),
            position=page.position,
            target=page.target,
            clinician_id=page.clinician_id,
            phone=page.phone,
            code=page.code,
            code_key=f"{page.code}#{page.sent_at.isoformat()}#{page.incident_id}",
            sent_at=page.sent_at,
            channel=page.channel.value,
            task_token=page.task_token,
            program_name=page.program_name,
            hotline_number=page.hotline_number,
        )
        return put_if(item, PageItem.sk.does_not_exist())

    def page_for(self, incident_id: str, position: int) -> Page | None:
        try:
            return PageItem.get(incident_id, page_sk(position), consistent_read=True).to_domain()
        except PageItem.DoesNotExist:
            return None

    def set_page_sent(self, incident_id: str, position: int, message_sid: str,
                      released_at: datetime | None = None) -> None:
        page = PageItem(incident_id, page_sk(position))
        sent: list[Any] = [PageItem.message_sid.set(message_sid)]
        if released_at is not None:
            # One transaction for both items; if the lease is no longer this rung's (the
            # ladder moved on meanwhile), the page still gets its id, on its own.
            actions, condition = _release(position, released_at)
            try:
                with TransactWrite(connection=connection()) as both:
                    both.update(page, actions=sent, condition=PageItem.sk.exists())
                    both.update(IncidentItem(incident_id, INCIDENT_SK), actions=actions,
                                condition=condition)
                return
            except TransactWriteError as exc:
                if not _cancelled_only_by_the_lease(exc):
                    raise
        page.update(actions=sent, condition=PageItem.sk.exists())

    def mark_sms_failed(self, incident_id: str, position: int, now: datetime,
                        error_code: int | None) -> bool:
        actions = [PageItem.sms_failed_at.set(now)]
        if error_code is not None:
            actions.append(PageItem.error_code.set(error_code))
        return update_page(incident_id, position, actions,
                           PageItem.sms_failed_at.does_not_exist())

    def start_call(self, incident_id: str, position: int, now: datetime) -> bool:
        return update_page(incident_id, position, [PageItem.call_started_at.set(now)],
                           PageItem.call_started_at.does_not_exist())

    def set_call_sid(self, incident_id: str, position: int, call_sid: str) -> None:
        update_page(incident_id, position, [PageItem.call_sid.set(call_sid)],
                    PageItem.call_started_at.exists())

    def end_call(self, incident_id: str, position: int, now: datetime, status: str) -> bool:
        return update_page(
            incident_id, position,
            [PageItem.call_ended_at.set(now), PageItem.call_status.set(status)],
            PageItem.call_started_at.exists() & PageItem.call_ended_at.does_not_exist())

    def record_pass(self, incident_id: str, position: int, clinician_id: str,
                    now: datetime) -> bool:
        passed = update_incident(
            incident_id, [IncidentItem.passed_position.set(position)],
            pageable(position)
            & (IncidentItem.position == position)
            & (IncidentItem.current_clinician == clinician_id)
            & (IncidentItem.passed_position.does_not_exist()
               | (IncidentItem.passed_position < position)),
        )
        if passed:
            update_page(incident_id, position, [PageItem.passed_at.set(now)],
                        PageItem.passed_at.does_not_exist())
        return passed
