"""The timeline guard: every change of the timeline table (its DynamoDB stream) is checked;
any that is not an added entry or DynamoDB's own TTL expiry is tampering, and the admins
are alerted (the alerts topic) naming the incidents and entry keys, never their content."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from crisis_pager.domain.timeline import Tampering, TimelineChange, tamper_alert, tamperings
from crisis_pager.service.ports.messaging import Alerts

NO_PROGRAM = ""  # the stream record carries no program: the alert goes to every subscriber


@dataclass
class TimelineGuardRun:
    checked: int = 0
    tampered: list[Tampering] = field(default_factory=list)
    alert_failed: str | None = None  # the publish error's type, when the alert did not go


def guard_timeline(changes: Iterable[TimelineChange], *, alerts: Alerts) -> TimelineGuardRun:
    """Check the changes and alert once about every tampering among them. A failed alert
    is recorded, not raised: the caller reports the tampering first, then fails."""
    changes = list(changes)
    run = TimelineGuardRun(checked=len(changes), tampered=tamperings(changes))
    if run.tampered:
        subject, message = tamper_alert(run.tampered)
        try:
            alerts.publish(NO_PROGRAM, subject, message)
        except Exception as exc:  # noqa: BLE001 - the caller fails the batch after reporting
            run.alert_failed = type(exc).__name__
    return run
