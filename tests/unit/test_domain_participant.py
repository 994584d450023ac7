"""A participant's record: the Stanley-Brown plan, support persons and location, validated
with errors that name the table, the key, the field and the reason, never the value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from crisis_pager.domain.errors import InvalidItem
from crisis_pager.domain.participant import (
    MAX_ENTRIES,
    MAX_SUPPORT_PERSONS,
    SafetyPlan,
    next_version,
    participant_document,
    participant_from_fields,
    version_key,
)
from tests.fakes.clock import T0
from tests.unit.participant_data import LOCATION, PID, PLAN, PRIVATE, document, stored


def read(**overrides: Any) -> Any:
    return participant_from_fields(PID, stored(**overrides))


def test_a_full_record_reads_as_typed_data() -> None:
    p = read()
    assert (p.participant_id, p.program_id, p.version, p.updated_by) == (
        PID, "west-iop", 1, "admin-kim")
    assert p.updated_at == T0 and p.updated_at.tzinfo is UTC
    assert p.plan.warning_signs == tuple(PLAN["warning_signs"])
    assert p.plan.environment_safety == tuple(PLAN["environment_safety"])
    rosa, dale = p.support_persons
    assert (rosa.consent_to_notify, rosa.phone, rosa.relationship) == (True, "+15035550177",
                                                                       "sister")
    assert rosa.consent_recorded_at == datetime(2026, 11, 1, 17, 0, tzinfo=UTC)
    assert (dale.consent_to_notify, dale.consent_recorded_at) == (False, None)
    assert p.location is not None
    assert p.location.resources.emergency_call_center == "+15038233333"
    assert p.location.confirmed_at == T0 - timedelta(hours=3)


def test_the_plan_sections_render_in_stanley_brown_order() -> None:
    assert [name for name, _ in SafetyPlan.SECTIONS] == [
        "warning_signs", "internal_coping", "distractions", "help_contacts",
        "professionals", "environment_safety"]
    sections = read().plan.sections()
    assert [title for _, title, _ in sections][0] == "Warning signs"
    assert sections[4][2] == tuple(PLAN["professionals"])


def test_document_round_trips() -> None:
    p = read()
    assert participant_from_fields(PID, participant_document(p)) == p


def test_a_minimal_record_has_an_empty_plan_and_no_location() -> None:
    p = participant_from_fields(PID, {"program_id": "west-iop", "version": 1,
                                      "updated_at": T0.isoformat(), "updated_by": "kim"})
    assert p.plan.is_empty and p.support_persons == () and p.location is None
    assert p.preferred_name is None


@pytest.mark.parametrize(("overrides", "field", "reason"), [
    ({"program_id": "West IOP"}, "program_id", "not a program id"),
    ({"version": 0}, "version", "whole number"),
    ({"version": True}, "version", "whole number"),
    ({"updated_at": "2026-11-23 10:00"}, "updated_at", "no UTC offset"),
    ({"updated_by": " "}, "updated_by", "missing or empty"),
    ({"preferred_name": "x" * 61}, "preferred_name", "longer than 60"),
    ({"safety_plan": {"warning_sign": ["typo"]}}, "safety_plan.warning_sign", "not a field"),
    ({"safety_plan": {"warning_signs": "one text"}}, "safety_plan.warning_signs",
     "not a list"),
    ({"safety_plan": {"distractions": ["ok", ""]}}, "safety_plan.distractions[1]",
     "missing or empty"),
    ({"safety_plan": {"professionals": ["x" * 301]}}, "safety_plan.professionals[0]",
     "longer than 300"),
    ({"safety_plan": {"internal_coping": ["x"] * (MAX_ENTRIES + 1)}},
     "safety_plan.internal_coping", f"more than {MAX_ENTRIES}"),
    ({"support_persons": [{"name": "A", "relationship": "friend", "phone": "503-555-0100"}]},
     "support_persons[0].phone", "E.164"),
    ({"support_persons": [{"name": "A", "relationship": "friend", "phone": "+15035550100",
                           "consent_to_notify": "yes"}]},
     "support_persons[0].consent_to_notify", "true or false"),
    ({"support_persons": [{"name": "A", "relationship": "friend", "phone": "+15035550100",
                           "consent_to_notify": True}]},
     "support_persons[0].consent_recorded_at", "record when"),
    ({"support_persons": [{"name": "A", "relationship": "friend", "phone": "+15035550100",
                           "nickname": "Al"}]}, "support_persons[0].nickname", "not a field"),
    ({"support_persons": [{"name": "A", "relationship": "f", "phone": "+15035550100"}]
      * (MAX_SUPPORT_PERSONS + 1)}, "support_persons", f"more than {MAX_SUPPORT_PERSONS}"),
    ({"location": {**LOCATION, "emergency_call_center": None}},
     "location.emergency_call_center", "E.164"),
    ({"location": {k: v for k, v in LOCATION.items() if k != "confirmed_at"}},
     "location.confirmed_at", "missing"),
    ({"location": {**LOCATION, "confirmed_at": (T0 + timedelta(minutes=6)).isoformat()}},
     "location.confirmed_at", "later than the time this version was saved"),
    ({"location": {**LOCATION, "description": ""}}, "location.description", "missing"),
    ({"location": "home"}, "location", "not a map"),
    ({"nickname": "J"}, "nickname", "not a field"),
])
def test_a_malformed_record_names_the_table_key_field_and_reason(
    overrides: dict[str, Any], field: str, reason: str,
) -> None:
    with pytest.raises(InvalidItem) as caught:
        read(**overrides)
    error = caught.value
    assert (error.table, error.field) == ("participants", field)
    assert error.key.startswith(PID)  # "ptc-7f3a / v#000001", or the id alone
    assert reason in error.reason


def test_errors_never_quote_the_value() -> None:
    """An error may reach a log line or an admin alert: no PHI in it."""
    bad = [
        {"preferred_name": "Jordan Quillfeather " * 4},
        {"support_persons": [{"name": "Rosa Quillfeather", "relationship": "sister",
                              "phone": "Rosa's cell"}]},
        {"location": {**LOCATION, "crisis_line": "4410 SE Quillan Ave"}},
        {"safety_plan": {"warning_signs": ["Sleeping under 4 hours" * 20]}},
    ]
    for overrides in bad:
        with pytest.raises(InvalidItem) as caught:
            read(**overrides)
        assert not any(secret in str(caught.value) for secret in [*PRIVATE, "Rosa's cell"])


def test_the_participant_id_is_opaque_and_checked() -> None:
    for bad in ["", "has space", "x" * 65, "p#1", "jane.roe@example.org"]:
        with pytest.raises(InvalidItem) as caught:
            participant_from_fields(bad, stored())
        assert caught.value.field == "participant_id"
    with pytest.raises(InvalidItem, match="does not match"):
        participant_from_fields(PID, {**stored(), "participant_id": "ptc-other"})


def test_version_keys_sort_in_version_order() -> None:
    keys = [version_key(v) for v in (1, 2, 10, 100, 999_999)]
    assert keys == sorted(keys) and keys[0] == "v#000001"


def test_next_version_copies_the_rest_of_the_current_one() -> None:
    current = read()
    now = T0 + timedelta(hours=1)
    moved = next_version(current, 1, {"location": {**LOCATION,
                                                   "description": "at Rosa's, Gresham",
                                                   "confirmed_at": now.isoformat()}},
                         by="session-sys", now=now, participant_id=PID)
    assert (moved.version, moved.updated_by, moved.updated_at) == (2, "session-sys", now)
    assert moved.plan == current.plan and moved.support_persons == current.support_persons
    assert moved.location is not None and moved.location.description == "at Rosa's, Gresham"
    fresh = next_version(None, 0, document(), by="kim", now=now, participant_id=PID)
    assert fresh.version == 1 and fresh.plan == current.plan
