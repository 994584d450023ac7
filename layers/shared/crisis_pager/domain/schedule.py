"""A program's whole schedule: its rotas, overrides and clinicians, and what they cover.

Roles. A ladder rung names a role (``primary``, ``backup``, ``supervisor``). The role is
covered by the rota item ``rota#<role>`` and any variants ``rota#<role>#<variant>`` (for
instance ``rota#primary#weeknights`` and ``rota#primary#weekends``, each with its active
hours). At an instant, the first of them (in key order) with someone on call answers.

Overrides. An override item puts one clinician on call for a role over a window; it
wins over every rota of that role, inside its window only. When overrides overlap, the
one created last wins (its ``created_at``; on a tie, the greater item key).

Coverage. :func:`coverage` walks every instant at which an answer may change over a
period (handoffs, active-hour edges, override edges) and reports, per role, who is on
call when, and the problems: invalid items, windows nobody covers, and one clinician on
call for two adjacent rungs at once (the next rung would page the same person).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidItem
from .program import Clinician
from .rota import CLINICIAN_ID, Gap, OnCall, Rota, change_points, wall_instant, who_is_on_call

_UTC = ZoneInfo("UTC")
_LOCAL = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}")
_ROLE = re.compile(r"[a-z][a-z0-9_-]{0,39}")
MAX_OVERRIDE = timedelta(days=62)


@dataclass(frozen=True)
class Override:
    program_id: str
    key: str  # override#<role>#<...>
    role: str
    clinician_id: str
    starts: datetime  # aware UTC
    ends: datetime
    created_at: datetime
    timezone: ZoneInfo

    def covers(self, instant: datetime) -> bool:
        return self.starts <= instant < self.ends


def override_from_fields(program_id: str, key: str, fields: Mapping[str, object]) -> Override:
    """Validate an override item as an admin wrote it; raise InvalidItem."""
    item = f"{program_id} / {key}"

    def bad(name: str, reason: str) -> InvalidItem:
        return InvalidItem("programs", item, name, reason)

    role = fields.get("rota")
    if not isinstance(role, str) or not _ROLE.fullmatch(role):
        raise bad("rota", f"'{role}' is not a role such as primary, backup or supervisor")
    clinician = fields.get("clinician")
    if not isinstance(clinician, str) or not clinician:
        raise bad("clinician", "is missing; name the clinician id who covers")
    if not CLINICIAN_ID.fullmatch(clinician):
        raise bad("clinician", f"'{clinician}' is not a clinician id such as clin-ana")
    tz_name = fields.get("timezone")
    try:
        tz = ZoneInfo(str(tz_name))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: "America" is a folder
        raise bad("timezone", f"'{tz_name}' is not a known IANA time zone") from None

    def local(name: str) -> datetime:
        value = fields.get(name)
        if not isinstance(value, str) or not _LOCAL.fullmatch(value.strip()):
            raise bad(name, f"'{value}' is not a local time like 2026-11-24 18:00")
        try:
            naive = datetime.fromisoformat(value.strip().replace(" ", "T"))
        except ValueError:
            raise bad(name, f"'{value}' is not a real date and time") from None
        # The same rule as handoffs: a time in a spring-forward gap is the first instant
        # after it; one in a fall-back fold is its first occurrence.
        return wall_instant(tz, naive.date(), naive.time())

    starts, ends = local("starts"), local("ends")
    if ends <= starts:
        raise bad("ends", "is not after starts")
    if ends - starts > MAX_OVERRIDE:
        raise bad("ends", f"makes a cover longer than {MAX_OVERRIDE.days} days; "
                          "change the rota instead")
    created = fields.get("created_at")
    try:
        created_at = datetime.fromisoformat(str(created))
        if created_at.tzinfo is None:
            raise ValueError
    except ValueError:
        raise bad("created_at", f"'{created}' is not an ISO 8601 instant with its offset, "
                                "like 2026-11-20T10:15:00Z") from None
    return Override(program_id, key, role, clinician, starts, ends,
                    created_at.astimezone(_UTC), tz)


@dataclass(frozen=True)
class Schedule:
    """Everything that decides who is on call in one program. ``invalid`` holds the items
    that failed validation: they cover nothing and are reported."""

    program_id: str
    rotas: tuple[Rota, ...] = ()
    overrides: tuple[Override, ...] = ()
    invalid: tuple[InvalidItem, ...] = ()

    def rotas_for(self, role: str) -> list[Rota]:
        return sorted((r for r in self.rotas if r.role == role), key=lambda r: r.key)

    def overrides_for(self, role: str) -> list[Override]:
        return [o for o in self.overrides if o.role == role]

    def invalid_for(self, role: str) -> list[InvalidItem]:
        return [e for e in self.invalid if item_role(e.key) == role]

    @property
    def roles(self) -> list[str]:
        return sorted({r.role for r in self.rotas} | {o.role for o in self.overrides})


def item_role(key: str) -> str | None:
    """The role a rota or override item belongs to: "west-iop / rota#primary#nights" ->
    "primary"."""
    parts = key.split(" / ")[-1].split("#")
    return parts[1] if len(parts) > 1 and parts[0] in ("rota", "override") else None


def on_call(schedule: Schedule, role: str, instant: datetime) -> OnCall | Gap:
    """Who answers for ``role`` at ``instant``: an override, else the first rota with
    someone on call, else an explicit gap saying why."""
    if instant.tzinfo is None:
        raise ValueError("instant must be timezone-aware")
    instant = instant.astimezone(_UTC)
    overrides = schedule.overrides_for(role)
    covering = [o for o in overrides if o.covers(instant)]
    if covering:
        winner = max(covering, key=_precedence)
        # It lasts until it ends, or until a newer override takes over inside it.
        takeovers = [o.starts for o in overrides
                     if _precedence(o) > _precedence(winner) and instant < o.starts < winner.ends]
        return OnCall(winner.clinician_id, winner.starts.astimezone(winner.timezone),
                      min([winner.ends, *takeovers]).astimezone(winner.timezone), winner.key)
    reasons: list[str] = []
    for rota in schedule.rotas_for(role):
        answer = who_is_on_call(rota, instant)
        if isinstance(answer, OnCall):
            return _cut_at_next_override(schedule, role, instant, answer)
        reasons.append(answer.reason)
    reasons += [str(e) for e in schedule.invalid_for(role)]
    if not reasons:
        return Gap(f"there is no rota item 'rota#{role}' for program '{schedule.program_id}'")
    return Gap("; ".join(reasons))


def _precedence(o: Override) -> tuple[datetime, str]:
    """Overlapping overrides: the one created last wins; on a tie, the greater key."""
    return (o.created_at, o.key)


def _cut_at_next_override(schedule: Schedule, role: str, instant: datetime,
                          answer: OnCall) -> OnCall:
    starts = [o.starts for o in schedule.overrides_for(role)
              if instant < o.starts < answer.shift_end]
    if not starts:
        return answer
    return OnCall(answer.clinician_id, answer.shift_start,
                  min(starts).astimezone(answer.shift_end.tzinfo), answer.source)


# ---------------------------------------------------------------- coverage


@dataclass(frozen=True)
class Segment:
    """From ``start`` until ``end``, ``role`` is covered by ``clinician_id`` (or has a gap)."""

    role: str
    start: datetime
    end: datetime
    clinician_id: str | None
    source: str | None
    gap_reason: str | None = None


@dataclass(frozen=True)
class Problem:
    kind: str  # invalid_item | gap | same_person | unknown_clinician
    message: str
    role: str | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass(frozen=True)
class CoverageReport:
    program_id: str
    start: datetime
    end: datetime
    segments: dict[str, list[Segment]] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    zone: ZoneInfo = _UTC  # where the program's people live: times are shown in it

    @property
    def ok(self) -> bool:
        return not self.problems

    def first_gap(self) -> Problem | None:
        gaps = [p for p in self.problems if p.kind == "gap" and p.start is not None]
        return min(gaps, key=lambda p: p.start or self.start) if gaps else None


def _points(schedule: Schedule, roles: Iterable[str], start: datetime,
            end: datetime) -> list[datetime]:
    points = {start}
    for role in roles:
        for rota in schedule.rotas_for(role):
            points.update(change_points(rota, start, end))
        for o in schedule.overrides_for(role):
            points.update(t for t in (o.starts, o.ends) if start <= t < end)
    return sorted(points)


def coverage(
    schedule: Schedule,
    roles: Sequence[str],
    clinicians: Mapping[str, Clinician | InvalidItem | None],
    start: datetime,
    days: int = 14,
) -> CoverageReport:
    """Who covers each role over ``days`` from ``start``, and every problem found.

    ``clinicians`` maps every clinician id the schedule names to its validated item, the
    InvalidItem that describes why it is unusable, or None when there is no such item.
    ``roles`` is ordered as the ladder pages them; adjacent roles must not be the same
    person at the same moment.
    """
    start = start.astimezone(_UTC)
    tz = display_zone(schedule)
    end = start + timedelta(days=days)
    points = _points(schedule, roles, start, end) + [end]
    segments: dict[str, list[Segment]] = {role: [] for role in roles}
    for a, b in zip(points, points[1:], strict=False):
        if a >= b:
            continue
        for role in roles:
            answer = on_call(schedule, role, a)
            if isinstance(answer, Gap):
                seg = Segment(role, a, b, None, None, answer.reason)
            else:
                seg = Segment(role, a, b, answer.clinician_id, answer.source)
            _append_merged(segments[role], seg)

    problems: list[Problem] = [Problem("invalid_item", str(e)) for e in schedule.invalid]
    usable: dict[str, bool] = {}
    for cid in sorted({s.clinician_id for segs in segments.values() for s in segs
                       if s.clinician_id}):
        item = clinicians.get(cid)
        usable[cid] = isinstance(item, Clinician)
        if item is None:
            problems.append(Problem("unknown_clinician",
                                    f"'{cid}' is on a rota but has no clinician item"))
        elif isinstance(item, InvalidItem):
            problems.append(Problem("invalid_item", str(item)))
    for role in roles:
        for seg in segments[role]:
            if seg.clinician_id is None or not usable.get(seg.clinician_id, False):
                why = seg.gap_reason or f"'{seg.clinician_id}' cannot be paged (see above)"
                problems.append(Problem("gap", f"nobody can be paged for {role} from "
                                        f"{when(seg.start, tz)} to {when(seg.end, tz)}: {why}",
                                        role, seg.start, seg.end))
    for upper, lower in zip(roles, roles[1:], strict=False):
        problems += _same_person(segments[upper], segments[lower], tz)
    return CoverageReport(schedule.program_id, start, end, segments, tuple(problems), tz)


def _append_merged(segs: list[Segment], seg: Segment) -> None:
    if segs and (segs[-1].clinician_id, segs[-1].source, segs[-1].gap_reason) == (
            seg.clinician_id, seg.source, seg.gap_reason) and segs[-1].end == seg.start:
        segs[-1] = Segment(seg.role, segs[-1].start, seg.end, seg.clinician_id, seg.source,
                           seg.gap_reason)
    else:
        segs.append(seg)


def _same_person(upper: list[Segment], lower: list[Segment], tz: ZoneInfo) -> list[Problem]:
    found: list[Problem] = []
    for a in upper:
        for b in lower:
            if a.clinician_id and a.clinician_id == b.clinician_id:
                s, e = max(a.start, b.start), min(a.end, b.end)
                if s < e:
                    found.append(Problem(
                        "same_person",
                        f"'{a.clinician_id}' is on call for both {a.role} and {b.role} from "
                        f"{when(s, tz)} to {when(e, tz)}: the {b.role} page would reach the "
                        "same person",
                        b.role, s, e))
    return found


def display_zone(schedule: Schedule) -> ZoneInfo:
    """The zone to show a program's times in: its first rota's, else UTC."""
    return schedule.rotas[0].timezone if schedule.rotas else _UTC


def when(instant: datetime, tz: ZoneInfo) -> str:
    """A time an admin reads: 'Sat 28 Nov 08:00 PST'."""
    return instant.astimezone(tz).strftime("%a %d %b %H:%M %Z")
