"""Incidents and pages as the contract tests store them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from crisis_pager.domain.incident import Incident, Page, Severity, Status

T0 = datetime(2026, 3, 4, 17, 30, 0, 250000, tzinfo=UTC)
LAPSED = T0 - timedelta(seconds=1)  # a paging lease already over
ANA, BEN = "+15035550101", "+15035550102"


def incident(incident_id: str = "inc_a", **overrides: Any) -> Incident:
    fields: dict[str, Any] = {
        "incident_id": incident_id, "hotline_id": "hl-west", "event_id": f"evt-{incident_id}",
        "program_id": "west-iop", "severity": Severity.HIGH, "participant_ref": "ptc-8842",
        "summary": "a summary", "code": "417", "status": Status.TRIGGERED, "opened_at": T0,
        "fingerprint": "f" * 64, "callback_url": "https://hotline.example/cb",
        "rungs": ({"kind": "page", "target": "primary", "window_s": 300},
                  {"kind": "page", "target": "backup", "window_s": 300},
                  {"kind": "referral", "target": "referral", "window_s": 0}),
    }
    fields.update(overrides)
    return Incident(**fields)


def page(incident_id: str = "inc_a", position: int = 0, **overrides: Any) -> Page:
    fields: dict[str, Any] = {
        "incident_id": incident_id, "position": position, "target": "primary",
        "clinician_id": "clin-ana", "phone": ANA, "code": "417",
        "sent_at": T0 + timedelta(seconds=5 + position)}
    fields.update(overrides)
    return Page(**fields)


def opened(ports: Any, incident_id: str = "inc_a", **overrides: Any) -> Incident:
    inc = incident(incident_id, **overrides)
    assert ports.incidents.create(inc) is True
    return inc


def paged(ports: Any, incident_id: str = "inc_a", position: int = 0,
          clinician_id: str = "clin-ana", lease_until: datetime = LAPSED,
          **page_fields: Any) -> Page:
    """The rung at ``position`` claimed by ``clinician_id`` and its page stored."""
    assert ports.pages.claim_rung(incident_id, position, "primary", clinician_id, f"tok{position}",
                                  lease_until) is not None
    p = page(incident_id, position, clinician_id=clinician_id, **page_fields)
    assert ports.pages.record_page(p) is True
    return p
