"""The generator: one incident's plan from (seed, index) alone, so one incident replays
alone (``SOAK_SEED=<seed> SOAK_ONLY=<index> make soak``)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SEVERITIES = ("imminent", "high", "moderate", "low")
SEVERITY_WEIGHTS = (3, 4, 2, 1)


@dataclass(frozen=True)
class Act:
    """What a clinician (or a stranger) texts, and when.

    ``rung``: after the page at this position; ``moment``: the fraction of its window
    waited first, or ``race`` ladder seconds from the window's end (negative: before)."""

    rung: int  # -1: after this incident's acceptance (moment: ladder seconds after it)
    text: str  # "{code}": the code the rung's page gave that phone (usually the incident's)
    moment: float = 0.0
    race: float | None = None
    sender: str = "paged"  # "paged" (who the rung paged) or a phone number


@dataclass(frozen=True)
class Plan:
    seed: int
    index: int
    program: int  # index into the world's programs
    severity: str
    screener: dict[str, bool] | None
    hotline: str  # once | twice | concurrent | retried
    acts: tuple[Act, ...]
    faults: tuple[str, ...] = field(default_factory=tuple)  # fake Twilio faults, before intake

    @property
    def event_id(self) -> str:
        return f"soak-{self.seed}-{self.index}"

    @property
    def participant_ref(self) -> str:
        return f"ptc-S{self.seed}-N{self.index}"

    @property
    def summary(self) -> str:
        return (f"PII{self.seed}n{self.index} Maria said she has pills saved; "
                "safety plan: call sister Rosa")


FAULTS = ("none", "undelivered-30003", "undelivered-30007", "failed", "429", "500",
          "timeout-taken", "timeout-lookup-fails", "crash-after-send", "duplicate-callbacks",
          "reversed-callbacks", "voicemail", "busy")
FAULT_WEIGHTS = (8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
ACCEPTS = ("A {code}", "{code} a", "accept {code}", "a-{code}.", "A\u00a0{code}")
GARBAGE = ("ok", "on it", "A 99999", "STOP {code}", "?", "yes", "A {code} now")


def plan(seed: int, index: int, programs: int) -> Plan:
    rng = random.Random(f"{seed}:{index}")
    severity = rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0]
    screener = None
    if severity == "high" and rng.random() < 0.2:  # the C-SSRS screen decides it
        screener = {"1": True, "2": True, "3": True, "4": True, "5": False, "6": False}
    hotline = rng.choices(("once", "twice", "concurrent", "retried"), (6, 1, 1, 1))[0]
    faults = tuple(f for f in rng.choices(FAULTS, FAULT_WEIGHTS, k=rng.choice((0, 1, 2)))
                   if f != "none")
    acts: list[Act] = []
    if severity == "low":  # a business-hours task: taken within the hour, then resolved
        acts.append(Act(0, "A {code}", moment=rng.uniform(0, 0.01)))
        if rng.random() < 0.7:
            acts.append(Act(0, "R {code}", moment=0.02))
        return Plan(seed, index, rng.randrange(programs), severity, screener, hotline,
                    tuple(acts), faults)
    # noise anywhere on the first rungs
    for _ in range(rng.choice((0, 0, 1, 2))):
        kind = rng.choice(("garbage", "stranger", "bare", "stop-start", "status"))
        rung, moment = rng.choice((0, 1)), rng.uniform(0.05, 0.6)
        if kind == "garbage":
            acts.append(Act(rung, rng.choice(GARBAGE), moment))
        elif kind == "stranger":
            acts.append(Act(rung, rng.choice(ACCEPTS), moment, sender="+15035559999"))
        elif kind == "bare":
            acts.append(Act(rung, "A", moment))
        elif kind == "stop-start":
            acts.append(Act(rung, "STOP", moment))
            acts.append(Act(rung, "START", moment + 0.1))
        else:
            acts.append(Act(rung, "STATUS", moment))
    outcome = rng.choices(("accept", "race", "pass", "silent", "after-referral"),
                          (5, 2, 2, 2, 1))[0]
    if outcome == "accept":
        acts.append(Act(rng.choice((0, 0, 1, 2)), rng.choice(ACCEPTS), rng.uniform(0, 0.95)))
    elif outcome == "race":  # the last moments of a window, racing its timeout
        acts.append(Act(rng.choice((0, 1)), rng.choice(ACCEPTS), race=rng.uniform(-3.0, 1.0)))
    elif outcome == "pass":
        acts.append(Act(0, "P {code}", rng.uniform(0.05, 0.5)))
        if rng.random() < 0.6:
            acts.append(Act(1, rng.choice(ACCEPTS), rng.uniform(0.05, 0.8)))
    elif outcome == "after-referral":  # the supervisor accepts a repeat after the referral
        acts.append(Act(4, "A {code}", rng.uniform(0.1, 0.8)))
    if outcome in ("accept", "race", "pass") and rng.random() < 0.3:
        # rung -1: after the acceptance (moment: ladder seconds), usually once the clinician
        # has talked to the participant, sometimes back to back with the A (the race in
        # which the hotline once lost its `accepted` callback)
        later = rng.random() < 0.8
        acts.append(Act(-1, "R {code}", rng.uniform(30.0, 300.0) if later else 0.0))
    acts.sort(key=lambda a: (a.rung if a.rung >= 0 else 99,
                            a.moment if a.race is None else 1.0 + a.race / 1000))
    return Plan(seed, index, rng.randrange(programs), severity, screener, hotline,
                tuple(acts), faults)
