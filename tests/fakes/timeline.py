"""The Timeline port in memory."""

from __future__ import annotations

from datetime import datetime
from typing import Any


class FakeTimeline:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def append(self, incident_id: str, at: datetime, kind: str, **detail: Any) -> None:
        self.rows.append({"incident_id": incident_id, "at": at, "kind": kind, **detail})

    def entries(self, incident_id: str) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["incident_id"] == incident_id]

    def kinds(self, incident_id: str) -> list[str]:
        return [r["kind"] for r in self.entries(incident_id)]
