"""Calendar feeds (iCalendar) of a rota's shifts and of one clinician's, for calendar apps.

The token is checked before anything is read, and a wrong token, an unknown program, role
or clinician all raise the same :class:`FeedNotFound`: a guess learns nothing. The feed
comes back as a domain :class:`~crisis_pager.domain.calendar.Feed`; the function renders it
(adapters/ical.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import quote

from ..domain import calendar
from ..domain.calendar import Feed, clinician_feed_path, feed_token, rota_feed_path, token_matches
from ..domain.errors import InvalidItem
from ..domain.program import Clinician
from ..domain.schedule import Schedule
from .ports.clock import Clock
from .ports.directory import Directory

CALENDARS_PREFIX = "/v1/calendars"


class FeedNotFound(Exception):
    """No such feed, or not this token: one answer for both."""

    def __init__(self) -> None:
        super().__init__("no such calendar feed")


class FeedLink(NamedTuple):
    kind: str  # "rota" or "clinician"
    name: str  # the role, or the clinician id
    url: str  # with its token: give it only to whoever may read that feed


def rota_feed(program_id: str, role: str, token: str | None, *, directory: Directory,
              secret: str, clock: Clock) -> Feed:
    """Who covers ``role`` in the program, from a week ago to 60 days ahead."""
    if not token_matches(secret, rota_feed_path(program_id, role), token):
        raise FeedNotFound
    program_name, roles, schedule = _program(program_id, directory)
    if role not in roles:
        raise FeedNotFound
    ids = sorted({m for r in schedule.rotas_for(role) for m in r.members}
                 | {o.clinician_id for o in schedule.overrides_for(role)})
    names = {cid: item.name for cid, item in directory.clinicians(ids).items()
             if isinstance(item, Clinician)}
    return calendar.rota_feed(schedule, role, program_name, names, clock.now())


def clinician_feed(program_id: str, clinician_id: str, token: str | None, *,
                   directory: Directory, secret: str, clock: Clock) -> Feed:
    """Every cover of one clinician across the program's roles, in the same period."""
    if not token_matches(secret, clinician_feed_path(program_id, clinician_id), token):
        raise FeedNotFound
    program_name, roles, schedule = _program(program_id, directory)
    try:
        clinician = directory.clinician(clinician_id)
        name = clinician.name if clinician is not None else None
    except InvalidItem:  # e.g. a malformed phone: still their calendar
        name = clinician_id
    if name is None:
        raise FeedNotFound
    return calendar.clinician_feed(schedule, roles, clinician_id, name, program_name,
                                   clock.now())


def _program(program_id: str, directory: Directory) -> tuple[str, list[str], Schedule]:
    """The program's display name, its roles (the ladders' first, then any other role
    its rotas or overrides name) and its schedule. A malformed program item still
    serves its rotas' feeds (a malformed name reads as the program id)."""
    program = directory.program(program_id)
    if program is None:
        raise FeedNotFound
    schedule = directory.schedule(program_id)
    roles = program.roles()
    return program.display_name, roles + [r for r in schedule.roles if r not in roles], schedule


def feed_urls(program_id: str, base_url: str, secret: str, roles: Iterable[str],
              clinician_ids: Iterable[str]) -> list[FeedLink]:
    """The feed URLs, tokens included, under ``base_url``: the API's, stage included
    (``https://<api>.execute-api.<region>.amazonaws.com/prod``), with or without the
    ``/v1/calendars`` that the stack's CalendarFeedBaseUrl output ends with."""
    base = base_url.rstrip("/").removesuffix(CALENDARS_PREFIX)
    links: list[FeedLink] = []
    for kind, name, path in [
        *(("rota", role, rota_feed_path(program_id, role)) for role in roles),
        *(("clinician", cid, clinician_feed_path(program_id, cid)) for cid in clinician_ids),
    ]:
        url = f"{base}{quote(path)}?token={feed_token(secret, path)}"
        links.append(FeedLink(kind, name, url))
    return links
