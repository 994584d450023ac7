"""Drives the soak on the local stack: plans from plan.py run N at a time, faults injected
into the fake Twilio, then every record is collected (history.py) and checked (checks.py).

    python -m tests.soak            # SOAK_N=200 SOAK_SEED=<random> SOAK_CONCURRENCY=2 ...
    SOAK_SEED=123 SOAK_ONLY=17 python -m tests.soak   # replay incident 17 of seed 123 alone
    SOAK_N=2000 SOAK_PROCESSES=2 python -m tests.soak # two local stacks, one core each
"""

from __future__ import annotations

import json
import os
import random
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3

from local.fake_twilio import PlacedCall, SentMessage
from local.stack import LocalStack
from tests.soak import checks, world
from tests.soak.history import History, Post, collect, page_of
from tests.soak.plan import Act, Plan, plan
from tests.soak.report import Check, Summary, show

# An incident is stuck when its ladder still runs this many ladder seconds (plus
# STUCK_SLACK_RUNG_S a rung, the real time of each rung's handlers under load: see
# checks.SLACK_S) after the last deadline its rungs allow (ladder_deadline).
STUCK_SLACK_S = 60.0
STUCK_SLACK_RUNG_S = 20.0
# A guard against a clock that never runs fast (something counted active forever): an
# incident also counts as stuck after this many wall seconds plus 20 times the wall time
# its ladder needs at the idle speed.
WAIT_WALL_S = 240.0


@dataclass
class Config:
    n: int = 200
    seed: int = 0
    concurrency: int = 2
    scale: float = 0.002
    only: int | None = None
    at: datetime | None = None  # SOAK_AT: the ladder instant the stack starts (a replay)
    calibrate: bool = False  # every incident unanswered and fault-free: measures clock lag
    processes: int = 1  # SOAK_PROCESSES: shards run at once, each its own local stack
    batch: int = 100  # SOAK_BATCH: most incidents one local stack runs (sharded runs)
    shard: tuple[int, int] | None = None  # (k, of): this process runs indices i % of == k

    @classmethod
    def from_env(cls, **defaults: Any) -> Config:
        env = os.environ
        config = cls(**defaults)
        config.n = int(env.get("SOAK_N", config.n))
        config.seed = int(env.get("SOAK_SEED") or config.seed or random.randrange(1, 10**6))
        config.concurrency = int(env.get("SOAK_CONCURRENCY", config.concurrency))
        config.scale = float(env.get("SOAK_SCALE", config.scale))
        only = env.get("SOAK_ONLY")
        config.only = int(only) if only else config.only
        at = env.get("SOAK_AT")
        config.at = _instant(at) if at else config.at
        config.calibrate = env.get("SOAK_CALIBRATE", "") not in ("", "0")
        config.processes = int(env.get("SOAK_PROCESSES", config.processes))
        config.batch = int(env.get("SOAK_BATCH", config.batch))
        shard = env.get("SOAK_SHARD")
        if shard:
            k, of = (int(x) for x in shard.split("/"))
            config.shard = (k, of)
        return config

    def indices(self) -> list[int]:
        if self.only is not None:
            return [self.only]
        if self.shard is not None:
            return list(range(self.shard[0], self.n, self.shard[1]))
        return list(range(self.n))


@dataclass
class Outcome:
    config: Config
    history: History
    results: list[checks.Result]
    wall_s: float
    stuck: list[int] = field(default_factory=list)
    opened: dict[int, str] = field(default_factory=dict)  # plan index -> intake instant

    @property
    def violations(self) -> int:
        return sum(len(r.violations) for r in self.results) + len(self.stuck)


def _instant(text: str) -> datetime:
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError(f"SOAK_AT={text!r} needs a UTC offset, e.g. 2026-12-04T17:30:00+00:00")
    return at.astimezone(UTC)


def ladder_deadline(opened_at: datetime, rungs: tuple[dict[str, Any], ...]) -> datetime:
    """The ladder instant by which an incident's ladder ends on its own, nobody answering:
    each rung's window in turn, a business-day rung closing at the n-th business day's
    close after it falls due (a task waits for the program to open: a weekend, a night),
    plus the stuck slack. The soak's programs keep the default business hours in the
    seed's time zone, as the ladder reads them (service/ladder.py business_hours)."""
    from crisis_pager.domain.hours import DEFAULT_BUSINESS_HOURS, parse_business_hours
    from crisis_pager.domain.ladder import Rung

    hours = parse_business_hours(DEFAULT_BUSINESS_HOURS, world.seed.TIMEZONE)
    at = opened_at
    for data in rungs:
        rung = Rung.from_input(data)
        at = (hours.close_of_business_day_after(at, rung.business_days) if rung.business_days
              else at + timedelta(seconds=rung.window_s))
    return at + timedelta(seconds=STUCK_SLACK_S + STUCK_SLACK_RUNG_S * len(rungs))


def business_morning(now: datetime) -> datetime:
    """The next weekday 10:00 in the programs' time zone after ``now``: the ladder clock
    starts there, so low tasks are paged at once, and ahead of the wall clock, as the
    Twilio adapter's lookback assumes (Twilio stamps with the ladder clock here)."""
    local = now.astimezone(ZoneInfo(world.seed.TIMEZONE)).replace(hour=10, minute=0,
                                                                    second=0, microsecond=0)
    while local <= now or local.weekday() >= 5:
        local += timedelta(days=1)
    return local.astimezone(UTC)


class Pages:
    """Every page the fake Twilio takes, by incident and rung, as it is taken."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._by: dict[tuple[str, int], list[SentMessage | PlacedCall]] = defaultdict(list)

    def __call__(self, record: SentMessage | PlacedCall) -> None:
        incident_id, position = page_of(record.status_callback)
        if incident_id is not None and position is not None:
            with self._cond:
                self._by[(incident_id, position)].append(record)
                self._cond.notify_all()

    def first(self, incident_id: str, position: int) -> SentMessage | PlacedCall | None:
        with self._cond:
            found = self._by.get((incident_id, position))
            return found[0] if found else None

    def wait(self, incident_id: str, position: int, until: Any) -> Any:
        with self._cond:
            while True:
                found = self._by.get((incident_id, position))
                if found:
                    return found[0]
                if until():
                    return None
                self._cond.wait(0.05)


class Driver:
    def __init__(self, stack: LocalStack, config: Config, programs: list[str]) -> None:
        self.stack, self.config, self.programs = stack, config, programs
        self.pages = Pages()
        stack.twilio.add_listener(self.pages)
        self.posts: list[Post] = []
        self.index_of: dict[str, int] = {}
        self.post_wall: dict[str, float] = {}
        self.stuck: list[int] = []
        self.opened: dict[int, str] = {}  # plan index -> the ladder instant of its intake
        self.unanswered: set[str] = set()  # no reply before the referral, no fault
        self._lock = threading.Lock()

    # ------------------------------------------------------------ the hotline

    def _post(self, p: Plan) -> tuple[str, str] | None:
        body: dict[str, Any] = {
            "program_id": self.programs[p.program], "participant_ref": p.participant_ref,
            "event_id": p.event_id, "callback_url": self.stack.receiver.url,
            "summary": p.summary}
        if p.screener is not None:
            body["screener"] = p.screener
        else:
            body["severity"] = p.severity
        answers: list[Any] = []

        def post() -> None:
            response = self.stack.post_escalation(body)
            answers.append(response)

        wall = time.time()
        with self._lock:
            self.opened[p.index] = self.stack.clock.now().isoformat()
        if p.hotline == "concurrent":
            barrier = threading.Barrier(3)
            threads = [threading.Thread(target=lambda: (barrier.wait(), post()))
                       for _ in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            post()
            if p.hotline == "twice":
                post()
            elif p.hotline == "retried":
                time.sleep(0.2)  # the hotline timed out waiting and retries
                post()
        with self._lock:
            for response in answers:
                incident_id = response.json().get("incident_id") if response.status == 202 \
                    else None
                self.posts.append(Post(p.index, p.event_id, response.status, incident_id))
        ok = [a for a in answers if a.status == 202]
        if not ok:
            return None
        incident_id, code = ok[0].json()["incident_id"], ok[0].json()["code"]
        with self._lock:
            self.index_of[incident_id] = p.index
            self.post_wall[incident_id] = wall
        return incident_id, code

    # ------------------------------------------------------------ Twilio

    def _faults(self, p: Plan) -> None:
        twilio = self.stack.twilio
        primary = world.phone(world.ROTAS[p.program % len(world.ROTAS)][0]) \
            if len(self.programs) == len(world.ROTAS) else None
        for fault in p.faults:
            if fault.startswith("undelivered-") and primary:
                twilio.sms_outcome(primary, "undelivered", int(fault.split("-")[1]), times=1)
            elif fault == "failed" and primary:
                twilio.sms_outcome(primary, "failed", 30008, times=1)
            elif fault in ("429", "500"):
                twilio.fail_next(int(fault), 20429 if fault == "429" else 20500,
                                 "Too Many Requests" if fault == "429" else "Internal error",
                                 path_suffix="Messages.json", method="POST")
            elif fault == "timeout-taken":
                twilio.timeout_next(after_processing=True, path_suffix="Messages.json",
                                    method="POST")
            elif fault == "timeout-lookup-fails":
                twilio.timeout_next(after_processing=True, path_suffix="Messages.json",
                                    method="POST")
                twilio.fail_next(503, 20503, "Service unavailable", times=3,
                                 path_suffix="Messages.json", method="GET")
            elif fault == "crash-after-send":
                twilio.crash_next(path_suffix="Messages.json", method="POST")
            elif fault in ("duplicate-callbacks", "reversed-callbacks") and primary:
                twilio.sms_outcome(primary, "undelivered", 30003, times=1,
                                   callbacks="duplicated" if fault.startswith("dup")
                                   else "reversed")
            elif fault in ("voicemail", "busy") and primary:
                twilio.sms_outcome(primary, "undelivered", 30003, times=1)
                twilio.call_outcome(primary, "machine" if fault == "voicemail" else "busy",
                                    times=1)

    # ------------------------------------------------------------ clinicians

    def _done(self, incident_id: str) -> bool:
        return str(self.stack.execution(incident_id)["status"]) != "RUNNING"

    def _act(self, incident_id: str, code: str, act: Act,
             accepter: list[tuple[str, str]]) -> None:
        stack = self.stack
        wake: Callable[[float], bool] | None = None
        if act.rung < 0:
            if not accepter:
                return
            phone, code = accepter[-1]  # the code that phone accepted with
            accepted = stack.incident(incident_id).accepted_at
            target = (accepted.timestamp() if accepted else 0.0) + act.moment
        else:
            page = self.pages.wait(incident_id, act.rung, lambda: self._done(incident_id))
            if page is None:
                return
            inc = stack.incident(incident_id)
            rung = inc.rungs[act.rung] if act.rung < len(inc.rungs) else {}
            window = float(rung.get("window_s") or 0) or 3600.0
            offset = window + act.race if act.race is not None else window * act.moment
            target = page.at + max(0.0, offset)
            phone = page.to
            if act.sender == "paged":
                # The code this phone's page gave it: the incident's, unless the phone
                # already holds that code for another open page (then its SMS says another).
                stored = stack.page(incident_id, act.rung)
                code = stored.code if stored is not None else code

            def wake(timeout: float) -> bool:  # the ladder ended first: nothing to answer
                time.sleep(timeout)
                return self._done(incident_id)

        sender = phone if act.sender == "paged" else act.sender
        # The driver sleeps on the ladder clock: time stops at the target, so a moment that
        # races a rung's timeout lands exactly before or after it as planned, however
        # loaded the machine; the reply is then sent at real speed.
        with stack.clock.working():
            if stack.clock.sleep_until(datetime.fromtimestamp(target, UTC), wake=wake):
                return
            answer = stack.sms_reply(sender, act.text.replace("{code}", code))
        if answer.status == 200 and "Accepted" in answer.body:
            accepter.append((sender, code))

    def run_one(self, index: int) -> None:
        p = plan(self.config.seed, index, len(self.programs))
        if self.config.calibrate:
            p = replace(p, acts=(), faults=(), hotline="once",
                        severity="high" if p.severity == "low" else p.severity)
        self._faults(p)
        opened = self._post(p)
        if opened is None:
            return
        incident_id, code = opened
        if not p.faults and all(a.rung >= 3 for a in p.acts):
            with self._lock:
                self.unanswered.add(incident_id)
        accepter: list[tuple[str, str]] = []
        for act in p.acts:
            self._act(incident_id, code, act, accepter)
        if not self._ended(incident_id):
            with self._lock:
                self.stuck.append(index)

    def _ended(self, incident_id: str) -> bool:
        """Wait, on the ladder clock, for the ladder to end by its last deadline; False if
        it still runs then (or after the wall guard)."""
        stack = self.stack
        inc = stack.incident(incident_id)
        deadline = ladder_deadline(inc.opened_at, inc.rungs)
        to_go = max(0.0, (deadline - stack.clock.now()).total_seconds())
        give_up = time.monotonic() + WAIT_WALL_S + 20 * (stack.clock.scale or 0.0) * to_go

        def wake(timeout: float) -> bool:
            time.sleep(timeout)
            return self._done(incident_id) or time.monotonic() > give_up

        with stack.clock.working():
            stack.clock.sleep_until(deadline, wake=wake)
        return self._done(incident_id)


def _running(stack: LocalStack, suffix: str) -> bool:
    """Whether some execution whose name ends with ``suffix`` still runs."""
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    return any(ex["name"].endswith(suffix)
               for page in sfn.get_paginator("list_executions").paginate(
                   stateMachineArn=stack.state_machine_arn, statusFilter="RUNNING")
               for ex in page["executions"])


def soak(config: Config, *, quiet: bool = False) -> Outcome:
    say = (lambda *a: None) if quiet else print
    say(f"soak: seed={config.seed} n={config.n} concurrency={config.concurrency} "
        f"scale={config.scale}" + (f" only={config.only}" if config.only is not None else "")
        + (f" shard={config.shard[0]}/{config.shard[1]}" if config.shard else ""))
    started = time.monotonic()
    start = config.at or business_morning(datetime.now(UTC))
    with LocalStack(scale=config.scale, start=start) as stack:
        programs = world.seed_world(stack)
        driver = Driver(stack, config, programs)
        with ThreadPoolExecutor(max_workers=config.concurrency) as pool:
            for future in [pool.submit(driver.run_one, i) for i in config.indices()]:
                future.result()
        # An acceptance after a ladder ended sends its callback from '<id>-accepted', an
        # execution of its own: let those finish before the callbacks are counted.
        stack.wait_for(lambda: not _running(stack, "-accepted"), timeout=WAIT_WALL_S)
        stack.twilio.drain(timeout=30)
        history = History(config.seed, posts=driver.posts, index_of=driver.index_of,
                          post_wall=driver.post_wall, unanswered=driver.unanswered)
        collect(stack, history)
        results = checks.check(history)
        kept = keep_evidence(stack, config, history, results, driver)
        stack.stop_executions()  # follow-ups of resolved crises run for days
    wall = time.monotonic() - started
    outcome = Outcome(config, history, results, wall, sorted(driver.stuck),
                      dict(driver.opened))
    if kept:
        say(f"soak: what the stack recorded of each incident with a violation: {kept}")
    if not quiet:
        show(summarize(outcome))
    return outcome


def keep_evidence(stack: LocalStack, config: Config, history: History,
                  results: list[checks.Result], driver: Driver) -> Path | None:
    """A violation the replay may not reproduce (it met this stack's load and state) is
    diagnosed from what the stack recorded: for each such incident, its item (ids, status,
    position, rungs, stamps; never the summary, participant or referral), its timeline, its
    executions and their histories, and the pages sent for it, in one JSON file under
    SOAK_EVIDENCE (default: the system's temp directory)."""
    by_id = history.index_of
    failed = {incident_id for r in results for incident_id, _ in r.violations if incident_id}
    failed |= {i for i, idx in by_id.items() if idx in driver.stuck}
    if not failed:
        return None
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    evidence: dict[str, Any] = {}
    for incident_id in sorted(failed):
        inc = stack.incident(incident_id)
        # The referral names where the participant is: kept out with the summary.
        item = {k: v for k, v in vars(inc).items()
                if k not in ("summary", "participant_ref", "screener", "referral")} if inc else None
        executions = []
        for page in sfn.get_paginator("list_executions").paginate(
                stateMachineArn=stack.state_machine_arn):
            for ex in page["executions"]:
                if ex["name"].startswith(incident_id):
                    events = sfn.get_execution_history(executionArn=ex["executionArn"],
                                                       maxResults=1000)["events"]
                    executions.append({"name": ex["name"], "status": ex["status"],
                                       "events": events})
        evidence[incident_id] = {
            "index": by_id.get(incident_id),
            "opened": driver.opened.get(by_id.get(incident_id, -1)),
            "plan": repr(plan(config.seed, by_id.get(incident_id, 0), len(driver.programs))),
            "incident": item, "timeline": stack.timeline(incident_id),
            "executions": executions,
            "sends": [vars(s) for s in history.sends if s.incident_id == incident_id]}
    where = Path(os.environ.get("SOAK_EVIDENCE") or tempfile.gettempdir())
    shard = f"-{config.shard[0]}of{config.shard[1]}" if config.shard else ""
    path = where / f"soak-evidence-{config.seed}{shard}.json"
    path.write_text(json.dumps(evidence, indent=1, default=str))
    return path


def latencies(history: History) -> tuple[list[float], list[float]]:
    """Intake to the first page, per incident: (ladder seconds, wall ms)."""
    ladder, wall = [], []
    first: dict[str, Any] = {}
    for send in history.sends:
        if send.incident_id and (send.incident_id not in first
                                 or send.at < first[send.incident_id].at):
            first[send.incident_id] = send
    for incident_id, send in first.items():
        inc = history.incidents.get(incident_id)
        if inc is None or inc.severity == "low":
            continue
        ladder.append(send.at - inc.opened_at)
        if incident_id in history.post_wall and send.wall_at:
            wall.append((send.wall_at - history.post_wall[incident_id]) * 1000)
    return ladder, wall


def referral_lag(history: History) -> list[float]:
    """Referral time minus the bound, for crises nobody answered and no fault touched
    (negative: the ladder clock fell behind moto's timers, see benchmarks/README.md)."""
    out = []
    for inc in history.incidents.values():
        if (inc.incident_id in history.unanswered and inc.referred_at is not None
                and inc.severity in checks.REFERRAL_BOUND_S):
            out.append(inc.referred_at - inc.opened_at - checks.REFERRAL_BOUND_S[inc.severity])
    return out


def summarize(outcome: Outcome) -> Summary:
    h = outcome.history
    ladder, wall = latencies(h)
    results = [Check(r.name, r.checked, r.at_least_once,
                     [(h.index_of.get(incident_id or "", "?"), incident_id or "", detail)
                      for incident_id, detail in r.violations]) for r in outcome.results]
    failed = set(outcome.stuck) | {v[0] for c in results for v in c.violations}
    return Summary(
        outcome.config.seed, len(h.incidents), outcome.wall_s, results, list(outcome.stuck),
        ladder, wall, referral_lag(h),
        {str(i): at for i, at in outcome.opened.items() if i in failed})
