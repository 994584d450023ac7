"""The Timeline port: each incident's append-only record."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol


class Timeline(Protocol):
    def append(self, incident_id: str, at: datetime, kind: str, **detail: Any) -> None: ...

    def entries(self, incident_id: str) -> list[dict[str, Any]]: ...
