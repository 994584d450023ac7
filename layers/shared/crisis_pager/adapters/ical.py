"""A :class:`~crisis_pager.domain.calendar.Feed` as an iCalendar document (RFC 5545), with
the icalendar library.

Times are written in the rota's zone (``DTSTART;TZID=America/Los_Angeles:...``) with a
VTIMEZONE generated from the IANA data for the years the events span, so that an 08:00
handoff reads 08:00 on both sides of a daylight-saving change in any calendar app. A time
that a TZID cannot name unambiguously (the second pass through a fall-back hour) is
written in UTC instead. The feed asks to be refreshed hourly (REFRESH-INTERVAL and
X-PUBLISHED-TTL).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vDuration

from ..domain.calendar import Feed

PRODID = "-//crisis-pager//on-call calendar//EN"
REFRESH = timedelta(hours=1)


def render(feed: Feed) -> str:
    """The feed as iCalendar text (CRLF line endings, folded as RFC 5545 wants)."""
    cal = Calendar.new(prodid=PRODID, name=feed.name, uid=feed.uid, method="PUBLISH",
                       calscale="GREGORIAN")
    cal.add("REFRESH-INTERVAL", REFRESH, parameters={"VALUE": "DURATION"})  # RFC 7986
    cal.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    for event in feed.events:
        cal.add_component(Event.new(
            uid=event.uid,
            stamp=feed.generated_at.astimezone(UTC),
            start=_local(event.start, feed.timezone),
            end=_local(event.end, feed.timezone),
            summary=event.summary,
            description=event.description,
        ))
    if feed.events:
        first = min(e.start for e in feed.events).astimezone(feed.timezone).year
        last = max(e.end for e in feed.events).astimezone(feed.timezone).year
        # Whole years around the events: every transition they can meet, and no more.
        cal.add_missing_timezones(first_date=date(first, 1, 1), last_date=date(last + 2, 1, 1))
    return cal.to_ical().decode("utf-8")


def _local(instant: datetime, tz: ZoneInfo) -> datetime:
    """The instant on the zone's wall clock, or in UTC when the wall clock is ambiguous
    for it (a TZID time in a repeated hour means its first occurrence, RFC 5545 3.3.5)."""
    local = instant.astimezone(tz)
    if local.replace(fold=0).astimezone(UTC) != instant.astimezone(UTC):
        return instant.astimezone(UTC)
    return local
