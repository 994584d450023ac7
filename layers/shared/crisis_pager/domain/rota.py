"""Rotas: who is on call, when.

A rota is a rotation of clinicians who hand over at local wall-clock times, in an IANA
time zone. Shifts last ``shift_hours`` (a divisor of 24: 1, 2, 3, 4, 6, 8, 12; handoffs
at ``handoff`` and every ``shift_hours`` after it each day) or ``shift_days`` (handoff
at ``handoff`` every ``shift_days`` days), counted from ``starts_on``. Handoffs stay at
the same local time across daylight-saving changes: a shift that crosses a change is
an hour shorter or longer, never moved.

A rota may cover only some hours (``active``, e.g. ``["Mon-Fri 18:00-08:00"]``):
outside them it has nobody, and another rota of the same role or the next rung covers.

``who_is_on_call`` returns an :class:`OnCall` or an explicit :class:`Gap` with its reason,
never an exception: a malformed rota is a gap for the ladder (the rung is skipped at
once and admins are alerted), not a crash that stops it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidItem

ROTA_TABLE = "programs"
_Bad = Callable[[str, str], InvalidItem]  # (field, reason) -> the error naming the item
_HANDOFF = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")  # always fullmatch
CLINICIAN_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # always fullmatch
_ROTA_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}(#[a-z0-9][a-z0-9_-]{0,39})?")
_UTC = ZoneInfo("UTC")
SHIFT_HOURS = (1, 2, 3, 4, 6, 8, 12)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW = re.compile(
    r"(?P<days>daily|[a-z]{3}(?:-[a-z]{3})?(?:,[a-z]{3}(?:-[a-z]{3})?)*)\s+"
    r"(?P<start>[0-9]{2}:[0-9]{2})\s*-\s*(?P<end>[0-9]{2}:[0-9]{2})",
    re.ASCII,
)


@dataclass(frozen=True)
class Window:
    """Hours a rota covers: from ``start`` on each of ``days`` (0 = Monday) until ``end``,
    which is the next day when it is not after ``start`` (18:00-08:00 crosses midnight)."""

    days: frozenset[int]
    start: time
    end: time  # time(0, 0) with end_of_day: 24:00

    end_of_day: bool = False

    @property
    def crosses_midnight(self) -> bool:
        return self.end_of_day or self.end <= self.start

    def spans_on(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
        """The instants this window covers when it starts on a local calendar day."""
        if day.weekday() not in self.days:
            return None
        end_day = day + timedelta(days=1) if self.crosses_midnight else day
        end_time = time(0, 0) if self.end_of_day else self.end
        return wall_instant(tz, day, self.start), wall_instant(tz, end_day, end_time)


@dataclass(frozen=True)
class Rota:
    program_id: str
    name: str  # role, or role#variant (e.g. "primary#weekends")
    timezone: ZoneInfo
    handoff: time
    shift_hours: int
    starts_on: date
    members: tuple[str, ...]
    active: tuple[Window, ...] = ()
    active_text: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"rota#{self.name}"

    @property
    def role(self) -> str:
        return self.name.split("#", 1)[0]

    @property
    def shift_days(self) -> int | None:
        return self.shift_hours // 24 if self.shift_hours % 24 == 0 else None

    @property
    def slots_per_day(self) -> int:
        return 24 // self.shift_hours if self.shift_hours < 24 else 1


@dataclass(frozen=True)
class OnCall:
    clinician_id: str
    shift_start: datetime  # aware, in the rota's time zone
    shift_end: datetime
    source: str = ""  # the item that put them on call: rota#primary, override#...


@dataclass(frozen=True)
class Gap:
    reason: str


def parse_days(text: str) -> frozenset[int]:
    """``daily``, ``mon``, ``mon-fri``, ``fri-mon`` (wraps), ``sat,sun``, ``mon-wed,fri``."""
    if text == "daily":
        return frozenset(range(7))
    days: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        a = DAYS.index(first)
        b = DAYS.index(last) if last else a
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days)


def parse_window(text: str) -> Window:
    """Raise ValueError with the reason; the caller names the item and field."""
    m = _WINDOW.fullmatch(text.strip().lower())
    if not m:
        raise ValueError(f"'{text}' is not like 'Mon-Fri 18:00-08:00' or 'daily 08:00-20:00'")
    for day_name in re.split(r"[,-]", m["days"]):
        if day_name != "daily" and day_name not in DAYS:
            raise ValueError(f"'{day_name}' in '{text}' is not a day (Mon, Tue, ... Sun)")
    start = _clock(m["start"], text)
    end_of_day = m["end"] == "24:00"
    end = time(0, 0) if end_of_day else _clock(m["end"], text)
    if start == end and not end_of_day:
        raise ValueError(f"'{text}' starts and ends at the same time; use 00:00-24:00 for all day")
    return Window(parse_days(m["days"]), start, end, end_of_day)


def _clock(text: str, whole: str) -> time:
    if not _HANDOFF.fullmatch(text):
        raise ValueError(f"'{text}' in '{whole}' is not a 24-hour time HH:MM")
    hh, mm = (int(x) for x in text.split(":"))
    return time(hh, mm)


def rota_from_fields(
    program_id: str,
    name: str,
    *,
    timezone: object,
    handoff: object,
    starts_on: object,
    members: object,
    shift_days: object = None,
    shift_hours: object = None,
    active: object = None,
) -> Rota:
    """Validate the fields of a rota item as an admin wrote them; raise InvalidItem."""
    key = f"{program_id} / rota#{name}"

    def bad(field: str, reason: str) -> InvalidItem:
        return InvalidItem(ROTA_TABLE, key, field, reason)

    if not _ROTA_NAME.fullmatch(name):
        raise bad("key", f"'rota#{name}' is not rota#<role> or rota#<role>#<variant> "
                         "(lower-case letters, digits, - and _)")
    if not isinstance(timezone, str) or not timezone:
        raise bad("timezone", "is missing; use an IANA name such as America/Los_Angeles")
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder
        raise bad("timezone", f"'{timezone}' is not a known IANA time zone") from None
    if not isinstance(handoff, str) or not _HANDOFF.fullmatch(handoff):
        raise bad("handoff", f"'{handoff}' is not a 24-hour time HH:MM such as 08:00")
    hh, mm = (int(x) for x in handoff.split(":"))
    hours = _shift_hours(shift_days, shift_hours, bad)
    try:
        start = date.fromisoformat(str(starts_on)) if isinstance(starts_on, str) else None
    except ValueError:
        start = None
    if start is None:
        raise bad("starts_on", f"'{starts_on}' is not a date YYYY-MM-DD")
    if not isinstance(members, (list, tuple)) or not members:
        raise bad("members", "is empty; list the clinician ids in rotation order")
    for m in members:
        if not isinstance(m, str) or not CLINICIAN_ID.fullmatch(m):
            raise bad("members", f"'{m}' is not a clinician id such as clin-ana")
    windows_text = _window_texts(active, bad)
    windows: list[Window] = []
    for text in windows_text:
        try:
            windows.append(parse_window(text))
        except ValueError as exc:
            raise bad("active", str(exc)) from None
    return Rota(program_id, name, tz, time(hh, mm), hours, start, tuple(members),
                tuple(windows), windows_text)


def _shift_hours(shift_days: object, shift_hours: object, bad: _Bad) -> int:
    make = bad
    if (shift_days is None) == (shift_hours is None):
        raise make("shift_days", "give exactly one of shift_days or shift_hours")
    field, value = ("shift_days", shift_days) if shift_days is not None else (
        "shift_hours", shift_hours)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise make(field, f"'{value}' is not a whole number")
    number: int | None
    if isinstance(value, float):
        number = int(value) if value.is_integer() else None
    else:
        try:
            number = int(str(value))
        except ValueError:
            number = None
    if number is None:
        what = "days" if field == "shift_days" else "hours"
        raise make(field, f"'{value}' is not a whole number of {what}")
    if field == "shift_days":
        if not 1 <= number <= 366:
            raise make(field, f"{number} is not between 1 and 366")
        return number * 24
    if number % 24 == 0 and 24 <= number <= 366 * 24:
        return number
    if number not in SHIFT_HOURS:
        raise make(field, f"{number} does not divide a day: use 1, 2, 3, 4, 6, 8, 12, "
                          "or shift_days")
    return number


def _window_texts(active: object, bad: _Bad) -> tuple[str, ...]:
    if active is None or active == [] or active == "":
        return ()
    items = [active] if isinstance(active, str) else active
    if not isinstance(items, (list, tuple)) or not all(isinstance(x, str) for x in items):
        raise bad("active", "is not a list of windows like 'Mon-Fri 18:00-08:00'")
    return tuple(items)


def wall_instant(tz: ZoneInfo, day: date, at: time) -> datetime:
    """The instant (UTC) a local wall-clock time happens on a calendar day.

    A time in a spring-forward gap happens at the first valid instant after the gap; one
    in a fall-back fold happens at its first occurrence.
    """
    naive = datetime.combine(day, at)
    utc = naive.replace(tzinfo=tz, fold=0).astimezone(_UTC)
    if utc.astimezone(tz).replace(tzinfo=None) == naive:
        return utc
    # Nonexistent local time: the transition, the first instant whose wall clock reads
    # past it, lies between the two offsets' readings of the wall time. Whole seconds.
    lo = int(naive.replace(tzinfo=tz, fold=1).timestamp())
    hi = int(utc.timestamp())
    lo, hi = min(lo, hi), max(lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, _UTC)


def _slot_wall(rota: Rota, day: date, slot: int) -> tuple[date, time]:
    minutes = rota.handoff.hour * 60 + rota.handoff.minute + slot * rota.shift_hours * 60
    return day + timedelta(days=minutes // 1440), time((minutes % 1440) // 60, minutes % 60)


def handoff_at(rota: Rota, index: int) -> datetime:
    """The instant (UTC) shift number ``index`` starts (shift 0 starts on starts_on)."""
    if rota.shift_hours >= 24:
        day = rota.starts_on + timedelta(days=index * (rota.shift_hours // 24))
        return wall_instant(rota.timezone, day, rota.handoff)
    per_day = rota.slots_per_day
    day, at = _slot_wall(rota, rota.starts_on + timedelta(days=index // per_day), index % per_day)
    return wall_instant(rota.timezone, day, at)


def shift_index(rota: Rota, instant: datetime) -> int:
    """The number of the shift running at ``instant`` (negative before starts_on)."""
    instant = instant.astimezone(_UTC)
    local_day = instant.astimezone(rota.timezone).date()
    days_in = (local_day - rota.starts_on).days
    # A first guess from the calendar, corrected by at most a few steps either way.
    if rota.shift_hours >= 24:
        guess = days_in // (rota.shift_hours // 24)
    else:
        guess = days_in * rota.slots_per_day
    while handoff_at(rota, guess) > instant:
        guess -= 1
    while handoff_at(rota, guess + 1) <= instant:
        guess += 1
    return guess


def _rotation(rota: Rota, instant: datetime) -> OnCall | Gap:
    index = shift_index(rota, instant)
    if index < 0:
        return Gap(
            f"rota '{rota.name}' starts on {rota.starts_on.isoformat()} at "
            f"{rota.handoff.strftime('%H:%M')}; nobody is on call before then"
        )
    return OnCall(
        clinician_id=rota.members[index % len(rota.members)],
        shift_start=handoff_at(rota, index).astimezone(rota.timezone),
        shift_end=handoff_at(rota, index + 1).astimezone(rota.timezone),
        source=rota.key,
    )


def active_span(rota: Rota, instant: datetime) -> tuple[datetime, datetime] | None:
    """The active window span containing ``instant``, or None when outside all windows."""
    local_day = instant.astimezone(rota.timezone).date()
    for day in (local_day - timedelta(days=1), local_day):
        for window in rota.active:
            span = window.spans_on(day, rota.timezone)
            if span and span[0] <= instant < span[1]:
                return span
    return None


def who_is_on_call(rota: Rota, instant: datetime) -> OnCall | Gap:
    """Who this one rota puts on call at ``instant``. A shift is cut to the active window."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    instant = instant.astimezone(_UTC)  # compare instants, never wall clocks (folds)
    on_call = _rotation(rota, instant)
    if not rota.active or isinstance(on_call, Gap):
        return on_call
    span = active_span(rota, instant)
    if span is None:
        return Gap(f"rota '{rota.name}' covers only {'; '.join(rota.active_text)}")
    return OnCall(
        on_call.clinician_id,
        max(on_call.shift_start, span[0].astimezone(rota.timezone)),
        min(on_call.shift_end, span[1].astimezone(rota.timezone)),
        on_call.source,
    )


def change_points(rota: Rota, start: datetime, end: datetime) -> Iterator[datetime]:
    """Every instant in [start, end) at which this rota's answer may change."""
    first = max(shift_index(rota, start), 0)
    index = first
    while True:
        at = handoff_at(rota, index)
        if at >= end:
            break
        if at >= start:
            yield at
        index += 1
    if rota.active:
        day = start.astimezone(rota.timezone).date() - timedelta(days=1)
        last = end.astimezone(rota.timezone).date()
        while day <= last:
            for window in rota.active:
                span = window.spans_on(day, rota.timezone)
                if span:
                    yield from (t for t in span if start <= t < end)
            day += timedelta(days=1)
