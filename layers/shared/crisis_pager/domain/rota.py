"""Rotas: who is on call, when.

A rota is a rotation of clinicians who hand over at a local wall-clock time every
``shift_days`` days, counted from ``starts_on``, in an IANA time zone. Handoffs stay at
the same local time across daylight-saving changes: a shift that crosses a change is
an hour shorter or longer, never moved.

``who_is_on_call`` returns an :class:`OnCall` or an explicit :class:`Gap` with its reason,
never an exception: a malformed rota is a gap for the ladder (the rung is skipped at
once and admins are alerted), not a crash that stops it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidItem

ROTA_TABLE = "programs"
_HANDOFF = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")  # always fullmatch
_CLINICIAN_ID = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Rota:
    program_id: str
    name: str
    timezone: ZoneInfo
    handoff: time
    shift_days: int
    starts_on: date
    members: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"rota#{self.name}"


@dataclass(frozen=True)
class OnCall:
    clinician_id: str
    shift_start: datetime  # aware, in the rota's time zone
    shift_end: datetime


@dataclass(frozen=True)
class Gap:
    reason: str


def rota_from_fields(
    program_id: str,
    name: str,
    *,
    timezone: object,
    handoff: object,
    shift_days: object,
    starts_on: object,
    members: object,
) -> Rota:
    """Validate the fields of a rota item as an admin wrote them; raise InvalidItem."""
    key = f"{program_id} / rota#{name}"

    def bad(field: str, reason: str) -> InvalidItem:
        return InvalidItem(ROTA_TABLE, key, field, reason)

    if not isinstance(timezone, str) or not timezone:
        raise bad("timezone", "is missing; use an IANA name such as America/Los_Angeles")
    try:
        tz = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise bad("timezone", f"'{timezone}' is not a known IANA time zone") from None
    if not isinstance(handoff, str) or not _HANDOFF.fullmatch(handoff):
        raise bad("handoff", f"'{handoff}' is not a 24-hour time HH:MM such as 08:00")
    hh, mm = (int(x) for x in handoff.split(":"))
    try:
        days = int(str(shift_days))
    except ValueError:
        raise bad("shift_days", f"'{shift_days}' is not a whole number of days") from None
    if not 1 <= days <= 366:
        raise bad("shift_days", f"{days} is not between 1 and 366")
    try:
        start = date.fromisoformat(str(starts_on))
    except ValueError:
        raise bad("starts_on", f"'{starts_on}' is not a date YYYY-MM-DD") from None
    if not isinstance(members, (list, tuple)) or not members:
        raise bad("members", "is empty; list the clinician ids in rotation order")
    for m in members:
        if not isinstance(m, str) or not _CLINICIAN_ID.fullmatch(m):
            raise bad("members", f"'{m}' is not a clinician id such as clin-ana")
    return Rota(program_id, name, tz, time(hh, mm), days, start, tuple(members))


def _handoff_at(rota: Rota, day: date) -> datetime:
    """The instant (UTC) of the handoff on a local calendar day.

    A handoff that falls in a spring-forward gap happens at the first valid instant
    after the gap; one in a fall-back fold happens at its first occurrence.
    """
    naive = datetime.combine(day, rota.handoff)
    aware = naive.replace(tzinfo=rota.timezone, fold=0)
    utc = aware.astimezone(_UTC)
    if utc.astimezone(rota.timezone).replace(tzinfo=None) == naive:
        return utc
    # Nonexistent local time: the handoff happens at the transition, the first instant
    # whose wall clock reads past it. Search whole seconds between the two offsets'
    # readings of the wall time (the gap is at most a few hours).
    lo = int(naive.replace(tzinfo=rota.timezone, fold=1).timestamp())
    hi = int(utc.timestamp())
    lo, hi = min(lo, hi), max(lo, hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, rota.timezone).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, _UTC)


def who_is_on_call(rota: Rota, instant: datetime) -> OnCall | Gap:
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    instant = instant.astimezone(_UTC)  # compare instants, never wall clocks (folds)
    day = instant.astimezone(rota.timezone).date()
    if instant < _handoff_at(rota, day):
        day -= timedelta(days=1)
    elapsed = (day - rota.starts_on).days
    if elapsed < 0:
        return Gap(
            f"rota '{rota.name}' starts on {rota.starts_on.isoformat()} at "
            f"{rota.handoff.strftime('%H:%M')}; nobody is on call before then"
        )
    shift = elapsed // rota.shift_days
    first_day = rota.starts_on + timedelta(days=shift * rota.shift_days)
    member = rota.members[shift % len(rota.members)]
    return OnCall(
        clinician_id=member,
        shift_start=_handoff_at(rota, first_day).astimezone(rota.timezone),
        shift_end=_handoff_at(rota, first_day + timedelta(days=rota.shift_days)).astimezone(
            rota.timezone),
    )
