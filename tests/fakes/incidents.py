"""The incident store in memory (the Incidents, Pages, ReplyCodes and FollowUps ports),
with the DynamoDB adapters' conditions write for write; tests/contract holds it to them."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from crisis_pager.domain.incident import (
    FOLLOW_UP_ATTEMPTS,
    OPEN_STATUSES,
    AcceptOutcome,
    Closed,
    Incident,
    Page,
    Status,
    holds_code,
    is_follow_up,
)


@dataclasses.dataclass
class PhoneCode:
    """One phone's claim on a reply code (the adapter's PhoneCodeItem)."""

    incident_id: str
    clinician_id: str
    claimed_at: datetime


class FakeIncidents:
    """The Incidents port in memory, with DynamoIncidents' conditions write for write.

    State the domain Incident does not carry is kept beside it, as the adapter keeps it in
    attributes the domain never reads: ``current_clinician`` and ``passed_position`` per
    incident, ``leases`` (paging_until), ``call_statuses`` per page, and ``phone_codes``
    (the per-phone reply-code claims). Every "now" is passed in, as to the adapter.
    """

    def __init__(self) -> None:
        self.items: dict[str, Incident] = {}
        self.pages: dict[tuple[str, int], Page] = {}
        self.codes: dict[tuple[str, str], str] = {}
        self.leases: dict[str, tuple[int, datetime]] = {}  # a page being sent
        self.released: dict[str, datetime] = {}  # paging_until once the lease ended
        self.current_clinician: dict[str, str] = {}
        self.passed_position: dict[str, int] = {}
        self.call_statuses: dict[tuple[str, int], str] = {}
        self.phone_codes: dict[str, dict[str, PhoneCode]] = {}  # phone -> code -> claim
        self._lock = threading.RLock()
        self.next_code = 417
        self.next_phone_code = 100  # fallback reply codes when the preferred one is held

    def get(self, incident_id: str) -> Incident | None:
        return self.items.get(incident_id)

    def create(self, incident: Incident) -> bool:
        with self._lock:
            if incident.incident_id in self.items:
                return False
            self.items[incident.incident_id] = incident
            return True

    def claim_code(self, program_id: str, incident_id: str, now: datetime) -> str:
        with self._lock:
            while (program_id, str(self.next_code)) in self.codes:
                self.next_code += 1
            code = str(self.next_code)
            self.codes[(program_id, code)] = incident_id
            return code

    def release_code(self, program_id: str, code: str, incident_id: str) -> None:
        with self._lock:
            if self.codes.get((program_id, code)) == incident_id:
                del self.codes[(program_id, code)]

    def _swap(self, incident_id: str, allowed: set[Status] | None, **changes: Any) -> bool:
        with self._lock:
            current = self.items.get(incident_id)
            if current is None or (allowed is not None and current.status not in allowed):
                return False
            self.items[incident_id] = dataclasses.replace(current, **changes)
            return True

    def _lease_in_flight(self, incident_id: str, now: datetime) -> bool:
        """paging_until exists and has not lapsed (the adapter: NOT (absent OR <= now));
        a released lease ends at its release, so a close stamped before that waits too."""
        lease = self.leases.get(incident_id)
        released = self.released.get(incident_id)
        return (lease is not None and lease[1] > now) or (
            lease is None and released is not None and released > now)

    def claim_rung(self, incident_id: str, position: int, target: str, clinician_id: str,
                   task_token: str, lease_until: datetime) -> Incident | None:
        with self._lock:
            current = self.items.get(incident_id)
            if current is None or not current.pageable(position) or current.position > position:
                return None
            claimed = self.items[incident_id] = dataclasses.replace(
                current, position=position, current_target=target, task_token=task_token)
            self.current_clinician[incident_id] = clinician_id
            self.leases[incident_id] = (position, lease_until)
            return claimed

    def renew_lease(self, incident_id: str, position: int, lease_until: datetime) -> bool:
        with self._lock:
            current = self.items.get(incident_id)
            if current is None or not current.waiting_on(position):
                return False
            self.leases[incident_id] = (position, lease_until)
            return True

    def release_rung(self, incident_id: str, position: int, now: datetime) -> None:
        # The adapter's condition is on the incident's position: only this rung's lease.
        with self._lock:
            current = self.items.get(incident_id)
            if current is not None and current.position == position:
                self.leases.pop(incident_id, None)
                self.released[incident_id] = now

    def record_page(self, page: Page) -> bool:
        with self._lock:
            key = (page.incident_id, page.position)
            if key in self.pages:
                return False
            self.pages[key] = page
            return True

    def page_for(self, incident_id: str, position: int) -> Page | None:
        return self.pages.get((incident_id, position))

    def set_page_sent(self, incident_id: str, position: int, message_sid: str,
                      released_at: datetime | None = None) -> None:
        key = (incident_id, position)
        self.pages[key] = dataclasses.replace(self.pages[key], message_sid=message_sid)
        if released_at is not None:
            self.release_rung(incident_id, position, released_at)

    def _update_page(self, incident_id: str, position: int,
                     condition: Callable[[Page], bool], **changes: Any) -> bool:
        with self._lock:
            key = (incident_id, position)
            page = self.pages.get(key)
            if page is None or not condition(page):
                return False
            self.pages[key] = dataclasses.replace(page, **changes)
            return True

    def mark_sms_failed(self, incident_id: str, position: int, now: datetime,
                        error_code: int | None) -> bool:
        changes: dict[str, Any] = {"sms_failed_at": now}
        if error_code is not None:
            changes["error_code"] = error_code
        return self._update_page(incident_id, position, lambda p: p.sms_failed_at is None,
                                 **changes)

    def start_call(self, incident_id: str, position: int, now: datetime) -> bool:
        return self._update_page(incident_id, position, lambda p: p.call_started_at is None,
                                 call_started_at=now)

    def set_call_sid(self, incident_id: str, position: int, call_sid: str) -> None:
        self._update_page(incident_id, position, lambda p: p.call_started_at is not None,
                          call_sid=call_sid)

    def end_call(self, incident_id: str, position: int, now: datetime, status: str) -> bool:
        with self._lock:
            ended = self._update_page(
                incident_id, position,
                lambda p: p.call_started_at is not None and p.call_ended_at is None,
                call_ended_at=now)
            if ended:
                self.call_statuses[(incident_id, position)] = status
            return ended

    def record_pass(self, incident_id: str, position: int, clinician_id: str,
                    now: datetime) -> bool:
        with self._lock:
            current = self.items.get(incident_id)
            passed = self.passed_position.get(incident_id)
            if (current is None or not current.waiting_on(position)
                    or self.current_clinician.get(incident_id) != clinician_id
                    or (passed is not None and passed >= position)):
                return False
            self.passed_position[incident_id] = position
            self._update_page(incident_id, position, lambda p: p.passed_at is None,
                              passed_at=now)
            return True

    # ---------------------------------------------------------------- reply codes

    def claim_page_code(self, phone: str, clinician_id: str, preferred: str,
                        incident_id: str, now: datetime) -> str:
        with self._lock:
            claims = self.phone_codes.setdefault(phone, {})
            for code, claim in sorted(claims.items()):
                if claim.incident_id == incident_id:
                    return code  # one code per incident per phone
            candidates = [preferred] + [str(n) for n in range(self.next_phone_code, 10000)]
            for code in candidates:
                taken = claims.get(code)
                if taken is not None:
                    holder = self.items.get(taken.incident_id)
                    if holder is not None and holds_code(holder, taken.clinician_id, now):
                        continue
                claims[code] = PhoneCode(incident_id, clinician_id, now)
                return code
            raise RuntimeError("no free reply code for this phone")

    def open_codes(self, phone: str, now: datetime) -> list[tuple[str, Incident]]:
        found = []
        for code, claim in sorted(self.phone_codes.get(phone, {}).items()):
            incident = self.items.get(claim.incident_id)
            if incident is not None and holds_code(incident, claim.clinician_id, now):
                found.append((code, incident))
        return sorted(found, key=lambda pair: pair[1].opened_at)

    def find_page(self, phone: str, code: str) -> Page | None:
        """The by_phone index: code_key = <code>#<sent_at ISO>#<incident>, newest first
        (equal keys, which DynamoDB leaves unordered: the later rung, as moto answers)."""
        matches = [p for p in self.pages.values() if p.phone == phone and p.code == code]
        if not matches:
            return None
        return max(matches, key=lambda p: (p.sent_at.isoformat(), p.incident_id, p.position))

    # ---------------------------------------------------------------- closing

    def accept(self, incident_id: str, clinician_id: str, now: datetime) -> Closed:
        with self._lock:
            current = self.items.get(incident_id)
            if (current is not None and current.status in OPEN_STATUSES
                    and not self._lease_in_flight(incident_id, now)):
                self.items[incident_id] = dataclasses.replace(
                    current, status=Status.ACCEPTED, accepted_by=clinician_id,
                    accepted_at=now)
                self.leases.pop(incident_id, None)
                return Closed(AcceptOutcome.ACCEPTED, self.items[incident_id])
            if current is not None and current.is_open:
                return Closed(AcceptOutcome.PAGE_IN_FLIGHT, current)
            return Closed(AcceptOutcome.NOT_OPEN, current)

    def resolve(self, incident_id: str, clinician_id: str, now: datetime,
                follow_up_due: datetime | None = None) -> Closed:
        with self._lock:
            current = self.items.get(incident_id)
            if (current is not None
                    and (current.status in OPEN_STATUSES
                         or (current.status is Status.ACCEPTED
                             and current.accepted_by == clinician_id))
                    and not self._lease_in_flight(incident_id, now)):
                follow_up: dict[str, Any] = {}
                if follow_up_due is not None:
                    follow_up = {"follow_up_due_at": follow_up_due,
                                 "follow_up_owner": clinician_id}
                self.items[incident_id] = dataclasses.replace(
                    current, status=Status.RESOLVED, resolved_by=clinician_id,
                    resolved_at=now, **follow_up)
                self.leases.pop(incident_id, None)
                return Closed(AcceptOutcome.ACCEPTED, self.items[incident_id])
            if current is not None and current.is_open:
                return Closed(AcceptOutcome.PAGE_IN_FLIGHT, current)
            return Closed(AcceptOutcome.NOT_OPEN, current)

    def refer(self, incident_id: str, now: datetime, referral: dict[str, str]) -> bool:
        return self._swap(incident_id, {Status.TRIGGERED}, status=Status.REFERRED,
                          referred_at=now, referral=referral)

    def end_ladder(self, incident_id: str, now: datetime) -> bool:
        with self._lock:
            current = self.items.get(incident_id)
            return self._swap(incident_id, set(OPEN_STATUSES),
                              ladder_ended_at=(current.ladder_ended_at if current else None)
                              or now)

    # ---------------------------------------------------------------- follow-up

    def record_follow_up_attempt(self, incident_id: str, clinician_id: str,
                                 now: datetime) -> int | None:
        with self._lock:
            current = self.items.get(incident_id)
            if (current is None or not current.follow_up_open
                    or current.follow_up_owner != clinician_id
                    or len(current.follow_up_attempts) >= FOLLOW_UP_ATTEMPTS):
                return None
            attempts = (*current.follow_up_attempts, now)
            self.items[incident_id] = dataclasses.replace(current, follow_up_attempts=attempts)
            return len(attempts)

    def close_follow_up(self, incident_id: str, clinician_id: str, now: datetime) -> bool:
        with self._lock:
            current = self.items.get(incident_id)
            if current is None or not current.follow_up_open:
                return False
            if not (current.follow_up_owner == clinician_id
                    or (is_follow_up(current.position)
                        and self.current_clinician.get(incident_id) == clinician_id)):
                return False
            self.items[incident_id] = dataclasses.replace(
                current, follow_up_done_at=now, follow_up_done_by=clinician_id)
            self.leases.pop(incident_id, None)
            return True

    def take_follow_up(self, incident_id: str, clinician_id: str, position: int,
                       now: datetime) -> Closed:
        with self._lock:
            current = self.items.get(incident_id)
            if (current is not None and current.waiting_on(position)
                    and self.current_clinician.get(incident_id) == clinician_id
                    and not self._lease_in_flight(incident_id, now)):
                self.items[incident_id] = dataclasses.replace(
                    current, follow_up_owner=clinician_id, follow_up_taken_at=now)
                self.leases.pop(incident_id, None)
                return Closed(AcceptOutcome.ACCEPTED, self.items[incident_id])
            if current is not None and current.waiting_on(position):
                return Closed(AcceptOutcome.PAGE_IN_FLIGHT, current)
            return Closed(AcceptOutcome.NOT_OPEN, current)
