"""In-memory ports with the same conditional semantics as the DynamoDB adapters."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from crisis_pager.domain.errors import CallbackError, InvalidItem, SendAborted, SmsError
from crisis_pager.domain.incident import (
    FOLLOW_UP_ATTEMPTS,
    OPEN_STATUSES,
    AcceptOutcome,
    Incident,
    Page,
    Status,
    holds_code,
    is_follow_up,
)
from crisis_pager.domain.program import (
    Clinician,
    Program,
    clinician_from_fields,
    program_from_fields,
)
from crisis_pager.domain.rota import rota_from_fields
from crisis_pager.domain.schedule import Schedule
from crisis_pager.service.ports.messaging import AttemptGuard

T0 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # 10:00 in Los Angeles


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.t = start

    def now(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)

    def wait(self, seconds: float) -> None:
        self.advance(seconds)


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
    (the per-phone reply-code claims). ``clock`` is the "now" of ``open_codes`` (the
    adapter reads the wall clock there); without one the wall clock is used too.
    """

    def __init__(self, clock: FakeClock | None = None) -> None:
        self.items: dict[str, Incident] = {}
        self.pages: dict[tuple[str, int], Page] = {}
        self.codes: dict[tuple[str, str], str] = {}
        self.leases: dict[str, tuple[int, datetime]] = {}  # a page being sent
        self.released: dict[str, datetime] = {}  # paging_until once the lease ended
        self.current_clinician: dict[str, str] = {}
        self.passed_position: dict[str, int] = {}
        self.call_statuses: dict[tuple[str, int], str] = {}
        self.phone_codes: dict[str, dict[str, PhoneCode]] = {}  # phone -> code -> claim
        self.clock = clock
        self._lock = threading.RLock()
        self.next_code = 417
        self.next_phone_code = 100  # fallback reply codes when the preferred one is held

    def _now(self) -> datetime:
        return self.clock.now() if self.clock is not None else datetime.now(UTC)

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

    def mark_ladder_started(self, incident_id: str) -> None:
        self._swap(incident_id, None, ladder_started=True)

    def claim_rung(self, incident_id: str, position: int, target: str, clinician_id: str,
                   task_token: str, lease_until: datetime) -> bool:
        with self._lock:
            current = self.items.get(incident_id)
            if current is None or not current.pageable(position) or current.position > position:
                return False
            self.items[incident_id] = dataclasses.replace(
                current, position=position, current_target=target, task_token=task_token)
            self.current_clinician[incident_id] = clinician_id
            self.leases[incident_id] = (position, lease_until)
            return True

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

    def set_page_sent(self, incident_id: str, position: int, message_sid: str) -> None:
        key = (incident_id, position)
        self.pages[key] = dataclasses.replace(self.pages[key], message_sid=message_sid)

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

    def accept(self, incident_id: str, clinician_id: str, now: datetime) -> AcceptOutcome:
        with self._lock:
            current = self.items.get(incident_id)
            if (current is not None and current.status in OPEN_STATUSES
                    and not self._lease_in_flight(incident_id, now)):
                self.items[incident_id] = dataclasses.replace(
                    current, status=Status.ACCEPTED, accepted_by=clinician_id,
                    accepted_at=now)
                self.leases.pop(incident_id, None)
                return AcceptOutcome.ACCEPTED
            if current is not None and current.is_open:
                return AcceptOutcome.PAGE_IN_FLIGHT
            return AcceptOutcome.NOT_OPEN

    def resolve(self, incident_id: str, clinician_id: str, now: datetime,
                follow_up_due: datetime | None = None) -> AcceptOutcome:
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
                return AcceptOutcome.ACCEPTED
            if current is not None and current.is_open:
                return AcceptOutcome.PAGE_IN_FLIGHT
            return AcceptOutcome.NOT_OPEN

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
                       now: datetime) -> AcceptOutcome:
        with self._lock:
            current = self.items.get(incident_id)
            if (current is not None and current.waiting_on(position)
                    and self.current_clinician.get(incident_id) == clinician_id
                    and not self._lease_in_flight(incident_id, now)):
                self.items[incident_id] = dataclasses.replace(
                    current, follow_up_owner=clinician_id, follow_up_taken_at=now)
                self.leases.pop(incident_id, None)
                return AcceptOutcome.ACCEPTED
            if current is not None and current.waiting_on(position):
                return AcceptOutcome.PAGE_IN_FLIGHT
            return AcceptOutcome.NOT_OPEN


class FakeTimeline:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def append(self, incident_id: str, at: datetime, kind: str, **detail: Any) -> None:
        self.rows.append({"incident_id": incident_id, "at": at, "kind": kind, **detail})

    def entries(self, incident_id: str) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["incident_id"] == incident_id]

    def kinds(self, incident_id: str) -> list[str]:
        return [r["kind"] for r in self.entries(incident_id)]


PROGRAM_FIELDS = {
    "display_name": "West IOP",
    "hotline_number": "+15035550100",
    "crisis_line": "+15035550111",
    "mobile_crisis_team": "+15035550122",
    "emergency_department": "Providence ED",
    "emergency_department_phone": "+15035550133",
}


class _Clinicians(dict[str, Clinician | InvalidItem]):
    """The clinician items by id, and also the Directory's ``clinicians(ids)`` method (the
    attribute of the same name would otherwise hide it)."""

    def __call__(self, clinician_ids: list[str]) -> dict[str, Clinician | InvalidItem | None]:
        return {cid: self.get(cid) for cid in clinician_ids}


class FakeDirectory:
    """Programs, rotas and clinicians in memory; also the ProgramIndex port."""

    def __init__(self) -> None:
        self.programs: dict[str, dict[str, object]] = {"west-iop": dict(PROGRAM_FIELDS)}
        self.rotas: dict[tuple[str, str], dict[str, object]] = {}
        self.clinicians = _Clinicians()
        self.naming_lookups: list[str] = []
        self.broken: set[str] = set()  # programs whose reads raise (a DynamoDB outage)
        for cid, name, phone in [("clin-ana", "Ana", "+15035550101"),
                                 ("clin-ben", "Ben", "+15035550102"),
                                 ("clin-caro", "Caro", "+15035550103")]:
            self.clinicians[cid] = Clinician(cid, name, phone)
        for rota, member in [("primary", "clin-ana"), ("backup", "clin-ben"),
                             ("supervisor", "clin-caro")]:
            self.set_rota(rota, [member])

    def set_rota(self, name: str, members: list[str], program_id: str = "west-iop",
                 **overrides: object) -> None:
        fields: dict[str, object] = {"timezone": "America/Los_Angeles", "handoff": "08:00",
                                     "shift_days": 7, "starts_on": "2026-11-02",
                                     "members": members}
        fields.update(overrides)
        self.rotas[(program_id, name)] = fields

    def set_clinician(self, clinician_id: str, **fields: object) -> None:
        """Store a clinician item as an admin wrote it; a malformed one reads as invalid."""
        try:
            self.clinicians[clinician_id] = clinician_from_fields(clinician_id, fields)
        except InvalidItem as exc:
            self.clinicians[clinician_id] = exc

    def program_ids(self) -> list[str]:
        return sorted(self.programs)

    def programs_naming(self, clinician_id: str) -> list[str]:
        self.naming_lookups.append(clinician_id)
        return sorted({pid for (pid, _), f in self.rotas.items()
                       if clinician_id in f.get("members", [])})  # type: ignore[operator]

    def program(self, program_id: str) -> Program | None:
        if program_id in self.broken:
            raise RuntimeError("DynamoDB is unavailable")
        fields = self.programs.get(program_id)
        return program_from_fields(program_id, fields) if fields is not None else None

    def schedule(self, program_id: str) -> Schedule:
        rotas, invalid = [], []
        for (pid, name), fields in sorted(self.rotas.items()):
            if pid != program_id:
                continue
            try:
                rotas.append(rota_from_fields(program_id, name, **fields))  # type: ignore[arg-type]
            except InvalidItem as exc:
                invalid.append(exc)
        return Schedule(program_id, tuple(rotas), (), tuple(invalid))

    def clinician(self, clinician_id: str) -> Clinician | None:
        item = self.clinicians.get(clinician_id)
        if isinstance(item, InvalidItem):
            raise item
        return item

    def clinicians_with_phone(self, phone: str) -> list[Clinician]:
        """Valid clinician items with this phone (malformed ones skipped), by id."""
        return sorted((c for c in self.clinicians.values()
                       if isinstance(c, Clinician) and c.phone == phone),
                      key=lambda c: c.clinician_id)


class FakeLadder:
    def __init__(self) -> None:
        self.started: dict[str, dict[str, Any]] = {}
        self.woken: list[tuple[str, dict[str, Any]]] = []
        self.live_tokens: set[str] = set()
        self.fail_start = False

    def start(self, incident_id: str, payload: dict[str, Any], *, name: str | None = None) -> None:
        if self.fail_start:
            raise RuntimeError("Step Functions unavailable")
        self.started.setdefault(name or incident_id, payload)

    def wake(self, task_token: str, result: dict[str, Any]) -> bool:
        self.woken.append((task_token, result))
        if task_token in self.live_tokens:
            self.live_tokens.discard(task_token)
            return True
        return False


class SentSms(NamedTuple):
    to: str
    body: str
    page: tuple[str, int] | None
    validity_s: int | None


class PlacedCall(NamedTuple):
    to: str
    page: tuple[str, int]


class _Provider:
    """One attempt at the provider's API, as the Twilio adapter makes it: the guard is
    acquired first (SendAborted, nothing sent, when it says no) and released afterwards,
    whether the attempt succeeded or not. ``fail_with`` makes every attempt raise (the
    adapter's outcome after its retries: permanent, or transient with permanent=False).
    ``before_attempt`` runs just before the guard is asked, ``during_send`` while it is
    held and the message is going out (another actor's moment)."""

    def __init__(self) -> None:
        self.fail_with: SmsError | None = None
        self.before_attempt: Callable[[], None] | None = None
        self.during_send: Callable[[], None] | None = None
        self.attempts = 0
        self.aborted = 0

    def _attempt(self, guard: AttemptGuard | None, send: Callable[[], str]) -> str:
        if self.before_attempt is not None:
            self.before_attempt()
        self.attempts += 1
        if guard is not None and not guard.acquire():
            self.aborted += 1
            raise SendAborted("the guard refused the attempt")
        try:
            if self.fail_with is not None:
                raise self.fail_with
            if self.during_send is not None:
                self.during_send()
            return send()
        finally:
            if guard is not None:
                guard.release()


class FakeSms(_Provider):
    """``sent`` keeps (to, body) pairs; ``messages`` the full record of each SMS."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []
        self.messages: list[SentSms] = []

    def send(self, to: str, body: str, *, page: tuple[str, int] | None = None,
             validity_s: int | None = None, guard: AttemptGuard | None = None) -> str:
        def go() -> str:
            self.sent.append((to, body))
            self.messages.append(SentSms(to, body, page, validity_s))
            return f"SM{len(self.sent):032d}"

        return self._attempt(guard, go)


class FakeVoice(_Provider):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[PlacedCall] = []

    def call(self, to: str, *, page: tuple[str, int],
             guard: AttemptGuard | None = None) -> str:
        def go() -> str:
            self.calls.append(PlacedCall(to, page))
            return f"CA{len(self.calls):032d}"

        return self._attempt(guard, go)


class FakeOptOuts:
    def __init__(self) -> None:
        self.phones: dict[str, tuple[datetime, str]] = {}  # phone -> (when, via)

    def opted_out(self, phone: str) -> bool:
        return phone in self.phones

    def opt_out(self, phone: str, now: datetime, via: str) -> bool:
        if phone in self.phones:
            return False
        self.phones[phone] = (now, via)
        return True

    def opt_in(self, phone: str) -> bool:
        return self.phones.pop(phone, None) is not None


class FakeAlerts:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, str]] = []

    def publish(self, program_id: str, subject: str, message: str) -> None:
        self.published.append((program_id, subject, message))


class FakeHotline:
    def __init__(self) -> None:
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.fail: bool | Exception = False  # True: an HTTP 503; an exception: raised

    def secret_for(self, hotline_id: str) -> str | None:
        return "s3cret" if hotline_id == "hl" else None

    def post(self, url: str, hotline_id: str, payload: dict[str, Any]) -> int:
        if isinstance(self.fail, Exception):
            raise self.fail
        if self.fail:
            raise CallbackError("hotline answered HTTP 503")
        self.posted.append((url, payload))
        return 200

    def recipient(self, hotline_id: str) -> Any:
        from crisis_pager.domain.referral import HotlineRecipient

        return HotlineRecipient(hotline_id, "Metro Crisis Line", "988 Lifeline crisis center")


class FakeParticipants:
    """The Participants port in memory, with DynamoParticipants' conditions: a version is
    added only where none exists; a notice is claimed once. ``stored`` holds each version
    as read (a Participant, or the InvalidItem a malformed item reads as). ``before_add``
    runs just before a version is added (another writer's moment); ``fail`` makes reads
    raise (a store outage)."""

    def __init__(self) -> None:
        self.stored: dict[str, dict[int, Any]] = {}
        self.disclosures: list[tuple[str, Any]] = []
        self.notices: set[tuple[str, str]] = set()
        self.before_add: Callable[[], None] | None = None
        self.fail = False
        self._lock = threading.RLock()

    def _versions(self, participant_id: str) -> dict[int, Any]:
        if self.fail:
            raise RuntimeError("DynamoDB is unavailable")
        return self.stored.get(participant_id, {})

    def current(self, participant_id: str) -> Any:
        versions = self._versions(participant_id)
        if not versions:
            return None
        latest = versions[max(versions)]
        if isinstance(latest, InvalidItem):
            raise latest
        return latest

    def latest_version(self, participant_id: str) -> int:
        return max(self._versions(participant_id), default=0)

    def history(self, participant_id: str) -> list[Any]:
        versions = self._versions(participant_id)
        return [versions[v] for v in sorted(versions, reverse=True)]

    def add_version(self, participant: Any) -> bool:
        if self.before_add is not None:
            hook, self.before_add = self.before_add, None
            hook()
        with self._lock:
            versions = self.stored.setdefault(participant.participant_id, {})
            if participant.version in versions:
                return False
            versions[participant.version] = participant
            return True

    def record_disclosure(self, participant_id: str, disclosure: Any) -> bool:
        self.disclosures.append((participant_id, disclosure))
        return True

    def claim_notice(self, incident_id: str, key: str, now: datetime) -> bool:
        with self._lock:
            if (incident_id, key) in self.notices:
                return False
            self.notices.add((incident_id, key))
            return True


class FakeBriefLinks:
    """The BriefLinks port: links by the hash of their token (never the token)."""

    def __init__(self) -> None:
        from crisis_pager.domain.brief import BriefLink

        self.items: dict[str, BriefLink] = {}

    def put(self, link: Any) -> bool:
        if link.token_hash in self.items:
            return False
        self.items[link.token_hash] = link
        return True

    def get(self, token_hash: str) -> Any:
        return self.items.get(token_hash)


# ---------------------------------------------------------------- a whole world of fakes

# Participant data that must never appear in an SMS, a call, an alert or the timeline.
SUMMARY = "Participant Jane Okonkwo disclosed a plan; safety plan reviewed"
REF = "p-secret-ref-42"
PHI = (SUMMARY, REF, "Jane", "Okonkwo")  # no short names: a link token could hold one

ANA, BEN, CARO = "+15035550101", "+15035550102", "+15035550103"
ADMIN = "+15035550199"


class World:
    """Every port faked, wired as bootstrap.deps wires them (one Twilio for the page SMS
    and the admins' texts)."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.incidents = FakeIncidents(self.clock)
        self.timeline = FakeTimeline()
        self.directory = FakeDirectory()
        self.ladder = FakeLadder()
        self.sms = FakeSms()
        self.voice = FakeVoice()
        self.opt_outs = FakeOptOuts()
        self.alerts = FakeAlerts()
        self.hotline = FakeHotline()
        self.links = FakeBriefLinks()
        self.answers: list[str] = []  # every SMS answer and every spoken text

    @property
    def deps(self) -> Any:
        from crisis_pager.service.delivery import Deps

        return Deps(incidents=self.incidents, timeline=self.timeline,
                    directory=self.directory, ladder=self.ladder, clock=self.clock,
                    voice=self.voice, opt_outs=self.opt_outs, alerts=self.alerts,
                    index=self.directory, sms=self.sms, links=self.links,
                    base_url=lambda: "https://pager.example")

    def open(self, event_id: str = "evt-1", severity: Any = None, summary: str = SUMMARY,
             program_id: str = "west-iop") -> Any:
        from crisis_pager.domain.incident import Severity
        from crisis_pager.service import intake

        cmd = intake.OpenEscalation(
            hotline_id="hl", event_id=event_id, program_id=program_id,
            severity=severity or Severity.HIGH, participant_ref=REF, summary=summary,
            callback_url="https://hotline.example/cb",
        )
        return intake.open_incident(cmd, incidents=self.incidents, timeline=self.timeline,
                                    directory=self.directory, ladder=self.ladder,
                                    clock=self.clock)

    def advance(self, incident_id: str, position: int, step: Any = None, *,
                execution: str | None = None) -> Any:
        """The Advance state of the execution ``execution`` (default: the incident's
        ladder; ``<id>-follow-up`` for its follow-up). ``step``: the previous Step."""
        from crisis_pager.service.ladder import advance

        rungs = self.ladder.started[execution or incident_id]["ladder"]["rungs"]
        return advance(incident_id, position, rungs, incidents=self.incidents,
                       timeline=self.timeline, directory=self.directory, alerts=self.alerts,
                       clock=self.clock, step=step.to_output() if step is not None else None)

    def page(self, incident_id: str, step: Any, token: str = "tok",
             window_s: int | None = 300) -> Any:
        from crisis_pager.service.ladder import page_rung

        self.ladder.live_tokens.add(token)
        return page_rung(incident_id, step.position, step.rung.target, step.clinician_id,
                         token, self.deps, sms=self.sms, window_s=window_s)

    def reply(self, phone: str, body: str) -> Any:
        from crisis_pager.service.replies import handle_sms_reply

        outcome = handle_sms_reply(phone, body, self.deps)
        if outcome.answer:
            self.answers.append(outcome.answer)
        return outcome

    def status(self, incident_id: str, position: int, **form: str) -> str:
        from crisis_pager.service.delivery import StatusReport, handle_status

        return handle_status(incident_id, position, StatusReport.from_form(form), self.deps)

    def answer_call(self, incident_id: str, position: int,
                    answered_by: str | None = "human") -> Any:
        from crisis_pager.service.delivery import voice_answer

        script = voice_answer(incident_id, position, answered_by, self.deps)
        self._heard(script)
        return script

    def key(self, incident_id: str, position: int, digits: str) -> Any:
        from crisis_pager.service.replies import voice_key

        script = voice_key(incident_id, position, digits, self.deps)
        self._heard(script)
        return script

    def _heard(self, script: Any) -> None:
        self.answers.extend([*script.say, *script.then])
        if script.gather:
            self.answers.append(script.gather)

    def started(self, event_id: str = "evt-1", token: str = "t0",
                **kw: Any) -> tuple[str, str]:
        """Open an incident and page its first rung: (incident id, the code it was paged
        with)."""
        opened = self.open(event_id, **kw)
        iid = opened.incident.incident_id
        result = self.page(iid, self.advance(iid, -1), token=token)
        return iid, result.code

    def status_of(self, incident_id: str) -> Status:
        incident = self.incidents.get(incident_id)
        assert incident is not None
        return incident.status

    def everything_said(self) -> str:
        """All text that left the system or was recorded: SMS, calls, answers, alerts,
        timeline details and ladder inputs."""
        return repr([self.sms.messages, self.voice.calls, self.answers, self.alerts.published,
                     self.timeline.rows, self.ladder.started, self.ladder.woken,
                     self.hotline.posted])

    def assert_no_phi(self) -> None:
        text = self.everything_said()
        for secret in PHI:
            assert secret not in text, f"participant data {secret!r} leaked"
