"""The DynamoDB adapters (PynamoDB) against moto, with the tables of template.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from pynamodb.exceptions import UpdateError

from crisis_pager.adapters.dynamo import codes, incidents
from crisis_pager.adapters.dynamo.directory import DynamoDirectory
from crisis_pager.adapters.dynamo.follow_ups import DynamoFollowUps
from crisis_pager.adapters.dynamo.opt_outs import DynamoOptOuts
from crisis_pager.adapters.dynamo.pages import DynamoPages
from crisis_pager.adapters.dynamo.timeline import DynamoTimeline
from crisis_pager.domain.errors import InvalidItem
from crisis_pager.domain.incident import (
    CODE_HOLD_AFTER_ACCEPT,
    AcceptOutcome,
    Incident,
    Page,
    Severity,
    Status,
)
from crisis_pager.domain.ladder import RungKind
from tests.component.moto_tables import (
    TABLE_NAMES,
    get_raw,
    mocked_tables,
    put_raw,
    race,
)

T0 = datetime(2025, 3, 4, 17, 30, 0, 250000, tzinfo=UTC)
LEASE = T0 - timedelta(seconds=1)  # a lease already lapsed: these tests are not about it
PROGRAM = "west-iop"


class DynamoIncidentStore(incidents.DynamoIncidents, DynamoPages, codes.DynamoReplyCodes,
                          DynamoFollowUps):
    """The incident table's four adapters (incidents, pages, reply codes, follow-ups) as
    one handle, the way these tests drive that one table."""


@pytest.fixture
def ddb() -> Iterator[Any]:
    with mocked_tables() as resource:
        yield resource


def incident(incident_id: str = "inc_a", **overrides: Any) -> Incident:
    fields: dict[str, Any] = {
        "incident_id": incident_id,
        "hotline_id": "hl-west",
        "event_id": f"evt-{incident_id}",
        "program_id": PROGRAM,
        "severity": Severity.HIGH,
        "participant_ref": "ptc-8842",
        "summary": "said she has pills saved",
        "code": "417",
        "status": Status.TRIGGERED,
        "opened_at": T0,
        "fingerprint": "f" * 64,
        "callback_url": "https://hotline.example/cb",
        "rungs": (
            {"kind": "page", "target": "primary", "window_s": 300},
            {"kind": "referral", "target": "referral", "window_s": 0},
        ),
    }
    fields.update(overrides)
    return Incident(**fields)


def page(incident_id: str = "inc_a", position: int = 0, **overrides: Any) -> Page:
    fields: dict[str, Any] = {
        "incident_id": incident_id,
        "position": position,
        "target": "primary",
        "clinician_id": "clin-ana",
        "phone": "+15035550101",
        "code": "417",
        "sent_at": T0 + timedelta(seconds=5),
    }
    fields.update(overrides)
    return Page(**fields)


def raw_incident(ddb: Any, incident_id: str) -> dict[str, Any] | None:
    return get_raw(ddb, "IncidentsTable", {"pk": incident_id, "sk": "incident"})


def raw_claim(ddb: Any, program_id: str, code: str) -> dict[str, Any] | None:
    return get_raw(ddb, "IncidentsTable", {"pk": f"code#{program_id}#{code}", "sk": "claim"})


# ------------------------------------------------------------------ incidents: create / get


def test_create_round_trips_the_incident(ddb: Any) -> None:
    store = DynamoIncidentStore()
    original = incident()
    assert store.create(original) is True
    assert store.get("inc_a") == original
    assert store.get("inc_missing") is None


def test_second_create_of_the_same_id_returns_false_and_keeps_the_first(ddb: Any) -> None:
    store = DynamoIncidentStore()
    first = incident()
    assert store.create(first) is True
    assert store.create(incident(summary="another request", severity=Severity.LOW,
                                 code="999")) is False
    assert store.get("inc_a") == first


# ------------------------------------------------------------------ incidents: short codes


class _ScriptedRandom:
    """Stands in for the `secrets` module where codes are drawn: randbelow answers from a
    script."""

    def __init__(self, values: list[int]) -> None:
        self.values = list(values)

    def randbelow(self, n: int) -> int:
        value = self.values.pop(0) if len(self.values) > 1 else self.values[0]
        assert 0 <= value < n
        return value


def _script(monkeypatch: pytest.MonkeyPatch, *values: int) -> None:
    fake = _ScriptedRandom(list(values))
    for module in (incidents, codes):  # incident codes, and a phone's reply codes
        monkeypatch.setattr(module, "secrets", SimpleNamespace(
            randbelow=fake.randbelow, token_hex=module.secrets.token_hex))


def test_fifty_claims_in_one_program_are_distinct_three_digit_codes(ddb: Any) -> None:
    store = DynamoIncidentStore()
    codes = [store.claim_code(PROGRAM, f"inc_{i}", T0) for i in range(50)]
    assert len(set(codes)) == 50
    assert all(len(c) == 3 and c.isdigit() and c[0] != "0" for c in codes)
    for i, code in enumerate(codes):
        claim = raw_claim(ddb, PROGRAM, code)
        assert claim is not None and claim["incident_id"] == f"inc_{i}"
        assert claim["expires_at"] == int((T0 + incidents.CODE_HOLD).timestamp())


def test_a_held_code_is_skipped_an_expired_one_is_reclaimed(
    ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DynamoIncidentStore()
    _script(monkeypatch, 23)  # 100 + 23
    assert store.claim_code(PROGRAM, "inc_a", T0) == "123"

    _script(monkeypatch, 23, 23, 24)  # 123 is held (six days later): the next draw wins
    assert store.claim_code(PROGRAM, "inc_b", T0 + timedelta(days=6)) == "124"
    assert raw_claim(ddb, PROGRAM, "123")["incident_id"] == "inc_a"

    _script(monkeypatch, 23)  # eight days later inc_a's claim has expired
    later = T0 + timedelta(days=8)
    assert store.claim_code(PROGRAM, "inc_c", later) == "123"
    claim = raw_claim(ddb, PROGRAM, "123")
    assert claim["incident_id"] == "inc_c"
    assert claim["expires_at"] == int((later + incidents.CODE_HOLD).timestamp())


def test_the_same_code_in_another_program_is_free(
    ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DynamoIncidentStore()
    _script(monkeypatch, 23)
    assert store.claim_code(PROGRAM, "inc_a", T0) == "123"
    assert store.claim_code("east-iop", "inc_b", T0) == "123"
    assert raw_claim(ddb, PROGRAM, "123")["incident_id"] == "inc_a"
    assert raw_claim(ddb, "east-iop", "123")["incident_id"] == "inc_b"


def test_a_crowded_three_digit_space_widens_to_four_digits(
    ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DynamoIncidentStore()
    _script(monkeypatch, 23)
    assert store.claim_code(PROGRAM, "inc_a", T0) == "123"
    assert store.claim_code(PROGRAM, "inc_b", T0) == "1023"  # 30 collisions, then 1000 + 23


def test_release_code_only_deletes_the_claim_held_by_that_incident(
    ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DynamoIncidentStore()
    _script(monkeypatch, 23)
    assert store.claim_code(PROGRAM, "inc_a", T0) == "123"

    store.release_code(PROGRAM, "123", "inc_other")
    assert raw_claim(ddb, PROGRAM, "123")["incident_id"] == "inc_a"
    store.release_code("east-iop", "123", "inc_a")
    assert raw_claim(ddb, PROGRAM, "123")["incident_id"] == "inc_a"

    store.release_code(PROGRAM, "123", "inc_a")
    assert raw_claim(ddb, PROGRAM, "123") is None
    store.release_code(PROGRAM, "123", "inc_a")  # already gone: no error, nothing created
    assert raw_claim(ddb, PROGRAM, "123") is None
    assert store.claim_code(PROGRAM, "inc_b", T0) == "123"  # free again at once


# ------------------------------------------------------------------ incidents: rungs and pages


def test_claim_rung_moves_forward_retries_and_refuses_older_positions(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.create(incident())

    assert store.claim_rung("inc_a", 0, "primary", "clin-ana", "token-0", LEASE) is not None
    got = store.get("inc_a")
    assert (got.position, got.current_target, got.task_token) == (0, "primary", "token-0")
    assert raw_incident(ddb, "inc_a")["current_clinician"] == "clin-ana"

    # a retried invocation of the same rung gets a new task token: it must be stored
    assert store.claim_rung("inc_a", 0, "primary", "clin-ana", "token-0b", LEASE) is not None
    assert store.get("inc_a").task_token == "token-0b"

    assert store.claim_rung("inc_a", 2, "backup", "clin-ben", "token-2", LEASE) is not None
    assert store.claim_rung("inc_a", 1, "primary", "clin-ana", "token-1", LEASE) is None
    got = store.get("inc_a")
    assert (got.position, got.current_target, got.task_token) == (2, "backup", "token-2")


@pytest.mark.parametrize("status", [Status.ACCEPTED, Status.RESOLVED])
def test_claim_rung_fails_once_the_incident_is_closed(ddb: Any, status: Status) -> None:
    store = DynamoIncidentStore()
    store.create(incident(status=status))
    assert store.claim_rung("inc_a", 0, "primary", "clin-ana", "token-0", LEASE) is None
    got = store.get("inc_a")
    assert (got.position, got.task_token) == (-1, None)


def test_claim_rung_after_accept_fails_and_a_referred_incident_still_pages(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.create(incident("inc_a"))
    store.create(incident("inc_b", status=Status.REFERRED))
    assert store.claim_rung("inc_a", 0, "primary", "clin-ana", "token-0", LEASE) is not None
    assert store.accept("inc_a", "clin-ana", T0 + timedelta(minutes=1)).outcome is (
        AcceptOutcome.ACCEPTED)
    assert store.claim_rung("inc_a", 1, "backup", "clin-ben", "token-1", LEASE) is None
    assert store.get("inc_a").task_token == "token-0"

    assert store.claim_rung("inc_b", 4, "supervisor", "clin-caro", "token-4", LEASE) is not None


def test_writes_to_a_missing_incident_fail_and_create_nothing(ddb: Any) -> None:
    store = DynamoIncidentStore()
    assert store.claim_rung("inc_x", 0, "primary", "clin-ana", "t", LEASE) is None
    assert store.accept("inc_x", "clin-ana", T0).outcome is AcceptOutcome.NOT_OPEN
    assert store.refer("inc_x", T0, {"crisis_line": "+15035550111"}) is False
    assert raw_incident(ddb, "inc_x") is None


def test_record_page_is_conditional_per_position(ddb: Any) -> None:
    store = DynamoIncidentStore()
    first = page(position=0)
    assert store.record_page(first) is True
    assert store.record_page(page(position=0, clinician_id="clin-ben",
                                  phone="+15035550102")) is False
    assert store.page_for("inc_a", 0) == first
    assert store.record_page(page(position=1, target="backup")) is True
    assert store.page_for("inc_a", 1).target == "backup"
    assert store.page_for("inc_a", 2) is None


def test_set_page_sent_stores_the_sid_and_never_creates_a_page(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.record_page(page(position=0))
    store.set_page_sent("inc_a", 0, "SM" + "a" * 32)
    assert store.page_for("inc_a", 0).message_sid == "SM" + "a" * 32
    with pytest.raises(UpdateError):
        store.set_page_sent("inc_a", 7, "SM" + "b" * 32)
    assert store.page_for("inc_a", 7) is None


def test_find_page_returns_the_newest_page_for_phone_and_code(ddb: Any) -> None:
    store = DynamoIncidentStore()
    ana, ben = "+15035550101", "+15035550102"
    older = page("inc_old", 0, phone=ana, code="417", sent_at=T0.replace(microsecond=0))
    newer = page("inc_new", 2, phone=ana, code="417", sent_at=T0 + timedelta(days=2))
    between = page("inc_mid", 1, phone=ana, code="417", sent_at=T0 + timedelta(hours=3))
    for p in (older, newer, between):
        assert store.record_page(p)
    assert store.record_page(page("inc_other", 0, phone=ana, code="4170",
                                  sent_at=T0 + timedelta(days=3)))
    assert store.record_page(page("inc_ben", 0, phone=ben, code="555"))

    assert store.find_page(ana, "417") == newer
    assert store.find_page(ana, "4170").incident_id == "inc_other"
    assert store.find_page(ana, "41") is None  # a prefix of a code is not the code
    assert store.find_page(ana, "555") is None  # another phone's code
    assert store.find_page(ben, "417") is None  # another phone
    assert store.find_page("+15035550199", "417") is None
    assert store.find_page(ben, "555").incident_id == "inc_ben"


# ------------------------------------------------------------------ incidents: accept / refer


def test_accept_is_conditional_and_keeps_the_first_clinician(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.create(incident())
    first_at = T0 + timedelta(minutes=2)
    assert store.accept("inc_a", "clin-ana", first_at).outcome is AcceptOutcome.ACCEPTED
    assert store.accept("inc_a", "clin-ben", first_at + timedelta(seconds=3)).outcome is (
        AcceptOutcome.NOT_OPEN)
    got = store.get("inc_a")
    assert (got.status, got.accepted_by, got.accepted_at) == (Status.ACCEPTED, "clin-ana",
                                                             first_at)


@pytest.mark.parametrize(("status", "accepted"), [
    (Status.REFERRED, True), (Status.RESOLVED, False), (Status.ACCEPTED, False),
])
def test_accept_only_from_an_open_status(ddb: Any, status: Status, accepted: bool) -> None:
    store = DynamoIncidentStore()
    store.create(incident(status=status))
    expected = AcceptOutcome.ACCEPTED if accepted else AcceptOutcome.NOT_OPEN
    assert store.accept("inc_a", "clin-ana", T0).outcome is expected
    assert store.get("inc_a").status is (Status.ACCEPTED if accepted else status)


def test_refer_only_from_triggered(ddb: Any) -> None:
    store = DynamoIncidentStore()
    referral = {"crisis_line": "+15035550111", "emergency_department": "Providence ED"}
    store.create(incident("inc_a"))
    at = T0 + timedelta(minutes=15)
    assert store.refer("inc_a", at, referral) is True
    got = store.get("inc_a")
    assert (got.status, got.referred_at, got.referral) == (Status.REFERRED, at, referral)
    assert store.refer("inc_a", at + timedelta(minutes=1), {"crisis_line": "x"}) is False
    assert store.get("inc_a").referral == referral

    store.create(incident("inc_b"))
    assert store.accept("inc_b", "clin-ana", at).outcome is AcceptOutcome.ACCEPTED
    assert store.refer("inc_b", at, referral) is False
    got = store.get("inc_b")
    assert (got.status, got.referral, got.referred_at) == (Status.ACCEPTED, None, None)


def test_end_ladder_only_while_open_and_keeps_the_first_instant(ddb: Any) -> None:
    """The ladder's end is recorded only while nobody has accepted (an acceptance
    written first makes the running execution tell the hotline instead)."""
    store = DynamoIncidentStore()
    store.create(incident("inc_a", status=Status.REFERRED))
    at = T0 + timedelta(minutes=45)
    assert store.end_ladder("inc_a", at) is True
    assert store.end_ladder("inc_a", at + timedelta(seconds=5)) is True  # a retried step
    assert store.get("inc_a").ladder_ended_at == at
    assert store.accept("inc_a", "clin-caro", at + timedelta(minutes=1)).outcome is (
        AcceptOutcome.ACCEPTED)  # referred -> accepted after the end
    assert store.get("inc_a").ladder_ended_at == at

    store.create(incident("inc_b", status=Status.REFERRED))
    assert store.accept("inc_b", "clin-caro", at).outcome is AcceptOutcome.ACCEPTED
    assert store.end_ladder("inc_b", at) is False
    assert store.get("inc_b").ladder_ended_at is None
    store.create(incident("inc_c", status=Status.RESOLVED))
    assert store.end_ladder("inc_c", at) is False
    assert store.end_ladder("inc_x", at) is False
    assert raw_incident(ddb, "inc_x") is None


def test_concurrent_accepts_exactly_one_wins(ddb: Any) -> None:
    # moto's conditional writes are not atomic across threads (DynamoDB's are): see
    # moto_tables.atomic_writes. Without it this test sees two winners about one run in ten.
    store = DynamoIncidentStore()
    store.create(incident())
    # Warm botocore/moto's lazy per-operation set-up (success and conditional-failure
    # paths) in this thread, so the race below is only the one under test.
    assert store.claim_rung("inc_a", 0, "primary", "clin-ana", "t", LEASE) is not None
    assert store.accept("inc_missing", "clin-x", T0).outcome is AcceptOutcome.NOT_OPEN
    results = race(lambda clinician_id: store.accept("inc_a", clinician_id, T0).outcome
                   is AcceptOutcome.ACCEPTED, [f"clin-{i}" for i in range(8)], timeout=30)
    assert len(results) == 8
    winners = [c for c, won in results.items() if won]
    assert len(winners) == 1
    assert store.get("inc_a").accepted_by == winners[0]


# ------------------------------------------------------------------ timeline


def test_timeline_entries_come_back_in_time_order_with_details(ddb: Any) -> None:
    timeline = DynamoTimeline()
    pacific = timezone(timedelta(hours=-8))
    timeline.append("inc_a", T0 + timedelta(minutes=5), "paged", position=1, target="backup",
                    message_sid="SM1")
    timeline.append("inc_a", T0, "opened", severity="high", code="417")
    # 17:31 UTC written as 09:31-08:00: sorts by instant, not by wall-clock text
    timeline.append("inc_a", (T0 + timedelta(minutes=1)).astimezone(pacific), "paged",
                    position=0, target="primary", error_code=None)
    timeline.append("inc_b", T0, "opened", severity="low")

    entries = timeline.entries("inc_a")
    assert [e["kind"] for e in entries] == ["opened", "paged", "paged"]
    assert entries[0] == {"at": T0.isoformat(), "kind": "opened", "severity": "high",
                          "code": "417"}
    assert entries[1] == {"at": (T0 + timedelta(minutes=1)).isoformat(), "kind": "paged",
                          "position": 0, "target": "primary"}
    assert entries[2]["position"] == 1 and isinstance(entries[2]["position"], int)
    assert entries[2]["message_sid"] == "SM1"
    assert timeline.entries("inc_none") == []


def test_timeline_appends_at_the_same_instant_both_remain(ddb: Any) -> None:
    timeline = DynamoTimeline()
    timeline.append("inc_a", T0, "accept_rejected", clinician_id="clin-ben")
    timeline.append("inc_a", T0, "accepted", clinician_id="clin-ana")
    entries = timeline.entries("inc_a")
    assert len(entries) == 2
    assert {e["clinician_id"] for e in entries} == {"clin-ana", "clin-ben"}


def test_timeline_entries_expire_after_six_years_of_retention(ddb: Any) -> None:
    DynamoTimeline().append("inc_a", T0, "opened", severity="high")
    (item,) = boto3.resource("dynamodb", region_name="us-east-1").Table(
        "crisis-pager-timeline").scan()["Items"]
    expires = datetime.fromtimestamp(int(item["expires_at"]), UTC)
    assert timedelta(days=6 * 365) <= expires - T0 <= timedelta(days=6 * 366)
    assert "expires_at" not in DynamoTimeline().entries("inc_a")[0], "not part of the entry"


# ------------------------------------------------------------------ directory (admin items)

PROGRAM_ITEM: dict[str, Any] = {
    "program_id": PROGRAM,
    "key": "program",
    "display_name": "West IOP",
    "hotline_number": "+15035550100",
    "crisis_line": "+15035550111",
    "mobile_crisis_team": "+15035550122",
    "emergency_department": "Providence Portland Medical Center ED",
    "emergency_department_phone": "+15035550133",
    "ladder_high": "primary 2m, referral, supervisor 5m x2",
    "admin_phones": ["+15035550190"],
}
ROTA_ITEM: dict[str, Any] = {
    "program_id": PROGRAM,
    "key": "rota#primary",
    "timezone": "America/Los_Angeles",
    "handoff": "08:00",
    "shift_days": 7,
    "starts_on": "2025-03-03",
    "members": ["clin-ana", "clin-ben"],
}
NIGHTS_ITEM: dict[str, Any] = {
    "program_id": PROGRAM,
    "key": "rota#backup#nights",
    "timezone": "America/Chicago",
    "handoff": "18:00",
    "shift_hours": 12,
    "starts_on": "2025-03-01",
    "members": ["clin-caro"],
    "active": ["Mon-Fri 18:00-08:00"],
}
OVERRIDE_ITEM: dict[str, Any] = {
    "program_id": PROGRAM,
    "key": "override#primary#2025-03-10#a1",
    "rota": "primary",
    "clinician": "clin-caro",
    "starts": "2025-03-10 08:00",
    "ends": "2025-03-11 08:00",
    "timezone": "America/Los_Angeles",
    "created_at": "2025-03-05T10:15:00Z",
}
CLINICIAN_ITEM: dict[str, Any] = {
    "clinician_id": "clin-ana", "name": "Ana Alvarez", "phone": "+15035550101",
}


def test_directory_reads_a_console_shaped_program(ddb: Any) -> None:
    put_raw(ddb, "ProgramsTable", PROGRAM_ITEM)
    program = DynamoDirectory().program(PROGRAM)
    assert program.display_name == "West IOP"
    assert program.hotline_number == "+15035550100"
    assert program.admin_phones == ("+15035550190",)
    assert program.resources.emergency_department_phone == "+15035550133"
    high = program.ladder_for(Severity.HIGH)
    assert [(r.kind, r.target, r.window_s) for r in high] == [
        (RungKind.PAGE, "primary", 120), (RungKind.REFERRAL, "referral", 0),
        (RungKind.PAGE, "supervisor", 300), (RungKind.PAGE, "supervisor", 300),
    ]
    assert program.ladder_for(Severity.LOW)  # no ladder_low on the item: the default


def test_a_null_program_field_reads_as_absent(ddb: Any) -> None:
    put_raw(ddb, "ProgramsTable", {**PROGRAM_ITEM, "timezone": None, "closed_dates": None})
    program = DynamoDirectory().program(PROGRAM)
    assert program is not None and program.problems == ()
    assert (program.timezone, program.closed_dates) == (None, ())


def test_directory_reads_console_shaped_rotas_and_overrides(ddb: Any) -> None:
    for item in (PROGRAM_ITEM, ROTA_ITEM, NIGHTS_ITEM, OVERRIDE_ITEM):
        put_raw(ddb, "ProgramsTable", item)
    put_raw(ddb, "ProgramsTable", {**ROTA_ITEM, "program_id": "east-iop"})
    schedule = DynamoDirectory().schedule(PROGRAM)

    assert schedule.invalid == ()
    assert sorted(r.key for r in schedule.rotas) == ["rota#backup#nights", "rota#primary"]
    (primary,) = schedule.rotas_for("primary")
    assert primary.timezone.key == "America/Los_Angeles"
    assert primary.shift_days == 7 and primary.shift_hours == 7 * 24
    assert primary.starts_on.isoformat() == "2025-03-03"
    assert primary.members == ("clin-ana", "clin-ben")
    assert (primary.handoff.hour, primary.handoff.minute) == (8, 0)
    (nights,) = schedule.rotas_for("backup")
    assert (nights.shift_hours, nights.members) == (12, ("clin-caro",))
    assert nights.active_text == ("Mon-Fri 18:00-08:00",)

    (override,) = schedule.overrides
    assert (override.role, override.clinician_id) == ("primary", "clin-caro")
    assert override.starts == datetime(2025, 3, 10, 15, 0, tzinfo=UTC)  # 08:00 PDT
    assert override.created_at == datetime(2025, 3, 5, 10, 15, tzinfo=UTC)


def test_directory_reads_a_console_shaped_clinician(ddb: Any) -> None:
    put_raw(ddb, "CliniciansTable", CLINICIAN_ITEM)
    clinician = DynamoDirectory().clinician("clin-ana")
    assert (clinician.clinician_id, clinician.name, clinician.phone) == (
        "clin-ana", "Ana Alvarez", "+15035550101")


def test_directory_missing_items_are_none_or_empty(ddb: Any) -> None:
    put_raw(ddb, "ProgramsTable", PROGRAM_ITEM)
    put_raw(ddb, "CliniciansTable", CLINICIAN_ITEM)
    directory = DynamoDirectory()
    assert directory.program("east-iop") is None
    assert directory.clinician("clin-nobody") is None
    schedule = directory.schedule(PROGRAM)  # a program item, but no rota yet
    assert (schedule.rotas, schedule.overrides, schedule.invalid) == ((), (), ())
    assert directory.schedule("east-iop").rotas == ()


def test_a_pages_two_items_are_one_read_as_each_reads_alone(ddb: Any) -> None:
    put_raw(ddb, "ProgramsTable", PROGRAM_ITEM)
    put_raw(ddb, "CliniciansTable", CLINICIAN_ITEM)
    directory = DynamoDirectory()
    program, clinician = directory.program_and_clinician(PROGRAM, "clin-ana")
    assert (program, clinician) == (directory.program(PROGRAM), directory.clinician("clin-ana"))
    assert program is not None and program.display_name == "West IOP"
    put_raw(ddb, "ProgramsTable", {**PROGRAM_ITEM, "ladder_high": "primary soon"})
    program, _ = directory.program_and_clinician(PROGRAM, "clin-ana")
    assert program is not None and [p.field for p in program.problems] == ["ladder_high"]
    assert directory.program_and_clinician("east-iop", "clin-nobody") == (None, None)
    alone, nobody = directory.program_and_clinician(PROGRAM, "clin-nobody")
    assert alone is not None and alone.display_name == "West IOP" and nobody is None
    put_raw(ddb, "CliniciansTable", {**CLINICIAN_ITEM, "phone": Decimal("15035550101")})
    with pytest.raises(InvalidItem) as exc:
        directory.program_and_clinician(PROGRAM, "clin-ana")
    _check(exc.value, "clinicians", "clin-ana", "phone", "must be text")


def test_directory_clinicians_by_id(ddb: Any) -> None:
    put_raw(ddb, "CliniciansTable", CLINICIAN_ITEM)
    put_raw(ddb, "CliniciansTable", {"clinician_id": "clin-ben", "name": "Ben",
                                     "phone": "503-555-0102"})
    found = DynamoDirectory().clinicians(["clin-ana", "clin-ben", "clin-nobody"])
    assert found["clin-ana"].phone == "+15035550101"
    assert isinstance(found["clin-ben"], InvalidItem) and found["clin-ben"].field == "phone"
    assert found["clin-nobody"] is None


def _check(err: InvalidItem, table: str, key: str, field: str, *reason_words: str) -> None:
    assert (err.table, err.key, err.field) == (table, key, field)
    message = str(err)
    assert message.startswith(f"{table} item {key}: field '{field}' "), message
    assert message.endswith(err.reason)
    for word in reason_words:
        assert word in err.reason, f"{word!r} not in the reason {err.reason!r}"


@pytest.mark.parametrize(("overrides", "field", "reason_words"), [
    ({"shift_days": "7"}, "shift_days", ("must be a number",)),
    ({"members": {"clin-ana", "clin-ben"}}, "members", ("must be a list",)),
    ({"timezone": "Pacific/Portland"}, "timezone", ("'Pacific/Portland'", "IANA")),
    ({"timezone": ""}, "timezone", ("missing",)),
    ({"shift_days": Decimal("0")}, "shift_days", ("between 1 and 366",)),
    ({"shift_days": None, "shift_hours": Decimal("5")}, "shift_hours", ("divide a day",)),
    ({"shift_hours": Decimal("12")}, "shift_days", ("exactly one",)),
    ({"members": []}, "members", ("empty",)),
    ({"members": ["clin-ana", "Ben Okafor"]}, "members", ("'Ben Okafor'",)),
    ({"handoff": "8am"}, "handoff", ("'8am'", "HH:MM")),
    ({"starts_on": "03/03/2025"}, "starts_on", ("'03/03/2025'", "YYYY-MM-DD")),
    ({"active": ["weekdays"]}, "active", ("'weekdays'",)),
])
def test_a_malformed_rota_is_listed_invalid_naming_table_item_field_and_reason(
    ddb: Any, overrides: dict[str, Any], field: str, reason_words: tuple[str, ...]
) -> None:
    item = {k: v for k, v in {**ROTA_ITEM, **overrides}.items() if v is not None}
    put_raw(ddb, "ProgramsTable", item)
    put_raw(ddb, "ProgramsTable", NIGHTS_ITEM)
    put_raw(ddb, "ProgramsTable", OVERRIDE_ITEM)
    schedule = DynamoDirectory().schedule(PROGRAM)
    (err,) = schedule.invalid
    _check(err, "programs", f"{PROGRAM} / rota#primary", field, *reason_words)
    # one bad item never hides the others
    assert [r.key for r in schedule.rotas] == ["rota#backup#nights"]
    assert len(schedule.overrides) == 1


@pytest.mark.parametrize(("overrides", "field", "reason_words"), [
    ({"timezone": "Mars/Olympus"}, "timezone", ("'Mars/Olympus'", "IANA")),
    ({"starts": "10/03/2025 08:00"}, "starts", ("'10/03/2025 08:00'",)),
    ({"ends": "2025-03-09 08:00"}, "ends", ("not after starts",)),
    ({"created_at": "2025-03-05T10:15:00"}, "created_at", ("offset",)),
    ({"clinician": Decimal("7")}, "clinician", ("must be text",)),
])
def test_a_malformed_override_is_listed_invalid(
    ddb: Any, overrides: dict[str, Any], field: str, reason_words: tuple[str, ...]
) -> None:
    put_raw(ddb, "ProgramsTable", ROTA_ITEM)
    put_raw(ddb, "ProgramsTable", {**OVERRIDE_ITEM, **overrides})
    schedule = DynamoDirectory().schedule(PROGRAM)
    (err,) = schedule.invalid
    _check(err, "programs", f"{PROGRAM} / {OVERRIDE_ITEM['key']}", field, *reason_words)
    assert schedule.overrides == () and len(schedule.rotas) == 1


@pytest.mark.parametrize(("overrides", "field", "reason_words"), [
    ({"phone": "503-555-0101"}, "phone", ("'503-555-0101'", "E.164")),
    ({"phone": Decimal("15035550101")}, "phone", ("must be text",)),
    ({"name": "  "}, "name", ("missing or empty",)),
])
def test_a_malformed_clinician_raises_naming_table_item_field_and_reason(
    ddb: Any, overrides: dict[str, Any], field: str, reason_words: tuple[str, ...]
) -> None:
    put_raw(ddb, "CliniciansTable", {**CLINICIAN_ITEM, **overrides})
    with pytest.raises(InvalidItem) as exc:
        DynamoDirectory().clinician("clin-ana")
    _check(exc.value, "clinicians", "clin-ana", field, *reason_words)


@pytest.mark.parametrize(("overrides", "field", "reason_words"), [
    ({"hotline_number": Decimal("15035550100")}, "hotline_number", ("must be text",)),
    ({"crisis_line": "988"}, "crisis_line", ("'988'", "E.164")),
    ({"emergency_department": ["ED"]}, "emergency_department", ("must be text",)),
    ({"display_name": ""}, "display_name", ("missing or empty",)),
    ({"ladder_high": "primary soon"}, "ladder_high", ("primary soon",)),
    ({"admin_phones": ["+15035550190", "5550191"]}, "admin_phones", ("'5550191'",)),
    ({"admin_phones": "+15035550190"}, "admin_phones", ("must be a list",)),
    # typed at the console with the console's default type (text) or as a bare number
    ({"closed_dates": "2026-12-25"}, "closed_dates", ("must be a list",)),
    ({"location_max_age_hours": "12"}, "location_max_age_hours", ("must be a number",)),
    ({"timezone": Decimal("8")}, "timezone", ("must be text",)),
])
def test_a_malformed_optional_field_is_named_and_the_program_still_reads(
    ddb: Any, overrides: dict[str, Any], field: str, reason_words: tuple[str, ...]
) -> None:
    put_raw(ddb, "ProgramsTable", {**PROGRAM_ITEM, **overrides})
    program = DynamoDirectory().program(PROGRAM)
    assert program is not None and program.ladder_for(Severity.HIGH)
    (problem,) = program.problems
    _check(problem, "programs", f"{PROGRAM} / program", field, *reason_words)


def test_an_acceptance_waits_while_a_page_is_being_sent(ddb: Any) -> None:
    """The paging lease: accept reports a page in flight until the lease is released or
    lapses, so no SMS goes out after an acceptance."""
    store = DynamoIncidentStore()
    store.create(incident())
    lease = T0 + timedelta(seconds=10)
    assert store.claim_rung("inc_a", 0, "primary", "clin-ana", "token-0", lease)
    assert store.accept("inc_a", "clin-ana", T0).outcome is AcceptOutcome.PAGE_IN_FLIGHT
    assert store.get("inc_a").status is Status.TRIGGERED
    released = T0 + timedelta(seconds=1)
    store.release_rung("inc_a", 0, released)
    # The lease ends at its release: an acceptance stamped before it (its clock read
    # before the page went out) waits and retries; one stamped at or after it is recorded.
    early = released - timedelta(milliseconds=1)
    assert store.accept("inc_a", "clin-ana", early).outcome is AcceptOutcome.PAGE_IN_FLIGHT
    assert store.accept("inc_a", "clin-ana", released).outcome is AcceptOutcome.ACCEPTED
    assert store.get("inc_a").accepted_at == released


def test_a_lapsed_lease_does_not_block_and_release_only_drops_its_own(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.create(incident())
    lease = T0 + timedelta(seconds=10)
    assert store.claim_rung("inc_a", 0, "primary", "clin-ana", "token-0", lease)
    assert store.claim_rung("inc_a", 1, "backup", "clin-ben", "token-1", lease)
    # the older rung's release must not drop rung 1's lease
    store.release_rung("inc_a", 0, T0 + timedelta(seconds=1))
    assert store.accept("inc_a", "clin-ana", T0).outcome is AcceptOutcome.PAGE_IN_FLIGHT
    assert store.accept("inc_a", "clin-ana", lease + timedelta(seconds=1)).outcome is (
        AcceptOutcome.ACCEPTED)


# ------------------------------------------------------------------ reply codes per phone

ANA_PHONE, BEN_PHONE = "+15035550101", "+15035550102"


def raw_phone_code(ddb: Any, phone: str, code: str) -> dict[str, Any] | None:
    return get_raw(ddb, "IncidentsTable", {"pk": f"phone#{phone}", "sk": f"code#{code}"})


def phone_codes(ddb: Any, phone: str) -> dict[str, str]:
    """code -> incident of every code item of the phone (read raw, not through the adapter)."""
    items = ddb.Table(TABLE_NAMES["IncidentsTable"]).query(
        KeyConditionExpression="pk = :pk AND begins_with(sk, :code)",
        ExpressionAttributeValues={":pk": f"phone#{phone}", ":code": "code#"},
        ConsistentRead=True,
    )["Items"]
    return {item["sk"].removeprefix("code#"): item["incident_id"] for item in items}


def test_claim_page_code_gives_the_preferred_code_and_the_same_one_again(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.create(incident("inc_a"))
    assert store.claim_page_code(ANA_PHONE, "clin-ana", "417", "inc_a", T0) == "417"
    item = raw_phone_code(ddb, ANA_PHONE, "417")
    assert item is not None
    assert (item["incident_id"], item["clinician_id"]) == ("inc_a", "clin-ana")
    # expired by the table's TTL 45 days on (the application never deletes a claim)
    assert int(item["expires_at"]) == int((T0 + timedelta(days=45)).timestamp())
    # a retried page, or the next rung to the same phone: one code per incident per phone
    later = T0 + timedelta(minutes=5)
    assert store.claim_page_code(ANA_PHONE, "clin-ana", "417", "inc_a", later) == "417"
    assert store.claim_page_code(ANA_PHONE, "clin-ana", "999", "inc_a", later) == "417"
    assert phone_codes(ddb, ANA_PHONE) == {"417": "inc_a"}


def test_a_code_held_by_another_open_incident_is_not_reused(
    ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = DynamoIncidentStore()
    store.create(incident("inc_a"))
    store.create(incident("inc_b", code="417"))  # program codes may collide across time
    store.create(incident("inc_c", status=Status.REFERRED))
    assert store.claim_page_code(ANA_PHONE, "clin-ana", "417", "inc_a", T0) == "417"
    _script(monkeypatch, 23, 24)
    assert store.claim_page_code(ANA_PHONE, "clin-ana", "417", "inc_b", T0) == "123"
    # a referred incident is still open: its code is held too
    assert store.claim_page_code(ANA_PHONE, "clin-ana", "123", "inc_c", T0) == "124"
    assert phone_codes(ddb, ANA_PHONE) == {"417": "inc_a", "123": "inc_b", "124": "inc_c"}


@pytest.mark.parametrize("close", ["accepted_by_someone_else", "resolved", "accepted_long_ago",
                                   "incident_gone"])
def test_a_code_no_longer_held_is_reused(ddb: Any, close: str) -> None:
    store = DynamoIncidentStore()
    store.create(incident("inc_b"))
    if close != "incident_gone":
        store.create(incident("inc_a"))
    assert store.claim_page_code(ANA_PHONE, "clin-ana", "417", "inc_a", T0) == "417"
    now = T0 + timedelta(minutes=10)
    if close == "accepted_by_someone_else":
        assert store.accept("inc_a", "clin-ben", T0 + timedelta(minutes=1)).outcome is (
            AcceptOutcome.ACCEPTED)
    elif close == "resolved":
        assert store.resolve("inc_a", "clin-caro", T0 + timedelta(minutes=1)).outcome is (
            AcceptOutcome.ACCEPTED)
    elif close == "accepted_long_ago":
        assert store.accept("inc_a", "clin-ana", T0).outcome is AcceptOutcome.ACCEPTED
        now = T0 + CODE_HOLD_AFTER_ACCEPT + timedelta(seconds=1)
    assert store.claim_page_code(ANA_PHONE, "clin-ana", "417", "inc_b", now) == "417"
    item = raw_phone_code(ddb, ANA_PHONE, "417")
    assert (item["incident_id"], item["clinician_id"]) == ("inc_b", "clin-ana")
    assert phone_codes(ddb, ANA_PHONE) == {"417": "inc_b"}


def test_an_incident_accepted_by_this_clinician_keeps_its_code_for_a_while(
    ddb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A late "R 417" from the clinician who accepted must still name that incident."""
    store = DynamoIncidentStore()
    store.create(incident("inc_a"))
    store.create(incident("inc_b"))
    assert store.claim_page_code(ANA_PHONE, "clin-ana", "417", "inc_a", T0) == "417"
    accepted_at = T0 + timedelta(minutes=1)
    assert store.accept("inc_a", "clin-ana", accepted_at).outcome is AcceptOutcome.ACCEPTED
    _script(monkeypatch, 23)
    just_before = accepted_at + CODE_HOLD_AFTER_ACCEPT - timedelta(seconds=1)
    assert store.claim_page_code(ANA_PHONE, "clin-ana", "417", "inc_b", just_before) == "123"
    assert raw_phone_code(ddb, ANA_PHONE, "417")["incident_id"] == "inc_a"


def test_codes_are_per_phone(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.create(incident("inc_a"))
    store.create(incident("inc_b"))
    assert store.claim_page_code(ANA_PHONE, "clin-ana", "417", "inc_a", T0) == "417"
    assert store.claim_page_code(BEN_PHONE, "clin-ben", "417", "inc_b", T0) == "417"
    # and one incident paging two phones has a code on each
    assert store.claim_page_code(BEN_PHONE, "clin-ben", "417", "inc_a", T0) != "417"
    assert phone_codes(ddb, ANA_PHONE) == {"417": "inc_a"}
    assert sorted(phone_codes(ddb, BEN_PHONE).values()) == ["inc_a", "inc_b"]


def test_concurrent_claims_on_one_phone_get_distinct_codes(ddb: Any) -> None:
    store = DynamoIncidentStore()
    n = 6
    for i in range(n):
        store.create(incident(f"inc_{i}"))
    # warm botocore/moto's lazy set-up (query, batch get, put, conditional failure, get)
    store.create(incident("inc_warm"))
    store.claim_page_code(BEN_PHONE, "clin-ben", "417", "inc_warm", T0)
    store.claim_page_code(BEN_PHONE, "clin-ben", "417", "inc_0", T0)
    codes = race(lambda incident_id: store.claim_page_code(
        ANA_PHONE, "clin-ana", "417", incident_id, T0), [f"inc_{i}" for i in range(n)])
    assert len(codes) == n
    assert len(set(codes.values())) == n, codes
    assert "417" in codes.values()  # one of them got the preferred code
    # what is stored agrees: each code names the incident that was told it
    assert phone_codes(ddb, ANA_PHONE) == {code: inc for inc, code in codes.items()}


def test_open_codes_lists_only_the_codes_still_held(ddb: Any) -> None:
    store = DynamoIncidentStore()
    now = datetime.now(UTC)
    opened = now - timedelta(hours=1)
    for i, name in enumerate(["open", "referred", "theirs", "mine", "mine_old", "resolved"]):
        store.create(incident(f"inc_{name}", opened_at=opened + timedelta(minutes=10 - i)))
        code = str(500 + i)
        assert store.claim_page_code(ANA_PHONE, "clin-ana", code, f"inc_{name}", opened) == code
    assert store.refer("inc_referred", now, {"crisis_line": "+15035550111"})
    assert store.accept("inc_theirs", "clin-ben", now).outcome is AcceptOutcome.ACCEPTED
    assert store.accept("inc_mine", "clin-ana", now - timedelta(minutes=5)).outcome is (
        AcceptOutcome.ACCEPTED)
    assert store.accept("inc_mine_old", "clin-ana", now - CODE_HOLD_AFTER_ACCEPT
                        - timedelta(minutes=1)).outcome is AcceptOutcome.ACCEPTED
    assert store.resolve("inc_resolved", "clin-ana", now).outcome is AcceptOutcome.ACCEPTED

    found = store.open_codes(ANA_PHONE, now)
    # oldest incident first
    assert [(code, inc.incident_id) for code, inc in found] == [
        ("503", "inc_mine"), ("501", "inc_referred"), ("500", "inc_open")]
    assert found[0][1].status is Status.ACCEPTED
    assert store.open_codes(BEN_PHONE, now) == []


# ------------------------------------------------------------------ pages: delivery state


def test_mark_sms_failed_is_once_only_and_keeps_the_first_error(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.record_page(page(position=0))
    store.record_page(page(position=1))
    at = T0 + timedelta(seconds=20)
    assert store.mark_sms_failed("inc_a", 0, at, 30003) is True
    assert store.mark_sms_failed("inc_a", 0, at + timedelta(seconds=5), 30008) is False
    got = store.page_for("inc_a", 0)
    assert (got.sms_failed_at, got.error_code) == (at, 30003)
    assert store.mark_sms_failed("inc_a", 1, at, None) is True
    got = store.page_for("inc_a", 1)
    assert (got.sms_failed_at, got.error_code) == (at, None)


def test_delivery_updates_of_a_missing_page_fail_and_create_nothing(ddb: Any) -> None:
    store = DynamoIncidentStore()
    assert store.mark_sms_failed("inc_a", 0, T0, 30003) is False
    assert store.start_call("inc_a", 0, T0) is False
    store.set_call_sid("inc_a", 0, "CA" + "1" * 32)
    assert store.end_call("inc_a", 0, T0, "completed") is False
    assert store.record_pass("inc_a", 0, "clin-ana", T0) is False
    assert store.page_for("inc_a", 0) is None
    assert get_raw(ddb, "IncidentsTable", {"pk": "inc_a", "sk": "page#00"}) is None


def test_a_call_starts_once_and_ends_once_and_only_after_starting(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.record_page(page(position=0))
    started, ended = T0 + timedelta(seconds=30), T0 + timedelta(seconds=75)
    call_sid = "CA" + "c" * 32

    assert store.end_call("inc_a", 0, ended, "completed") is False  # not started
    store.set_call_sid("inc_a", 0, call_sid)  # not started: not stored
    assert store.page_for("inc_a", 0).call_sid is None

    assert store.start_call("inc_a", 0, started) is True
    assert store.start_call("inc_a", 0, started + timedelta(seconds=1)) is False
    store.set_call_sid("inc_a", 0, call_sid)
    got = store.page_for("inc_a", 0)
    assert (got.calling, got.call_started_at, got.call_sid, got.call_ended_at) == (
        True, started, call_sid, None)

    assert store.end_call("inc_a", 0, ended, "no-answer") is True
    assert store.end_call("inc_a", 0, ended + timedelta(seconds=9), "completed") is False
    got = store.page_for("inc_a", 0)
    assert (got.call_started_at, got.call_ended_at) == (started, ended)
    raw = get_raw(ddb, "IncidentsTable", {"pk": "inc_a", "sk": "page#00"})
    assert raw["call_status"] == "no-answer"


# ------------------------------------------------------------------ passes


def test_record_pass_only_for_the_clinician_and_position_the_incident_is_at(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.create(incident())
    store.record_page(page(position=0, clinician_id="clin-ana"))
    store.record_page(page(position=1, clinician_id="clin-ben", phone=BEN_PHONE))
    assert store.record_pass("inc_a", 0, "clin-ana", T0) is False  # no rung claimed yet
    assert store.claim_rung("inc_a", 0, "primary", "clin-ana", "token-0", LEASE)

    at = T0 + timedelta(seconds=40)
    assert store.record_pass("inc_a", 0, "clin-ben", at) is False  # not ben's rung
    assert store.record_pass("inc_a", 1, "clin-ana", at) is False  # not at rung 1
    assert store.page_for("inc_a", 0).passed_at is None
    assert store.record_pass("inc_a", 0, "clin-ana", at) is True
    assert store.record_pass("inc_a", 0, "clin-ana", at + timedelta(seconds=3)) is False
    assert store.page_for("inc_a", 0).passed_at == at

    assert store.claim_rung("inc_a", 1, "backup", "clin-ben", "token-1", LEASE)
    assert store.record_pass("inc_a", 0, "clin-ana", at) is False  # the ladder moved on
    assert store.record_pass("inc_a", 1, "clin-ben", at + timedelta(seconds=50)) is True
    assert store.page_for("inc_a", 1).passed_at == at + timedelta(seconds=50)
    assert raw_incident(ddb, "inc_a")["passed_position"] == 1


def test_record_pass_only_while_the_incident_is_open(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.create(incident("inc_a"))
    store.create(incident("inc_b"))
    for incident_id in ("inc_a", "inc_b"):
        store.record_page(page(incident_id, 0))
        assert store.claim_rung(incident_id, 0, "primary", "clin-ana", "token-0", LEASE)
    assert store.refer("inc_b", T0, {"crisis_line": "+15035550111"})
    assert store.record_pass("inc_b", 0, "clin-ana", T0) is True  # referred is still open
    assert store.accept("inc_a", "clin-ben", T0).outcome is AcceptOutcome.ACCEPTED
    assert store.record_pass("inc_a", 0, "clin-ana", T0) is False
    assert store.page_for("inc_a", 0).passed_at is None


# ------------------------------------------------------------------ resolve


@pytest.mark.parametrize("status", [Status.TRIGGERED, Status.REFERRED])
def test_an_open_incident_is_resolved_by_anyone(ddb: Any, status: Status) -> None:
    store = DynamoIncidentStore()
    store.create(incident(status=status))
    at = T0 + timedelta(minutes=30)
    assert store.resolve("inc_a", "clin-supervisor", at).outcome is AcceptOutcome.ACCEPTED
    got = store.get("inc_a")
    assert (got.status, got.resolved_by, got.resolved_at) == (
        Status.RESOLVED, "clin-supervisor", at)


def test_an_accepted_incident_is_resolved_only_by_its_acceptor(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.create(incident())
    assert store.accept("inc_a", "clin-ana", T0).outcome is AcceptOutcome.ACCEPTED
    at = T0 + timedelta(hours=1)
    assert store.resolve("inc_a", "clin-ben", at).outcome is AcceptOutcome.NOT_OPEN
    got = store.get("inc_a")
    assert (got.status, got.resolved_by) == (Status.ACCEPTED, None)
    assert store.resolve("inc_a", "clin-ana", at).outcome is AcceptOutcome.ACCEPTED
    got = store.get("inc_a")
    assert (got.status, got.resolved_by, got.resolved_at, got.accepted_by) == (
        Status.RESOLVED, "clin-ana", at, "clin-ana")


def test_resolve_waits_while_a_page_is_being_sent(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.create(incident())
    lease = T0 + timedelta(seconds=10)
    assert store.claim_rung("inc_a", 0, "primary", "clin-ana", "token-0", lease)
    assert store.resolve("inc_a", "clin-ana", T0).outcome is AcceptOutcome.PAGE_IN_FLIGHT
    assert store.get("inc_a").status is Status.TRIGGERED
    assert store.resolve("inc_a", "clin-ana", lease + timedelta(seconds=1)).outcome is (
        AcceptOutcome.ACCEPTED)
    assert store.get("inc_a").status is Status.RESOLVED
    assert "paging_until" not in raw_incident(ddb, "inc_a")


def test_resolving_twice_or_a_missing_incident_is_not_open(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.create(incident())
    assert store.resolve("inc_a", "clin-ana", T0).outcome is AcceptOutcome.ACCEPTED
    later = T0 + timedelta(minutes=1)
    assert store.resolve("inc_a", "clin-ben", later).outcome is AcceptOutcome.NOT_OPEN
    got = store.get("inc_a")
    assert (got.resolved_by, got.resolved_at) == ("clin-ana", T0)
    assert store.accept("inc_a", "clin-ben", later).outcome is AcceptOutcome.NOT_OPEN
    assert store.resolve("inc_missing", "clin-ana", T0).outcome is AcceptOutcome.NOT_OPEN
    assert raw_incident(ddb, "inc_missing") is None


# ------------------------------------------------------------------ the paging lease


def test_renew_lease_only_while_open_and_at_the_rung(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.create(incident())
    lease = T0 + timedelta(seconds=10)
    assert store.claim_rung("inc_a", 0, "primary", "clin-ana", "token-0", lease)
    renewed = T0 + timedelta(seconds=25)
    assert store.renew_lease("inc_a", 0, renewed) is True
    assert store.get("inc_a").status is Status.TRIGGERED
    assert store.accept("inc_a", "clin-ana", lease + timedelta(seconds=1)).outcome is (
        AcceptOutcome.PAGE_IN_FLIGHT)  # the renewed lease holds the acceptance off
    assert store.renew_lease("inc_a", 1, renewed) is False  # not at rung 1

    assert store.claim_rung("inc_a", 1, "backup", "clin-ben", "token-1", lease)
    assert store.renew_lease("inc_a", 0, T0 + timedelta(minutes=5)) is False  # moved on
    assert store.accept("inc_a", "clin-ben", renewed + timedelta(seconds=1)).outcome is (
        AcceptOutcome.ACCEPTED)
    assert store.renew_lease("inc_a", 1, T0 + timedelta(minutes=5)) is False  # accepted
    assert "paging_until" not in raw_incident(ddb, "inc_a")
    assert store.renew_lease("inc_missing", 0, lease) is False
    assert raw_incident(ddb, "inc_missing") is None


# ------------------------------------------------------------------ opt-outs


def test_opt_outs_round_trip(ddb: Any) -> None:
    opt_outs = DynamoOptOuts()
    assert opt_outs.opted_out(ANA_PHONE) is False
    assert opt_outs.opt_in(ANA_PHONE) is False  # not opted out: nothing to undo

    assert opt_outs.opt_out(ANA_PHONE, T0, "STOP") is True
    assert opt_outs.opt_out(ANA_PHONE, T0 + timedelta(hours=1), "21610") is False
    assert opt_outs.opted_out(ANA_PHONE) is True
    assert opt_outs.opted_out(BEN_PHONE) is False
    raw = get_raw(ddb, "IncidentsTable", {"pk": f"phone#{ANA_PHONE}", "sk": "sms-opt-out"})
    assert raw["via"] == "STOP"  # the first opt-out is kept

    assert opt_outs.opt_in(ANA_PHONE) is True
    assert opt_outs.opted_out(ANA_PHONE) is False
    assert opt_outs.opt_in(ANA_PHONE) is False
    assert opt_outs.opt_out(ANA_PHONE, T0 + timedelta(days=1), "STOP") is True


def test_an_opt_out_does_not_disturb_the_phones_codes(ddb: Any) -> None:
    store, opt_outs = DynamoIncidentStore(), DynamoOptOuts()
    store.create(incident())
    assert store.claim_page_code(ANA_PHONE, "clin-ana", "417", "inc_a", T0) == "417"
    assert opt_outs.opt_out(ANA_PHONE, T0, "STOP")
    assert opt_outs.opt_in(ANA_PHONE)
    assert phone_codes(ddb, ANA_PHONE) == {"417": "inc_a"}
    assert [code for code, _ in store.open_codes(ANA_PHONE, T0)] == ["417"]


# ------------------------------------------------------------------ clinicians by phone


def test_clinicians_with_phone_finds_everyone_on_that_phone(ddb: Any) -> None:
    put_raw(ddb, "CliniciansTable", CLINICIAN_ITEM)
    put_raw(ddb, "CliniciansTable", {"clinician_id": "clin-aaron", "name": "Aaron Alvarez",
                                     "phone": ANA_PHONE})  # a shared on-call phone
    put_raw(ddb, "CliniciansTable", {"clinician_id": "clin-ben", "name": "Ben Okafor",
                                     "phone": BEN_PHONE})
    put_raw(ddb, "CliniciansTable", {"clinician_id": "clin-nameless", "name": "  ",
                                     "phone": ANA_PHONE})  # malformed: skipped
    put_raw(ddb, "CliniciansTable", {"clinician_id": "clin-nophone", "name": "Dee"})
    found = DynamoDirectory().clinicians_with_phone(ANA_PHONE)
    assert [(c.clinician_id, c.name, c.phone) for c in found] == [
        ("clin-aaron", "Aaron Alvarez", ANA_PHONE), ("clin-ana", "Ana Alvarez", ANA_PHONE)]
    assert [c.clinician_id for c in DynamoDirectory().clinicians_with_phone(BEN_PHONE)] == [
        "clin-ben"]
    assert DynamoDirectory().clinicians_with_phone("+15035550177") == []


def test_clinicians_with_phone_skips_an_item_with_a_wrong_dynamodb_type(ddb: Any) -> None:
    put_raw(ddb, "CliniciansTable", CLINICIAN_ITEM)
    put_raw(ddb, "CliniciansTable", {"clinician_id": "clin-seven", "name": Decimal("7"),
                                     "phone": ANA_PHONE})
    found = DynamoDirectory().clinicians_with_phone(ANA_PHONE)
    assert [c.clinician_id for c in found] == ["clin-ana"]


# ---------------------------------------------------------------- the follow-up


def test_follow_up_writes_on_the_table(ddb: Any) -> None:
    """Resolve with a due time makes the resolver its owner; attempts stop at 3 (the count
    comes back from the update itself); only the owner records or closes; once."""
    store = DynamoIncidentStore()
    store.create(incident())
    due = T0 + timedelta(hours=24)
    assert store.resolve("inc_a", "clin-ana", T0, due).outcome is AcceptOutcome.ACCEPTED
    resolved = store.get("inc_a")
    assert resolved is not None and resolved.follow_up_open
    assert (resolved.follow_up_owner, resolved.follow_up_due_at) == ("clin-ana", due)
    assert store.record_follow_up_attempt("inc_a", "clin-ben", T0) is None
    counts = [store.record_follow_up_attempt("inc_a", "clin-ana", T0 + timedelta(minutes=m))
              for m in (1, 2, 3, 4)]
    assert counts == [1, 2, 3, None]
    stored = store.get("inc_a")
    assert stored is not None
    assert stored.follow_up_attempts == tuple(T0 + timedelta(minutes=m) for m in (1, 2, 3))
    assert store.close_follow_up("inc_a", "clin-ben", T0) is False
    assert store.close_follow_up("inc_a", "clin-ana", T0 + timedelta(hours=1)) is True
    assert store.close_follow_up("inc_a", "clin-ana", T0 + timedelta(hours=2)) is False
    done = store.get("inc_a")
    assert done is not None and not done.follow_up_open
    assert done.follow_up_done_by == "clin-ana"


def test_an_overdue_follow_ups_rung_is_claimed_and_taken_over(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.create(incident())
    store.resolve("inc_a", "clin-ana", T0, T0 + timedelta(hours=24))
    later = T0 + timedelta(hours=25)
    lease = later + timedelta(seconds=10)
    assert store.claim_rung("inc_a", 100, "supervisor", "clin-caro", "tok", lease)
    # the rung's page is being sent: taking it over waits
    assert store.take_follow_up("inc_a", "clin-caro", 100, later).outcome is (
        AcceptOutcome.PAGE_IN_FLIGHT)
    store.release_rung("inc_a", 100, later)
    later += timedelta(seconds=1)
    # a page of a rung the follow-up has moved past takes nothing over
    assert store.take_follow_up("inc_a", "clin-caro", 99, later).outcome is AcceptOutcome.NOT_OPEN
    assert store.take_follow_up("inc_a", "clin-caro", 100, later).outcome is AcceptOutcome.ACCEPTED
    taken = store.get("inc_a")
    assert taken is not None and taken.follow_up_owner == "clin-caro"
    # taken over: its later rungs no longer page, the new owner closes it
    assert not store.claim_rung("inc_a", 101, "supervisor", "clin-caro", "tok2", lease)
    assert store.close_follow_up("inc_a", "clin-caro", later) is True


def test_a_crisis_rung_never_pages_a_resolved_incident_even_with_a_follow_up(ddb: Any) -> None:
    store = DynamoIncidentStore()
    store.create(incident())
    store.resolve("inc_a", "clin-ana", T0, T0 + timedelta(hours=24))
    assert not store.claim_rung("inc_a", 1, "backup", "clin-ben", "tok",
                                T0 + timedelta(seconds=10))
