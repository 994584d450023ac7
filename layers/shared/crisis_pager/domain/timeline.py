"""The timeline is append-only: what a change of one of its entries (a DynamoDB stream
record; the adapter reads only its keys and who made it) says about that.

The application only ever adds entries (a put conditional on the entry not existing), and
DynamoDB itself removes them when their retention ends (TTL). Anything else, an overwrite
or a delete by anyone, breaks the record and is tampering.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

INSERT, MODIFY, REMOVE = "INSERT", "MODIFY", "REMOVE"
# A TTL deletion's stream record names DynamoDB itself as a Service principal.
TTL_PRINCIPAL = "dynamodb.amazonaws.com"


@dataclass(frozen=True)
class TimelineChange:
    event: str  # the stream record's eventName: INSERT, MODIFY or REMOVE
    incident_id: str
    seq: str  # the entry's sort key
    service: str | None = None  # userIdentity.principalId when its type is "Service"


@dataclass(frozen=True)
class Tampering:
    change: TimelineChange
    what: str  # "overwritten", "deleted", or the unknown event

    def describe(self) -> str:
        return f"incident {self.change.incident_id} entry {self.change.seq} {self.what}"


def tampering(change: TimelineChange) -> Tampering | None:
    """None for an added entry or DynamoDB's own TTL expiry; else how the record was broken
    (an event this does not know is reported too: the safe side)."""
    if change.event == INSERT:
        return None
    if change.event == REMOVE:
        if change.service == TTL_PRINCIPAL:
            return None
        return Tampering(change, "deleted")
    if change.event == MODIFY:
        return Tampering(change, "overwritten")
    return Tampering(change, f"changed ({change.event or 'no event name'})")


def tamperings(changes: Iterable[TimelineChange]) -> list[Tampering]:
    return [t for t in map(tampering, changes) if t is not None]


def tamper_alert(found: list[Tampering]) -> tuple[str, str]:
    """(subject, message) of the admins' alert: entry keys only, never an entry's content."""
    lines = "\n".join(f"- {t.describe()}" for t in found)
    return (
        "crisis-pager: incident timeline changed",
        f"crisis-pager: {len(found)} timeline entr{'y was' if len(found) == 1 else 'ies were'} "
        "changed outside the application, which only ever adds entries:\n"
        f"{lines}\n"
        "Find who in CloudTrail (DynamoDB data events), and the entry as it was in the "
        "table's point-in-time recovery (35 days).",
    )
