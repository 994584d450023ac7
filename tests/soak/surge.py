"""The surge: 300 crises posted within a few seconds across 30 programs (30 hotline
threads at once). Every primary must be paged exactly once per crisis; the distribution
of intake-to-first-page latency is reported (``SOAK_MODE=surge make soak``)."""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from local.stack import LocalStack
from tests.soak import world
from tests.soak.history import page_of
from tests.soak.report import distribution
from tests.soak.run import Pages, business_morning


@dataclass
class SurgeOutcome:
    crises: int
    post_s: float
    violations: list[str] = field(default_factory=list)
    ladder_s: list[float] = field(default_factory=list)
    wall_ms: list[float] = field(default_factory=list)


def surge(crises: int | None = None, programs: int | None = None, *,
          scale: float | None = None, quiet: bool = False) -> SurgeOutcome:
    crises = crises or int(os.environ.get("SURGE_N", 300))
    programs = programs or int(os.environ.get("SURGE_PROGRAMS", 30))
    # A slow ladder: the primaries' 5-minute windows last 60 s wall, longer than the surge,
    # so the machine's time goes to the surge, not to backups' pages.
    scale = scale or float(os.environ.get("SOAK_SCALE", 0.2))
    # Each program its own primary; backups and supervisors shared by several programs.
    rotas = [(i, programs + i % 5, programs + 5 + i % 3) for i in range(programs)]
    with LocalStack(scale=scale, start=business_morning(datetime.now(UTC))) as stack:
        ids = world.seed_world(stack, rotas)
        seen = Pages()
        stack.twilio.add_listener(seen)
        posted: dict[str, tuple[int, float]] = {}
        lock = threading.Lock()
        failures: list[str] = []

        def post(n: int) -> None:
            wall = time.time()
            response = stack.post_escalation({
                "program_id": ids[n % programs], "severity": "high",
                "participant_ref": f"ptc-surge-{n}", "event_id": f"surge-{n}",
                "callback_url": stack.receiver.url, "summary": f"surge crisis {n}"})
            with lock:
                if response.status == 202:
                    posted[response.json()["incident_id"]] = (n % programs, wall)
                else:
                    failures.append(f"crisis {n}: HTTP {response.status} {response.body}")

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=programs) as pool:
            list(pool.map(post, range(crises)))
        post_s = time.monotonic() - started
        outcome = SurgeOutcome(crises, post_s, failures)

        def first_pages() -> dict[str, list]:
            pages: dict[str, list] = {}
            for m in stack.twilio.messages:
                incident_id, position = page_of(m.status_callback)
                if position == 0 and incident_id in posted:
                    pages.setdefault(incident_id, []).append(m)
            return pages

        deadline = time.monotonic() + 120
        for incident_id in list(posted):
            seen.wait(incident_id, 0, lambda: time.monotonic() > deadline)
        pages = first_pages()
        walls = {(r.data.get("To"), r.data.get("Body"), r.at): r.wall_at
                 for r in stack.twilio.requests if r.method == "POST"}
        for incident_id, (program, wall) in sorted(posted.items()):
            primary = world.phone(rotas[program][0])
            sent = pages.get(incident_id, [])
            counts = Counter(m.to for m in sent)
            if counts != Counter({primary: 1}):
                outcome.violations.append(f"{incident_id}: first rung paged {dict(counts)}, "
                                          f"expected {primary} once")
                continue
            opened = stack.incident(incident_id).opened_at.timestamp()
            outcome.ladder_s.append(sent[0].at - opened)
            outcome.wall_ms.append((walls[(sent[0].to, sent[0].body, sent[0].at)] - wall)
                                   * 1000)
        stack.stop_executions()
    if not quiet:
        print(f"surge: {crises} crises across {programs} programs posted in {post_s:.1f} s "
              f"(scale {scale})")
        print(f"  primaries paged exactly once: {len(outcome.ladder_s)} of {crises}")
        for v in outcome.violations:
            print(f"    VIOLATION {v}")
        print(f"  intake to first page, ladder s: {distribution(outcome.ladder_s)}")
        print(f"  intake to first page, wall ms:  {distribution(outcome.wall_ms)}")
        print(f"surge: {'FAILED' if outcome.violations else 'passed'}")
    return outcome
