"""The ladder clock of the local stack: one clock that moto's waits and the handlers follow.

On AWS a rung's window is minutes of real time. Here a ladder must run in seconds, so
ladder time runs faster than the wall clock, but only while nothing is working:

- Something is **active** while a ladder execution runs states between its waits, a
  handler runs for the ladder, or fake Twilio still has a status callback to deliver.
  Ladder time then runs at real speed, so a page sent after a window is stamped at the
  window plus the real milliseconds the work took, never magnified by the scale.
- Something **sleeps** in ladder time: a rung's ``.waitForTaskToken`` window, a Wait
  state, a Retry backoff (local.moto.timing routes each through :meth:`LadderClock.sleep`), or
  a test or soak driver waiting for a ladder moment.
- When nothing is active and something sleeps, ladder time runs 1/scale times faster
  (``auto``), or not at all until a test calls :meth:`fast_forward` (``manual``). Either
  way it never passes the earliest sleeper's deadline: the clock stops there, the sleeper
  wakes and works at real speed, then time runs on. So every wait ends exactly at its
  ladder deadline, however many ladders run at once and however loaded the machine is;
  load costs wall time, never ladder accuracy.

Ladder time never runs slower than the wall clock, so a wait of S ladder seconds ends
within S wall seconds (:meth:`wall_bound`), the bound moto's outer task timer is given.

Wiring (local/stack.py): local.moto.timing sleeps every ladder-time wait here (a task token's
window wakes on its notify, a Wait state on its execution stopping) and counts each moto
execution as active from its start to its end; LocalStack counts every handler it runs, and
fake Twilio every callback job it has scheduled, as active; drivers (the soak, the demo)
wait for a ladder moment with ``sleep_until`` inside ``working()``.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

# A sleeper that waits on an outside signal re-checks the clock at least this often (wall s).
_POLL_S = 0.01


class LadderClock:
    def __init__(self, scale: float | None, start: datetime | None = None) -> None:
        """``scale``: wall seconds per ladder second while all is idle (``auto``);
        ``None`` for a ``manual`` clock that only :meth:`fast_forward` moves past real time."""
        if scale is not None and not scale > 0:
            raise ValueError(f"scale must be > 0 or None (manual), got {scale!r}")
        self.scale = scale
        self.start = start or datetime.now(UTC)
        self._cond = threading.Condition(threading.Lock())
        self._active = 0
        self._deadlines: list[tuple[float, int]] = []  # heap of (ladder s, sleeper id)
        self._woken: set[int] = set()  # sleepers whose deadline passed, not yet gone
        self._ids = itertools.count()
        self._last = time.perf_counter()
        self._elapsed = 0.0  # ladder seconds since start
        self._budget = 0.0  # manual: ladder seconds fast_forward still lets run fast

    @property
    def manual(self) -> bool:
        return self.scale is None

    # ------------------------------------------------------------------ reading

    def now(self) -> datetime:
        with self._cond:
            self._catch_up()
            return self.start + timedelta(seconds=self._elapsed)

    def elapsed(self) -> float:
        """Ladder seconds since the clock started."""
        with self._cond:
            self._catch_up()
            return self._elapsed

    def wall_bound(self, ladder_seconds: float) -> float:
        """The most wall seconds a sleep of ``ladder_seconds`` can take (auto: never more
        than the ladder seconds; manual: it waits for fast_forward, so a long bound)."""
        return ladder_seconds if not self.manual else max(ladder_seconds, 3600.0)

    # ------------------------------------------------------------------ accounting

    def _idle(self) -> bool:
        """Nothing works and someone sleeps toward a deadline not yet reached."""
        return not self._active and not self._woken and bool(self._deadlines)

    def _fast_rate(self) -> float:
        """Ladder seconds per wall second while idle."""
        if self.scale is not None:
            return 1.0 / self.scale
        return float("inf") if self._budget > 0 else 1.0

    def _catch_up(self) -> None:
        """Advance ladder time to now. Call with the lock held."""
        now = time.perf_counter()
        wall = now - self._last
        self._last = now
        if not self._idle():
            self._elapsed += wall
            return
        cap = self._deadlines[0][0]
        rate = self._fast_rate()
        fast = (cap - self._elapsed) if rate == float("inf") else wall * rate
        if self.manual:
            fast = min(fast, self._budget)
        if self._elapsed + fast >= cap:
            # The earliest sleeper is due: time stops at its deadline and runs at real
            # speed from the moment it is due (it is about to work).
            used = (cap - self._elapsed) / rate if rate != float("inf") else 0.0
            if self.manual:
                self._budget -= cap - self._elapsed
            self._elapsed = cap
            _, sleeper = heapq.heappop(self._deadlines)
            self._woken.add(sleeper)
            self._elapsed += max(0.0, wall - used)
            self._cond.notify_all()
        else:
            self._elapsed += fast
            if self.manual:
                self._budget -= fast

    def _changed(self) -> None:
        self._catch_up()
        self._cond.notify_all()

    def active(self, started: bool) -> None:
        """Something begins (True) or ends (False) work that ladder time must not skip."""
        with self._cond:
            self._catch_up()
            self._active += 1 if started else -1
            self._changed()

    @contextmanager
    def working(self) -> Iterator[None]:
        self.active(True)
        try:
            yield
        finally:
            self.active(False)

    # ------------------------------------------------------------------ sleeping

    def sleep(self, ladder_seconds: float,
              wake: Callable[[float], bool] | None = None) -> bool:
        """Sleep ``ladder_seconds`` of ladder time; the caller counts as not active while it
        sleeps (call it from inside :meth:`working` if the caller is active).

        ``wake(timeout)`` (optional) blocks for at most ``timeout`` wall seconds and
        returns True when an outside signal arrived (a task token, an execution stopping):
        then the sleep ends early and returns True. Returns False at the deadline.
        """
        with self._cond:
            self._catch_up()
            deadline = self._elapsed + max(0.0, ladder_seconds)
            return self._sleep_until(deadline, wake)

    def sleep_until(self, when: datetime,
                    wake: Callable[[float], bool] | None = None) -> bool:
        """Sleep until the ladder instant ``when`` (a driver acting at a ladder moment)."""
        with self._cond:
            self._catch_up()
            deadline = (when - self.start).total_seconds()
            return self._sleep_until(deadline, wake)

    def _sleep_until(self, deadline: float, wake: Callable[[float], bool] | None) -> bool:
        sleeper = next(self._ids)
        entry = (deadline, sleeper)
        heapq.heappush(self._deadlines, entry)
        self._active -= 1  # the caller is idle while it sleeps
        self._changed()
        try:
            while True:
                self._catch_up()
                if sleeper in self._woken or self._elapsed >= deadline:
                    return False
                remaining_wall = self._wall_to(deadline)
                if wake is None:
                    self._cond.wait(min(remaining_wall, 1.0))
                    continue
                self._cond.release()
                try:
                    signalled = wake(min(remaining_wall, _POLL_S))
                finally:
                    self._cond.acquire()
                if signalled:
                    return True
        finally:
            self._catch_up()
            if sleeper in self._woken:
                self._woken.discard(sleeper)
            else:
                self._deadlines.remove(entry)
                heapq.heapify(self._deadlines)
            self._active += 1
            self._changed()

    def _wall_to(self, deadline: float) -> float:
        """Wall seconds until ``deadline`` at the current rate (for a timed wait)."""
        left = max(0.0, deadline - self._elapsed)
        if self._idle() and self._deadlines[0][0] >= deadline:
            rate = self._fast_rate()
            return 0.0 if rate == float("inf") else left / rate
        return max(min(left, 0.05), 0.0005)

    # ------------------------------------------------------------------ driving

    def fast_forward(self, seconds: float = 0.0, *, minutes: float = 0.0,
                     timeout: float = 30.0) -> None:
        """Manual clock: let ``minutes``/``seconds`` of ladder time pass as fast as the work
        allows, deadline by deadline (each woken sleeper works before time runs on), and
        return when that much has passed and nothing is active. Auto clock: sleep that long."""
        total = seconds + 60.0 * minutes
        if not self.manual:
            self.active(True)
            try:
                self.sleep(total)
            finally:
                self.active(False)
            return
        limit = time.monotonic() + timeout
        with self._cond:
            self._catch_up()
            self._budget += total
            self._cond.notify_all()
            while self._budget > 0 or self._active or self._woken:
                if time.monotonic() > limit:
                    raise TimeoutError(
                        f"ladder clock: {self._budget:.1f} ladder s still to run after "
                        f"{timeout} s wall ({self._active} at work)")
                if not self._deadlines and not self._active and not self._woken:
                    self._elapsed += self._budget  # nobody sleeps: jump
                    self._budget = 0.0
                    break
                self._cond.wait(0.005)
                self._catch_up()

    def settle(self, timeout: float = 10.0) -> None:
        """Wait (wall) until nothing is active: every ladder is asleep or done."""
        limit = time.monotonic() + timeout
        with self._cond:
            while self._active or self._woken:
                if time.monotonic() > limit:
                    raise TimeoutError(f"ladder clock: {self._active} still at work")
                self._cond.wait(0.005)
                self._catch_up()

    def rescale(self, scale: float | None) -> None:
        """From now on ladder time runs 1/scale times fast while idle (None: manual)."""
        with self._cond:
            self._catch_up()
            self.scale = scale
            self._cond.notify_all()

    def wait(self, seconds: float) -> None:
        """A pause inside a handler (a Twilio retry backoff): real time, as on AWS."""
        time.sleep(seconds)


__all__ = ["LadderClock"]
