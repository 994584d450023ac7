"""The wire formats the functions answer in or read, so that no handler imports an
adapter: TwiML (Twilio's webhooks), iCalendar (the rota feeds) and DynamoDB stream
records (the guards). Each imports its adapter on first use, so a function loads only the
format it speaks (the iCalendar library never loads in a Twilio webhook)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .domain.calendar import Feed
    from .domain.edits import Edit
    from .domain.timeline import TimelineChange


def sms_twiml(answer: str | None) -> str:
    """The answer to an inbound SMS (none: an empty response)."""
    from .adapters.twilio_webhook import sms_twiml as render

    return render(answer)


def voice_twiml(say: list[str], *, gather: str | None = None, gather_url: str | None = None,
                then: list[str] | None = None, redirect_url: str | None = None) -> str:
    """What a call says next (adapters/twilio_webhook.voice_twiml)."""
    from .adapters.twilio_webhook import voice_twiml as render

    return render(say, gather=gather, gather_url=gather_url, then=then,
                  redirect_url=redirect_url)


def calendar(feed: Feed) -> str:
    """A rota feed as iCalendar text."""
    from .adapters.ical import render

    return render(feed)


def edit_from_stream(record: dict[str, Any]) -> Edit | None:
    """The admin edit a DynamoDB stream record is about (its keys only), or None."""
    from .adapters.dynamo.streams import edit_from_stream as decode

    return decode(record)


def timeline_change_from_stream(record: dict[str, Any]) -> TimelineChange:
    """What a timeline stream record says (its keys and who made it only)."""
    from .adapters.dynamo.streams import timeline_change_from_stream as decode

    return decode(record)
