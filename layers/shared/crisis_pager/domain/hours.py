"""Business hours: when a program's low-severity tasks are paged and when they fall due.

A program's hours are weekly spans of local wall-clock time in an IANA time zone, e.g.

    Mon-Fri 09:00-17:00
    Mon-Thu 08:30-18:00, Fri 08:30-13:00, Sat 10:00-14:00

minus closed dates (holidays, ``YYYY-MM-DD``). Each span opens and closes on the same
local day (``24:00`` closes at the end of it); two spans of one day may touch but never
overlap. Days are ``Mon`` .. ``Sun``, a range ``Mon-Fri`` (``Fri-Mon`` wraps over the
weekend), or ``daily``.

A **business day** is a local date, not closed, on which the program opens. Wall-clock
times map to instants as the rotas map them (:func:`.rota.wall_instant`): a time in a
spring-forward gap happens at the first instant after the gap, one in a fall-back fold at
its first occurrence. So a day of business hours is an hour shorter or longer across a
change, never moved, and a span lying wholly inside a gap does not open that day.

Every instant returned is aware, in UTC. Time is always passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .rota import DAYS, parse_days, wall_instant

DEFAULT_BUSINESS_HOURS = "Mon-Fri 09:00-17:00"
MAX_TEXT = 400  # characters of a business_hours field
MAX_CLOSED_DATES = 400

_SPAN = re.compile(
    r"(?P<days>daily|[a-z]{3}(?:-[a-z]{3})?)\s+"
    r"(?P<opens>[0-9]{1,2}:[0-9]{2})\s*-\s*(?P<closes>[0-9]{1,2}:[0-9]{2})",
    re.ASCII,
)
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])", re.ASCII)
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MIDNIGHT = time(0, 0)


@dataclass(frozen=True)
class Span:
    """Open on ``weekday`` (0 = Monday) from ``opens`` to ``closes`` minutes after local
    midnight (``closes`` may be 1440: 24:00, the end of the day)."""

    weekday: int
    opens: int
    closes: int
    text: str = ""  # the part of the field it came from, for error messages

    def on(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The instants (UTC) this span opens and closes on a local date of its weekday."""
        return _instant(tz, day, self.opens), _instant(tz, day, self.closes)


def _instant(tz: ZoneInfo, day: date, minutes: int) -> datetime:
    if minutes >= 1440:
        return wall_instant(tz, day + timedelta(days=1), _MIDNIGHT)
    return wall_instant(tz, day, time(minutes // 60, minutes % 60))


@dataclass(frozen=True)
class BusinessHours:
    """Weekly spans in a time zone, minus closed dates (holidays)."""

    spans: tuple[Span, ...]  # by weekday, then opening; never overlapping within a day
    timezone: ZoneInfo
    closed_dates: frozenset[date] = frozenset()
    text: str = DEFAULT_BUSINESS_HOURS

    def periods_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open periods [opens, closes) of a local date, in order; none on a closed
        date, and none for a span that lies wholly in a spring-forward gap."""
        if day in self.closed_dates:
            return []
        periods = []
        for span in self.spans:
            if span.weekday == day.weekday():
                opens, closes = span.on(day, self.timezone)
                if opens < closes:
                    periods.append((opens, closes))
        return periods

    def is_business_day(self, day: date) -> bool:
        return bool(self.periods_on(day))

    def close_of(self, day: date) -> datetime | None:
        """The closing instant of a business day (its last span's), None on other days."""
        periods = self.periods_on(day)
        return periods[-1][1] if periods else None

    def is_open(self, at: datetime) -> bool:
        at = _aware(at)
        day = self._local_date(at)
        return any(opens <= at < closes
                   for d in (day - timedelta(days=1), day, day + timedelta(days=1))
                   for opens, closes in self.periods_on(d))

    def next_open(self, at: datetime) -> datetime:
        """``at`` itself (as given) when open; else the next instant the program opens
        (UTC)."""
        given = at
        at = _aware(at)
        day = self._local_date(at) - timedelta(days=1)
        for _ in range(self._search_days(1)):
            for opens, closes in self.periods_on(day):
                if closes > at:
                    return given if opens <= at else opens
            day += timedelta(days=1)
        raise ValueError(f"business hours '{self.text}' never open")  # unreachable when parsed

    def close_of_business_day_after(self, at: datetime, n: int = 1) -> datetime:
        """The closing instant (UTC) of the n-th business day strictly after the local date
        of ``at``: opened Tue 10:00 or Tue 20:00, n=1 gives Wed's close; Sat gives Mon's."""
        if n < 1:
            raise ValueError(f"n must be at least 1, not {n}")
        day = self._local_date(_aware(at))
        seen = 0
        for _ in range(self._search_days(n)):
            day += timedelta(days=1)
            close = self.close_of(day)
            if close is not None:
                seen += 1
                if seen == n:
                    return close
        raise ValueError(f"business hours '{self.text}' never open")  # unreachable when parsed

    def _local_date(self, at: datetime) -> date:
        return at.astimezone(self.timezone).date()

    def _search_days(self, n: int) -> int:
        # Each week has a day with a span; a closed date or a span lost in a DST gap can
        # cost one such day each (at most one gap a year), so this always suffices.
        return 7 * (n + len(self.closed_dates) + 3)


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("the instant must be timezone-aware")
    return at.astimezone(UTC)


# ---------------------------------------------------------------- reading the fields


def time_zone(name: object) -> ZoneInfo:
    """An IANA time zone, or ValueError naming the bad value."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError("is not an IANA time zone such as America/Los_Angeles")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder
        raise ValueError(f"'{name}' is not a known IANA time zone") from None


def parse_closed_dates(values: Iterable[object]) -> frozenset[date]:
    """ISO dates ``YYYY-MM-DD``, or ValueError naming the bad one."""
    if isinstance(values, str):
        raise ValueError("is not a list of dates like ['2026-12-25']")
    dates: set[date] = set()
    for value in values:
        if not isinstance(value, str) or not _ISO_DATE.fullmatch(value.strip()):
            raise ValueError(f"'{value}' is not a date YYYY-MM-DD")
        try:
            dates.add(date.fromisoformat(value.strip()))
        except ValueError:
            raise ValueError(f"'{value}' is not a date YYYY-MM-DD") from None
        if len(dates) > MAX_CLOSED_DATES:
            raise ValueError(f"lists more than {MAX_CLOSED_DATES} dates")
    return frozenset(dates)


def parse_spans(text: object) -> tuple[Span, ...]:
    """The weekly spans of a business_hours field, or ValueError naming the bad part."""
    if not isinstance(text, str):
        raise ValueError(f"'{text}' is not text like 'Mon-Fri 09:00-17:00'")
    if not text.strip():
        raise ValueError("is empty; write spans like 'Mon-Fri 09:00-17:00'")
    if len(text) > MAX_TEXT:
        raise ValueError(f"is longer than {MAX_TEXT} characters")
    spans: list[Span] = []
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            raise ValueError(f"'{text}' has an empty span between commas")
        m = _SPAN.fullmatch(part.lower())
        if not m:
            raise ValueError(f"'{part}' is not a span like 'Mon-Fri 09:00-17:00'")
        for name in m["days"].split("-"):
            if m["days"] != "daily" and name not in DAYS:
                raise ValueError(f"'{name}' in '{part}' is not a day (Mon, Tue, ... Sun)")
        opens = _minutes(m["opens"], part, closing=False)
        closes = _minutes(m["closes"], part, closing=True)
        if closes <= opens:
            raise ValueError(
                f"'{part}' closes at or before it opens: a span ends on the day it starts "
                "(use 24:00 for midnight, and a second span for the next day)")
        spans.extend(Span(day, opens, closes, part) for day in sorted(parse_days(m["days"])))
    spans.sort(key=lambda s: (s.weekday, s.opens))
    for a, b in zip(spans, spans[1:], strict=False):
        if a.weekday == b.weekday and b.opens < a.closes:
            raise ValueError(f"'{a.text}' and '{b.text}' overlap on {_DAY_NAMES[a.weekday]}")
    return tuple(spans)


def _minutes(clock: str, part: str, *, closing: bool) -> int:
    if closing and clock == "24:00":
        return 1440
    if not _CLOCK.fullmatch(clock):
        raise ValueError(f"'{clock}' in '{part}' is not a 24-hour time HH:MM")
    hh, mm = (int(x) for x in clock.split(":"))
    return hh * 60 + mm


def parse_business_hours(text: str, timezone: str,
                         closed_dates: Iterable[str] = ()) -> BusinessHours:
    """Read business hours; raise ValueError naming the problem."""
    spans = parse_spans(text)
    return BusinessHours(spans, time_zone(timezone), parse_closed_dates(closed_dates),
                         text.strip())
