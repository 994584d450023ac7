"""Calendar feeds: tokens, which events a feed holds (across DST, with overrides), stable
UIDs; and the use cases' answers to wrong tokens and unknown feeds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from crisis_pager.domain import calendar as cal
from crisis_pager.domain.calendar import (
    FeedEvent,
    clinician_feed_path,
    feed_token,
    rota_feed_path,
    token_matches,
)
from crisis_pager.domain.errors import InvalidItem
from crisis_pager.domain.program import Clinician, Program, program_from_fields
from crisis_pager.domain.rota import Rota, rota_from_fields
from crisis_pager.domain.schedule import Override, Schedule, override_from_fields
from crisis_pager.service import calendars
from tests.fakes.clock import FakeClock
from tests.fakes.directory import PROGRAM_FIELDS

LA = ZoneInfo("America/Los_Angeles")
PROGRAM = "west-iop"
SECRET = "s3cret-calendar-key-0123456789abcdef"
NAMES = {"clin-ana": "Ana Alvarez", "clin-ben": "Ben Okafor", "clin-caro": "Caro Lindqvist"}
NOW = datetime(2026, 10, 28, 12, 0, tzinfo=UTC)  # the feed spans Oct 21 .. Dec 27


def rota(name: str = "primary", members: tuple[str, ...] = ("clin-ana", "clin-ben"),
         **fields: object) -> Rota:
    values: dict[str, object] = {"timezone": "America/Los_Angeles", "handoff": "08:00",
                                 "shift_days": 7, "starts_on": "2026-10-05",
                                 "members": list(members)}
    values.update(fields)
    return rota_from_fields(PROGRAM, name, **values)  # type: ignore[arg-type]


def override(role: str, clinician: str, starts: str, ends: str,
             created: str = "2026-10-01T00:00:00Z") -> Override:
    return override_from_fields(PROGRAM, f"override#{role}#{starts[:10]}#{clinician}", {
        "rota": role, "clinician": clinician, "starts": starts, "ends": ends,
        "timezone": "America/Los_Angeles", "created_at": created})


def local(event: FeedEvent) -> tuple[datetime, datetime]:
    return event.start.astimezone(LA), event.end.astimezone(LA)


# ---------------------------------------------------------------- tokens


def test_token_is_deterministic_hex_and_32_digits() -> None:
    path = rota_feed_path(PROGRAM, "primary")
    assert path == "/v1/calendars/west-iop/rotas/primary.ics"
    token = feed_token(SECRET, path)
    assert token == feed_token(SECRET, path)
    assert len(token) == 32 and int(token, 16) >= 0


def test_token_differs_per_path_and_per_secret() -> None:
    paths = [rota_feed_path(PROGRAM, "primary"), rota_feed_path(PROGRAM, "backup"),
             rota_feed_path("east-iop", "primary"), clinician_feed_path(PROGRAM, "clin-ana"),
             clinician_feed_path(PROGRAM, "clin-ben")]
    assert len({feed_token(SECRET, p) for p in paths}) == len(paths)
    assert feed_token(SECRET, paths[0]) != feed_token(SECRET + "x", paths[0])


def test_token_matches_compares_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    path = clinician_feed_path(PROGRAM, "clin-ana")
    token = feed_token(SECRET, path)
    compared: list[tuple[bytes, bytes]] = []
    real = cal.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(cal.hmac, "compare_digest", spy)
    assert token_matches(SECRET, path, token)
    assert compared == [(token.encode(), token.encode())]
    for wrong in [token[:-1] + ("0" if token[-1] != "0" else "1"), token[:31], token.upper(),
                  token + "0", "", None, "é" * 32,
                  feed_token(SECRET, rota_feed_path(PROGRAM, "primary"))]:
        assert not token_matches(SECRET, path, wrong), wrong


def test_an_empty_secret_opens_nothing() -> None:
    with pytest.raises(ValueError, match="empty"):
        feed_token("", rota_feed_path(PROGRAM, "primary"))


# ---------------------------------------------------------------- events across DST


def test_daily_rota_keeps_its_0800_handoff_across_fall_back() -> None:
    schedule = Schedule(PROGRAM, (rota(shift_days=1, starts_on="2026-10-20",
                                       members=("clin-ana", "clin-ben", "clin-caro")),))
    events = cal.rota_events(schedule, "primary", "West IOP", NAMES, NOW)
    by_day = {e.start.astimezone(LA).date().isoformat(): e for e in events}
    long_one = by_day["2026-10-31"]  # Sat 08:00 PDT -> Sun 08:00 PST
    assert long_one.end - long_one.start == timedelta(hours=25)
    start, end = local(long_one)
    assert (start.hour, start.minute, end.hour, end.minute) == (8, 0, 8, 0)
    assert start.utcoffset() == timedelta(hours=-7) and end.utcoffset() == timedelta(hours=-8)
    assert by_day["2026-11-01"].end - by_day["2026-11-01"].start == timedelta(hours=24)
    assert all(local(e)[0].hour == 8 and local(e)[1].hour == 8 for e in events)
    assert [e.end for e in events[:-1]] == [e.start for e in events[1:]]  # no holes


def test_weekly_rota_events_cover_the_window_with_true_bounds() -> None:
    schedule = Schedule(PROGRAM, (rota(),))
    events = cal.rota_events(schedule, "primary", "West IOP", NAMES, NOW)
    first_start, _ = local(events[0])
    assert first_start == datetime(2026, 10, 19, 8, 0, tzinfo=LA)  # before the window: uncut
    across = next(e for e in events if local(e)[0].date().isoformat() == "2026-10-26")
    assert across.end - across.start == timedelta(hours=7 * 24 + 1)
    assert [local(e)[0].hour for e in events] == [8] * len(events)
    assert events[-1].end >= NOW + cal.FEED_AHEAD > events[-1].start
    assert events[0].summary == "On call: primary — Ana Alvarez (West IOP)"
    assert events[1].summary == "On call: primary — Ben Okafor (West IOP)"
    assert "rota#primary" in events[0].description


def test_an_override_splits_a_cover() -> None:
    schedule = Schedule(PROGRAM, (rota(),), (
        override("primary", "clin-caro", "2026-11-04 18:00", "2026-11-05 08:00"),))
    events = cal.rota_events(schedule, "primary", "West IOP", NAMES, NOW)
    week = [e for e in events
            if datetime(2026, 11, 2, tzinfo=LA) <= e.start < datetime(2026, 11, 9, tzinfo=LA)]
    assert [(local(e)[0].strftime("%a %H:%M"), local(e)[1].strftime("%a %H:%M"), e.summary)
            for e in week] == [
        ("Mon 08:00", "Wed 18:00", "On call: primary — Ana Alvarez (West IOP)"),
        ("Wed 18:00", "Thu 08:00", "On call: primary — Caro Lindqvist (West IOP)"),
        ("Thu 08:00", "Mon 08:00", "On call: primary — Ana Alvarez (West IOP)"),
    ]
    assert len({e.uid for e in events}) == len(events)
    assert "override#primary#2026-11-04#clin-caro" in week[1].description


def test_uids_are_stable_across_refreshes() -> None:
    schedule = Schedule(PROGRAM, (rota(), rota("backup", ("clin-ben", "clin-caro"))), (
        override("primary", "clin-caro", "2026-11-04 18:00", "2026-11-05 08:00"),))
    first = cal.rota_events(schedule, "primary", "West IOP", NAMES, NOW)
    assert first == cal.rota_events(schedule, "primary", "West IOP", NAMES, NOW)
    for later in (NOW + timedelta(hours=1), NOW + timedelta(days=3, minutes=17)):
        again = {e.uid: e for e in cal.rota_events(schedule, "primary", "West IOP", NAMES,
                                                   later)}
        shared = [e for e in first if e.uid in again]
        assert len(shared) >= len(first) - 1
        assert all(again[e.uid] == e for e in shared)  # same bounds, same words
    mine = cal.clinician_events(schedule, ["primary", "backup"], "clin-caro", "West IOP", NOW)
    assert {e.uid for e in mine}.isdisjoint({e.uid for e in first})  # one UID per calendar
    assert mine == cal.clinician_events(schedule, ["primary", "backup"], "clin-caro",
                                        "West IOP", NOW + timedelta(minutes=5))


def test_a_clinician_feed_holds_only_their_covers_across_roles() -> None:
    schedule = Schedule(PROGRAM, (rota(), rota("backup", ("clin-ben", "clin-caro"))), (
        override("backup", "clin-ana", "2026-11-04 18:00", "2026-11-05 08:00"),))
    events = cal.clinician_events(schedule, ["primary", "backup"], "clin-ana", "West IOP",
                                  NOW)
    primary = [e for e in cal.rota_events(schedule, "primary", "West IOP", NAMES, NOW)
               if "Ana Alvarez" in e.summary]
    assert primary
    assert [(e.start, e.end) for e in events if e.summary == "On call: primary (West IOP)"] == [
        (e.start, e.end) for e in primary]
    backup = [e for e in events if e.summary == "On call: backup (West IOP)"]
    assert [(local(e)[0], local(e)[1]) for e in backup] == [
        (datetime(2026, 11, 4, 18, 0, tzinfo=LA), datetime(2026, 11, 5, 8, 0, tzinfo=LA))]
    assert [e.start for e in events] == sorted(e.start for e in events)
    assert all("Ben" not in e.summary and "Caro" not in e.description for e in events)


def test_active_hours_make_one_event_per_window() -> None:
    nights = rota(members=("clin-ana",), active=["Mon-Fri 18:00-08:00"])
    events = cal.rota_events(Schedule(PROGRAM, (nights,)), "primary", "West IOP", NAMES, NOW)
    assert {(local(e)[0].strftime("%H:%M"), local(e)[1].strftime("%H:%M")) for e in events} == {
        ("18:00", "08:00")}
    assert len({e.uid for e in events}) == len(events)


def test_a_role_with_nobody_has_no_events() -> None:
    schedule = Schedule(PROGRAM, (rota(starts_on="2027-06-07"),))
    assert cal.rota_events(schedule, "primary", "West IOP", NAMES, NOW) == []
    assert cal.rota_events(schedule, "backup", "West IOP", NAMES, NOW) == []


# ---------------------------------------------------------------- the use cases


class Directory:
    def __init__(self, program: dict[str, object] | None = None,
                 schedule: Schedule | None = None) -> None:
        self.fields: dict[str, object] = dict(PROGRAM_FIELDS) if program is None else program
        self.sched = schedule or Schedule(PROGRAM, (rota(), rota("backup",
                                                                ("clin-ben", "clin-caro"))))
        self.people = {cid: Clinician(cid, name, "+15035550101") for cid, name in NAMES.items()}
        self.reads = 0

    def program(self, program_id: str) -> Program | None:
        self.reads += 1
        return program_from_fields(program_id, self.fields) if program_id == PROGRAM else None

    def schedule(self, program_id: str) -> Schedule:
        self.reads += 1
        return self.sched if program_id == PROGRAM else Schedule(program_id)

    def clinician(self, clinician_id: str) -> Clinician | None:
        self.reads += 1
        return self.people.get(clinician_id)

    def clinicians(self, clinician_ids: list[str]) -> dict[str, Clinician | InvalidItem | None]:
        self.reads += 1
        return {cid: self.people.get(cid) for cid in clinician_ids}


def token(path: str) -> str:
    return feed_token(SECRET, path)


def test_rota_feed_with_its_token() -> None:
    feed = calendars.rota_feed(PROGRAM, "backup", token(rota_feed_path(PROGRAM, "backup")),
                               directory=Directory(), secret=SECRET, clock=FakeClock(NOW))
    assert feed.name == "West IOP on call: backup"
    assert feed.timezone == LA and feed.generated_at == NOW
    assert feed.events[0].summary == "On call: backup — Ben Okafor (West IOP)"


def test_clinician_feed_with_its_token() -> None:
    feed = calendars.clinician_feed(
        PROGRAM, "clin-ben", token(clinician_feed_path(PROGRAM, "clin-ben")),
        directory=Directory(), secret=SECRET, clock=FakeClock(NOW))
    assert feed.name == "West IOP on call: Ben Okafor"
    assert {e.summary for e in feed.events} == {"On call: primary (West IOP)",
                                               "On call: backup (West IOP)"}


def test_wrong_tokens_and_unknown_feeds_are_all_the_same_not_found() -> None:
    directory = Directory()
    clock = FakeClock(NOW)
    rota_cases = [
        (PROGRAM, "primary", None),
        (PROGRAM, "primary", "0" * 32),
        (PROGRAM, "primary", token(rota_feed_path(PROGRAM, "backup"))),
        (PROGRAM, "primary", token(clinician_feed_path(PROGRAM, "clin-ana"))),
        (PROGRAM, "oncall", token(rota_feed_path(PROGRAM, "oncall"))),  # no such role
        ("east-iop", "primary", token(rota_feed_path("east-iop", "primary"))),  # no program
    ]
    for program_id, role, tok in rota_cases:
        with pytest.raises(calendars.FeedNotFound) as caught:
            calendars.rota_feed(program_id, role, tok, directory=directory, secret=SECRET,
                                clock=clock)
        assert str(caught.value) == "no such calendar feed"
    for program_id, cid, tok in [
        (PROGRAM, "clin-ana", token(clinician_feed_path(PROGRAM, "clin-ben"))),
        (PROGRAM, "clin-zed", token(clinician_feed_path(PROGRAM, "clin-zed"))),
        ("east-iop", "clin-ana", token(clinician_feed_path("east-iop", "clin-ana"))),
    ]:
        with pytest.raises(calendars.FeedNotFound):
            calendars.clinician_feed(program_id, cid, tok, directory=directory, secret=SECRET,
                                     clock=clock)


def test_a_wrong_token_reads_nothing() -> None:
    directory = Directory()
    with pytest.raises(calendars.FeedNotFound):
        calendars.rota_feed(PROGRAM, "primary", "f" * 32, directory=directory, secret=SECRET,
                            clock=FakeClock(NOW))
    assert directory.reads == 0


def test_a_malformed_program_item_still_serves_its_rotas() -> None:
    directory = Directory(program={**PROGRAM_FIELDS, "hotline_number": "5550100",
                                   "display_name": ""})  # its name reads as the program id
    feed = calendars.rota_feed(PROGRAM, "primary", token(rota_feed_path(PROGRAM, "primary")),
                               directory=directory, secret=SECRET, clock=FakeClock(NOW))
    assert feed.name == "west-iop on call: primary" and feed.events


def test_feed_urls_carry_tokens_that_open_their_feeds() -> None:
    links = calendars.feed_urls(PROGRAM, "https://abc.execute-api.us-east-1.amazonaws.com/prod/",
                                SECRET, ["primary", "backup"], ["clin-ana"])
    assert [(link.kind, link.name) for link in links] == [
        ("rota", "primary"), ("rota", "backup"), ("clinician", "clin-ana")]
    assert links[0].url.startswith(
        "https://abc.execute-api.us-east-1.amazonaws.com/prod/v1/calendars/west-iop/rotas/"
        "primary.ics?token=")
    assert calendars.feed_urls(
        PROGRAM, "https://abc.execute-api.us-east-1.amazonaws.com/prod/v1/calendars", SECRET,
        ["primary", "backup"], ["clin-ana"]) == links
    directory, clock = Directory(), FakeClock(NOW)
    for link in links:
        parts = urlsplit(link.url)
        (tok,) = parse_qs(parts.query)["token"]
        path = parts.path.removeprefix("/prod")
        assert token_matches(SECRET, path, tok)
        if link.kind == "rota":
            calendars.rota_feed(PROGRAM, link.name, tok, directory=directory, secret=SECRET,
                                clock=clock)
        else:
            calendars.clinician_feed(PROGRAM, link.name, tok, directory=directory,
                                     secret=SECRET, clock=clock)
