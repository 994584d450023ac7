"""Rotas with ``shift_hours`` and rotas with active hours, checked against an oracle.

The oracle is written here, from the documented rules, without the module's helpers: shift
``i`` starts at the local wall time ``handoff + i * shift_hours`` counted from ``starts_on``;
a wall time maps to its first occurrence in a fall-back fold and to the first instant after
a spring-forward gap. Instants are compared in UTC (aware datetimes sharing a tzinfo compare
by wall clock, ignoring fold).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from crisis_pager.domain.errors import InvalidItem
from crisis_pager.domain.rota import (
    SHIFT_HOURS,
    Gap,
    OnCall,
    Rota,
    rota_from_fields,
    who_is_on_call,
)
from tests.unit.oracles import oracle_instant, transitions, utc, wall

ZONES = [
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Dublin",  # negative DST in tzdata
    "America/Los_Angeles",
    "America/New_York",
    "America/St_Johns",  # -03:30 / -02:30
    "America/Santiago",  # springs forward at midnight
    "America/Havana",  # springs forward at midnight
    "Asia/Kathmandu",  # +05:45
    "Asia/Kolkata",
    "Pacific/Auckland",
    "Pacific/Chatham",  # +12:45 / +13:45
    "Australia/Lord_Howe",  # half-hour DST
    "Australia/Sydney",
    "Antarctica/Troll",  # two-hour DST
    "Africa/Casablanca",
]
LA = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_DST = timedelta(hours=2)  # the largest offset change among ZONES (Troll)
MEMBERS = ("clin-ana", "clin-ben", "clin-cy", "clin-dee", "clin-eve")


def make_rota(
    tz: str = "America/Los_Angeles",
    handoff: str = "08:00",
    shift_hours: int = 12,
    starts_on: str = "2026-01-01",
    members: tuple[str, ...] = ("clin-ana", "clin-ben", "clin-cy"),
    active: list[str] | None = None,
    name: str = "primary",
) -> Rota:
    return rota_from_fields(
        "prog-1",
        name,
        timezone=tz,
        handoff=handoff,
        shift_hours=shift_hours,
        starts_on=starts_on,
        members=list(members),
        active=active,
    )




# ---------------------------------------------------------------- oracle


def in_spring_gap(tz: ZoneInfo, naive: datetime) -> bool:
    return wall(tz, naive.replace(tzinfo=tz, fold=0).astimezone(UTC)) != naive


def slot_wall(rota: Rota, index: int) -> datetime:
    """The nominal local wall time shift ``index`` starts."""
    per_day = 24 // rota.shift_hours
    day = rota.starts_on + timedelta(days=index // per_day)
    at = datetime.combine(day, rota.handoff)
    return at + timedelta(hours=rota.shift_hours * (index % per_day))


def slot_instant(rota: Rota, index: int) -> datetime:
    return oracle_instant(rota.timezone, slot_wall(rota, index))


def expected_index(rota: Rota, instant: datetime) -> int:
    """The greatest shift index whose start is at or before ``instant``."""
    elapsed = wall(rota.timezone, instant) - datetime.combine(rota.starts_on, rota.handoff)
    estimate = elapsed // timedelta(hours=rota.shift_hours)
    reach = 3 + MAX_DST // timedelta(hours=rota.shift_hours)
    lo, hi = estimate - reach, estimate + reach
    assert slot_instant(rota, lo) <= utc(instant) < slot_instant(rota, hi), "oracle window"
    return max(i for i in range(lo, hi) if slot_instant(rota, i) <= utc(instant))


def aligned(rota: Rota, local: datetime) -> bool:
    """Whether a local wall time is handoff + k * shift_hours (mod 24 h)."""
    minutes = local.hour * 60 + local.minute - (rota.handoff.hour * 60 + rota.handoff.minute)
    return local.second == 0 and minutes % (rota.shift_hours * 60) == 0




# ---------------------------------------------------------------- strategies


def subsets(pool: tuple[str, ...], lo: int, hi: int) -> st.SearchStrategy[tuple[str, ...]]:
    """Distinct items of a small pool, in a random order."""
    return st.tuples(st.permutations(pool), st.integers(lo, hi)).map(
        lambda pn: tuple(pn[0][: pn[1]])
    )


handoffs = st.one_of(
    st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59)),
    st.sampled_from(
        [
            "00:00",
            "00:30",
            "01:00",
            "01:30",
            "02:00",
            "02:15",
            "02:30",
            "03:00",
            "08:00",
            "20:00",
            "23:30",
        ]
    ),
)


@st.composite
def hour_rotas(draw: st.DrawFn, active: list[str] | None = None) -> Rota:
    return make_rota(
        tz=draw(st.sampled_from(ZONES)),
        handoff=draw(handoffs),
        shift_hours=draw(st.sampled_from(SHIFT_HOURS)),
        starts_on=draw(st.dates(date(2024, 1, 1), date(2028, 6, 30))).isoformat(),
        members=tuple(draw(subsets(MEMBERS, 1, 5))),
        active=active,
    )


@st.composite
def instants_for(draw: st.DrawFn, tz: ZoneInfo) -> datetime:
    """Anywhere in 2024-2028, or within two days or six hours of one of the zone's changes."""
    changes = transitions(tz.key)
    near = draw(st.sampled_from([0, 6 * 3600, 2 * 86400]))
    if changes and near:
        return draw(st.sampled_from(changes)) + timedelta(seconds=draw(st.integers(-near, near)))
    return draw(st.datetimes(datetime(2024, 1, 1), datetime(2029, 1, 1), timezones=st.just(UTC)))


@st.composite
def rota_and_instant(draw: st.DrawFn) -> tuple[Rota, datetime]:
    rota = draw(hour_rotas())
    instant = draw(instants_for(rota.timezone))
    how = draw(st.sampled_from(["utc", "own", "other"]))
    if how == "own":
        instant = instant.astimezone(rota.timezone)
    elif how == "other":
        instant = instant.astimezone(ZoneInfo("Asia/Tokyo"))
    return rota, instant


# ---------------------------------------------------------------- shift_hours properties


@PROPERTY
@given(rota_and_instant())
def test_exactly_one_member_on_call_or_a_gap_as_the_oracle_says(
    case: tuple[Rota, datetime],
) -> None:
    rota, instant = case
    index = expected_index(rota, instant)
    result = who_is_on_call(rota, instant)
    if index < 0:
        assert isinstance(result, Gap)
        assert rota.name in result.reason and rota.starts_on.isoformat() in result.reason
        return
    assert isinstance(result, OnCall)
    assert result.clinician_id == rota.members[index % len(rota.members)]
    assert result.source == "rota#primary"
    assert utc(result.shift_start) == slot_instant(rota, index)
    assert utc(result.shift_end) == slot_instant(rota, index + 1)
    assert utc(result.shift_start) <= utc(instant) < utc(result.shift_end)
    assert result.shift_start.tzinfo == rota.timezone


@PROPERTY
@given(rota_and_instant())
def test_every_shift_starts_at_a_handoff_wall_time_or_right_after_a_gap(
    case: tuple[Rota, datetime],
) -> None:
    rota, instant = case
    result = who_is_on_call(rota, instant)
    if isinstance(result, Gap):
        return
    for edge in (utc(result.shift_start), utc(result.shift_end)):
        local = wall(rota.timezone, edge)
        if aligned(rota, local):
            # a fold's wall time is taken at its first occurrence
            assert oracle_instant(rota.timezone, local) == edge
            continue
        event("a shift edge right after a spring-forward gap")
        # Otherwise the nominal handoff fell in a spring-forward gap: the edge is the
        # first instant after it, and the skipped wall times include an aligned one.
        before = wall(rota.timezone, edge - timedelta(seconds=1))
        assert edge.astimezone(rota.timezone).utcoffset() > (
            (edge - timedelta(seconds=1)).astimezone(rota.timezone).utcoffset()
        ), f"{local} is not a handoff wall time and not the end of a gap"
        first = before.replace(second=0) + timedelta(minutes=1)
        skipped = [first + timedelta(minutes=m) for m in range(3 * 60)]
        assert any(
            aligned(rota, w) and in_spring_gap(rota.timezone, w) for w in skipped if w < local
        )


@PROPERTY
@given(rota_and_instant())
def test_shifts_tile_time(case: tuple[Rota, datetime]) -> None:
    rota, instant = case
    current = who_is_on_call(rota, instant)
    if isinstance(current, Gap):
        return
    start, end = utc(current.shift_start), utc(current.shift_end)
    length = end - start
    assert timedelta(0) < length
    assert abs(length - timedelta(hours=rota.shift_hours)) <= MAX_DST
    assert who_is_on_call(rota, end - timedelta(microseconds=1)) == current
    assert who_is_on_call(rota, start) == current
    after = who_is_on_call(rota, end)
    assert isinstance(after, OnCall) and utc(after.shift_start) == end
    before = who_is_on_call(rota, start - timedelta(microseconds=1))
    if isinstance(before, OnCall):
        assert utc(before.shift_end) == start
    else:
        assert start == slot_instant(rota, 0)


@st.composite
def rota_and_day(draw: st.DrawFn) -> tuple[Rota, date]:
    rota = draw(hour_rotas())
    changes = transitions(rota.timezone.key)
    if changes and draw(st.booleans()):
        return rota, draw(st.sampled_from(changes)).astimezone(rota.timezone).date()
    return rota, draw(st.dates(date(2024, 1, 1), date(2028, 12, 31)))


@settings(max_examples=60, deadline=None)
@given(rota_and_day())
def test_a_local_day_hands_over_at_each_slot_time_that_exists(case: tuple[Rota, date]) -> None:
    """Walking handoff to handoff across a local day meets every aligned wall time that day
    (a skipped one at the end of its gap), in order."""
    rota, day = case
    tz = rota.timezone
    midnight = oracle_instant(tz, datetime.combine(day, time(0)))
    next_midnight = oracle_instant(tz, datetime.combine(day + timedelta(days=1), time(0)))
    if isinstance(who_is_on_call(rota, midnight), Gap):
        return  # the rota starts later
    seen = []
    at = midnight
    while True:
        answer = who_is_on_call(rota, at)
        assert isinstance(answer, OnCall)
        at = utc(answer.shift_end)
        if at >= next_midnight:
            break
        seen.append(at)
    first_slot = datetime.combine(day, rota.handoff) - timedelta(hours=24)
    nominal = [
        first_slot + timedelta(hours=rota.shift_hours * k)
        for k in range(2 * rota.slots_per_day + 1)
    ]
    nominal = [w for w in nominal if w.date() == day and w.time() != time(0)]
    expected = sorted({oracle_instant(tz, w) for w in nominal} - {midnight})
    assert seen == [e for e in expected if e < next_midnight]


# ---------------------------------------------------------------- concrete DST days


def la(y: int, mo: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=LA)


@pytest.mark.parametrize(
    ("tz", "day", "night_hours"),
    [
        (LA, date(2026, 3, 8), 11),  # Sat 20:00 PST -> Sun 08:00 PDT
        (LA, date(2026, 11, 1), 13),  # Sat 20:00 PDT -> Sun 08:00 PST
        (LONDON, date(2026, 3, 29), 11),
        (LONDON, date(2026, 10, 25), 13),
        (LA, date(2026, 3, 9), 12),
    ],
)
def test_a_12_hour_rota_hands_over_at_0800_and_2000_on_dst_days(
    tz: ZoneInfo, day: date, night_hours: int
) -> None:
    rota = make_rota(tz=tz.key, handoff="08:00", shift_hours=12, starts_on="2026-01-01")
    night = who_is_on_call(rota, datetime.combine(day, time(5), tzinfo=tz))
    assert isinstance(night, OnCall)
    assert wall(tz, night.shift_start) == datetime.combine(day - timedelta(days=1), time(20))
    assert wall(tz, night.shift_end) == datetime.combine(day, time(8))
    assert utc(night.shift_end) - utc(night.shift_start) == timedelta(hours=night_hours)
    daytime = who_is_on_call(rota, night.shift_end)
    assert isinstance(daytime, OnCall)
    assert wall(tz, daytime.shift_end) == datetime.combine(day, time(20))
    assert utc(daytime.shift_end) - utc(daytime.shift_start) == timedelta(hours=12)
    # the rotation advances one member per shift, whatever the shift's length
    n = (day - date(2026, 1, 1)).days * 2
    assert night.clinician_id == rota.members[(n - 1) % 3]
    assert daytime.clinician_id == rota.members[n % 3]


def test_a_12_hour_rota_with_handoff_in_the_gap_hands_over_after_it() -> None:
    rota = make_rota(handoff="02:30", shift_hours=12, starts_on="2026-03-01")
    on_call = who_is_on_call(rota, la(2026, 3, 8, 4, 0))
    assert isinstance(on_call, OnCall)
    assert utc(on_call.shift_start) == datetime(2026, 3, 8, 10, 0, tzinfo=UTC)  # 03:00 PDT
    assert wall(LA, on_call.shift_end) == datetime(2026, 3, 8, 14, 30)
    assert utc(on_call.shift_end) - utc(on_call.shift_start) == timedelta(hours=11, minutes=30)


def test_hourly_shifts_skip_the_hour_that_does_not_exist() -> None:
    rota = make_rota(handoff="00:00", shift_hours=1, starts_on="2026-03-08", members=tuple(MEMBERS))
    at_one = who_is_on_call(rota, la(2026, 3, 8, 1, 30))
    assert isinstance(at_one, OnCall)
    assert wall(LA, at_one.shift_end) == datetime(2026, 3, 8, 3, 0)
    assert utc(at_one.shift_end) - utc(at_one.shift_start) == timedelta(hours=1)
    at_three = who_is_on_call(rota, la(2026, 3, 8, 3, 0))
    assert isinstance(at_three, OnCall)
    assert at_three.clinician_id == MEMBERS[3]  # the 02:00 shift (index 2) never runs


def test_hourly_shift_in_the_repeated_hour_lasts_two_hours() -> None:
    rota = make_rota(handoff="00:00", shift_hours=1, starts_on="2026-11-01")
    # 01:00 PDT (08:00 UTC) until 02:00 PST (10:00 UTC), through both passes of 01:xx
    on_call = who_is_on_call(rota, datetime(2026, 11, 1, 9, 30, tzinfo=UTC))
    assert isinstance(on_call, OnCall)
    assert utc(on_call.shift_start) == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    assert utc(on_call.shift_end) == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "handoff", "hours", "day", "at", "start_wall"),
    [
        # Lord Howe skips 02:00-02:30: the 02:00 handoff happens at 02:30
        (
            "Australia/Lord_Howe",
            "00:00",
            2,
            date(2026, 10, 4),
            time(2, 40),
            datetime(2026, 10, 4, 2, 30),
        ),
        # St John's skips 02:00-03:00
        ("America/St_Johns", "02:00", 4, date(2026, 3, 8), time(4, 0), datetime(2026, 3, 8, 3, 0)),
        # Santiago skips 00:00-01:00 (its 2026 change is on Sunday 6 September)
        ("America/Santiago", "00:00", 4, date(2026, 9, 6), time(1, 30), datetime(2026, 9, 6, 1, 0)),
        (
            "Pacific/Auckland",
            "02:00",
            4,
            date(2026, 9, 27),
            time(5, 0),
            datetime(2026, 9, 27, 3, 0),
        ),
        # Kathmandu has no DST
        ("Asia/Kathmandu", "08:00", 4, date(2026, 6, 1), time(9, 0), datetime(2026, 6, 1, 8, 0)),
    ],
)
def test_handoff_in_odd_zones(
    tz: str, handoff: str, hours: int, day: date, at: time, start_wall: datetime
) -> None:
    rota = make_rota(tz=tz, handoff=handoff, shift_hours=hours, starts_on="2026-01-01")
    zone = ZoneInfo(tz)
    on_call = who_is_on_call(rota, datetime.combine(day, at, tzinfo=zone))
    assert isinstance(on_call, OnCall)
    assert wall(zone, on_call.shift_start) == start_wall


def test_kathmandu_handoff_is_at_a_quarter_past_in_utc() -> None:
    rota = make_rota(tz="Asia/Kathmandu", handoff="08:00", shift_hours=6)
    on_call = who_is_on_call(rota, datetime(2026, 6, 1, 3, 0, tzinfo=UTC))
    assert isinstance(on_call, OnCall)
    assert utc(on_call.shift_start) == datetime(2026, 6, 1, 2, 15, tzinfo=UTC)
    assert utc(on_call.shift_end) == datetime(2026, 6, 1, 8, 15, tzinfo=UTC)


# ---------------------------------------------------------------- shift_hours validation


@pytest.mark.parametrize(
    ("value", "hours"),
    [
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 4),
        (6, 6),
        (8, 8),
        (12, 12),
        ("12", 12),
        (12.0, 12),
        (24, 24),
        (48, 48),
    ],
)
def test_valid_shift_hours(value: object, hours: int) -> None:
    rota = make_rota(shift_hours=value)  # type: ignore[arg-type]
    assert rota.shift_hours == hours
    assert rota.shift_days == (hours // 24 if hours >= 24 else None)


def test_whole_float_shift_days_is_read() -> None:
    rota = rota_from_fields("prog-1", "primary", **GOOD, shift_days=7.0)  # type: ignore[arg-type]
    assert rota.shift_days == 7


GOOD = {
    "timezone": "America/Los_Angeles",
    "handoff": "08:00",
    "starts_on": "2026-11-02",
    "members": ["clin-ana", "clin-ben"],
}


@pytest.mark.parametrize(
    ("extra", "field", "says"),
    [
        ({"shift_hours": 5}, "shift_hours", "does not divide a day"),
        ({"shift_hours": 7}, "shift_hours", "does not divide a day"),
        ({"shift_hours": 0}, "shift_hours", "does not divide a day"),
        ({"shift_hours": -12}, "shift_hours", "does not divide a day"),
        ({"shift_hours": 36}, "shift_hours", "does not divide a day"),
        ({"shift_hours": 12.5}, "shift_hours", "whole number of hours"),
        ({"shift_hours": "twelve"}, "shift_hours", "twelve"),
        ({"shift_hours": True}, "shift_hours", "whole number"),
        ({"shift_hours": [12]}, "shift_hours", "whole number"),
        ({"shift_hours": 12, "shift_days": 1}, "shift_days", "exactly one"),
        ({}, "shift_days", "exactly one"),
    ],
)
def test_invalid_shift_length_names_its_field(
    extra: dict[str, object], field: str, says: str
) -> None:
    with pytest.raises(InvalidItem) as info:
        rota_from_fields("prog-1", "primary", **{**GOOD, **extra})  # type: ignore[arg-type]
    exc = info.value
    assert (exc.table, exc.key, exc.field) == ("programs", "prog-1 / rota#primary", field)
    assert says in str(exc) and f"'{field}'" in str(exc)


# ---------------------------------------------------------------- active windows


@dataclass(frozen=True)
class W:
    """An active window as the oracle reads it; end (24, 0) is the next midnight."""

    days: frozenset[int]
    start: tuple[int, int]
    end: tuple[int, int]

    def spans(self, tz: ZoneInfo, around: date) -> list[tuple[datetime, datetime]]:
        out = []
        for day in (around - timedelta(days=1), around):
            if day.weekday() not in self.days:
                continue
            s = datetime.combine(day, time(*self.start))
            end_day = (
                day + timedelta(days=1) if self.end <= self.start or self.end == (24, 0) else day
            )
            e = datetime.combine(end_day, time(self.end[0] % 24, self.end[1]))
            out.append((oracle_instant(tz, s), oracle_instant(tz, e)))
        return out


WEEKDAYS = frozenset(range(5))
WINDOWS = {
    "Mon-Fri 18:00-08:00": W(WEEKDAYS, (18, 0), (8, 0)),
    "Sat,Sun 00:00-24:00": W(frozenset({5, 6}), (0, 0), (24, 0)),
    "daily 08:00-20:00": W(frozenset(range(7)), (8, 0), (20, 0)),
    "Fri-Mon 20:00-06:00": W(frozenset({4, 5, 6, 0}), (20, 0), (6, 0)),
    "daily 00:00-24:00": W(frozenset(range(7)), (0, 0), (24, 0)),
    "sun 02:30-03:30": W(frozenset({6}), (2, 30), (3, 30)),
    "Wed-Thu 23:00 - 01:30": W(frozenset({2, 3}), (23, 0), (1, 30)),
    "daily 01:00-02:30": W(frozenset(range(7)), (1, 0), (2, 30)),
    "Mon-Wed,Fri 09:15-17:45": W(frozenset({0, 1, 2, 4}), (9, 15), (17, 45)),
    "daily 00:00-00:30": W(frozenset(range(7)), (0, 0), (0, 30)),
}


@st.composite
def active_case(draw: st.DrawFn) -> tuple[Rota, list[str], datetime]:
    texts = list(draw(subsets(tuple(sorted(WINDOWS)), 1, 3)))
    if draw(st.booleans()):
        rota = draw(hour_rotas(active=texts))
    else:
        rota = rota_from_fields(
            "prog-1",
            "primary",
            timezone=draw(st.sampled_from(ZONES)),
            handoff=draw(handoffs),
            shift_days=draw(st.integers(1, 7)),
            starts_on=draw(st.dates(date(2024, 1, 1), date(2028, 6, 30))).isoformat(),
            members=["clin-ana", "clin-ben"],
            active=texts,
        )
    return rota, texts, draw(instants_for(rota.timezone))


@PROPERTY
@given(active_case())
def test_outside_every_window_is_a_gap_inside_is_the_shift_cut_to_the_window(
    case: tuple[Rota, list[str], datetime],
) -> None:
    rota, texts, instant = case
    t = utc(instant)
    plain = who_is_on_call(replace(rota, active=(), active_text=()), t)
    result = who_is_on_call(rota, t)
    if isinstance(plain, Gap):  # before the rota starts
        assert isinstance(result, Gap) and result.reason == plain.reason
        return
    local_day = wall(rota.timezone, t).date()
    spans = [
        s
        for text in texts
        for s in WINDOWS[text].spans(rota.timezone, local_day)
        if s[0] <= t < s[1]
    ]
    if not spans:
        assert isinstance(result, Gap)
        assert "primary" in result.reason
        for text in texts:
            assert text in result.reason
        return
    assert isinstance(result, OnCall)
    assert result.clinician_id == plain.clinician_id and result.source == plain.source
    assert utc(result.shift_start) <= t < utc(result.shift_end)
    assert utc(result.shift_start) >= utc(plain.shift_start)
    assert utc(result.shift_end) <= utc(plain.shift_end)
    # cut to one window that contains the instant
    assert any(utc(result.shift_start) >= s and utc(result.shift_end) <= e for s, e in spans)
    assert utc(result.shift_start) in (utc(plain.shift_start), *[s for s, _ in spans])
    assert utc(result.shift_end) in (utc(plain.shift_end), *[e for _, e in spans])


@PROPERTY
@given(rota_and_instant())
def test_daily_00_to_24_is_always(case: tuple[Rota, datetime]) -> None:
    rota, instant = case
    always = make_rota(
        tz=rota.timezone.key,
        handoff=rota.handoff.strftime("%H:%M"),
        shift_hours=rota.shift_hours,
        starts_on=rota.starts_on.isoformat(),
        members=rota.members,
        active=["daily 00:00-24:00"],
    )
    plain, result = who_is_on_call(rota, instant), who_is_on_call(always, instant)
    assert type(plain) is type(result)
    if isinstance(plain, OnCall):
        assert isinstance(result, OnCall)
        assert result.clinician_id == plain.clinician_id


def test_window_crossing_midnight_covers_friday_night_not_saturday_morning() -> None:
    rota = make_rota(shift_hours=12, active=["Mon-Fri 18:00-08:00"])
    friday_night = who_is_on_call(rota, la(2026, 11, 27, 23, 0))  # Friday
    assert isinstance(friday_night, OnCall)
    assert wall(LA, friday_night.shift_start) == datetime(2026, 11, 27, 20, 0)
    assert wall(LA, friday_night.shift_end) == datetime(2026, 11, 28, 8, 0)
    early_saturday = who_is_on_call(rota, la(2026, 11, 28, 7, 59))
    assert isinstance(early_saturday, OnCall)
    saturday = who_is_on_call(rota, la(2026, 11, 28, 9, 0))
    assert isinstance(saturday, Gap)
    assert "Mon-Fri 18:00-08:00" in saturday.reason and "primary" in saturday.reason
    assert isinstance(who_is_on_call(rota, la(2026, 11, 30, 17, 59)), Gap)  # Monday day
    monday_evening = who_is_on_call(rota, la(2026, 11, 30, 18, 0))
    assert isinstance(monday_evening, OnCall)
    assert wall(LA, monday_evening.shift_start) == datetime(2026, 11, 30, 18, 0)  # cut
    assert wall(LA, monday_evening.shift_end) == datetime(2026, 11, 30, 20, 0)
    assert isinstance(who_is_on_call(rota, la(2026, 11, 29, 23, 0)), Gap)  # Sunday night


def test_fri_mon_wraps_over_the_weekend() -> None:
    rota = make_rota(shift_hours=24, active=["Fri-Mon 09:00-17:00"])
    for day, covered in [
        (26, False),
        (27, True),
        (28, True),
        (29, True),
        (30, True),
        (1, False),
        (2, False),
    ]:
        month = 11 if day > 20 else 12
        answer = who_is_on_call(rota, la(2026, month, day, 12, 0))
        assert isinstance(answer, OnCall) == covered, (month, day)


def test_window_ending_across_a_dst_change_ends_at_the_local_time() -> None:
    rota = make_rota(shift_hours=24, active=["Sat 18:00-08:00"])
    night = who_is_on_call(rota, la(2026, 11, 1, 3, 0))
    assert isinstance(night, OnCall)
    assert wall(LA, night.shift_start) == datetime(2026, 10, 31, 18, 0)
    assert wall(LA, night.shift_end) == datetime(2026, 11, 1, 8, 0)
    assert utc(night.shift_end) - utc(night.shift_start) == timedelta(hours=15)


@pytest.mark.parametrize(
    ("active", "says"),
    [
        ("Mon-Fri 18-08", "not like"),
        (["Mon-Fri 18-08"], "not like"),
        ("Funday 10:00-12:00", "Funday"),
        ("Fun 10:00-12:00", "'fun'"),
        ("daily 10:00-10:00", "same time"),
        ("daily 00:00-00:00", "00:00-24:00"),
        ("Mon 25:00-26:00", "25:00"),
        ("Mon 08:00-24:30", "24:30"),
        ("Mon 24:00-08:00", "24:00"),
        ("Mon 8:00-17:00", "not like"),
        (["daily 08:00-20:00", 7], "not a list"),
        ({"Mon": "08:00-20:00"}, "not a list"),
    ],
)
def test_invalid_active_windows_name_the_active_field(active: object, says: str) -> None:
    with pytest.raises(InvalidItem) as info:
        rota_from_fields("prog-1", "primary#nights", **GOOD, shift_hours=12, active=active)  # type: ignore[arg-type]
    exc = info.value
    assert (exc.table, exc.key, exc.field) == ("programs", "prog-1 / rota#primary#nights", "active")
    assert says in str(exc) and "'active'" in str(exc)


@pytest.mark.parametrize("active", [None, [], ""])
def test_no_active_windows_means_always(active: object) -> None:
    rota = make_rota(active=active)  # type: ignore[arg-type]
    assert rota.active == () and isinstance(who_is_on_call(rota, la(2026, 6, 6, 3)), OnCall)
