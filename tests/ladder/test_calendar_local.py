"""Calendar feeds through the API on the local stack: the template's routes, its generated
secret, and a calendar app's plain GET with the token in the URL."""

from __future__ import annotations

from icalendar import Calendar

from crisis_pager.domain.calendar import clinician_feed_path, feed_token, rota_feed_path
from local import seed
from local.stack import LocalStack


def _get(stack: LocalStack, path: str, token: str) -> tuple[int, str]:
    response = stack.api("GET", f"{path}?token={token}")
    return response.status, response.body


def test_a_subscribed_calendar_gets_the_rota_and_a_wrong_token_gets_nothing(
    stack: LocalStack,
) -> None:
    secret = stack.secret_values["CalendarSecret"]["calendar"]
    path = rota_feed_path(seed.PROGRAM_ID, "primary")
    status, body = _get(stack, path,
                        feed_token(secret, path))
    assert status == 200, body
    calendar = Calendar.from_ical(body)
    events = [c for c in calendar.walk("VEVENT")]
    assert events and any("Ana Alvarez" in str(e["SUMMARY"]) for e in events)
    assert calendar.walk("VTIMEZONE"), "times carry their zone"

    wrong, body = _get(stack, path, "0" * 32)
    assert wrong == 404 and "BEGIN:VCALENDAR" not in body


def test_a_clinician_feed_lists_only_their_shifts(stack: LocalStack) -> None:
    secret = stack.secret_values["CalendarSecret"]["calendar"]
    path = clinician_feed_path(seed.PROGRAM_ID, "clin-caro")
    status, body = _get(stack, path,
                        feed_token(secret, path))
    assert status == 200, body
    summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(body).walk("VEVENT")]
    assert summaries and all("supervisor" in s for s in summaries)
