"""The ports the use cases need. Adapters implement them; tests fake them."""

# SmsError and CallbackError live in the domain (adapters may not import service/) and
# are re-exported here for the use cases.

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from ..domain.brief import BriefLink
from ..domain.errors import CallbackError, InvalidItem, SendAborted, SmsError
from ..domain.incident import AcceptOutcome, Incident, Page
from ..domain.participant import Participant
from ..domain.program import Clinician, Program
from ..domain.referral import EmergencyDisclosure, HotlineRecipient
from ..domain.schedule import Schedule

__all__ = ["CallbackError", "SendAborted", "SmsError"]


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

    def renew_lease(self, incident_id: str, position: int, lease_until: datetime) -> bool:
        """Take the paging lease again for `position`, if the incident is open and still
        at that rung; False otherwise (accepted, resolved or moved on: do not page)."""
        ...

    def release_rung(self, incident_id: str, position: int, now: datetime) -> None:
        """End the paging lease at ``now``: the rung's SMS went out (or failed). An
        acceptance (resolution, take-over) whose instant is before ``now`` waits, so
        none is ever recorded at an instant before a page that went out ahead of it."""
        ...

    def claim_page_code(self, phone: str, clinician_id: str, preferred: str,
                        incident_id: str, now: datetime) -> str:
        """The code this phone replies with for this incident: ``preferred`` unless another
        open incident already holds it for this phone; stable for one incident."""
        ...

    def open_codes(self, phone: str, now: datetime) -> list[tuple[str, Incident]]:
        """The codes this phone holds for incidents that are still open, oldest first."""
        ...

    def record_page(self, page: Page) -> bool:
        """Store the page of a rung; False if that rung's page is already stored."""
        ...

    def page_for(self, incident_id: str, position: int) -> Page | None: ...

    def set_page_sent(self, incident_id: str, position: int, message_sid: str) -> None: ...

    def mark_sms_failed(self, incident_id: str, position: int, now: datetime,
                        error_code: int | None) -> bool:
        """Record that the rung's SMS did not reach the handset; False if already recorded."""
        ...

    def start_call(self, incident_id: str, position: int, now: datetime) -> bool:
        """Claim the rung's one voice call; False if it was already placed."""
        ...

    def set_call_sid(self, incident_id: str, position: int, call_sid: str) -> None: ...

    def end_call(self, incident_id: str, position: int, now: datetime, status: str) -> bool:
        """Record the end of the rung's call; False if already recorded."""
        ...

    def record_pass(self, incident_id: str, position: int, clinician_id: str,
                    now: datetime) -> bool:
        """The rung's clinician passes: only while the incident is open and still waiting
        on that rung, and once."""
        ...

    def find_page(self, phone: str, code: str) -> Page | None:
        """The latest page with this code sent to this phone number."""
        ...

    def accept(self, incident_id: str, clinician_id: str, now: datetime) -> AcceptOutcome:
        """open -> accepted, unless a page is being sent (its lease not yet lapsed)."""
        ...

    def resolve(self, incident_id: str, clinician_id: str, now: datetime,
                follow_up_due: datetime | None = None) -> AcceptOutcome:
        """open or accepted -> resolved, unless a page is being sent (as for accept). With
        ``follow_up_due``, the resolving clinician owns a follow-up due then."""
        ...

    def record_follow_up_attempt(self, incident_id: str, clinician_id: str,
                                 now: datetime) -> int | None:
        """One contact attempt by the follow-up's owner, while it is open and fewer than
        FOLLOW_UP_ATTEMPTS are recorded; the number recorded now, or None."""
        ...

    def close_follow_up(self, incident_id: str, clinician_id: str, now: datetime) -> bool:
        """Close an open follow-up: by its owner, or by the clinician its escalation is
        waiting on. False when it is closed already or not theirs."""
        ...

    def take_follow_up(self, incident_id: str, clinician_id: str, position: int,
                       now: datetime) -> AcceptOutcome:
        """The clinician an overdue follow-up's rung is waiting on takes it over (as accept:
        not while that rung's page is being sent)."""
        ...

    def refer(self, incident_id: str, now: datetime, referral: dict[str, str]) -> bool:
        """triggered -> referred; False when the incident was not triggered."""
        ...

    def end_ladder(self, incident_id: str, now: datetime) -> bool:
        """Record that the ladder ran out (``ladder_ended_at``, the first instant kept)
        while the incident is open; False when it was accepted or resolved first."""
        ...


class Timeline(Protocol):
    def append(self, incident_id: str, at: datetime, kind: str, **detail: Any) -> None: ...

    def entries(self, incident_id: str) -> list[dict[str, Any]]: ...


class Directory(Protocol):
    """Programs, rotas and clinicians as admins keep them. Reads validate items and
    raise InvalidItem naming the item, the field and the reason."""

    def program(self, program_id: str) -> Program | None:
        """The program (None: no item). A malformed field never makes it unreadable: it
        reads as its default and is named in ``Program.problems``."""
        ...

    def schedule(self, program_id: str) -> Schedule:
        """All rotas and overrides of the program; malformed ones listed as invalid."""
        ...

    def clinician(self, clinician_id: str) -> Clinician | None: ...

    def clinicians(self, clinician_ids: list[str]) -> dict[str, Clinician | InvalidItem | None]:
        ...

    def clinicians_with_phone(self, phone: str) -> list[Clinician]:
        """Valid clinician items with this phone number (malformed ones are skipped)."""
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

    def start(self, incident_id: str, payload: dict[str, Any], *, name: str | None = None) -> None:
        """Start the ladder (execution name: ``name``, else the incident id); starting one
        that already runs under this name is a no-op."""
        ...

    def wake(self, task_token: str, result: dict[str, Any]) -> bool:
        """Complete a waiting rung; False when that rung is no longer waiting."""
        ...


class AttemptGuard(Protocol):
    """Held around each attempt at the provider's API (the paging lease)."""

    def acquire(self) -> bool:
        """May this attempt go out? False: the incident was accepted or moved on."""
        ...

    def release(self) -> None: ...


class Sms(Protocol):
    def send(self, to: str, body: str, *, page: tuple[str, int] | None = None,
             validity_s: int | None = None, guard: AttemptGuard | None = None) -> str:
        """Send one SMS, asking for status reports about ``page`` (incident id, rung);
        return the provider's message id. Transient provider errors are retried, never
        sending twice. Raises SmsError, or SendAborted when ``guard`` said no."""
        ...


class Voice(Protocol):
    def call(self, to: str, *, page: tuple[str, int],
             guard: AttemptGuard | None = None) -> str:
        """Place the voice call of ``page`` (its TwiML and status reports are served by
        the voice and status webhooks); return the call id. Raises as Sms.send."""
        ...


class OptOuts(Protocol):
    """Phones that texted STOP (or that Twilio reports unsubscribed): SMS cannot reach them."""

    def opted_out(self, phone: str) -> bool: ...

    def opt_out(self, phone: str, now: datetime, via: str) -> bool:
        """Record the opt-out; False if the phone was already opted out."""
        ...

    def opt_in(self, phone: str) -> bool:
        """Clear the opt-out; False if the phone was not opted out."""
        ...


class Alerts(Protocol):
    def publish(self, program_id: str, subject: str, message: str) -> None: ...


class Hotline(Protocol):
    def secret_for(self, hotline_id: str) -> str | None: ...

    def post(self, url: str, hotline_id: str, payload: dict[str, Any]) -> int:
        """POST a signed JSON callback; return the HTTP status. Raises CallbackError."""
        ...

    def recipient(self, hotline_id: str) -> HotlineRecipient:
        """Who receives the hotline's callbacks (name, affiliation): a disclosure names them."""
        ...


class BriefLinks(Protocol):
    """The clinicians' secure links (service/briefs.py): stored by the SHA-256 of their
    token, never the token itself."""

    def put(self, link: BriefLink) -> bool:
        """Store a new link; False if a link with this hash already exists (never
        overwritten)."""
        ...

    def get(self, token_hash: str) -> BriefLink | None: ...


class Participants(Protocol):
    """Participants' safety plans, versioned: each save is a new item and no version is
    ever changed. Also the record of disclosures made about a participant, and the
    referral's once-per-incident notices."""

    def current(self, participant_id: str) -> Participant | None:
        """The latest version (a consistent read); raises InvalidItem when it is malformed."""
        ...

    def latest_version(self, participant_id: str) -> int:
        """The latest version's number, however its content reads; 0 when there is none."""
        ...

    def history(self, participant_id: str) -> list[Participant | InvalidItem]:
        """Every version, newest first; a malformed one as its InvalidItem."""
        ...

    def add_version(self, participant: Participant) -> bool:
        """Store a new version; False when that version already exists (a concurrent
        save won it)."""
        ...

    def record_disclosure(self, participant_id: str, disclosure: EmergencyDisclosure) -> bool:
        """Append a disclosure to the participant's record; False if already recorded."""
        ...

    def claim_notice(self, incident_id: str, key: str, now: datetime) -> bool:
        """Claim a once-per-incident notice (a support person's SMS); False if claimed."""
        ...
