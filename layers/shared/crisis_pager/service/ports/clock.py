"""The Clock port: time is passed in, never read by the domain."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...

    def wait(self, seconds: float) -> None:
        """Let ``seconds`` pass (a short pause while a page is being sent)."""
        ...
