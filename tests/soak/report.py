"""What a soak run reports: per invariant the incidents checked and the violations (with
the seed and the incident to replay), the at-least-once count, and the distributions of
intake-to-first-page latency and referral lag. A summary is plain data, so the shards of a
run in several processes (``SOAK_PROCESSES``) are merged into one report."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# A replay runs the incident's plan (fixed by seed and index) on a stack whose ladder clock
# starts at the instant the incident came in, so the business calendar (a night, a
# weekend) is the one it met.
REPLAY = "SOAK_SEED={seed} SOAK_ONLY={index}{at} make soak"


@dataclass
class Check:
    name: str
    checked: int
    at_least_once: int
    violations: list[tuple[Any, str, str]]  # (incident index or "?", incident id, detail)


@dataclass
class Summary:
    seed: int
    incidents: int
    wall_s: float
    checks: list[Check] = field(default_factory=list)
    stuck: list[int] = field(default_factory=list)
    ladder_s: list[float] = field(default_factory=list)  # intake to first page
    wall_ms: list[float] = field(default_factory=list)
    referral_lag_s: list[float] = field(default_factory=list)  # referral minus bound
    # plan index (as text, for JSON) -> the ladder instant of its intake, for the
    # incidents with a violation or stuck (what their replay needs)
    opened: dict[str, str] = field(default_factory=dict)

    @property
    def violations(self) -> int:
        return sum(len(c.violations) for c in self.checks) + len(self.stuck)

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> Summary:
        raw = json.loads(path.read_text())
        raw["checks"] = [Check(c["name"], c["checked"], c["at_least_once"],
                               [tuple(v) for v in c["violations"]]) for c in raw["checks"]]
        return cls(**raw)


def merge(parts: list[Summary], wall_s: float) -> Summary:
    """One summary of a run's shards (each ran a disjoint set of the seed's incidents)."""
    first = parts[0]
    out = Summary(first.seed, sum(p.incidents for p in parts), wall_s)
    for i, check in enumerate(first.checks):
        same = [p.checks[i] for p in parts]
        out.checks.append(Check(check.name, sum(c.checked for c in same),
                                sum(c.at_least_once for c in same),
                                [v for c in same for v in c.violations]))
    for p in parts:
        out.stuck += p.stuck
        out.ladder_s += p.ladder_s
        out.wall_ms += p.wall_ms
        out.referral_lag_s += p.referral_lag_s
        out.opened.update(p.opened)
    out.stuck.sort()
    return out


def distribution(values: list[float]) -> str:
    if not values:
        return "none"
    v = sorted(values)

    def q(p: float) -> float:
        return v[min(len(v) - 1, int(p * len(v)))]

    return (f"min {v[0]:.2f}  p50 {q(0.5):.2f}  p90 {q(0.9):.2f}  p99 {q(0.99):.2f}  "
            f"max {v[-1]:.2f}  (n={len(v)}, mean {statistics.fmean(v):.2f})")


def replay(s: Summary, index: Any) -> str:
    at = s.opened.get(str(index))
    return REPLAY.format(seed=s.seed, index=index, at=f" SOAK_AT={at}" if at else "")


def show(s: Summary) -> None:
    print(f"soak: seed={s.seed}: {s.incidents} incidents in {s.wall_s:.1f} s wall")
    for c in s.checks:
        extra = f", at-least-once {c.at_least_once}" if c.name.startswith("3") else ""
        print(f"  {c.name:45s} checked {c.checked:5d}  violations {len(c.violations)}{extra}")
        for index, incident_id, detail in c.violations:
            print(f"    VIOLATION seed={s.seed} incident={index} ({incident_id}): {detail}"
                  f"  replay: {replay(s, index)}")
    for index in s.stuck:
        print(f"    VIOLATION seed={s.seed} incident={index}: its ladder still runs after "
              f"the last deadline its rungs allow  replay: {replay(s, index)}")
    print(f"  intake to first page, ladder s: {distribution(s.ladder_s)}")
    print(f"  intake to first page, wall ms:  {distribution(s.wall_ms)}")
    print(f"  referral minus bound, ladder s: {distribution(s.referral_lag_s)}")
    print(f"soak: {'FAILED' if s.violations else 'passed'}: {s.violations} "
          f"violation(s), seed={s.seed}")
