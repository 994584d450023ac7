"""local/clock.py's LadderClock (not yet the local stack's clock: see its docstring): a
sleeper wakes exactly at its ladder deadline, in manual and in auto mode, whatever else
sleeps."""

from __future__ import annotations

import threading
import time

from local.clock import LadderClock


def _sleeper(clock: LadderClock, seconds: float, woke: list[float]) -> threading.Thread:
    def run() -> None:
        with clock.working():
            clock.sleep(seconds)
            woke.append(clock.elapsed())

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_manual_clock_stops_at_each_deadline_and_wakes_its_sleeper_there() -> None:
    clock = LadderClock(None)
    woke: list[float] = []
    threads = [_sleeper(clock, s, woke) for s in (300.0, 120.0)]
    time.sleep(0.2)
    assert clock.elapsed() < 1.0 and woke == []  # manual: no time passes by itself
    clock.fast_forward(minutes=10)
    for t in threads:
        t.join(5)
    assert [round(w) for w in woke] == [120, 300]
    assert all(w - s < 0.5 for w, s in zip(woke, (120.0, 300.0), strict=True))
    assert 600.0 <= clock.elapsed() < 601.0


def test_auto_clock_runs_fast_while_idle_and_ends_a_wait_at_its_deadline() -> None:
    clock = LadderClock(0.001)
    woke: list[float] = []
    started = time.monotonic()
    _sleeper(clock, 200.0, woke).join(5)
    assert time.monotonic() - started < 2.0  # 200 ladder s at 1/1000 is 0.2 s wall
    assert 200.0 <= woke[0] < 200.5
