"""In-memory ports with the same conditional semantics as the DynamoDB adapters."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

from crisis_pager.domain.errors import InvalidItem
from crisis_pager.domain.incident import AcceptOutcome, Incident, Page, Status
from crisis_pager.domain.program import (
    Clinician,
    Program,
    clinician_from_fields,
    program_from_fields,
)
from crisis_pager.domain.rota import rota_from_fields
from crisis_pager.domain.schedule import Schedule
from crisis_pager.service.ports import CallbackError, SmsError

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


class FakeIncidents:
    def __init__(self) -> None:
        self.items: dict[str, Incident] = {}
        self.pages: dict[tuple[str, int], Page] = {}
        self.codes: dict[tuple[str, str], str] = {}
        self.leases: dict[str, tuple[int, datetime]] = {}  # a page being sent
        self._lock = threading.Lock()
        self.next_code = 417

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

    def mark_ladder_started(self, incident_id: str) -> None:
        self._swap(incident_id, None, ladder_started=True)

    def claim_rung(self, incident_id: str, position: int, target: str, clinician_id: str,
                   task_token: str, lease_until: datetime) -> bool:
        with self._lock:
            current = self.items.get(incident_id)
            if current is None or not current.is_open or current.position > position:
                return False
            self.items[incident_id] = dataclasses.replace(
                current, position=position, current_target=target, task_token=task_token)
            self.leases[incident_id] = (position, lease_until)
            return True

    def release_rung(self, incident_id: str, position: int) -> None:
        with self._lock:
            if self.leases.get(incident_id, (None, None))[0] == position:
                del self.leases[incident_id]

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

    def find_page(self, phone: str, code: str) -> Page | None:
        matches = [p for p in self.pages.values() if p.phone == phone and p.code == code]
        return max(matches, key=lambda p: p.sent_at) if matches else None

    def accept(self, incident_id: str, clinician_id: str, now: datetime) -> AcceptOutcome:
        with self._lock:
            current = self.items.get(incident_id)
            lease = self.leases.get(incident_id)
            if current is not None and current.is_open and lease and lease[1] >= now:
                return AcceptOutcome.PAGE_IN_FLIGHT
        if self._swap(incident_id, {Status.TRIGGERED, Status.REFERRED},
                      status=Status.ACCEPTED, accepted_by=clinician_id, accepted_at=now):
            self.leases.pop(incident_id, None)
            return AcceptOutcome.ACCEPTED
        return AcceptOutcome.NOT_OPEN

    def refer(self, incident_id: str, now: datetime, referral: dict[str, str]) -> bool:
        return self._swap(incident_id, {Status.TRIGGERED}, status=Status.REFERRED,
                          referred_at=now, referral=referral)


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


class FakeLadder:
    def __init__(self) -> None:
        self.started: dict[str, dict[str, Any]] = {}
        self.woken: list[tuple[str, dict[str, Any]]] = []
        self.live_tokens: set[str] = set()
        self.fail_start = False

    def start(self, incident_id: str, payload: dict[str, Any]) -> None:
        if self.fail_start:
            raise RuntimeError("Step Functions unavailable")
        self.started.setdefault(incident_id, payload)

    def wake(self, task_token: str, result: dict[str, Any]) -> bool:
        self.woken.append((task_token, result))
        if task_token in self.live_tokens:
            self.live_tokens.discard(task_token)
            return True
        return False


class FakeSms:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail_with: SmsError | None = None

    def send(self, to: str, body: str) -> str:
        if self.fail_with:
            raise self.fail_with
        self.sent.append((to, body))
        return f"SM{len(self.sent):032d}"


class FakeAlerts:
    def __init__(self) -> None:
        self.published: list[tuple[str, str, str]] = []

    def publish(self, program_id: str, subject: str, message: str) -> None:
        self.published.append((program_id, subject, message))


class FakeHotline:
    def __init__(self) -> None:
        self.posted: list[tuple[str, dict[str, Any]]] = []
        self.fail = False

    def secret_for(self, hotline_id: str) -> str | None:
        return "s3cret" if hotline_id == "hl" else None

    def post(self, url: str, hotline_id: str, payload: dict[str, Any]) -> int:
        if self.fail:
            raise CallbackError("hotline answered HTTP 503")
        self.posted.append((url, payload))
        return 200
