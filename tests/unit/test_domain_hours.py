"""Business hours: the grammar, and when a program is open, opens next, and closes a
business day, across daylight-saving changes (checked against a wall-clock oracle)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from crisis_pager.domain.hours import (
    DEFAULT_BUSINESS_HOURS,
    BusinessHours,
    parse_business_hours,
)
from tests.unit.oracles import oracle_instant, transitions, wall

LA, NY = "America/Los_Angeles", "America/New_York"
PROPERTY = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def local(tz: str, *args: int) -> datetime:
    """A local wall time (first occurrence) as an aware datetime in ``tz``."""
    return datetime(*args, tzinfo=ZoneInfo(tz))  # type: ignore[misc]


def utc_of(tz: str, *args: int) -> datetime:
    return local(tz, *args).astimezone(UTC)


# ---------------------------------------------------------------- the examples

WEEKDAYS = parse_business_hours(DEFAULT_BUSINESS_HOURS, LA)


@pytest.mark.parametrize(
    ("opened", "closes"),
    [
        ((2026, 11, 24, 10, 0), (2026, 11, 25, 17, 0)),  # Tue 10:00 -> Wed 17:00
        ((2026, 11, 24, 20, 0), (2026, 11, 25, 17, 0)),  # Tue 20:00 -> Wed 17:00
        ((2026, 11, 23, 2, 0), (2026, 11, 24, 17, 0)),  # Mon 02:00 -> Tue 17:00
        ((2026, 11, 28, 14, 0), (2026, 11, 30, 17, 0)),  # Sat 14:00 -> Mon 17:00
        ((2026, 11, 27, 17, 0), (2026, 11, 30, 17, 0)),  # Fri at closing -> Mon 17:00
        ((2026, 11, 24, 23, 59), (2026, 11, 25, 17, 0)),
        ((2026, 11, 25, 0, 0), (2026, 11, 26, 17, 0)),
    ],
)
def test_close_of_the_next_business_day(opened: tuple[int, ...],
                                        closes: tuple[int, ...]) -> None:
    assert WEEKDAYS.close_of_business_day_after(local(LA, *opened)) == utc_of(LA, *closes)


def test_close_of_the_nth_business_day_skips_weekends_and_closed_dates() -> None:
    hours = parse_business_hours(DEFAULT_BUSINESS_HOURS, LA, ["2026-11-26", "2026-11-27"])
    tue = local(LA, 2026, 11, 24, 10, 0)
    assert hours.close_of_business_day_after(tue) == utc_of(LA, 2026, 11, 25, 17, 0)
    # Thanksgiving and the Friday after are closed: the second business day is Monday.
    assert hours.close_of_business_day_after(tue, 2) == utc_of(LA, 2026, 11, 30, 17, 0)
    assert hours.close_of_business_day_after(tue, 5) == utc_of(LA, 2026, 12, 3, 17, 0)
    with pytest.raises(ValueError, match="at least 1"):
        hours.close_of_business_day_after(tue, 0)


def test_next_open() -> None:
    hours = parse_business_hours(DEFAULT_BUSINESS_HOURS, LA, ["2026-11-26"])
    tue_10 = local(LA, 2026, 11, 24, 10, 0)
    assert hours.next_open(tue_10) is tue_10  # open: at once, as given
    assert hours.next_open(local(LA, 2026, 11, 24, 8, 59)) == utc_of(LA, 2026, 11, 24, 9, 0)
    assert hours.next_open(local(LA, 2026, 11, 24, 17, 0)) == utc_of(LA, 2026, 11, 25, 9, 0)
    # Wednesday evening: Thursday is closed (Thanksgiving), so Friday 09:00.
    assert hours.next_open(local(LA, 2026, 11, 25, 18, 0)) == utc_of(LA, 2026, 11, 27, 9, 0)
    assert hours.next_open(local(LA, 2026, 11, 28, 12, 0)) == utc_of(LA, 2026, 11, 30, 9, 0)
    assert hours.next_open(tue_10).tzinfo is not None


def test_is_open_is_half_open_and_respects_the_time_zone() -> None:
    assert WEEKDAYS.is_open(local(LA, 2026, 11, 24, 9, 0))
    assert WEEKDAYS.is_open(local(LA, 2026, 11, 24, 16, 59))
    assert not WEEKDAYS.is_open(local(LA, 2026, 11, 24, 17, 0))
    assert not WEEKDAYS.is_open(local(LA, 2026, 11, 24, 8, 59))
    assert not WEEKDAYS.is_open(local(LA, 2026, 11, 28, 12, 0))  # Saturday
    # 09:30 in New York is 06:30 in Los Angeles: not open yet.
    assert not WEEKDAYS.is_open(local(NY, 2026, 11, 24, 9, 30))
    with pytest.raises(ValueError, match="aware"):
        WEEKDAYS.is_open(datetime(2026, 11, 24, 10, 0))  # noqa: DTZ001


def test_several_spans_a_day_and_a_half_day_friday() -> None:
    hours = parse_business_hours("Mon-Thu 08:30-18:00, Fri 08:30-13:00, Sat 10:00-14:00", NY)
    fri = local(NY, 2026, 11, 27, 12, 0)
    assert hours.is_open(fri)
    assert not hours.is_open(local(NY, 2026, 11, 27, 13, 0))
    assert hours.close_of_business_day_after(local(NY, 2026, 11, 26, 9, 0)) == \
        utc_of(NY, 2026, 11, 27, 13, 0)
    assert hours.close_of_business_day_after(fri) == utc_of(NY, 2026, 11, 28, 14, 0)
    assert hours.next_open(local(NY, 2026, 11, 28, 15, 0)) == utc_of(NY, 2026, 11, 30, 8, 30)


def test_a_lunch_break_and_a_span_to_midnight() -> None:
    hours = parse_business_hours("Mon 09:00-12:00, Mon 13:00-17:00, Tue 20:00-24:00", LA)
    assert hours.next_open(local(LA, 2026, 11, 23, 12, 30)) == utc_of(LA, 2026, 11, 23, 13, 0)
    assert hours.is_open(local(LA, 2026, 11, 24, 23, 59))
    assert not hours.is_open(local(LA, 2026, 11, 25, 0, 0))
    # Tuesday's business day closes at midnight, the first instant of Wednesday.
    assert hours.close_of_business_day_after(local(LA, 2026, 11, 23, 10, 0)) == \
        utc_of(LA, 2026, 11, 25, 0, 0)


# ---------------------------------------------------------------- daylight saving


def test_business_days_across_the_spring_change_in_los_angeles() -> None:
    # Clocks go 02:00 -> 03:00 on Sunday 2026-03-08: Monday's 17:00 is PDT.
    fri_evening = local(LA, 2026, 3, 6, 18, 0)  # PST
    assert WEEKDAYS.close_of_business_day_after(fri_evening) == \
        datetime(2026, 3, 10, 0, 0, tzinfo=UTC)  # Mon 17:00 PDT
    assert WEEKDAYS.next_open(fri_evening) == datetime(2026, 3, 9, 16, 0, tzinfo=UTC)


def test_business_days_across_the_autumn_change_in_new_york() -> None:
    # Clocks go 02:00 -> 01:00 on Sunday 2026-11-01: Monday's hours are EST.
    hours = parse_business_hours(DEFAULT_BUSINESS_HOURS, NY)
    fri = local(NY, 2026, 10, 30, 12, 0)  # EDT
    assert hours.close_of_business_day_after(fri) == datetime(2026, 11, 2, 22, 0, tzinfo=UTC)
    assert hours.next_open(fri + timedelta(hours=6)) == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def test_a_sunday_night_span_is_an_hour_shorter_or_longer_never_moved() -> None:
    hours = parse_business_hours("Sun 00:30-04:00", LA)
    (spring,) = hours.periods_on(date(2026, 3, 8))
    (autumn,) = hours.periods_on(date(2026, 11, 1))
    assert spring[1] - spring[0] == timedelta(hours=2, minutes=30)
    assert autumn[1] - autumn[0] == timedelta(hours=4, minutes=30)
    assert wall(ZoneInfo(LA), spring[1]).hour == wall(ZoneInfo(LA), autumn[1]).hour == 4


def test_a_span_inside_the_spring_gap_does_not_open_that_day() -> None:
    hours = parse_business_hours("Sun 02:00-02:45", LA)
    assert not hours.is_business_day(date(2026, 3, 8))
    assert hours.is_business_day(date(2026, 3, 15))
    before = local(LA, 2026, 3, 7, 12, 0)
    assert hours.next_open(before) == utc_of(LA, 2026, 3, 15, 2, 0)
    assert hours.close_of_business_day_after(before) == utc_of(LA, 2026, 3, 15, 2, 45)


def test_a_span_starting_in_the_gap_opens_when_the_clocks_reach_it() -> None:
    hours = parse_business_hours("Sun 02:30-05:00", NY)
    (period,) = hours.periods_on(date(2026, 3, 8))
    assert period[0] == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT
    assert period[1] == datetime(2026, 3, 8, 9, 0, tzinfo=UTC)  # 05:00 EDT


# ---------------------------------------------------------------- the grammar


def test_the_grammar_reads_ranges_days_and_is_case_and_space_tolerant() -> None:
    hours = parse_business_hours("  mon-FRI 09:00-17:00 ", LA)
    assert [(s.weekday, s.opens, s.closes) for s in hours.spans] == [
        (d, 9 * 60, 17 * 60) for d in range(5)]
    wraps = parse_business_hours("Fri-Mon 10:00-14:00", LA)
    assert sorted({s.weekday for s in wraps.spans}) == [0, 4, 5, 6]
    daily = parse_business_hours("daily 00:00-24:00", LA)
    assert daily.is_open(local(LA, 2026, 11, 28, 3, 0))
    assert hours.text == "mon-FRI 09:00-17:00"
    assert hours.timezone == ZoneInfo(LA)


def test_touching_spans_are_not_an_overlap() -> None:
    hours = parse_business_hours("Mon 09:00-12:00, Mon 12:00-17:00", LA)
    assert hours.is_open(local(LA, 2026, 11, 23, 12, 0))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("Mon-Fri 09:00-17:00,", "empty span"),
        ("Mon-Fri", "'Mon-Fri' is not a span"),
        ("Mon-Fri 09:00", "'Mon-Fri 09:00' is not a span"),
        ("weekdays 09:00-17:00", "is not a span"),
        ("Mon-Fry 09:00-17:00", "'fry'"),
        ("Xyz 09:00-17:00", "'xyz'"),
        ("Mon 9:00-17:00", "'9:00'"),
        ("Mon 09:00-25:00", "'25:00'"),
        ("Mon 09:60-17:00", "'09:60'"),
        ("Mon 24:00-24:00", "'24:00'"),
        ("Mon 17:00-09:00", "closes at or before it opens"),
        ("Mon 09:00-09:00", "closes at or before it opens"),
        ("Mon 18:00-00:00", "use 24:00"),
        ("Mon-Fri 09:00-17:00, Wed 12:00-13:00", "overlap on Wed"),
        ("Mon 09:00-12:00, Mon 11:59-17:00", "overlap on Mon"),
        ("Mon 09:00-17:00; Tue 09:00-17:00", "is not a span"),
        ("Mon 09:00-17:00, " * 30, "longer than 400"),
    ],
)
def test_bad_business_hours_are_named(text: str, says: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_business_hours(text, LA)
    assert says in str(info.value)


@pytest.mark.parametrize(
    ("dates", "says"),
    [
        (["2026-13-01"], "'2026-13-01' is not a date"),
        (["2026-02-30"], "'2026-02-30'"),
        (["20261225"], "'20261225'"),
        (["2026-12-25T00:00"], "'2026-12-25T00:00'"),
        (["Christmas"], "'Christmas'"),
        ([20261225], "'20261225'"),
        ("2026-12-25", "not a list"),
    ],
)
def test_bad_closed_dates_are_named(dates: object, says: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_business_hours(DEFAULT_BUSINESS_HOURS, LA, dates)  # type: ignore[arg-type]
    assert says in str(info.value)


@pytest.mark.parametrize("zone", ["", "Pacific", "Mars/Olympus_Mons", "../etc/passwd", 5])
def test_a_bad_time_zone_is_named(zone: object) -> None:
    with pytest.raises(ValueError, match="IANA"):
        parse_business_hours(DEFAULT_BUSINESS_HOURS, zone)  # type: ignore[arg-type]


# ---------------------------------------------------------------- properties

QUARTERS = st.integers(0, 96)  # quarter hours of a day; 96 is 24:00


def clock(quarter: int) -> str:
    return "24:00" if quarter == 96 else f"{quarter // 4:02d}:{quarter % 4 * 15:02d}"


@st.composite
def business_hours(draw: st.DrawFn, zone: str) -> BusinessHours:
    """One to seven open days, each with one to three spans (often around 01:00-03:00,
    where the clocks change), and closed dates near the changes."""
    days = draw(st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True))
    parts = []
    for day in days:
        k = draw(st.integers(1, 3))
        edges = sorted(draw(st.lists(
            st.one_of(QUARTERS, st.integers(0, 16)), min_size=2 * k, max_size=2 * k,
            unique=True)))
        parts += [f"{DAY_NAMES[day]} {clock(a)}-{clock(b)}"
                  for a, b in zip(edges[::2], edges[1::2], strict=True)]
    closed = draw(st.lists(
        st.builds(lambda t, d: (t.astimezone(ZoneInfo(zone)).date() + timedelta(days=d)),
                  st.sampled_from(transitions(zone, 2025, 2028)), st.integers(-10, 10)),
        max_size=6))
    return parse_business_hours(", ".join(parts), zone, [d.isoformat() for d in closed])


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """Within minutes, hours or days of one of the zone's changes in 2025-2028, or anywhere."""
    near = draw(st.sampled_from([0, 3600, 6 * 3600, 9 * 86400]))
    if near:
        change = draw(st.sampled_from(transitions(zone, 2025, 2028)))
        at = change + timedelta(seconds=draw(st.integers(-near, near)))
    else:
        at = draw(st.datetimes(datetime(2025, 1, 1), datetime(2028, 12, 1),
                               timezones=st.just(UTC)))
    return at.astimezone(ZoneInfo(draw(st.sampled_from(["UTC", zone, "Asia/Tokyo"]))))


@st.composite
def cases(draw: st.DrawFn) -> tuple[BusinessHours, datetime]:
    zone = draw(st.sampled_from([LA, NY]))
    return draw(business_hours(zone)), draw(instants(zone))


def spans_say_open(hours: BusinessHours, at: datetime) -> bool:
    """The wall-clock rule: the local date is not closed and one of its weekday's spans
    holds the local time of day."""
    here = at.astimezone(hours.timezone)
    minute = here.hour * 60 + here.minute + here.second / 60
    return here.date() not in hours.closed_dates and any(
        s.weekday == here.weekday() and s.opens <= minute < s.closes for s in hours.spans)


@PROPERTY
@given(cases())
def test_is_open_follows_the_wall_clock(case: tuple[BusinessHours, datetime]) -> None:
    hours, at = case
    if at.astimezone(hours.timezone).fold:
        # The repeated hour's second pass: a wall time maps to its first occurrence, so
        # the wall-clock rule does not decide it (the next property still covers it).
        event("second pass of a repeated hour")
        return
    assert hours.is_open(at) == spans_say_open(hours, at)


@PROPERTY
@given(cases(), st.floats(0, 1))
def test_next_open_is_open_and_nothing_before_it_is(case: tuple[BusinessHours, datetime],
                                                   fraction: float) -> None:
    hours, given = case
    opens = hours.next_open(given)
    if opens is given:
        assert hours.is_open(given)
        return
    # Compare in UTC: an aware time in a repeated hour never equals one in another zone.
    at = given.astimezone(UTC)
    assert opens.tzinfo is not None and opens.utcoffset() == timedelta(0)
    assert opens > at
    assert hours.is_open(opens)
    assert not hours.is_open(given)
    event("closed at the instant")
    # An opening instant: some period of its day starts exactly there.
    starts = [p[0] for d in (-1, 0, 1)
              for p in hours.periods_on(opens.astimezone(hours.timezone).date()
                                        + timedelta(days=d))]
    assert opens in starts
    # Nothing between: not a sampled instant, not the one just before, no period at all.
    between = at + (opens - at) * fraction
    if between < opens:
        assert not hours.is_open(between)
    assert not hours.is_open(max(at, opens - timedelta(microseconds=1)))
    day = at.astimezone(hours.timezone).date() - timedelta(days=1)
    while day <= opens.astimezone(hours.timezone).date():
        for start, end in hours.periods_on(day):
            assert end <= at or start >= opens
        day += timedelta(days=1)


@PROPERTY
@given(cases(), st.integers(1, 6))
def test_close_of_business_day_after_counts_business_days(
        case: tuple[BusinessHours, datetime], n: int) -> None:
    hours, at = case
    closes = hours.close_of_business_day_after(at, n)
    assert closes.utcoffset() == timedelta(0)
    first = at.astimezone(hours.timezone).date()
    # The business day it closes: after at's local date, with exactly n-1 between.
    (day,) = [first + timedelta(days=d) for d in range(1, 7 * (n + 10))
              if hours.close_of(first + timedelta(days=d)) == closes]
    assert hours.is_business_day(day) and day not in hours.closed_dates
    between = [first + timedelta(days=d) for d in range(1, (day - first).days)]
    assert sum(hours.is_business_day(d) for d in between) == n - 1
    # It closes when the wall clock reaches the weekday's last closing time, unless that
    # span lay wholly in a spring-forward gap that day (then an earlier span's close).
    midnight = datetime.combine(day, datetime.min.time())

    def instant(minutes: int) -> datetime:
        return oracle_instant(hours.timezone, midnight + timedelta(minutes=minutes))

    spans = sorted((s for s in hours.spans if s.weekday == day.weekday()),
                   key=lambda s: s.closes)
    while instant(spans[-1].opens) == instant(spans[-1].closes):
        event("the last span was lost in the gap")
        spans.pop()
    assert closes == instant(spans[-1].closes)
    assert hours.is_open(closes - timedelta(microseconds=1))


@PROPERTY
@given(cases())
def test_a_business_day_is_a_day_with_an_open_period(case: tuple[BusinessHours, datetime]) -> None:
    hours, at = case
    day = at.astimezone(hours.timezone).date()
    periods = hours.periods_on(day)
    assert hours.is_business_day(day) == bool(periods)
    if day in hours.closed_dates:
        assert periods == []
    for (a, b), (c, _) in zip(periods, periods[1:], strict=False):
        assert a < b <= c
    around = [*hours.periods_on(day - timedelta(days=1)), *periods,
              *hours.periods_on(day + timedelta(days=1))]
    for start, end in periods:
        assert start < end
        assert start.astimezone(hours.timezone).date() == day
        assert hours.is_open(start) and hours.is_open(end - timedelta(microseconds=1))
        # Closed at its end, unless another period starts right there (touching spans).
        assert hours.is_open(end) == any(s == end for s, _ in around)


def test_a_rota_whose_time_zone_is_a_folder_is_an_invalid_item() -> None:
    from crisis_pager.domain.errors import InvalidItem
    from crisis_pager.domain.rota import rota_from_fields

    with pytest.raises(InvalidItem, match="timezone"):
        rota_from_fields("west-iop", "primary", timezone="America", handoff="08:00",
                         starts_on="2026-11-02", members=["clin-ana"], shift_days=7)
