"""4. timeit of the domain hot paths, and the rota computations at size."""

from __future__ import annotations

import statistics
import timeit
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from benchmarks.common import table


def per_call(fn: Callable[[], object], repeat: int = 5) -> tuple[float, float]:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    number = max(1, number // 2)  # ~0.1 s per repeat
    samples = [t / number for t in timer.repeat(repeat=repeat, number=number)]
    return min(samples), statistics.median(samples)


def measure_hot_paths() -> list[tuple[str, float, float]]:
    from boto3.dynamodb.types import TypeSerializer

    from crisis_pager.adapters.dynamo.directory import program_from_raw  # no AWS call: parsing only
    from crisis_pager.domain.incident import Severity
    from crisis_pager.domain.ladder import DEFAULT_POLICIES, parse_policy
    from crisis_pager.domain.replies import parse_reply
    from crisis_pager.domain.rota import rota_from_fields, who_is_on_call
    from local import seed

    program_item = TypeSerializer().serialize(
        {**seed.PROGRAM, "admin_phones": ["+15035550199"], "closed_dates": ["2026-12-25"]}
    )["M"]
    members = ["clin-ana", "clin-ben", "clin-caro"]
    weekly = rota_from_fields("west-iop", "primary", timezone="America/Los_Angeles",
                              handoff="08:00", shift_days=7, starts_on="2026-01-05",
                              members=members)
    gap = rota_from_fields("west-iop", "primary", timezone="America/Los_Angeles",
                           handoff="02:30", shift_days=1, starts_on="2026-01-05",
                           members=members)
    now = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    spring = datetime(2026, 3, 8, 20, 0, tzinfo=UTC)  # the shift began in the DST gap
    high = DEFAULT_POLICIES[Severity.HIGH]
    cases: list[tuple[str, Callable[[], object]]] = [
        ("who_is_on_call (weekly rota)", lambda: who_is_on_call(weekly, now)),
        ("who_is_on_call (handoff in DST gap)", lambda: who_is_on_call(gap, spring)),
        ("parse_reply('A 417')", lambda: parse_reply("A 417")),
        ("parse_reply(unrecognised, 60 chars)",
         lambda: parse_reply("On my way, calling the hotline in two minutes, thanks team")),
        ("parse_policy(default high, 10 rungs)", lambda: parse_policy(high)),
        ("program_from_raw(the demo's program item)",
         lambda: program_from_raw(seed.PROGRAM_ID, program_item)),
    ]
    return [(label, *per_call(fn)) for label, fn in cases]


def print_hot_paths(results: list[tuple[str, float, float]]) -> None:
    print("4. Domain hot paths (timeit; best and median of 5 repeats, us per call)")
    table(["call", "best", "median"],
          [[label, f"{best * 1e6:.2f}", f"{med * 1e6:.2f}"] for label, best, med in results],
          right={1, 2})
    print()


# ----------------------------------------------------------------------------- rotas


def _schedules(n: int) -> list[Any]:
    """n programs, each: weekly primary, 12-hour backup split into weeknight/weekend
    variants with active hours, daily supervisor, and one override."""
    from crisis_pager.domain.rota import rota_from_fields
    from crisis_pager.domain.schedule import Schedule, override_from_fields

    zones = ["America/Los_Angeles", "America/New_York", "America/Denver", "America/Chicago"]
    out = []
    for i in range(n):
        pid, tz = f"program-{i:04d}", zones[i % len(zones)]
        members = [f"clin-{i}-{k}" for k in range(4)]

        def rota(name: str, members: list[str] = members, tz: str = tz, pid: str = pid,
                 **kw: Any) -> Any:
            return rota_from_fields(pid, name, timezone=tz, handoff="08:00",
                                    starts_on="2026-01-05", members=members, **kw)

        rotas = (
            rota("primary", shift_days=7),
            rota("backup#weeknights", shift_hours=12, active=["Mon-Fri 18:00-08:00"],
                 members=members[::-1]),
            rota("backup#weekends", shift_hours=12, active=["Fri-Mon 18:00-08:00",
                                                            "Sat-Sun 08:00-18:00"]),
            rota("supervisor", shift_days=1, members=[f"sup-{i}"]),
        )
        cover = override_from_fields(pid, f"override#primary#{i}", {
            "rota": "primary", "clinician": members[2], "starts": "2026-11-23 18:00",
            "ends": "2026-11-24 08:00", "timezone": tz,
            "created_at": "2026-11-20T10:00:00Z"})
        out.append(Schedule(pid, rotas, (cover,)))
    return out


def measure_rotas() -> list[tuple[str, float, float]]:
    from crisis_pager.domain.program import Clinician
    from crisis_pager.domain.rota import rota_from_fields
    from crisis_pager.domain.schedule import Schedule, coverage, on_call

    schedules = _schedules(1000)
    roles = ["primary", "backup", "supervisor"]
    now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)

    def resolve_all() -> None:
        for schedule in schedules:
            for role in roles:
                on_call(schedule, role, now)

    one = schedules[0]
    ids = {m for r in one.rotas for m in r.members} | {o.clinician_id for o in one.overrides}
    clinicians = {cid: Clinician(cid, cid, "+15035550101") for cid in ids}
    hourly = Schedule("busy", tuple(
        rota_from_fields("busy", role, timezone="America/Los_Angeles", handoff="00:00",
                         shift_hours=1, starts_on="2026-01-05", members=["a", "b", "c"])
        for role in roles))
    hourly_clinicians = {c: Clinician(c, c, "+15035550101") for c in "abc"}
    return [
        ("who is on call: 1,000 programs x 3 rungs (ms)",
         *per_call(resolve_all, repeat=3)),
        ("14-day coverage, one program (4 rotas, 1 override) (ms)",
         *per_call(lambda: coverage(one, roles, clinicians, now, 14), repeat=3)),
        ("14-day coverage, 3 roles of 1-hour shifts (ms)",
         *per_call(lambda: coverage(hourly, roles, hourly_clinicians, now, 14), repeat=3)),
    ]


def print_rotas(results: list[tuple[str, float, float]]) -> None:
    print("5. Rotas (pure domain; best and median of 3 repeats, ms per run). On AWS each "
          "program's schedule is one Query plus a GetItem per clinician looked up.")
    table(["run", "best", "median"],
          [[label, f"{best * 1e3:.1f}", f"{med * 1e3:.1f}"] for label, best, med in results],
          right={1, 2})
    print()
