"""The Timeline port in memory."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any


class FakeTimeline:
    """``rows``: every append as made (its ``at`` a datetime, its incident named), for
    tests to inspect. ``entries`` reads as the adapter does: by time (appends at the same
    instant, which DynamoDB orders at random, in the order made), ``at`` as ISO text,
    details that were None left out."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def append(self, incident_id: str, at: datetime, kind: str, **detail: Any) -> None:
        self.rows.append({"incident_id": incident_id, "at": at, "kind": kind, **detail})

    def entries(self, incident_id: str) -> list[dict[str, Any]]:
        mine = sorted((r for r in self.rows if r["incident_id"] == incident_id),
                      key=lambda r: r["at"].astimezone(UTC))
        return [{"at": r["at"].isoformat(), "kind": r["kind"],
                 **{k: v for k, v in r.items()
                    if k not in ("incident_id", "at", "kind") and v is not None}}
                for r in mine]

    def kinds(self, incident_id: str) -> list[str]:
        return [r["kind"] for r in self.entries(incident_id)]
