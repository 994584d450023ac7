"""A program's schedule: roles and their variants, overrides, and coverage reports.

Random schedules keep every edge on a 15-minute UTC grid (quarter-hour handoffs, windows
and overrides; every zone used has quarter-hour offsets and changes on the quarter hour),
so a scan of that grid sees every moment at which an answer can change.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from crisis_pager.domain.errors import InvalidItem
from crisis_pager.domain.program import Clinician
from crisis_pager.domain.rota import (
    SHIFT_HOURS,
    Gap,
    OnCall,
    Rota,
    rota_from_fields,
    who_is_on_call,
)
from crisis_pager.domain.schedule import (
    MAX_OVERRIDE,
    CoverageReport,
    Override,
    Schedule,
    coverage,
    item_role,
    on_call,
    override_from_fields,
)

ZONES = [
    "UTC",
    "Europe/London",
    "America/Los_Angeles",
    "America/St_Johns",
    "Asia/Kathmandu",
    "Pacific/Auckland",
    "Australia/Lord_Howe",
    "America/Santiago",
]
LA = ZoneInfo("America/Los_Angeles")
PROGRAM = "west-iop"
POOL = ("ana", "ben", "cy", "dee")
ROLES = ["primary", "backup"]
QUARTER = timedelta(minutes=15)
TICK = timedelta(microseconds=1)
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def make_rota(
    name: str = "primary",
    *,
    tz: str = "America/Los_Angeles",
    handoff: str = "08:00",
    shift_hours: int | None = None,
    shift_days: int | None = None,
    starts_on: str = "2026-01-01",
    members: tuple[str, ...] = ("ana", "ben", "cy"),
    active: list[str] | None = None,
) -> Rota:
    if shift_hours is None and shift_days is None:
        shift_days = 1
    return rota_from_fields(
        PROGRAM,
        name,
        timezone=tz,
        handoff=handoff,
        shift_hours=shift_hours,
        shift_days=shift_days,
        starts_on=starts_on,
        members=list(members),
        active=active,
    )


def make_override(
    key: str,
    clinician: str,
    starts: datetime,
    ends: datetime,
    created_at: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    role: str | None = None,
) -> Override:
    return Override(
        PROGRAM,
        key,
        role or key.split("#")[1],
        clinician,
        utc(starts),
        utc(ends),
        utc(created_at),
        UTC,
    )


def utc(dt: datetime) -> datetime:
    return dt.astimezone(UTC)


def la(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=LA)


def everyone(*extra: str) -> dict[str, Clinician | InvalidItem | None]:
    return {cid: Clinician(cid, cid.title(), "+15035550100") for cid in (*POOL, *extra)}


def same_answer(a: OnCall | Gap, b: OnCall | Gap) -> bool:
    """Who answers and from which item (the shift bounds aside)."""
    if isinstance(a, Gap) or isinstance(b, Gap):
        return a == b
    return (a.clinician_id, a.source) == (b.clinician_id, b.source)


# ---------------------------------------------------------------- strategies


def subsets(pool: tuple[str, ...], lo: int, hi: int) -> st.SearchStrategy[tuple[str, ...]]:
    """Distinct items of a small pool, in a random order."""
    return st.tuples(st.permutations(pool), st.integers(lo, hi)).map(
        lambda pn: tuple(pn[0][: pn[1]])
    )


quarter_handoffs = st.builds(
    lambda h, q: f"{h:02d}:{15 * q:02d}", st.integers(0, 23), st.integers(0, 3)
)
WINDOW_TEXTS = [
    "Mon-Fri 18:00-08:00",
    "Sat,Sun 00:00-24:00",
    "daily 08:00-20:00",
    "Fri-Mon 20:00-06:00",
    "daily 02:30-03:15",
    "daily 00:00-24:00",
    "Tue-Thu 23:45-01:30",
]
BASE = datetime(2026, 1, 1, tzinfo=UTC)


@functools.cache
def transitions(tz_name: str) -> tuple[datetime, ...]:
    """UTC instants, 2024-2028, where the zone's offset changes (all on the quarter hour)."""
    tz = ZoneInfo(tz_name)
    out = []
    t = datetime(2024, 1, 1, tzinfo=UTC)
    while t < datetime(2029, 1, 1, tzinfo=UTC):
        if t.astimezone(tz).utcoffset() != (t + timedelta(hours=12)).astimezone(tz).utcoffset():
            while t.astimezone(tz).utcoffset() == (t + QUARTER).astimezone(tz).utcoffset():
                t += QUARTER
            out.append(t + QUARTER)
        t += timedelta(hours=12)
    return tuple(out)


@st.composite
def quarter_instants(draw: st.DrawFn, tz: ZoneInfo) -> datetime:
    """A UTC instant on the 15-minute grid: 2024-2028, or near one of the zone's changes."""
    changes = transitions(tz.key)
    if changes and draw(st.booleans()):
        at = draw(st.sampled_from(changes)) + QUARTER * draw(st.integers(-4 * 36, 4 * 12))
    else:
        at = datetime(2024, 1, 1, tzinfo=UTC) + QUARTER * draw(st.integers(0, 4 * 24 * 1826))
    return at


@st.composite
def schedule_rotas(draw: st.DrawFn, near: date) -> tuple[Rota, ...]:
    names = draw(
        subsets(("primary", "primary#days", "primary#nights", "backup", "backup#weekends"), 1, 3)
    )
    out = []
    for name in names:
        hours = draw(st.sampled_from([*SHIFT_HOURS, 24, 48]))
        active = draw(
            st.one_of(
                st.none(),
                subsets(tuple(WINDOW_TEXTS), 1, 2).map(list),
            )
        )
        out.append(
            make_rota(
                name,
                tz=draw(st.sampled_from(ZONES)),
                handoff=draw(quarter_handoffs),
                shift_hours=hours,
                starts_on=(near + timedelta(days=draw(st.integers(-4, 1)))).isoformat(),
                members=tuple(draw(subsets(POOL, 1, 3))),
                active=active,
            )
        )
    return tuple(draw(st.permutations(out)))


@st.composite
def schedule_overrides(
    draw: st.DrawFn, start: datetime, days: int, roles: list[str] = ROLES
) -> tuple[Override, ...]:
    out = []
    for i in range(draw(st.integers(0, 3))):
        role = draw(st.sampled_from(roles))
        s = start + QUARTER * draw(st.integers(-8, 4 * 24 * days))
        e = s + QUARTER * draw(st.integers(1, 4 * 30))
        created = BASE + timedelta(minutes=draw(st.integers(0, 3)))
        out.append(
            make_override(f"override#{role}#{i}", draw(st.sampled_from(POOL)), s, e, created)
        )
    return tuple(out)


@st.composite
def schedules(draw: st.DrawFn, days: int) -> tuple[Schedule, datetime]:
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    start = draw(quarter_instants(zone))
    rotas = draw(schedule_rotas(start.astimezone(zone).date()))
    overrides = draw(schedule_overrides(start, days))
    return Schedule(PROGRAM, rotas, overrides), start


# ---------------------------------------------------------------- roles and variants

WEEKNIGHTS = ["Sun-Thu 20:00-08:00", "Mon-Fri 08:00-20:00"]  # Sun 20:00 until Fri 20:00
WEEKENDS = ["Fri 20:00-24:00", "Sat 00:00-24:00", "Sun 00:00-20:00"]
OLD = "2023-12-01"


def split_week() -> Schedule:
    return Schedule(
        PROGRAM,
        (
            make_rota(
                "primary#weeknights",
                shift_hours=12,
                members=("ana", "ben"),
                starts_on=OLD,
                active=WEEKNIGHTS,
            ),
            make_rota(
                "primary#weekends",
                handoff="20:00",
                shift_days=2,
                members=("cy", "dee"),
                starts_on=OLD,
                active=WEEKENDS,
            ),
            make_rota("backup", members=("dee",)),
        ),
    )


def test_complementary_variants_cover_every_week_across_dst() -> None:
    schedule = split_week()
    for start in (la(2026, 3, 1), la(2026, 10, 25), la(2027, 3, 7)):
        report = coverage(schedule, ["primary"], everyone(), start, days=14)
        assert [p for p in report.problems if p.kind == "gap"] == []
        assert report.ok
        segs = report.segments["primary"]
        assert {s.source for s in segs} == {"rota#primary#weeknights", "rota#primary#weekends"}
        # every change is a handoff (08:00, 20:00) or the weekend's edge (Fri, Sun 20:00)
        assert {s.start.astimezone(LA).time() for s in segs[1:]} == {time(8), time(20)}
        assert {
            s.start.astimezone(LA).weekday()
            for s in segs[1:]
            if s.source == "rota#primary#weekends"
        } <= {4, 5, 6}


@PROPERTY
@given(st.datetimes(datetime(2024, 1, 1), datetime(2029, 1, 1), timezones=st.just(UTC)))
def test_exactly_one_variant_answers_for_the_split_week(instant: datetime) -> None:
    schedule = split_week()
    answers = {r.key: who_is_on_call(r, instant) for r in schedule.rotas_for("primary")}
    covering = [k for k, a in answers.items() if isinstance(a, OnCall)]
    assert len(covering) == 1
    result = on_call(schedule, "primary", instant)
    assert isinstance(result, OnCall) and result.source == covering[0]
    weekend = instant.astimezone(LA)
    in_weekend = (
        (weekend.weekday() == 4 and weekend.hour >= 20)
        or weekend.weekday() == 5
        or (weekend.weekday() == 6 and weekend.hour < 20)
    )
    assert (covering[0] == "rota#primary#weekends") == in_weekend


def test_the_first_variant_in_key_order_answers_when_both_cover() -> None:
    b = make_rota("primary#zz", members=("ben",))
    a = make_rota("primary#aa", members=("ana",))
    base = make_rota("primary", members=("cy",))
    at = la(2026, 6, 3, 12)
    for rotas in [(b, a), (a, b)]:
        result = on_call(Schedule(PROGRAM, rotas), "primary", at)
        assert isinstance(result, OnCall)
        assert (result.clinician_id, result.source) == ("ana", "rota#primary#aa")
    result = on_call(Schedule(PROGRAM, (b, a, base)), "primary", at)
    assert isinstance(result, OnCall) and result.source == "rota#primary"


def test_a_later_variant_answers_when_the_first_has_a_gap_and_gaps_name_every_rota() -> None:
    first = make_rota("primary#aa", members=("ana",), active=["Mon-Fri 08:00-18:00"])
    second = make_rota("primary#bb", members=("ben",), active=["Sat 08:00-18:00"])
    schedule = Schedule(PROGRAM, (second, first))
    saturday = on_call(schedule, "primary", la(2026, 6, 6, 12))
    assert isinstance(saturday, OnCall) and saturday.source == "rota#primary#bb"
    sunday = on_call(schedule, "primary", la(2026, 6, 7, 12))
    assert isinstance(sunday, Gap)
    for part in ("primary#aa", "Mon-Fri 08:00-18:00", "primary#bb", "Sat 08:00-18:00"):
        assert part in sunday.reason
    assert sunday.reason.index("primary#aa") < sunday.reason.index("primary#bb")


def test_a_role_without_rotas_is_a_gap_naming_the_missing_item() -> None:
    result = on_call(Schedule(PROGRAM, (make_rota("primary"),)), "backup", la(2026, 6, 6))
    assert isinstance(result, Gap)
    assert "rota#backup" in result.reason and PROGRAM in result.reason


def test_roles_and_rotas_for() -> None:
    schedule = Schedule(
        PROGRAM,
        (
            make_rota("primary#b"),
            make_rota("backup"),
            make_rota("primary#a"),
            make_rota("primary-two"),
        ),
        (make_override("override#supervisor#1", "ana", la(2026, 1, 1), la(2026, 1, 2)),),
    )
    assert schedule.roles == ["backup", "primary", "primary-two", "supervisor"]
    assert [r.key for r in schedule.rotas_for("primary")] == ["rota#primary#a", "rota#primary#b"]


@pytest.mark.parametrize(
    ("key", "role"),
    [
        ("west-iop / rota#primary#nights", "primary"),
        ("west-iop / rota#primary", "primary"),
        ("rota#backup", "backup"),
        ("west-iop / override#supervisor#2026-11-24#a1", "supervisor"),
        ("west-iop / program", None),
        ("west-iop / rota", None),
        ("clin-ana", None),
        ("west-iop / shift#primary", None),
    ],
)
def test_item_role(key: str, role: str | None) -> None:
    assert item_role(key) == role


# ---------------------------------------------------------------- overrides


def local_text(instant: datetime, tz: ZoneInfo) -> str:
    return instant.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def exists_once(tz: ZoneInfo, instant: datetime) -> bool:
    """Whether the instant's local wall time maps back to it (not the second pass of a fold).
    Every instant's wall time exists, so it is never in a spring-forward gap."""
    naive = instant.astimezone(tz).replace(tzinfo=None)
    return naive.replace(tzinfo=tz, fold=0).astimezone(UTC) == instant


@st.composite
def override_case(draw: st.DrawFn) -> tuple[Schedule, Override, datetime]:
    schedule, start = draw(schedules(days=2))
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    s = start + QUARTER * draw(st.integers(0, 4 * 48))
    e = s + QUARTER * draw(st.integers(1, 4 * 72))
    assume(exists_once(tz, s) and exists_once(tz, e))
    role = draw(st.sampled_from(ROLES))
    override = override_from_fields(
        PROGRAM,
        f"override#{role}#x",
        {
            "rota": role,
            "clinician": "eve",
            "timezone": tz.key,
            "starts": local_text(s, tz),
            "ends": local_text(e, tz),
            "created_at": "2026-01-01T00:00:00Z",
        },
    )
    assert (override.starts, override.ends) == (s, e)
    inside = s + TICK * draw(st.integers(0, (e - s) // TICK - 1))
    return Schedule(PROGRAM, schedule.rotas), override, inside


@PROPERTY
@given(override_case())
def test_an_override_wins_inside_its_window_only(
    case: tuple[Schedule, Override, datetime],
) -> None:
    plain, override, inside = case
    schedule = Schedule(PROGRAM, plain.rotas, (override,))
    role, s, e = override.role, override.starts, override.ends
    for at in (s, inside, e - TICK):
        result = on_call(schedule, role, at)
        assert isinstance(result, OnCall)
        assert (result.clinician_id, result.source) == ("eve", override.key)
        assert (utc(result.shift_start), utc(result.shift_end)) == (s, e)
    before = on_call(schedule, role, s - TICK)
    rota_before = on_call(plain, role, s - TICK)
    assert same_answer(before, rota_before)
    if isinstance(rota_before, OnCall):
        assert isinstance(before, OnCall)
        assert utc(before.shift_start) == utc(rota_before.shift_start)
        assert utc(before.shift_end) == min(utc(rota_before.shift_end), s)  # cut at s
    assert on_call(schedule, role, e) == on_call(plain, role, e)
    other = "backup" if role == "primary" else "primary"
    for at in (s - TICK, s, inside, e - TICK, e):
        assert on_call(schedule, other, at) == on_call(plain, other, at)


@st.composite
def overlapping_case(draw: st.DrawFn) -> tuple[Schedule, datetime]:
    schedule, start = draw(schedules(days=1))
    at = start + TICK * draw(st.integers(0, 10 * 3600 * 10**6))
    overrides = []
    for i in range(draw(st.integers(1, 4))):
        s = at - QUARTER * draw(st.integers(-2, 12)) - TICK * draw(st.integers(0, 10**6))
        e = s + QUARTER * draw(st.integers(1, 24))
        created = BASE + timedelta(minutes=draw(st.integers(0, 2)))  # ties are common
        key = f"override#primary#{draw(st.sampled_from('abcdefgh'))}{i}"
        overrides.append(make_override(key, draw(st.sampled_from(POOL)), s, e, created))
    return Schedule(PROGRAM, schedule.rotas, tuple(overrides)), at


@PROPERTY
@given(overlapping_case())
def test_overlapping_overrides_the_latest_created_wins_then_the_greater_key(
    case: tuple[Schedule, datetime],
) -> None:
    schedule, at = case
    covering = [o for o in schedule.overrides if o.starts <= at < o.ends]
    event(f"covering overrides: {len(covering)}")
    result = on_call(schedule, "primary", at)
    if not covering:
        assert same_answer(result, on_call(Schedule(PROGRAM, schedule.rotas), "primary", at))
        return
    latest = max(o.created_at for o in covering)
    winner = max((o for o in covering if o.created_at == latest), key=lambda o: o.key)
    assert isinstance(result, OnCall)
    assert (result.clinician_id, result.source) == (winner.clinician_id, winner.key)


def test_created_at_ties_compare_instants_and_the_greater_key_wins() -> None:
    common = {
        "rota": "primary",
        "timezone": "America/Los_Angeles",
        "starts": "2026-11-24 18:00",
        "ends": "2026-11-25 08:00",
    }
    older = override_from_fields(
        PROGRAM,
        "override#primary#c",
        {**common, "clinician": "cy", "created_at": "2026-11-20T10:15:00Z"},
    )
    a = override_from_fields(
        PROGRAM,
        "override#primary#a",
        {**common, "clinician": "ana", "created_at": "2026-11-20T03:16:00-08:00"},
    )
    b = override_from_fields(
        PROGRAM,
        "override#primary#b",
        {**common, "clinician": "ben", "created_at": "2026-11-20T11:16:00Z"},
    )
    at = la(2026, 11, 24, 22)
    result = on_call(Schedule(PROGRAM, (make_rota(),), (b, older, a)), "primary", at)
    assert isinstance(result, OnCall) and (result.clinician_id, result.source) == (
        "ben",
        "override#primary#b",
    )
    newest = override_from_fields(
        PROGRAM,
        "override#primary#0",
        {**common, "clinician": "dee", "created_at": "2026-11-20T11:17:00Z"},
    )
    result = on_call(Schedule(PROGRAM, (make_rota(),), (b, newest, a)), "primary", at)
    assert isinstance(result, OnCall) and result.clinician_id == "dee"


def test_a_rota_answer_just_before_an_override_ends_at_its_start() -> None:
    schedule = Schedule(
        PROGRAM,
        (make_rota(),),
        (
            make_override("override#primary#1", "eve", la(2026, 6, 3, 14), la(2026, 6, 3, 16)),
            make_override("override#primary#2", "eve", la(2026, 6, 3, 18), la(2026, 6, 3, 19)),
            make_override("override#backup#1", "eve", la(2026, 6, 3, 10), la(2026, 6, 3, 11)),
        ),
    )
    morning = on_call(schedule, "primary", la(2026, 6, 3, 9))
    assert isinstance(morning, OnCall)
    assert morning.shift_start == la(2026, 6, 3, 8)
    assert morning.shift_end == la(2026, 6, 3, 14)  # the first override's start, not 18:00
    assert morning.shift_end.utcoffset() == timedelta(hours=-7)
    between = on_call(schedule, "primary", la(2026, 6, 3, 16))
    assert isinstance(between, OnCall) and between.shift_end == la(2026, 6, 3, 18)
    evening = on_call(schedule, "primary", la(2026, 6, 3, 19))
    assert isinstance(evening, OnCall) and evening.shift_end == la(2026, 6, 4, 8)


def test_an_override_starting_in_a_spring_forward_gap_starts_when_the_gap_ends() -> None:
    override = override_from_fields(
        PROGRAM,
        "override#primary#dst",
        {
            "rota": "primary",
            "clinician": "eve",
            "timezone": "America/Los_Angeles",
            "starts": "2026-03-08 02:30",
            "ends": "2026-03-08 05:00",
            "created_at": "2026-03-01T00:00:00Z",
        },
    )
    rota = make_rota(handoff="02:30", starts_on="2026-03-01")
    schedule = Schedule(PROGRAM, (rota,), (override,))
    at = datetime(2026, 3, 8, 10, 10, tzinfo=UTC)  # 03:10 PDT
    result = on_call(schedule, "primary", at)
    assert isinstance(result, OnCall) and result.source == override.key
    assert override.starts == datetime(2026, 3, 8, 10, 0, tzinfo=UTC)


def test_an_override_in_the_repeated_hour_starts_at_its_first_occurrence() -> None:
    override = override_from_fields(
        PROGRAM,
        "override#primary#fold",
        {
            "rota": "primary",
            "clinician": "eve",
            "timezone": "America/Los_Angeles",
            "starts": "2026-11-01 01:30",
            "ends": "2026-11-01T01:45",
            "created_at": "2026-10-01T00:00:00+02:00",
        },
    )
    assert override.starts == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)  # 01:30 PDT
    assert override.ends == datetime(2026, 11, 1, 8, 45, tzinfo=UTC)
    assert override.created_at == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)


OVERRIDE = {
    "rota": "primary",
    "clinician": "clin-eve",
    "timezone": "America/Los_Angeles",
    "starts": "2026-11-24 18:00",
    "ends": "2026-11-25 08:00",
    "created_at": "2026-11-20T10:15:00Z",
}


def test_a_valid_override_reads() -> None:
    o = override_from_fields(PROGRAM, "override#primary#2026-11-24#a1", OVERRIDE)
    assert (o.role, o.clinician_id, o.key) == (
        "primary",
        "clin-eve",
        "override#primary#2026-11-24#a1",
    )
    assert o.starts == datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    assert o.ends == datetime(2026, 11, 25, 16, 0, tzinfo=UTC)
    assert o.covers(o.starts) and not o.covers(o.ends)
    longest = override_from_fields(
        PROGRAM,
        "override#primary#long",
        {**OVERRIDE, "starts": "2026-01-01 00:00", "ends": "2026-03-04 00:00", "timezone": "UTC"},
    )
    assert longest.ends - longest.starts == MAX_OVERRIDE


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"rota": None}, "rota", "not a role"),
        ({"rota": "Primary"}, "rota", "Primary"),
        ({"rota": "primary#nights"}, "rota", "not a role"),
        ({"clinician": None}, "clinician", "missing"),
        ({"clinician": ""}, "clinician", "missing"),
        ({"clinician": 42}, "clinician", "missing"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Mars/Olympus_Mons"),
        ({"timezone": None}, "timezone", "not a known IANA"),
        ({"timezone": ""}, "timezone", "not a known IANA"),
        ({"timezone": "../etc/passwd"}, "timezone", "not a known IANA"),
        ({"starts": "tomorrow"}, "starts", "tomorrow"),
        ({"starts": None}, "starts", "local time"),
        ({"starts": "2026-11-24T18:00Z"}, "starts", "local time"),
        ({"starts": "2026-11-24 18:00:00"}, "starts", "local time"),
        ({"starts": "2026-02-30 18:00"}, "starts", "not a real date"),
        ({"ends": "2026-11-24 24:00"}, "ends", "not a real date"),
        ({"ends": "2026-11-24 17:00"}, "ends", "not after starts"),
        ({"ends": "2026-11-24 18:00"}, "ends", "not after starts"),
        ({"ends": "2027-01-25 18:01"}, "ends", "longer than 62 days"),
        ({"created_at": "2026-11-20T10:15:00"}, "created_at", "with its offset"),
        ({"created_at": "yesterday"}, "created_at", "yesterday"),
        ({"created_at": None}, "created_at", "ISO 8601"),
    ],
)
def test_each_invalid_override_field_is_named(
    changes: dict[str, object], field: str, says: str
) -> None:
    fields = {k: v for k, v in {**OVERRIDE, **changes}.items() if v is not None}
    with pytest.raises(InvalidItem) as info:
        override_from_fields(PROGRAM, "override#primary#x", fields)
    exc = info.value
    assert (exc.table, exc.key, exc.field) == ("programs", f"{PROGRAM} / override#primary#x", field)
    assert f"'{field}'" in str(exc) and says in str(exc)


@pytest.mark.parametrize("clinician", ["clin-ana\n", "Clin Ana", " "])
def test_an_override_clinician_is_a_clinician_id(clinician: str) -> None:
    with pytest.raises(InvalidItem) as info:
        override_from_fields(PROGRAM, "override#primary#x", {**OVERRIDE, "clinician": clinician})
    assert info.value.field == "clinician"


# ---------------------------------------------------------------- coverage


def check_tiling(report: CoverageReport, schedule: Schedule, role: str) -> None:
    segs = report.segments[role]
    assert segs and segs[0].start == report.start and segs[-1].end == report.end
    for prev, seg in zip(segs, segs[1:], strict=False):
        assert prev.end == seg.start
        assert (prev.clinician_id, prev.source, prev.gap_reason) != (
            seg.clinician_id,
            seg.source,
            seg.gap_reason,
        ), "adjacent equal segments not merged"
    for seg in segs:
        assert seg.start < seg.end and seg.role == role
        assert (seg.start - BASE) % QUARTER == timedelta(0)  # edges lie on the grid
        for at in (seg.start, seg.end - TICK):
            answer = on_call(schedule, role, at)
            if isinstance(answer, Gap):
                assert (seg.clinician_id, seg.source, seg.gap_reason) == (None, None, answer.reason)
            else:
                assert (seg.clinician_id, seg.source, seg.gap_reason) == (
                    answer.clinician_id,
                    answer.source,
                    None,
                )


@st.composite
def coverage_case(draw: st.DrawFn) -> tuple[Schedule, datetime, int]:
    days = draw(st.integers(1, 2))
    schedule, start = draw(schedules(days))
    return schedule, start, days


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coverage_case())
def test_coverage_segments_tile_the_period_and_match_on_call(
    case: tuple[Schedule, datetime, int],
) -> None:
    schedule, start, days = case
    report = coverage(schedule, ROLES, everyone(), start, days)
    assert (report.start, report.end) == (start, start + timedelta(days=days))
    for role in ROLES:
        check_tiling(report, schedule, role)
    gaps = {(p.role, p.start, p.end) for p in report.problems if p.kind == "gap"}
    event(f"segments: {min(sum(len(v) for v in report.segments.values()) // 5 * 5, 20)}+")
    expected = {
        (s.role, s.start, s.end)
        for role in ROLES
        for s in report.segments[role]
        if s.clinician_id is None
    }
    assert gaps == expected
    assert report.ok == (not gaps and not [p for p in report.problems if p.kind == "same_person"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedules(days=1))
def test_same_person_problems_exactly_when_adjacent_roles_share_a_clinician(
    case: tuple[Schedule, datetime],
) -> None:
    """Brute force: every answer changes on the 15-minute grid (checked), so scanning the
    grid over the day sees every moment two adjacent roles could share a clinician."""
    schedule, start = case
    report = coverage(schedule, ROLES, everyone(), start, 1)
    for role in ROLES:
        assert all((seg.start - BASE) % QUARTER == timedelta(0) for seg in report.segments[role])
    flagged: dict[datetime, str] = {}
    for p in report.problems:
        if p.kind != "same_person":
            continue
        assert p.role == "backup" and p.start is not None and p.end is not None
        assert p.start < p.end and "primary" in p.message and "backup" in p.message
        at = p.start
        while at < p.end:
            assert at not in flagged, "overlapping same_person problems"
            flagged[at] = p.message
            at += QUARTER
    for k in range(4 * 24):
        at = start + QUARTER * k
        upper, lower = on_call(schedule, "primary", at), on_call(schedule, "backup", at)
        shared = (
            isinstance(upper, OnCall)
            and isinstance(lower, OnCall)
            and upper.clinician_id == lower.clinician_id
        )
        assert shared == (at in flagged), at
        if shared:
            assert isinstance(upper, OnCall)
            assert f"'{upper.clinician_id}'" in flagged[at]
    event(f"same_person problems: {min(len(flagged), 1)}")


def test_a_gap_problem_names_the_role_and_its_window_in_the_display_zone() -> None:
    schedule = Schedule(
        PROGRAM,
        (
            make_rota("backup", starts_on="2026-03-10", members=("dee",)),
            make_rota("primary", tz="Europe/London"),
        ),
    )
    report = coverage(schedule, ["primary", "backup"], everyone(), la(2026, 3, 7), days=5)
    assert report.zone == LA  # the first rota's zone
    (gap,) = [p for p in report.problems if p.kind == "gap"]
    assert gap.role == "backup"
    assert (gap.start, gap.end) == (utc(la(2026, 3, 7)), utc(la(2026, 3, 10, 8)))
    assert "backup" in gap.message
    assert "Sat 07 Mar 00:00 PST" in gap.message and "Tue 10 Mar 08:00 PDT" in gap.message
    assert "2026-03-10" in gap.message  # the rota's own reason
    assert report.first_gap() == gap and not report.ok


def test_unknown_and_invalid_clinicians_are_reported_and_cannot_be_paged() -> None:
    schedule = Schedule(
        PROGRAM, (make_rota("primary", starts_on="2026-06-01", members=("ana", "ghost", "broken")),)
    )
    broken = InvalidItem("clinicians", "broken", "phone", "'555' is not an E.164 number")
    clinicians = {**everyone(), "ghost": None, "broken": broken}
    report = coverage(schedule, ["primary"], clinicians, la(2026, 6, 1, 8), days=3)
    kinds = [(p.kind, p.message) for p in report.problems]
    assert ("unknown_clinician", "'ghost' is on a rota but has no clinician item") in kinds
    assert ("invalid_item", str(broken)) in kinds
    gaps = [p for p in report.problems if p.kind == "gap"]
    assert [(p.start, p.end) for p in gaps] == [
        (utc(la(2026, 6, 2, 8)), utc(la(2026, 6, 3, 8))),
        (utc(la(2026, 6, 3, 8)), utc(la(2026, 6, 4, 8))),
    ]
    assert "'ghost' cannot be paged" in gaps[0].message
    assert "'broken' cannot be paged" in gaps[1].message


def test_invalid_items_are_problems_and_their_role_falls_back_to_a_gap_naming_them() -> None:
    bad_rota = InvalidItem(
        "programs", f"{PROGRAM} / rota#backup", "shift_hours", "5 does not divide a day"
    )
    bad_override = InvalidItem(
        "programs", f"{PROGRAM} / override#backup#x", "ends", "is not after starts"
    )
    other = InvalidItem("programs", f"{PROGRAM} / rota#supervisor", "members", "is empty")
    schedule = Schedule(PROGRAM, (make_rota("primary"),), (), (bad_rota, bad_override, other))
    answer = on_call(schedule, "backup", la(2026, 6, 1, 12))
    assert isinstance(answer, Gap)
    assert str(bad_rota) in answer.reason and str(bad_override) in answer.reason
    assert str(other) not in answer.reason
    report = coverage(schedule, ["primary", "backup"], everyone(), la(2026, 6, 1), days=1)
    invalid = [p.message for p in report.problems if p.kind == "invalid_item"]
    assert invalid == [str(bad_rota), str(bad_override), str(other)]
    (gap,) = [p for p in report.problems if p.kind == "gap"]
    assert gap.role == "backup" and "shift_hours" in gap.message and "'ends'" in gap.message
    # a valid rota of the role still covers; the invalid item stays a reported problem
    fixed = Schedule(
        PROGRAM, (make_rota("primary"), make_rota("backup#b", members=("dee",))), (), (bad_rota,)
    )
    report = coverage(fixed, ["primary", "backup"], everyone(), la(2026, 6, 1), days=1)
    assert [p.kind for p in report.problems] == ["invalid_item"]


def test_overrides_appear_in_coverage_segments() -> None:
    schedule = Schedule(
        PROGRAM,
        (make_rota(members=("ana",)),),
        (
            make_override("override#primary#1", "ben", la(2026, 6, 1, 12), la(2026, 6, 1, 14)),
            make_override(
                "override#primary#2",
                "cy",
                la(2026, 6, 1, 13),
                la(2026, 6, 1, 15),
                created_at=datetime(2026, 2, 1, tzinfo=UTC),
            ),
        ),
    )
    report = coverage(schedule, ["primary"], everyone(), la(2026, 6, 1, 10), days=1)
    assert [
        (s.clinician_id, s.start.astimezone(LA).hour, s.end.astimezone(LA).hour)
        for s in report.segments["primary"]
    ] == [("ana", 10, 12), ("ben", 12, 13), ("cy", 13, 15), ("ana", 15, 10)]
