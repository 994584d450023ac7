"""Rotas: validation of the hand-edited item, and who is on call at any instant.

The properties are checked against an independent oracle (the handoff instant of a local
calendar day computed here, not with the module's helper). All instant comparisons are
made in UTC: aware datetimes that share a tzinfo compare by wall clock, ignoring fold.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crisis_pager.domain.errors import InvalidItem
from crisis_pager.domain.rota import Gap, OnCall, Rota, rota_from_fields, who_is_on_call
from tests.unit.oracles import transitions, utc, wall

ZONES = [
    "America/Los_Angeles",
    "America/New_York",
    "America/Denver",
    "America/Phoenix",
    "America/St_Johns",
    "Europe/London",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "UTC",
    "America/Santiago",
    "Africa/Casablanca",
]
LA = ZoneInfo("America/Los_Angeles")
PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
MAX_GAP = timedelta(hours=2)  # longer than any spring-forward gap in ZONES


def make_rota(
    tz: str = "America/Los_Angeles",
    handoff: str = "08:00",
    shift_days: int = 1,
    starts_on: str = "2026-01-01",
    members: tuple[str, ...] = ("clin-ana", "clin-ben", "clin-cy"),
) -> Rota:
    return rota_from_fields(
        "prog-1",
        "primary",
        timezone=tz,
        handoff=handoff,
        shift_days=shift_days,
        starts_on=starts_on,
        members=list(members),
    )




def oracle_handoff(tz: ZoneInfo, day: date, at: time) -> tuple[datetime, bool]:
    """(UTC instant, in_gap) of the handoff on a local day.

    An existing local time maps to its first occurrence. One in a spring-forward gap
    maps to the first instant whose local wall clock reaches it (the transition).
    """
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if wall(tz, first) == naive:
        return first, False
    # fold=0 in a gap uses the pre-transition offset, which lands after the transition;
    # search back for the first instant whose wall clock is >= naive.
    lo, hi = first - timedelta(hours=4), first
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if wall(tz, mid) >= naive:
            hi = mid
        else:
            lo = mid
    return hi.replace(microsecond=0), True




# ---------------------------------------------------------------- strategies

handoffs = st.one_of(
    st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59)),
    # local times at or around the usual transition hours, so gaps and folds are hit
    st.sampled_from(["00:00", "00:30", "01:00", "01:30", "02:00", "02:10", "02:30",
                     "02:59", "03:00", "03:30", "23:30"]),
)
member_ids = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,12}", fullmatch=True)


@st.composite
def rotas(draw: st.DrawFn) -> Rota:
    return make_rota(
        tz=draw(st.sampled_from(ZONES)),
        handoff=draw(handoffs),
        shift_days=draw(st.integers(1, 14)),
        starts_on=draw(st.dates(date(2024, 1, 1), date(2027, 12, 31))).isoformat(),
        members=tuple(draw(st.lists(member_ids, min_size=1, max_size=6, unique=True))),
    )


@st.composite
def instants_for(draw: st.DrawFn, rota: Rota) -> datetime:
    """An aware UTC instant: anywhere in 2023-2029, or within 2 days of a DST change."""
    changes = transitions(rota.timezone.key)
    near_a_change = draw(st.booleans())
    if changes and near_a_change:
        base = draw(st.sampled_from(changes))
        return base + timedelta(seconds=draw(st.integers(-2 * 86400, 2 * 86400)))
    return draw(
        st.datetimes(datetime(2023, 6, 1), datetime(2029, 6, 1), timezones=st.just(UTC))
    )


def present(instant: datetime, how: str, rota: Rota) -> datetime:
    """The same instant in UTC, a fixed offset, another zone or the rota's own zone (where
    an aware datetime in the repeated hour differs from the first pass only by fold)."""
    if how == "utc":
        return instant
    if how == "fixed":
        return instant.astimezone(timezone(timedelta(hours=5, minutes=45)))
    if how == "own":
        return instant.astimezone(rota.timezone)
    return instant.astimezone(ZoneInfo("Asia/Tokyo"))


@st.composite
def rota_and_instant(draw: st.DrawFn) -> tuple[Rota, datetime]:
    rota = draw(rotas())
    instant = draw(instants_for(rota))
    return rota, present(instant, draw(st.sampled_from(["utc", "fixed", "zone", "own"])), rota)


def expected_shift_index(rota: Rota, shift_start: datetime) -> int:
    local_day = shift_start.astimezone(rota.timezone).date()
    elapsed = (local_day - rota.starts_on).days
    assert elapsed >= 0 and elapsed % rota.shift_days == 0, (
        f"shift starts on {local_day}, not a handoff day of the rota"
    )
    return elapsed // rota.shift_days


def check_shift_start(rota: Rota, shift_start: datetime) -> None:
    """shift_start is the handoff on its day: its first occurrence in a fall-back fold, the
    first instant after the gap when the handoff falls in a spring-forward gap."""
    day = shift_start.astimezone(rota.timezone).date()
    at, in_gap = oracle_handoff(rota.timezone, day, rota.handoff)
    assert utc(shift_start) == at
    if in_gap:
        assert wall(rota.timezone, shift_start).time() > rota.handoff
    else:
        assert wall(rota.timezone, shift_start) == datetime.combine(day, rota.handoff)


# ---------------------------------------------------------------- properties


@PROPERTY
@given(rota_and_instant())
def test_exactly_one_member_or_gap_before_the_start(case: tuple[Rota, datetime]) -> None:
    rota, instant = case
    first, _ = oracle_handoff(rota.timezone, rota.starts_on, rota.handoff)
    result = who_is_on_call(rota, instant)
    assert isinstance(result, Gap) == (utc(instant) < first)
    if isinstance(result, Gap):
        assert rota.name in result.reason and rota.starts_on.isoformat() in result.reason
        return
    assert isinstance(result, OnCall)
    assert result.clinician_id in rota.members
    index = expected_shift_index(rota, result.shift_start)
    assert result.clinician_id == rota.members[index % len(rota.members)]


@PROPERTY
@given(rota_and_instant())
def test_the_shift_contains_the_instant_and_starts_at_the_handoff(
    case: tuple[Rota, datetime],
) -> None:
    rota, instant = case
    result = who_is_on_call(rota, instant)
    if isinstance(result, Gap):
        return
    assert utc(result.shift_start) <= utc(instant) < utc(result.shift_end)
    check_shift_start(rota, result.shift_start)
    check_shift_start(rota, result.shift_end)
    assert (
        result.shift_end.astimezone(rota.timezone).date()
        - result.shift_start.astimezone(rota.timezone).date()
    ) == timedelta(days=rota.shift_days)
    length = utc(result.shift_end) - utc(result.shift_start)
    assert abs(length - timedelta(days=rota.shift_days)) <= MAX_GAP


@PROPERTY
@given(rota_and_instant())
def test_shifts_tile_time_and_the_rotation_advances(case: tuple[Rota, datetime]) -> None:
    rota, instant = case
    current = who_is_on_call(rota, instant)
    if isinstance(current, Gap):
        return
    n = len(rota.members)
    index = rota.members.index(current.clinician_id)

    after = who_is_on_call(rota, utc(current.shift_end))
    assert isinstance(after, OnCall)
    assert utc(after.shift_start) == utc(current.shift_end)
    assert after.clinician_id == rota.members[(index + 1) % n]

    just_before_end = who_is_on_call(rota, utc(current.shift_end) - timedelta(microseconds=1))
    assert just_before_end == current

    before = who_is_on_call(rota, utc(current.shift_start) - timedelta(microseconds=1))
    if isinstance(before, OnCall):
        assert utc(before.shift_end) == utc(current.shift_start)
        assert before.clinician_id == rota.members[(index - 1) % n]
    else:
        assert expected_shift_index(rota, current.shift_start) == 0


@PROPERTY
@given(rotas(), st.integers(0, 40))
def test_walking_handoff_to_handoff_visits_members_in_order(rota: Rota, k: int) -> None:
    first, _ = oracle_handoff(rota.timezone, rota.starts_on, rota.handoff)
    at: datetime = first
    seen = []
    for _ in range(k + 1):
        on_call = who_is_on_call(rota, at)
        assert isinstance(on_call, OnCall)
        seen.append(on_call.clinician_id)
        at = utc(on_call.shift_end)
    n = len(rota.members)
    assert seen == [rota.members[i % n] for i in range(k + 1)]


def test_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        who_is_on_call(make_rota(), datetime(2026, 3, 8, 12, 0))


# ---------------------------------------------------------------- concrete DST cases


def la(y: int, mo: int, d: int, h: int, mi: int = 0, fold: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, fold=fold, tzinfo=LA)


def test_spring_forward_shift_is_23_hours_and_handoff_stays_0800() -> None:
    rota = make_rota(handoff="08:00", starts_on="2026-03-01")
    on_call = who_is_on_call(rota, utc(la(2026, 3, 8, 6, 0)))
    assert isinstance(on_call, OnCall)
    assert wall(LA, on_call.shift_start) == datetime(2026, 3, 7, 8, 0)
    assert wall(LA, on_call.shift_end) == datetime(2026, 3, 8, 8, 0)
    assert on_call.shift_start.astimezone(LA).utcoffset() == timedelta(hours=-8)
    assert on_call.shift_end.astimezone(LA).utcoffset() == timedelta(hours=-7)
    assert utc(on_call.shift_end) - utc(on_call.shift_start) == timedelta(hours=23)
    assert on_call.clinician_id == rota.members[6 % 3]
    after = who_is_on_call(rota, utc(la(2026, 3, 8, 8, 0)))
    assert isinstance(after, OnCall) and after.clinician_id == rota.members[7 % 3]
    assert utc(after.shift_end) - utc(after.shift_start) == timedelta(hours=24)


def test_fall_back_shift_is_25_hours_and_handoff_stays_0800() -> None:
    rota = make_rota(handoff="08:00", starts_on="2026-10-25")
    on_call = who_is_on_call(rota, utc(la(2026, 11, 1, 7, 59)))
    assert isinstance(on_call, OnCall)
    assert wall(LA, on_call.shift_start) == datetime(2026, 10, 31, 8, 0)
    assert wall(LA, on_call.shift_end) == datetime(2026, 11, 1, 8, 0)
    assert utc(on_call.shift_end) - utc(on_call.shift_start) == timedelta(hours=25)
    assert utc(on_call.shift_end) == datetime(2026, 11, 1, 16, 0, tzinfo=UTC)


def test_fall_back_handoff_in_the_repeated_hour_is_its_first_occurrence() -> None:
    rota = make_rota(handoff="01:30", starts_on="2026-10-25")
    # 01:15 PST (second pass through the hour) is after the 01:30 PDT handoff.
    after = who_is_on_call(rota, datetime(2026, 11, 1, 9, 15, tzinfo=UTC))
    assert isinstance(after, OnCall)
    assert utc(after.shift_start) == datetime(2026, 11, 1, 8, 30, tzinfo=UTC)  # 01:30 PDT
    before = who_is_on_call(rota, datetime(2026, 11, 1, 8, 29, tzinfo=UTC))
    assert isinstance(before, OnCall) and utc(before.shift_end) == utc(after.shift_start)


def test_spring_forward_gap_handoff_happens_that_day_and_not_moved_for_good() -> None:
    rota = make_rota(handoff="02:30", starts_on="2026-03-01")
    before = who_is_on_call(rota, utc(la(2026, 3, 8, 1, 59)))
    assert isinstance(before, OnCall)
    assert wall(LA, before.shift_start) == datetime(2026, 3, 7, 2, 30)
    gap_day = who_is_on_call(rota, utc(la(2026, 3, 8, 4, 0)))
    assert isinstance(gap_day, OnCall)
    assert gap_day.clinician_id != before.clinician_id
    assert utc(gap_day.shift_start) == utc(before.shift_end)
    assert wall(LA, gap_day.shift_start) == datetime(2026, 3, 8, 3, 0)  # first instant after
    # the next day's handoff is at 02:30 again
    assert wall(LA, gap_day.shift_end) == datetime(2026, 3, 9, 2, 30)


def test_spring_forward_gap_handoff_is_the_first_instant_after_the_gap_la() -> None:
    """Regression: 02:30 on 2026-03-08 used to resolve to 03:30 PDT (the gap length late)."""
    rota = make_rota(handoff="02:30", starts_on="2026-03-01")
    on_call = who_is_on_call(rota, utc(la(2026, 3, 8, 12, 0)))
    assert isinstance(on_call, OnCall)
    assert utc(on_call.shift_start) == datetime(2026, 3, 8, 10, 0, tzinfo=UTC)  # 03:00 PDT


def test_spring_forward_gap_handoff_is_the_first_instant_after_the_gap_half_hour_dst() -> None:
    """Lord Howe skips 02:00-02:30: a 02:10 handoff happens at 02:30 (once was 02:40)."""
    tz = ZoneInfo("Australia/Lord_Howe")
    rota = make_rota(tz="Australia/Lord_Howe", handoff="02:10", starts_on="2026-09-01")
    on_call = who_is_on_call(rota, datetime(2026, 10, 4, 12, 0, tzinfo=tz))
    assert isinstance(on_call, OnCall)
    assert wall(tz, on_call.shift_start) == datetime(2026, 10, 4, 2, 30)


def test_instant_in_the_rotas_own_zone_during_the_fold() -> None:
    """Regression: 01:15 fold=1 in the rota's own ZoneInfo (09:15 UTC, after the 01:30 PDT
    handoff) was compared by wall clock and gave the previous shift."""
    rota = make_rota(handoff="01:30", starts_on="2026-10-25")
    instant = la(2026, 11, 1, 1, 15, fold=1)
    on_call = who_is_on_call(rota, instant)
    assert isinstance(on_call, OnCall)
    assert utc(on_call.shift_start) <= utc(instant) < utc(on_call.shift_end)


def test_gap_before_the_rota_starts() -> None:
    rota = make_rota(handoff="08:00", starts_on="2026-03-10")
    gap = who_is_on_call(rota, utc(la(2026, 3, 10, 7, 59)))
    assert isinstance(gap, Gap)
    assert "2026-03-10" in gap.reason and "08:00" in gap.reason and "primary" in gap.reason
    first = who_is_on_call(rota, utc(la(2026, 3, 10, 8, 0)))
    assert isinstance(first, OnCall) and first.clinician_id == "clin-ana"


def test_multi_day_shifts_rotate_every_shift_days() -> None:
    rota = make_rota(handoff="09:00", shift_days=7, starts_on="2026-01-05")
    expected = ["clin-ana", "clin-ben", "clin-cy", "clin-ana"]
    for week, member in enumerate(expected):
        day = date(2026, 1, 5) + timedelta(days=7 * week + 3)
        on_call = who_is_on_call(rota, utc(datetime.combine(day, time(12), tzinfo=LA)))
        assert isinstance(on_call, OnCall) and on_call.clinician_id == member


# ---------------------------------------------------------------- validation

GOOD = {
    "timezone": "America/Los_Angeles",
    "handoff": "08:00",
    "shift_days": 7,
    "starts_on": "2026-11-02",
    "members": ["clin-ana", "clin-ben"],
}


def test_valid_fields_make_a_rota() -> None:
    rota = rota_from_fields("prog-1", "primary", **GOOD)
    assert rota.timezone == ZoneInfo("America/Los_Angeles")
    assert rota.handoff == time(8, 0)
    assert rota.shift_days == 7
    assert rota.starts_on == date(2026, 11, 2)
    assert rota.members == ("clin-ana", "clin-ben")
    assert rota.key == "rota#primary"


def test_shift_days_as_a_numeric_string_is_read() -> None:
    rota = rota_from_fields("prog-1", "primary", **{**GOOD, "shift_days": "14"})  # type: ignore[arg-type]
    assert rota.shift_days == 14


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("timezone", "Mars/Olympus_Mons", "Mars/Olympus_Mons"),
        ("timezone", "PST8PDT ", "not a known IANA"),
        ("timezone", "../../etc/passwd", "not a known IANA"),
        ("timezone", "", "missing"),
        ("timezone", None, "missing"),
        ("handoff", "8am", "8am"),
        ("handoff", "24:00", "24:00"),
        ("handoff", "8:00", "HH:MM"),
        ("handoff", "08:60", "HH:MM"),
        ("handoff", 800, "HH:MM"),
        ("shift_days", 0, "between 1 and 366"),
        ("shift_days", -3, "between 1 and 366"),
        ("shift_days", 367, "between 1 and 366"),
        ("shift_days", "seven", "seven"),
        ("shift_days", 7.5, "whole number"),
        ("starts_on", "11/02/2026", "11/02/2026"),
        ("starts_on", "2026-02-30", "YYYY-MM-DD"),
        ("starts_on", None, "YYYY-MM-DD"),
        ("members", [], "empty"),
        ("members", None, "empty"),
        ("members", "clin-ana", "empty"),
        ("members", ["clin-ana", "Clin Ben"], "Clin Ben"),
        ("members", ["clin-ana", ""], "clinician id"),
        ("members", ["clin-ana", 42], "42"),
    ],
)
def test_each_invalid_field_names_table_key_field_and_reason(
    field: str, value: object, says: str
) -> None:
    with pytest.raises(InvalidItem) as info:
        rota_from_fields("prog-1", "primary", **{**GOOD, field: value})  # type: ignore[arg-type]
    exc = info.value
    assert (exc.table, exc.key, exc.field) == ("programs", "prog-1 / rota#primary", field)
    message = str(exc)
    for part in ("programs", "prog-1 / rota#primary", f"'{field}'", says):
        assert part in message


@pytest.mark.parametrize(("field", "value"), [("members", ["clin-ana\n"]), ("handoff", "08:00\n")])
def test_trailing_newline_is_refused(field: str, value: object) -> None:
    """A console paste's trailing newline is not silently kept ('$' matched before it)."""
    with pytest.raises(InvalidItem) as info:
        rota_from_fields("prog-1", "primary", **{**GOOD, field: value})  # type: ignore[arg-type]
    assert info.value.field == field
