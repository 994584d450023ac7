"""The ports the use cases need. Adapters implement them; tests fake them."""

# SmsError and CallbackError live in the domain (adapters may not import service/) and
# are re-exported here for the use cases.

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from ..domain.errors import CallbackError, InvalidItem, SmsError
from ..domain.incident import AcceptOutcome, Incident, Page
from ..domain.program import Clinician, Program
from ..domain.schedule import Schedule

__all__ = ["CallbackError", "SmsError"]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` pass (a short pause while a page is being sent)."""
        ...


class Incidents(Protocol):
    """The incident store. Every status change is a conditional write."""

    def get(self, incident_id: str) -> Incident | None: ...

    def create(self, incident: Incident) -> bool:
        """Store a new incident; False if one with this id already exists."""
        ...

    def claim_code(self, program_id: str, incident_id: str, now: datetime) -> str:
        """Reserve a short code, unique among the program's recent incidents."""
        ...

    def release_code(self, program_id: str, code: str, incident_id: str) -> None: ...

    def mark_ladder_started(self, incident_id: str) -> None: ...

    def claim_rung(
        self, incident_id: str, position: int, target: str, clinician_id: str, task_token: str,
        lease_until: datetime,
    ) -> bool:
        """Make `position` the current rung, if the incident is open and not past it, and
        hold the paging lease until ``lease_until`` (acceptances wait for it)."""
        ...

    def release_rung(self, incident_id: str, position: int) -> None:
        """Drop the paging lease: the rung's SMS went out (or failed)."""
        ...

    def record_page(self, page: Page) -> bool:
        """Store the page of a rung; False if that rung's page is already stored."""
        ...

    def page_for(self, incident_id: str, position: int) -> Page | None: ...

    def set_page_sent(self, incident_id: str, position: int, message_sid: str) -> None: ...

    def find_page(self, phone: str, code: str) -> Page | None:
        """The latest page with this code sent to this phone number."""
        ...

    def accept(self, incident_id: str, clinician_id: str, now: datetime) -> AcceptOutcome:
        """open -> accepted, unless a page is being sent (its lease not yet lapsed)."""
        ...

    def refer(self, incident_id: str, now: datetime, referral: dict[str, str]) -> bool:
        """triggered -> referred; False when the incident was not triggered."""
        ...


class Timeline(Protocol):
    def append(self, incident_id: str, at: datetime, kind: str, **detail: Any) -> None: ...

    def entries(self, incident_id: str) -> list[dict[str, Any]]: ...


class Directory(Protocol):
    """Programs, rotas and clinicians as admins keep them. Reads validate items and
    raise InvalidItem naming the item, the field and the reason."""

    def program(self, program_id: str) -> Program | None: ...

    def schedule(self, program_id: str) -> Schedule:
        """All rotas and overrides of the program; malformed ones listed as invalid."""
        ...

    def clinician(self, clinician_id: str) -> Clinician | None: ...

    def clinicians(self, clinician_ids: list[str]) -> dict[str, Clinician | InvalidItem | None]:
        ...


class ProgramIndex(Protocol):
    """Which programs exist, and which an edit of a clinician affects (the rota guard)."""

    def program_ids(self) -> list[str]:
        """Every configured program (those with a program item)."""
        ...

    def programs_naming(self, clinician_id: str) -> list[str]:
        """Programs whose rotas or overrides name this clinician."""
        ...


class Ladder(Protocol):
    """The timer: Step Functions."""

    def start(self, incident_id: str, payload: dict[str, Any]) -> None:
        """Start the ladder; starting one that already runs under this name is a no-op."""
        ...

    def wake(self, task_token: str, result: dict[str, Any]) -> bool:
        """Complete a waiting rung; False when that rung is no longer waiting."""
        ...


class Sms(Protocol):
    def send(self, to: str, body: str) -> str:
        """Send one SMS; return the provider's message id. Raises SmsError."""
        ...


class Alerts(Protocol):
    def publish(self, program_id: str, subject: str, message: str) -> None: ...


class Hotline(Protocol):
    def secret_for(self, hotline_id: str) -> str | None: ...

    def post(self, url: str, hotline_id: str, payload: dict[str, Any]) -> int:
        """POST a signed JSON callback; return the HTTP status. Raises CallbackError."""
        ...

