"""The escalation ladder: policies, the frozen snapshot, and what happens next.

A policy is a short, readable string an admin can keep on the program item, e.g.

    primary 3m +voice, backup 3m, supervisor 4m, referral, supervisor 5m x6
    primary 1bd, supervisor 1bd x5

Each comma-separated part is a rung, ``<rota> <window> [+voice] [xN]``:

- a rota name with the window it is given to accept: ``90s``, ``5m``, ``1h`` (a timed
  rung, paged at once whatever the hour), or ``1bd``, ``2bd`` (a business-day rung: a
  task paged only within the program's business hours, to be accepted by the end of the
  n-th business day after the rung becomes due);
- ``+voice``: page by SMS and a voice call at once (timed rungs only: a business-day rung
  is a task, never a ringing phone);
- ``xN``: the rung repeated N times;
- or ``referral`` (the local emergency referral, made at once when the rung before it runs
  out).

A policy is either a crisis ladder (timed rungs, and usually the referral) or a task
ladder (business-day rungs only, never a referral): mixing them would page a crisis
rung at whatever hour a task fell due, or leave a crisis waiting for business hours.

When an incident opens, its program's policy for its severity is expanded into a list of
rungs and frozen into the execution input: later edits never change a ladder already
running.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .errors import InvalidPolicy
from .hours import BusinessHours
from .incident import Severity

REFERRAL = "referral"
VOICE = "voice"
MAX_RUNGS = 40
MAX_WINDOW_S = 24 * 3600
MIN_WINDOW_S = 30
MAX_BUSINESS_DAYS = 10
# A task ladder's rungs together: four working weeks, so that with closed days a task still
# ends well inside the 45 days a reply code stays reserved on a clinician's phone (a timed
# ladder is at most MAX_RUNGS x MAX_WINDOW_S, 40 days).
MAX_TASK_BUSINESS_DAYS = 20

# Defaults per severity (minutes from opening, when nobody accepts):
# `imminent`: the primary by SMS and voice at once, backup at 3, supervisor at 6, referral
#   at 10.
# `high`: primary, backup at 5, supervisor at 10, referral at 15.
# `moderate`: primary, backup at 15, supervisor at 30, referral at 60.
# After the referral the supervisor stays paged every few minutes (the hotline is doing
# the warm handoff meanwhile) until someone accepts or the repeats run out.
# `low` is a task, not a crisis (a missed session, a distress check-in): the primary is
# paged within business hours and has until the end of the next business day; then the
# supervisor, once a business day for a business week. It never refers.
DEFAULT_POLICIES: dict[Severity, str] = {
    Severity.IMMINENT: "primary 3m +voice, backup 3m, supervisor 4m, referral, supervisor 5m x6",
    Severity.HIGH: "primary 5m, backup 5m, supervisor 5m, referral, supervisor 5m x6",
    Severity.MODERATE: "primary 15m, backup 15m, supervisor 30m, referral, supervisor 15m x4",
    Severity.LOW: "primary 1bd, supervisor 1bd x5",
}

_RUNG = re.compile(
    r"(?P<target>[a-z][a-z0-9_-]{0,39})\s+(?P<n>[0-9]{1,6})(?P<unit>bd|[smh])"
    r"(?P<mods>(?:\s*\+[a-z]+)*)"
    r"(?:\s*x\s*(?P<times>[0-9]{1,9}))?",
    re.ASCII,
)
_UNIT_S = {"s": 1, "m": 60, "h": 3600}
_SYNTAX = "'<rota> <number><s|m|h|bd> [+voice] [xN]' or 'referral'"


class RungKind(StrEnum):
    PAGE = "page"
    REFERRAL = "referral"


@dataclass(frozen=True)
class Rung:
    kind: RungKind
    target: str  # rota name for a page rung; "referral" for the referral rung
    # Seconds the rung waits for an acceptance: 0 for the referral, and 0 for a
    # business-day rung (its window depends on the calendar: see task_window).
    window_s: int
    voice: bool = False  # page by SMS and a voice call at once
    business_days: int = 0  # a business-hours task rung: accept by the n-th day's close

    @property
    def is_task(self) -> bool:
        return self.business_days > 0

    def to_input(self) -> dict[str, object]:
        """The rung as the execution input carries it. ``voice`` and ``business_days``
        only when set: snapshots frozen before they existed lack them."""
        data: dict[str, object] = {
            "kind": self.kind.value, "target": self.target, "window_s": self.window_s,
        }
        if self.voice:
            data["voice"] = True
        if self.business_days:
            data["business_days"] = self.business_days
        return data

    @staticmethod
    def from_input(data: dict[str, object]) -> Rung:
        window = data.get("window_s", 0)
        voice = data.get("voice", False)
        days = data.get("business_days", 0)
        return Rung(
            RungKind(str(data["kind"])), str(data["target"]), int(str(window)),
            voice if isinstance(voice, bool) else str(voice).lower() == "true",
            int(str(days or 0)),
        )


def parse_policy(text: str) -> tuple[Rung, ...]:
    """Expand a policy string into rungs, or raise InvalidPolicy naming the bad part."""
    parts = [p.strip().lower() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise InvalidPolicy("is empty or has an empty rung between commas")
    rungs: list[Rung] = []
    first_task = first_timed = referral = None
    for part in parts:
        if part == REFERRAL:
            if referral is not None:
                raise InvalidPolicy("has more than one referral rung")
            referral = part
            rungs.append(Rung(RungKind.REFERRAL, REFERRAL, 0))
            continue
        m = _RUNG.fullmatch(part)
        if not m:
            raise InvalidPolicy(f"rung '{part}' is not {_SYNTAX}")
        voice = _voice(part, m["mods"])
        n = int(m["n"])
        if m["unit"] == "bd":
            if not 1 <= n <= MAX_BUSINESS_DAYS:
                raise InvalidPolicy(
                    f"rung '{part}' gives {n} business days; use 1..{MAX_BUSINESS_DAYS}bd")
            if voice:
                raise InvalidPolicy(
                    f"rung '{part}' is a business-day task, paged only within business "
                    "hours: +voice (a call at once) is for timed rungs (s, m, h) only")
            window, days = 0, n
            first_task = first_task or part
        else:
            window, days = n * _UNIT_S[m["unit"]], 0
            if not MIN_WINDOW_S <= window <= MAX_WINDOW_S:
                raise InvalidPolicy(
                    f"rung '{part}' has a window outside {MIN_WINDOW_S}s..{MAX_WINDOW_S // 3600}h"
                )
            first_timed = first_timed or part
        times = int(m["times"] or 1)
        if times < 1:
            raise InvalidPolicy(f"rung '{part}' repeats zero times")
        if len(rungs) + times > MAX_RUNGS:  # refuse before expanding an admin's typo
            raise InvalidPolicy(
                f"rung '{part}' would make {len(rungs) + times} rungs; at most {MAX_RUNGS}")
        rungs.extend(Rung(RungKind.PAGE, m["target"], window, voice, days)
                     for _ in range(times))
    if len(rungs) > MAX_RUNGS:
        raise InvalidPolicy(f"expands to {len(rungs)} rungs; at most {MAX_RUNGS}")
    span = sum(r.business_days for r in rungs)
    if span > MAX_TASK_BUSINESS_DAYS:
        raise InvalidPolicy(
            f"spans {span} business days; at most {MAX_TASK_BUSINESS_DAYS} (about four weeks: "
            "a reply code stays reserved on a phone for 45 days)")
    if rungs[0].kind is not RungKind.PAGE:
        raise InvalidPolicy("must start by paging a rota, not with the referral")
    if first_task is not None and first_timed is not None:
        raise InvalidPolicy(
            f"mixes a business-day rung '{first_task}' with a timed rung '{first_timed}': a "
            "policy is either a crisis ladder (s, m, h) or a task ladder (bd) throughout")
    if first_task is not None and referral is not None:
        raise InvalidPolicy(
            f"has a referral after business-day rungs ('{first_task}'): a task never refers")
    return tuple(rungs)


def _voice(part: str, mods: str) -> bool:
    names = [m.strip() for m in mods.split("+")[1:]]
    for name in names:
        if name != VOICE:
            raise InvalidPolicy(
                f"rung '{part}' has an unknown modifier '+{name}'; the only one is +voice")
    if len(names) > 1:
        raise InvalidPolicy(f"rung '{part}' says +voice more than once")
    return bool(names)


# After a high or imminent crisis is resolved, a follow-up not closed when due escalates
# like a low task (program field `ladder_follow_up`): never a referral.
DEFAULT_FOLLOW_UP_POLICY = "supervisor 1bd x3"


def check_follow_up_policy(rungs: tuple[Rung, ...]) -> None:
    """A follow-up's escalation pages people; it never refers (the crisis is over)."""
    if any(r.kind is RungKind.REFERRAL for r in rungs):
        raise InvalidPolicy("has a referral rung: a follow-up escalates to people, never "
                            "to emergency services (the crisis was resolved)")


def check_policy_for(severity: Severity, rungs: tuple[Rung, ...]) -> None:
    """Only ``low`` may be a task ladder: a crisis never waits for business hours."""
    if severity is not Severity.LOW and any(r.is_task for r in rungs):
        raise InvalidPolicy(
            f"uses business-day rungs (bd), which only ladder_low may: a {severity.value} "
            "crisis never waits for business hours")


def snapshot(rungs: tuple[Rung, ...]) -> list[dict[str, object]]:
    """The ladder as it is frozen into the execution input."""
    return [r.to_input() for r in rungs]


def rung_start_offsets(rungs: tuple[Rung, ...]) -> list[int]:
    """Seconds after opening at which each rung starts if nobody accepts. A business-day
    rung's window depends on the calendar (see task_window) and counts 0 here, so for a
    task ladder these offsets give only the order."""
    offsets, t = [], 0
    for r in rungs:
        offsets.append(t)
        t += r.window_s
    return offsets


@dataclass(frozen=True)
class TaskWindow:
    """When a business-day rung that fell due is paged, and its deadline (both UTC)."""

    page_at: datetime  # the due instant itself within business hours, else the next opening
    deadline: datetime  # the close of the n-th business day after the due instant's date

    def window_s(self, now: datetime) -> int:
        """Whole seconds from ``now`` to the deadline (at least 1)."""
        return max(1, int((self.deadline - now).total_seconds()))


def task_window(rung: Rung, due: datetime, hours: BusinessHours) -> TaskWindow:
    """The schedule of a business-day rung that became due at ``due``. ``page_at`` is
    always before ``deadline``."""
    if not rung.is_task:
        raise ValueError(f"rung '{rung.target}' is not a business-day rung")
    return TaskWindow(hours.next_open(due),
                      hours.close_of_business_day_after(due, rung.business_days))
