"""The Clock port in memory: time stands still until a test moves it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # 10:00 in Los Angeles


class FakeClock:
    def __init__(self, start: datetime = T0) -> None:
        self.t = start

    def now(self) -> datetime:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += timedelta(seconds=seconds)

    def wait(self, seconds: float) -> None:
        self.advance(seconds)
