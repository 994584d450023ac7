"""The calendar_feed function against moto: items as an admin writes them, the calendar
secret in Secrets Manager, and the iCalendar a calendar app would get (parsed back with
icalendar)."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import ModuleType, SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
from icalendar import Calendar

from crisis_pager import bootstrap
from crisis_pager.adapters.ical import render
from crisis_pager.domain.calendar import (
    Feed,
    FeedEvent,
    clinician_feed_path,
    feed_token,
    rota_feed_path,
)
from tests.component.moto_tables import REGION, mocked_tables, put_raw
from tests.fakes.clock import FakeClock

LA = ZoneInfo("America/Los_Angeles")
PROGRAM = "west-iop"
SECRET = "calendar-secret-for-tests-0123456789abcdefghij"
NOW = datetime(2026, 10, 28, 12, 0, tzinfo=UTC)  # the feeds span Oct 21 .. Dec 27
CLINICIANS = {"clin-ana": ("Ana Alvarez", "+15035550101"),
              "clin-ben": ("Ben Okafor", "+15035550102"),
              "clin-caro": ("Caro Lindqvist", "+15035550103")}


def _seed(ddb: Any) -> None:
    put_raw(ddb, "ProgramsTable", {
        "program_id": PROGRAM, "key": "program", "display_name": "West IOP",
        "hotline_number": "+15035550100", "crisis_line": "+15035550111",
        "mobile_crisis_team": "+15035550122",
        "emergency_department": "Providence Portland Medical Center ED",
        "emergency_department_phone": "+15035550133"})
    for role, members in [("primary", ["clin-ana", "clin-ben"]),
                          ("backup", ["clin-ben", "clin-caro"]),
                          ("supervisor", ["clin-caro"])]:
        put_raw(ddb, "ProgramsTable", {
            "program_id": PROGRAM, "key": f"rota#{role}", "timezone": "America/Los_Angeles",
            "handoff": "08:00", "shift_days": 7, "starts_on": "2026-10-05", "members": members})
    put_raw(ddb, "ProgramsTable", {
        "program_id": PROGRAM, "key": "override#backup#2026-11-04#ana",
        "rota": "backup", "clinician": "clin-ana", "starts": "2026-11-04 18:00",
        "ends": "2026-11-05 08:00", "timezone": "America/Los_Angeles",
        "created_at": "2026-10-20T10:00:00Z"})
    for cid, (name, phone) in CLINICIANS.items():
        put_raw(ddb, "CliniciansTable", {"clinician_id": cid, "name": name, "phone": phone})


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    from aws_lambda_powertools.utilities import parameters

    with mocked_tables() as ddb:
        _seed(ddb)
        arn = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="crisis-pager-test/CalendarSecret",
            SecretString=json.dumps({"calendar": SECRET}))["ARN"]
        monkeypatch.setenv("CALENDAR_SECRET_ARN", arn)
        monkeypatch.setitem(bootstrap._overrides, "clock", FakeClock(NOW))
        parameters.clear_caches()
        bootstrap.reset()
        try:
            yield importlib.import_module("functions.calendar_feed.app")
        finally:
            parameters.clear_caches()
            bootstrap.reset()


def _event(path: str, token: str | None) -> dict[str, Any]:
    _, _, _, program_id, kind, feed = path.split("/")
    return {
        "resource": f"/v1/calendars/{{program_id}}/{kind}/{{feed}}",
        "path": path,
        "httpMethod": "GET",
        "headers": {"Host": "abc.execute-api.us-east-1.amazonaws.com",
                    "User-Agent": "Google-Calendar-Importer"},
        "multiValueHeaders": {},
        "queryStringParameters": {"token": token} if token is not None else None,
        "multiValueQueryStringParameters": {"token": [token]} if token is not None else None,
        "pathParameters": {"program_id": program_id, "feed": feed},
        "stageVariables": None,
        "requestContext": {"resourcePath": f"/v1/calendars/{{program_id}}/{kind}/{{feed}}",
                           "httpMethod": "GET", "path": f"/prod{path}", "stage": "prod",
                           "requestId": "req-1", "identity": {"sourceIp": "192.0.2.1"}},
        "body": None,
        "isBase64Encoded": False,
    }


CONTEXT = SimpleNamespace(function_name="calendar-feed", memory_limit_in_mb=512,
                          invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:"
                                               "function:calendar-feed",
                          aws_request_id="req-1")


def _get(handler: ModuleType, path: str, token: str | None) -> dict[str, Any]:
    response: dict[str, Any] = handler.lambda_handler(_event(path, token), CONTEXT)
    return response


def _header(response: dict[str, Any], name: str) -> str:
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    multi = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    return str(headers.get(name.lower()) or ",".join(multi.get(name.lower(), [])))


def _assert_feed_headers(response: dict[str, Any]) -> None:
    """On every answer, a calendar or a 404 (issue 10: neither had them)."""
    assert _header(response, "X-Content-Type-Options") == "nosniff"
    assert _header(response, "Referrer-Policy") == "no-referrer"


def _calendar(response: dict[str, Any]) -> Calendar:
    assert response["statusCode"] == 200, response
    assert _header(response, "Content-Type") == "text/calendar; charset=utf-8"
    assert _header(response, "Cache-Control") == "private, max-age=300"
    _assert_feed_headers(response)
    return Calendar.from_ical(response["body"])


def _starts(calendar: Calendar) -> list[datetime]:
    return [e.decoded("DTSTART") for e in calendar.walk("VEVENT")]


def test_rota_feed_is_a_calendar_with_0800_handoffs_on_both_sides_of_dst(
        handler: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    path = rota_feed_path(PROGRAM, "primary")
    token = feed_token(SECRET, path)
    response = _get(handler, path, token)
    calendar = _calendar(response)

    assert str(calendar["VERSION"]) == "2.0" and "crisis-pager" in str(calendar["PRODID"])
    assert str(calendar["X-WR-CALNAME"]) == "West IOP on call: primary"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response["body"]
    assert "X-PUBLISHED-TTL:PT1H" in response["body"]
    (tz,) = calendar.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "America/Los_Angeles"
    assert {str(c["TZNAME"]) for c in tz.walk() if c.name in ("STANDARD", "DAYLIGHT")} >= {
        "PST", "PDT"}

    events = calendar.walk("VEVENT")
    assert len(events) >= 9
    offsets = set()
    for event in events:
        for prop in ("DTSTART", "DTEND"):
            assert event[prop].params["TZID"] == "America/Los_Angeles"
            value = event.decoded(prop)
            assert (value.hour, value.minute) == (8, 0), (prop, value)
            assert value.tzinfo is not None
            offsets.add(value.utcoffset())
        assert event.decoded("DTSTAMP") == NOW
        assert str(event["UID"]).endswith("@crisis-pager")
    assert offsets == {timedelta(hours=-7), timedelta(hours=-8)}
    across = [e for e in events if e.decoded("DTSTART").date().isoformat() == "2026-10-26"]
    assert [e.decoded("DTEND").astimezone(UTC) - e.decoded("DTSTART").astimezone(UTC)
            for e in across] == [timedelta(days=7, hours=1)]  # the 169-hour week
    summaries = [str(e["SUMMARY"]) for e in events]
    assert summaries[:2] == ["On call: primary — Ana Alvarez (West IOP)",
                             "On call: primary — Ben Okafor (West IOP)"]
    assert "+1503" not in response["body"]  # no phone numbers
    assert token not in capsys.readouterr().out  # nor the token in the logs

    again = Calendar.from_ical(_get(handler, path, token)["body"])
    assert [str(e["UID"]) for e in again.walk("VEVENT")] == [str(e["UID"]) for e in events]


def test_wrong_token_is_404_with_no_calendar(handler: ModuleType,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = rota_feed_path(PROGRAM, "primary")
    good = feed_token(SECRET, path)
    wrong = [None, "", "0" * 32, good[:-1], good.upper(),
             feed_token(SECRET, rota_feed_path(PROGRAM, "backup")),
             feed_token("another-secret", path)]
    answers = set()
    for token in wrong:
        response = _get(handler, path, token)
        assert response["statusCode"] == 404, token
        assert _header(response, "Content-Type").startswith("text/plain")
        _assert_feed_headers(response)
        assert "BEGIN:VCALENDAR" not in response["body"]
        answers.add(response["body"])
    # Unknown role, program and clinician, each with a token genuinely made for it, and a
    # path that is not a feed: the same answer, so a guess tells nothing.
    for path in [rota_feed_path(PROGRAM, "oncall"), rota_feed_path("east-iop", "primary"),
                 clinician_feed_path(PROGRAM, "clin-zed")]:
        response = _get(handler, path, feed_token(SECRET, path))
        assert response["statusCode"] == 404, path
        _assert_feed_headers(response)
        answers.add(response["body"])
    for path in ["/v1/calendars/west-iop/rotas/primary", "/v1/calendars/west-iop/rotas/.ics",
                 "/v1/calendars/west-iop/teams/primary.ics"]:
        response = _get(handler, path, feed_token(SECRET, path))
        assert response["statusCode"] == 404, path
        assert _header(response, "Content-Type").startswith("text/plain")
        _assert_feed_headers(response)
        answers.add(response["body"])
    assert answers == {"not found\n"}
    out = capsys.readouterr().out
    assert good[:-1] not in out and "0" * 32 not in out


def test_clinician_feed_holds_only_that_clinicians_covers(handler: ModuleType) -> None:
    path = clinician_feed_path(PROGRAM, "clin-ana")
    calendar = _calendar(_get(handler, path, feed_token(SECRET, path)))
    assert str(calendar["X-WR-CALNAME"]) == "West IOP on call: Ana Alvarez"
    events = calendar.walk("VEVENT")
    summaries = {str(e["SUMMARY"]) for e in events}
    assert summaries == {"On call: primary (West IOP)", "On call: backup (West IOP)"}

    rota_path = rota_feed_path(PROGRAM, "primary")
    rota = _calendar(_get(handler, rota_path, feed_token(SECRET, rota_path)))
    anas = [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in rota.walk("VEVENT")
            if "Ana Alvarez" in str(e["SUMMARY"])]
    mine = [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in events
            if str(e["SUMMARY"]).startswith("On call: primary")]
    assert mine == anas and anas
    backup = [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in events
              if str(e["SUMMARY"]).startswith("On call: backup")]
    assert backup == [(datetime(2026, 11, 4, 18, 0, tzinfo=LA),
                       datetime(2026, 11, 5, 8, 0, tzinfo=LA))]
    body = "".join(str(e.get("DESCRIPTION", "")) + str(e["SUMMARY"]) for e in events)
    assert "Ben" not in body and "Caro" not in body

    # Another clinician's token does not open Ana's feed.
    other = feed_token(SECRET, clinician_feed_path(PROGRAM, "clin-ben"))
    assert _get(handler, path, other)["statusCode"] == 404


# ---------------------------------------------------------------- the renderer alone


def test_a_time_in_the_repeated_hour_is_written_in_utc() -> None:
    first = datetime(2026, 11, 1, 1, 30, tzinfo=LA)  # 01:30 PDT
    second = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=LA)  # 01:30 PST, an hour later
    feed = Feed("t", "t@crisis-pager", LA,
                (FeedEvent(first, second, "On call: primary (West IOP)", "a@crisis-pager", ""),),
                NOW)
    (event,) = Calendar.from_ical(render(feed)).walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "America/Los_Angeles"
    start, end = event.decoded("DTSTART"), event.decoded("DTEND")
    assert start.astimezone(UTC) == first.astimezone(UTC)
    assert end.astimezone(UTC) == second.astimezone(UTC)
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=1)


def test_an_empty_feed_is_still_a_calendar() -> None:
    calendar = Calendar.from_ical(render(Feed("West IOP on call: primary", "u@crisis-pager",
                                              LA, (), NOW)))
    assert calendar.walk("VEVENT") == [] and str(calendar["X-WR-CALNAME"])
