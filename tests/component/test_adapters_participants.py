"""The participants adapter (PynamoDB) against moto, with the table of template.yaml:
versions are never erased, concurrent saves all land, malformed items read as InvalidItem."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest

from crisis_pager.adapters.dynamo import participants as adapter
from crisis_pager.adapters.dynamo.participants import DynamoParticipants
from crisis_pager.domain.errors import InvalidItem
from crisis_pager.domain.incident import Severity
from crisis_pager.domain.participant import participant_from_fields
from crisis_pager.domain.referral import EmergencyDisclosure
from crisis_pager.service.participants import (
    confirm_location,
    current_plan,
    save_participant,
    update_participant,
)
from tests.component.moto_tables import ROOT, mocked_tables, race
from tests.fakes.clock import FakeClock
from tests.unit.participant_data import LOCATION, PID, document, location, stored

REGION = "us-east-1"
TABLE = "crisis-pager-participants"


@pytest.fixture
def table() -> Iterator[Any]:
    from local import template as sam

    spec = sam.load(ROOT / "template.yaml").tables["ParticipantsTable"]
    with mocked_tables() as resource:
        assert adapter.ParticipantVersionItem.Meta.table_name == TABLE
        boto3.client("dynamodb", region_name=REGION).create_table(
            **spec.create_table_kwargs(TABLE))
        yield resource.Table(TABLE)


@pytest.fixture
def store(table: Any) -> DynamoParticipants:
    return DynamoParticipants()


def raw_items(table: Any) -> list[dict[str, Any]]:
    return sorted(table.scan(ConsistentRead=True)["Items"], key=lambda i: (i["pk"], i["sk"]))


def test_a_version_round_trips_as_a_readable_item(table: Any, store: DynamoParticipants) -> None:
    p = participant_from_fields(PID, stored())
    assert store.add_version(p) is True
    assert store.current(PID) == p
    (item,) = raw_items(table)
    assert (item["pk"], item["sk"], item["version"]) == (PID, "v#000001", Decimal(1))
    assert item["safety_plan"]["warning_signs"][0] == "Stops answering texts from Rosa"
    assert item["location"]["emergency_call_center"] == "+15038233333"
    assert item["support_persons"][0]["consent_to_notify"] is True
    assert isinstance(item["updated_at"], str), "readable at the console"


def test_saves_never_update_or_erase_a_version(table: Any, store: DynamoParticipants) -> None:
    clock = FakeClock()
    first = save_participant(document(), by="kim", participants=store, clock=clock)
    clock.advance(3600)
    confirm_location(PID, location(clock.now(), description="at work"), by="session",
                     participants=store, clock=clock)
    clock.advance(60)
    update_participant(PID, {"preferred_name": "JQ"}, by="kim", participants=store,
                       clock=clock)
    assert [i["sk"] for i in raw_items(table)] == ["v#000001", "v#000002", "v#000003"]
    history = store.history(PID)
    assert [p.version for p in history] == [3, 2, 1]  # type: ignore[union-attr]
    assert history[-1] == first, "version 1 reads exactly as it was saved"
    current = store.current(PID)
    assert current is not None and current.preferred_name == "JQ"
    assert current.location is not None and current.location.description == "at work"
    # The store itself refuses to put over an existing version.
    assert store.add_version(first) is False
    assert store.history(PID)[-1] == first
    assert store.latest_version(PID) == 3 and store.latest_version("ptc-none") == 0


def test_concurrent_saves_all_land_as_distinct_versions(table: Any,
                                                        store: DynamoParticipants) -> None:
    clock = FakeClock()
    save_participant(document(), by="kim", participants=store, clock=clock)
    n = 6

    def move(i: int) -> int:
        return confirm_location(
            PID, location(clock.now(), description=f"place {i}"), by=f"session-{i}",
            participants=DynamoParticipants(), clock=clock).version

    results = race(move, range(n))
    assert sorted(results.values()) == list(range(2, n + 2)), "each landed as its own version"
    described = {p.location.description for p in store.history(PID)  # type: ignore[union-attr]
                 if p.version > 1 and p.location}  # type: ignore[union-attr]
    assert described == {f"place {i}" for i in range(n)}, "no update was lost"


@pytest.mark.parametrize(("raw", "field"), [
    ({"safety_plan": "call Rosa"}, "safety_plan"),  # a string where a map belongs
    ({"safety_plan": {"warning_signs": [7]}}, "safety_plan.warning_signs[0]"),
    ({"location": {**LOCATION, "crisis_line": "988"}}, "location.crisis_line"),
    ({"version": 2}, "version"),  # does not match its key v#000001
    ({"updated_at": "yesterday"}, "updated_at"),
])
def test_a_malformed_item_reads_as_invalid_item(table: Any, store: DynamoParticipants,
                                                raw: dict[str, Any], field: str) -> None:
    item = {**stored(), "pk": PID, "sk": "v#000001", **raw}
    item.pop("participant_id")
    table.put_item(Item=item)
    with pytest.raises(InvalidItem) as caught:
        store.current(PID)
    assert (caught.value.table, caught.value.field) == ("participants", field)
    assert caught.value.key == f"{PID} / v#000001"
    assert "Rosa" not in str(caught.value)
    (listed,) = store.history(PID)
    assert isinstance(listed, InvalidItem)


def test_history_lists_a_malformed_version_without_hiding_the_others(
    table: Any, store: DynamoParticipants,
) -> None:
    clock = FakeClock()
    save_participant(document(), by="kim", participants=store, clock=clock)
    table.put_item(Item={"pk": PID, "sk": "v#000002", "version": 2, "program_id": "west-iop",
                         "updated_at": clock.now().isoformat(), "updated_by": "kim",
                         "support_persons": "Rosa"})
    with pytest.raises(InvalidItem):
        store.current(PID)
    newest, oldest = store.history(PID)
    assert isinstance(newest, InvalidItem) and newest.field == "support_persons"
    assert not isinstance(oldest, InvalidItem) and oldest.version == 1
    # A whole new record replaces it as version 3; versions 1 and 2 stay as they are.
    fixed = save_participant(document(), by="kim", participants=store, clock=clock)
    assert fixed.version == 3 and store.current(PID) == fixed
    assert len(raw_items(table)) == 3


def test_current_plan_of_another_program_is_not_found(table: Any,
                                                      store: DynamoParticipants) -> None:
    save_participant(document(), by="kim", participants=store, clock=FakeClock())
    assert current_plan(PID, "west-iop", participants=store) is not None
    assert current_plan(PID, "east-iop", participants=store) is None


def test_disclosures_are_appended_beside_never_among_the_versions(
    table: Any, store: DynamoParticipants,
) -> None:
    save_participant(document(), by="kim", participants=store, clock=FakeClock())
    at = datetime(2026, 11, 23, 18, 15, tzinfo=UTC)
    disclosure = EmergencyDisclosure(
        incident_id="inc_x", at=at, recipient="Metro Crisis Line",
        recipient_affiliation="988 Lifeline crisis center", recipient_id="metro",
        disclosed_by="West IOP (west-iop), via crisis-pager", nature_of_emergency="high crisis",
        information_disclosed=("code", "referral.crisis_line"), severity=Severity.HIGH.value,
        minutes_without_acceptance=15)
    assert store.record_disclosure(PID, disclosure) is True
    assert store.record_disclosure(PID, disclosure) is False, "never overwritten"
    (record,) = store.disclosures(PID)
    assert record["recipient"] == "Metro Crisis Line"
    assert record["information_disclosed"] == ["code", "referral.crisis_line"]
    assert record["disclosed_at"] == at.isoformat()
    keys = [(i["pk"], i["sk"]) for i in raw_items(table)]
    assert (f"disclosure#{PID}", f"{at.isoformat(timespec='microseconds')}#inc_x") in keys
    assert [p.version for p in store.history(PID)] == [1], "not a version"  # type: ignore[union-attr]


def test_a_notice_is_claimed_once_per_incident(table: Any, store: DynamoParticipants) -> None:
    now = datetime.now(UTC)
    assert store.claim_notice("inc_x", "support#abc", now) is True
    assert store.claim_notice("inc_x", "support#abc", now + timedelta(seconds=1)) is False
    assert store.claim_notice("inc_x", "support#def", now) is True
    assert store.claim_notice("inc_y", "support#abc", now) is True
    incidents = boto3.resource("dynamodb", region_name=REGION).Table("crisis-pager-incidents")
    item = incidents.get_item(Key={"pk": "inc_x", "sk": "notice#support#abc"})["Item"]
    assert set(item) == {"pk", "sk", "claimed_at"}


def test_the_program_items_referral_fields_read_from_dynamodb(table: Any) -> None:
    from crisis_pager.adapters.dynamo.directory import DynamoDirectory
    from tests.component.moto_tables import put_raw
    from tests.fakes.directory import PROGRAM_FIELDS

    resource = boto3.resource("dynamodb", region_name=REGION)
    put_raw(resource, "ProgramsTable", {"program_id": "west-iop", "key": "program",
                                        **PROGRAM_FIELDS})
    program = DynamoDirectory().program("west-iop")
    assert program is not None and program.resources.emergency_call_center is None
    assert program.location_max_age == timedelta(hours=24)
    put_raw(resource, "ProgramsTable", {"program_id": "west-iop", "key": "program",
                                        **PROGRAM_FIELDS, "location_max_age_hours": 12,
                                        "emergency_call_center": "+15038233333"})
    program = DynamoDirectory().program("west-iop")
    assert program is not None and program.location_max_age == timedelta(hours=12)
    assert program.resources.emergency_call_center == "+15038233333"
    put_raw(resource, "ProgramsTable", {"program_id": "west-iop", "key": "program",
                                        **PROGRAM_FIELDS, "location_max_age_hours": "12"})
    program = DynamoDirectory().program("west-iop")  # text, not a number: named; 24 h
    assert program is not None and program.location_max_age == timedelta(hours=24)
    assert [p.field for p in program.problems] == ["location_max_age_hours"]
