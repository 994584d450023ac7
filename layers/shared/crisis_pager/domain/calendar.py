"""Calendar feeds of who is on call: the pure part (tokens, which events, their words).

A feed is read by a calendar app from a URL it polls, with no other way to authenticate,
so each feed URL carries its own secret token: hex HMAC-SHA256 of the feed's path with
the calendar secret, cut to 32 hex digits (128 bits). A token opens exactly one feed.

A **rota feed** shows who covers one role; a **clinician feed** shows one clinician's
covers across the program's roles. Both span :data:`FEED_PAST` before now to
:data:`FEED_AHEAD` after it. One event is one cover: an unbroken stretch of one shift of
one rota (cut to its active hours), or of one override. An override in the middle of a
shift splits it into two events around the override's own. Successive shifts of the same
person stay separate events, so that every event keeps its bounds and its UID (derived
from who, what and when it starts) from one refresh to the next; an event that overlaps
the window's edge keeps its true start and end.

Events carry rota data only (roles, clinician names, program name, item keys): never
participant data, of which there is none here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .rota import OnCall, change_points
from .schedule import Schedule, display_zone, on_call

_UTC = ZoneInfo("UTC")
FEED_PAST = timedelta(days=7)
FEED_AHEAD = timedelta(days=60)
TOKEN_HEX_DIGITS = 32
UID_DOMAIN = "crisis-pager"
_TINY = timedelta(microseconds=1)


# ---------------------------------------------------------------- paths and tokens


def rota_feed_path(program_id: str, role: str) -> str:
    """The path a rota feed is served at (and its token is computed over)."""
    return f"/v1/calendars/{program_id}/rotas/{role}.ics"


def clinician_feed_path(program_id: str, clinician_id: str) -> str:
    """The path a clinician feed is served at (and its token is computed over)."""
    return f"/v1/calendars/{program_id}/clinicians/{clinician_id}.ics"


def feed_token(secret: str, path: str) -> str:
    """The token of the feed at ``path``: deterministic, one per path and secret."""
    if not secret:
        raise ValueError("the calendar secret is empty")
    digest = hmac.new(secret.encode(), path.encode(), hashlib.sha256).hexdigest()
    return digest[:TOKEN_HEX_DIGITS]


def token_matches(secret: str, path: str, token: str | None) -> bool:
    """Whether ``token`` opens the feed at ``path``, compared in constant time."""
    if not token:
        return False
    expected = feed_token(secret, path)
    return hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace"))


# ---------------------------------------------------------------- events


class FeedEvent(NamedTuple):
    start: datetime  # aware
    end: datetime
    summary: str
    uid: str
    description: str


@dataclass(frozen=True)
class Feed:
    """A calendar to render: its name, stable UID, display zone and events."""

    name: str
    uid: str
    timezone: ZoneInfo
    events: tuple[FeedEvent, ...]
    generated_at: datetime  # aware: the DTSTAMP of every event


@dataclass(frozen=True)
class Cover:
    """``clinician_id`` covers ``role`` from ``start`` until ``end``, put there by the
    item ``source`` (rota#... or override#...) in its shift or override that started at
    ``shift_start``."""

    role: str
    clinician_id: str
    source: str
    shift_start: datetime
    start: datetime  # aware UTC
    end: datetime


def feed_window(now: datetime) -> tuple[datetime, datetime]:
    now = now.astimezone(_UTC)
    return now - FEED_PAST, now + FEED_AHEAD


def covers(schedule: Schedule, role: str, start: datetime, end: datetime) -> list[Cover]:
    """Every cover of ``role`` overlapping [start, end), with its true (uncut) bounds."""
    start, end = start.astimezone(_UTC), end.astimezone(_UTC)
    # Widen the walk to the whole shift (or override) at each edge of the window, so
    # that the covers crossing an edge get the same bounds whatever the window is.
    lo, hi = start, end
    first = on_call(schedule, role, start)
    if isinstance(first, OnCall):
        lo = min(lo, first.shift_start.astimezone(_UTC))
    last = on_call(schedule, role, end - _TINY)
    if isinstance(last, OnCall):
        hi = max(hi, last.shift_end.astimezone(_UTC))
    points = _change_points(schedule, role, lo, hi) + [hi]
    found: list[Cover] = []
    for a, b in zip(points, points[1:], strict=False):
        if a >= b:
            continue
        answer = on_call(schedule, role, a)
        if not isinstance(answer, OnCall):
            continue
        shift_start = answer.shift_start.astimezone(_UTC)
        previous = found[-1] if found else None
        if previous is not None and previous.end == a and (
                previous.clinician_id, previous.source, previous.shift_start) == (
                answer.clinician_id, answer.source, shift_start):
            found[-1] = Cover(role, previous.clinician_id, previous.source, shift_start,
                              previous.start, b)
        else:
            found.append(Cover(role, answer.clinician_id, answer.source, shift_start, a, b))
    return [c for c in found if c.end > start and c.start < end]


def _change_points(schedule: Schedule, role: str, lo: datetime, hi: datetime) -> list[datetime]:
    points = {lo}
    for rota in schedule.rotas_for(role):
        points.update(change_points(rota, lo, hi))
    for o in schedule.overrides_for(role):
        points.update(t for t in (o.starts, o.ends) if lo <= t < hi)
    return sorted(points)


def _uid(kind: str, program_id: str, cover: Cover) -> str:
    key = "|".join((kind, program_id, cover.role, cover.clinician_id, cover.source,
                    cover.start.astimezone(_UTC).isoformat()))
    return f"{hashlib.sha256(key.encode()).hexdigest()[:32]}@{UID_DOMAIN}"


def _feed_uid(path: str) -> str:
    return f"{hashlib.sha256(path.encode()).hexdigest()[:32]}@{UID_DOMAIN}"


def rota_events(schedule: Schedule, role: str, program_name: str,
                names: Mapping[str, str], now: datetime) -> list[FeedEvent]:
    """Who covers ``role``: one event per cover, in the feed window around ``now``.
    ``names`` maps clinician ids to display names (an id missing from it shows as is)."""
    events: list[FeedEvent] = []
    for cover in covers(schedule, role, *feed_window(now)):
        name = names.get(cover.clinician_id, cover.clinician_id)
        events.append(FeedEvent(
            cover.start, cover.end,
            f"On call: {role} — {name} ({program_name})",
            _uid("rota", schedule.program_id, cover),
            f"{name} is on call for {role} at {program_name} ({cover.source}).",
        ))
    return events


def clinician_events(schedule: Schedule, roles: Sequence[str], clinician_id: str,
                     program_name: str, now: datetime) -> list[FeedEvent]:
    """Every cover of one clinician across ``roles``, in the feed window around ``now``."""
    window = feed_window(now)
    mine = [c for role in roles for c in covers(schedule, role, *window)
            if c.clinician_id == clinician_id]
    order = {role: i for i, role in enumerate(roles)}
    mine.sort(key=lambda c: (c.start, order[c.role]))
    return [
        FeedEvent(
            c.start, c.end,
            f"On call: {c.role} ({program_name})",
            _uid("clinician", schedule.program_id, c),
            f"You are on call for {c.role} at {program_name} ({c.source}).",
        )
        for c in mine
    ]


def rota_feed(schedule: Schedule, role: str, program_name: str, names: Mapping[str, str],
              now: datetime) -> Feed:
    rotas = schedule.rotas_for(role)
    zone = rotas[0].timezone if rotas else display_zone(schedule)
    return Feed(f"{program_name} on call: {role}",
                _feed_uid(rota_feed_path(schedule.program_id, role)), zone,
                tuple(rota_events(schedule, role, program_name, names, now)),
                now.astimezone(_UTC))


def clinician_feed(schedule: Schedule, roles: Sequence[str], clinician_id: str,
                   clinician_name: str, program_name: str, now: datetime) -> Feed:
    return Feed(f"{program_name} on call: {clinician_name}",
                _feed_uid(clinician_feed_path(schedule.program_id, clinician_id)),
                display_zone(schedule),
                tuple(clinician_events(schedule, roles, clinician_id, program_name, now)),
                now.astimezone(_UTC))
