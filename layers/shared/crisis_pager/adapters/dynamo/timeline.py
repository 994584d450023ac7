"""The Timeline port: each incident's append-only record (compliance: kept 6 years)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import MapAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute

from .tables import TableModel, plain

# Timeline entries are compliance records: kept 6 years (HIPAA documentation retention,
# 45 CFR 164.316(b)(2)), counted generously, then expired by DynamoDB's TTL.
TIMELINE_RETENTION = timedelta(days=6 * 366)


class TimelineEntry(TableModel):
    """Append-only: the application only ever puts new entries (IAM grants no update)."""

    setting = "timeline_table"

    class Meta:
        table_name = ""

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
            {"at": e.at.isoformat(), "kind": e.kind, **plain(e.detail)}
            for e in TimelineEntry.query(incident_id, consistent_read=True)
        ]
