"""The Ladder port: the timer (Step Functions)."""

from __future__ import annotations

from typing import Any, Protocol


class Ladder(Protocol):
    """The timer: Step Functions."""

    def start(self, incident_id: str, payload: dict[str, Any], *, name: str | None = None) -> None:
        """Start the ladder (execution name: ``name``, else the incident id); starting one
        that already runs under this name is a no-op."""
        ...

    def wake(self, task_token: str, result: dict[str, Any]) -> bool:
        """Complete a waiting rung; False when that rung is no longer waiting."""
        ...
