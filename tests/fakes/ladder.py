"""The Ladder port in memory: started executions and woken rungs."""

from __future__ import annotations

from typing import Any


class FakeLadder:
    def __init__(self) -> None:
        self.started: dict[str, dict[str, Any]] = {}
        self.woken: list[tuple[str, dict[str, Any]]] = []
        self.live_tokens: set[str] = set()
        self.fail_start = False

    def start(self, incident_id: str, payload: dict[str, Any], *, name: str | None = None) -> None:
        if self.fail_start:
            raise RuntimeError("Step Functions unavailable")
        self.started.setdefault(name or incident_id, payload)

    def wake(self, task_token: str, result: dict[str, Any]) -> bool:
        self.woken.append((task_token, result))
        if task_token in self.live_tokens:
            self.live_tokens.discard(task_token)
            return True
        return False
