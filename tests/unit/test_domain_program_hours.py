"""A program's business hours, time zone and closed dates (for low-severity tasks), and
which ladders may be business-day task ladders: validated when the item is read."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest

from crisis_pager.domain.errors import InvalidItem
from crisis_pager.domain.hours import DEFAULT_BUSINESS_HOURS
from crisis_pager.domain.incident import Severity
from tests.unit.test_domain_program import defaulted, read


def replaced(field: str, **changes: object) -> InvalidItem:
    """A malformed field is named, on read, and the item reads as if the field were absent
    (its default): a typo never keeps a crisis from being paged."""
    program, problem = defaulted(field, **changes)
    assert dataclasses.replace(program, problems=()) == read(), "the field's default"
    return problem


def test_an_item_written_before_business_hours_existed_reads_with_the_defaults() -> None:
    program = read()
    assert program.business_hours_text == DEFAULT_BUSINESS_HOURS
    assert (program.timezone, program.closed_dates) == (None, ())
    # No time zone of its own: the paged rota's.
    hours = program.hours("America/New_York")
    assert hours.timezone.key == "America/New_York"
    assert hours.is_open(datetime(2026, 11, 24, 14, 30, tzinfo=UTC))  # Tue 09:30 EST
    assert not hours.is_open(datetime(2026, 11, 24, 13, 30, tzinfo=UTC))  # 08:30 EST


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_blank_business_hours_mean_the_default(blank: object) -> None:
    assert read(business_hours=blank).business_hours_text == DEFAULT_BUSINESS_HOURS
    assert read(timezone=blank).timezone is None


def test_the_programs_own_hours_zone_and_holidays() -> None:
    program = read(business_hours="Mon-Thu 08:00-18:00, Fri 08:00-12:00",
                   timezone="America/Los_Angeles",
                   closed_dates=["2026-12-25", "2026-11-26", "2026-11-26"])
    assert program.business_hours_text == "Mon-Thu 08:00-18:00, Fri 08:00-12:00"
    assert program.timezone == "America/Los_Angeles"
    assert program.closed_dates == ("2026-11-26", "2026-12-25")  # sorted, once each
    hours = program.hours("America/New_York")  # its own zone wins over the fallback
    assert hours.timezone.key == "America/Los_Angeles"
    assert not hours.is_business_day(date(2026, 11, 26))
    assert hours.is_open(datetime(2026, 11, 27, 19, 0, tzinfo=UTC))  # Fri 11:00 PST
    assert not hours.is_open(datetime(2026, 11, 27, 21, 0, tzinfo=UTC))  # Fri 13:00 PST


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("Mon-Fri 9-5", "'Mon-Fri 9-5' is not a span"),
        ("Mon-Fri 17:00-09:00", "closes at or before it opens"),
        ("Mon-Fri 09:00-17:00, Fri 12:00-13:00", "overlap on Fri"),
        (["Mon-Fri 09:00-17:00"], "is not text"),
        (9, "is not text"),
    ],
)
def test_bad_business_hours_are_named_on_read(value: object, says: str) -> None:
    assert says in str(replaced("business_hours", business_hours=value))


@pytest.mark.parametrize("value", ["Pacific Time", "PST", "America", "US/Nowhere", 5, ["UTC"]])
def test_a_bad_time_zone_is_named_on_read(value: object) -> None:
    assert "IANA" in str(replaced("timezone", timezone=value))


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("2026-12-25", "is not a list"),
        (["2026-12-25", "12/31/2026"], "'12/31/2026' is not a date"),
        (["2026-02-29"], "'2026-02-29'"),
        ([None], "'None'"),
        ({"2026-12-25": True}, "is not a list"),
    ],
)
def test_bad_closed_dates_are_named_on_read(value: object, says: str) -> None:
    assert says in str(replaced("closed_dates", closed_dates=value))


@pytest.mark.parametrize("severity", [Severity.IMMINENT, Severity.HIGH, Severity.MODERATE])
def test_only_ladder_low_may_be_a_business_day_task_ladder(severity: Severity) -> None:
    field = f"ladder_{severity.value}"
    exc = replaced(field, **{field: "primary 1bd, supervisor 1bd"})
    assert "crisis never waits for business hours" in str(exc)


def test_ladder_low_may_be_timed_or_a_task_ladder_but_never_refers() -> None:
    assert read(ladder_low="primary 1h, backup 1h").ladder_for(Severity.LOW)[0].window_s == 3600
    low = read(ladder_low="primary 2bd, supervisor 1bd x3").ladder_for(Severity.LOW)
    assert [r.business_days for r in low] == [2, 1, 1, 1]
    assert "a task never refers" in str(replaced("ladder_low",
                                                ladder_low="primary 1bd, referral"))


def test_voice_is_read_from_the_ladder_field() -> None:
    high = read(ladder_high="primary 5m +voice, backup 5m, referral").ladder_for(Severity.HIGH)
    assert [r.voice for r in high] == [True, False, False]
