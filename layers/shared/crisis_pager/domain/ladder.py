"""The escalation ladder: policies, the frozen snapshot, and what happens next.

A policy is a short, readable string an admin can keep on the program item, e.g.

    primary 5m, backup 5m, supervisor 5m, referral, supervisor 5m x6

Each comma-separated part is a rung: a rota name with the window it is given to
accept (``90s``, ``5m``, ``1h``), optionally repeated (``x6``), or ``referral`` (the
local emergency referral, made at once when the rung before it runs out). When an
incident opens, its program's policy for its severity is expanded into a list of rungs
and frozen into the execution input: later edits never change a ladder already running.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from .errors import InvalidPolicy
from .incident import Severity

REFERRAL = "referral"
MAX_RUNGS = 40
MAX_WINDOW_S = 24 * 3600
MIN_WINDOW_S = 30

# Defaults per severity. `imminent`: backup at 3 min, supervisor at 6, referral at 10.
# `high`: backup at 5, supervisor at 10, referral at 15. `moderate`: backup at 15,
# supervisor at 30, referral at 60. After the referral the supervisor stays paged every
# few minutes (the hotline is doing the warm handoff meanwhile) until someone accepts
# or the repeats run out. `low` is a task rather than a crisis: it never refers.
DEFAULT_POLICIES: dict[Severity, str] = {
    Severity.IMMINENT: "primary 3m, backup 3m, supervisor 4m, referral, supervisor 5m x6",
    Severity.HIGH: "primary 5m, backup 5m, supervisor 5m, referral, supervisor 5m x6",
    Severity.MODERATE: "primary 15m, backup 15m, supervisor 30m, referral, supervisor 15m x4",
    Severity.LOW: "primary 1h, backup 1h, supervisor 2h x3",
}

_RUNG = re.compile(
    r"(?P<target>[a-z][a-z0-9_-]{0,39})\s+(?P<n>[0-9]{1,6})(?P<unit>[smh])"
    r"(?:\s*x\s*(?P<times>[0-9]{1,9}))?",
    re.ASCII,
)
_UNIT_S = {"s": 1, "m": 60, "h": 3600}


class RungKind(StrEnum):
    PAGE = "page"
    REFERRAL = "referral"


@dataclass(frozen=True)
class Rung:
    kind: RungKind
    target: str  # rota name for a page rung; "referral" for the referral rung
    window_s: int  # seconds the rung waits for an acceptance (0 for the referral)

    def to_input(self) -> dict[str, object]:
        return {"kind": self.kind.value, "target": self.target, "window_s": self.window_s}

    @staticmethod
    def from_input(data: dict[str, object]) -> Rung:
        window = data.get("window_s", 0)
        return Rung(RungKind(str(data["kind"])), str(data["target"]), int(str(window)))


def parse_policy(text: str) -> tuple[Rung, ...]:
    """Expand a policy string into rungs, or raise InvalidPolicy naming the bad part."""
    parts = [p.strip().lower() for p in text.split(",")]
    if not text.strip() or any(not p for p in parts):
        raise InvalidPolicy("is empty or has an empty rung between commas")
    rungs: list[Rung] = []
    for part in parts:
        if part == REFERRAL:
            if any(r.kind is RungKind.REFERRAL for r in rungs):
                raise InvalidPolicy("has more than one referral rung")
            rungs.append(Rung(RungKind.REFERRAL, REFERRAL, 0))
            continue
        m = _RUNG.fullmatch(part)
        if not m:
            raise InvalidPolicy(
                f"rung '{part}' is not '<rota> <number><s|m|h> [xN]' or 'referral'"
            )
        window = int(m["n"]) * _UNIT_S[m["unit"]]
        if not MIN_WINDOW_S <= window <= MAX_WINDOW_S:
            raise InvalidPolicy(
                f"rung '{part}' has a window outside {MIN_WINDOW_S}s..{MAX_WINDOW_S // 3600}h"
            )
        times = int(m["times"] or 1)
        if times < 1:
            raise InvalidPolicy(f"rung '{part}' repeats zero times")
        if len(rungs) + times > MAX_RUNGS:  # refuse before expanding an admin's typo
            raise InvalidPolicy(
                f"rung '{part}' would make {len(rungs) + times} rungs; at most {MAX_RUNGS}")
        rungs.extend(Rung(RungKind.PAGE, m["target"], window) for _ in range(times))
    if len(rungs) > MAX_RUNGS:
        raise InvalidPolicy(f"expands to {len(rungs)} rungs; at most {MAX_RUNGS}")
    if rungs[0].kind is not RungKind.PAGE:
        raise InvalidPolicy("must start by paging a rota, not with the referral")
    return tuple(rungs)


def snapshot(rungs: tuple[Rung, ...]) -> list[dict[str, object]]:
    """The ladder as it is frozen into the execution input."""
    return [r.to_input() for r in rungs]


def rung_start_offsets(rungs: tuple[Rung, ...]) -> list[int]:
    """Seconds after opening at which each rung starts if nobody accepts."""
    offsets, t = [], 0
    for r in rungs:
        offsets.append(t)
        t += r.window_s
    return offsets
