"""The referral from the participant's last confirmed location, its fallback to the program's
defaults (saying why), and the disclosure record (42 CFR 2.51)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest

from crisis_pager.domain.incident import Incident, Severity, Status
from crisis_pager.domain.participant import participant_from_fields
from crisis_pager.domain.program import DEFAULT_LOCATION_MAX_AGE, program_from_fields
from crisis_pager.domain.referral import (
    HotlineRecipient,
    build_referral,
    disclosed_categories,
    emergency_disclosure,
    support_notice_key,
)
from tests.fakes.clock import T0
from tests.fakes.directory import PROGRAM_FIELDS
from tests.unit.participant_data import LOCATION, PID, location, stored

NOW = T0 + timedelta(days=2)


def program(**fields: Any) -> Any:
    return program_from_fields("west-iop", {**PROGRAM_FIELDS, **fields})


def participant(confirmed_ago: timedelta | None, **overrides: Any) -> Any:
    saved = NOW - (confirmed_ago or timedelta(0))
    fields = stored(at=saved, **overrides)
    if confirmed_ago is None:
        fields.pop("location")
    else:
        fields["location"] = location(saved)
    return participant_from_fields(PID, fields)


def test_the_default_freshness_is_a_day_and_a_program_can_change_it() -> None:
    assert DEFAULT_LOCATION_MAX_AGE == timedelta(hours=24)
    assert program().location_max_age == timedelta(hours=24)
    assert program(location_max_age_hours=6).location_max_age == timedelta(hours=6)
    for bad in (0, 169, 2.5, "24", True):  # named, and the default stands in
        read = program(location_max_age_hours=bad)
        assert [p.field for p in read.problems] == ["location_max_age_hours"]
        assert read.location_max_age == DEFAULT_LOCATION_MAX_AGE


def test_the_programs_emergency_call_center_is_optional_but_checked() -> None:
    assert program().resources.emergency_call_center is None  # items written before it
    assert program(emergency_call_center="+15038233333").resources.emergency_call_center
    read = program(emergency_call_center="911")  # named; the referral says it is missing
    assert [p.field for p in read.problems] == ["emergency_call_center"]
    assert read.resources.emergency_call_center is None


def test_a_fresh_location_gives_the_participants_local_resources() -> None:
    p = participant(timedelta(hours=3))
    referral = build_referral("inc_x", program(), p, NOW)
    sent = referral.as_dict()
    assert sent["crisis_line"] == LOCATION["crisis_line"] != PROGRAM_FIELDS["crisis_line"]
    assert sent["emergency_call_center"] == LOCATION["emergency_call_center"]
    assert sent["emergency_department"] == LOCATION["emergency_department"]
    assert sent["location_description"] == LOCATION["description"]
    assert sent["location_confirmed_at"] == (NOW - timedelta(hours=3)).isoformat()
    assert sent["source"] == "participant's last confirmed location"
    assert sent["stale"] is False and "missing" not in sent
    assert sent["participant_version"] == 1


@pytest.mark.parametrize(("age", "fresh"), [
    (timedelta(hours=24), True),  # the boundary is still fresh
    (timedelta(hours=24, seconds=1), False),
    (timedelta(0), True),
    (timedelta(minutes=-5), True),  # clock skew between systems
])
def test_staleness_boundary(age: timedelta, fresh: bool) -> None:
    p = participant(timedelta(0))
    assert p.location is not None
    p = dataclasses.replace(p, location=dataclasses.replace(p.location,
                                                            confirmed_at=NOW - age))
    referral = build_referral("inc_x", program(), p, NOW)
    assert (referral.location is not None) is fresh
    assert referral.stale is not fresh


def test_a_stale_location_falls_back_to_the_program_and_says_how_old() -> None:
    referral = build_referral("inc_x", program(), participant(timedelta(days=3)), NOW)
    sent = referral.as_dict()
    assert sent["crisis_line"] == PROGRAM_FIELDS["crisis_line"]
    assert sent["stale"] is True
    assert sent["source"].startswith(
        "program defaults: the participant's location was last confirmed 3 days ago "
        "(older than 24 hours)")
    assert "location_description" not in sent, "a stale location is not handed over"
    assert sent["location_confirmed_at"] == (NOW - timedelta(days=3)).isoformat()


def test_the_programs_own_threshold_applies() -> None:
    six_hours = program(location_max_age_hours=6)
    assert build_referral("i", six_hours, participant(timedelta(hours=7)), NOW).stale
    assert not build_referral("i", program(), participant(timedelta(hours=7)), NOW).stale


def test_a_location_dated_in_the_future_is_not_trusted() -> None:
    p = participant(timedelta(0))
    assert p.location is not None
    p = dataclasses.replace(p, location=dataclasses.replace(
        p.location, confirmed_at=NOW + timedelta(hours=2)))
    referral = build_referral("i", program(), p, NOW)
    assert referral.stale and "confirmation time in the future" in referral.source


@pytest.mark.parametrize(("who", "problem", "reason"), [
    ("no location", None, "no location on file for the participant"),
    ("no participant", None, "no participant record on file"),
    ("no participant", "the participant's record is malformed (field 'location')",
     "the participant's record is malformed (field 'location')"),
])
def test_fallback_reasons(who: str, problem: str | None, reason: str) -> None:
    p = participant(None) if who == "no location" else None
    referral = build_referral("i", program(), p, NOW, participant_problem=problem)
    assert referral.source.startswith(f"program defaults: {reason}")
    assert referral.stale is False and referral.location is None


def test_a_missing_emergency_call_center_is_said_explicitly() -> None:
    referral = build_referral("i", program(), None, NOW)
    assert referral.as_dict()["missing"] == ["emergency_call_center"]
    assert "emergency call center" in referral.source and "911" in referral.source
    with_center = build_referral("i", program(emergency_call_center="+15038233333"), None, NOW)
    assert "missing" not in with_center.as_dict()
    assert with_center.as_dict()["emergency_call_center"] == "+15038233333"


def test_without_a_program_a_fresh_location_still_refers() -> None:
    fresh = build_referral("i", None, participant(timedelta(hours=1)), NOW,
                           program_problem="the program item is missing")
    assert fresh.resources is not None and fresh.location is not None
    nothing = build_referral("i", None, None, NOW, program_problem="the program item is missing")
    assert nothing.resources is None
    assert nothing.source.startswith("unavailable (the program item is missing; no participant")
    assert nothing.source.endswith("use the hotline's local resources")


def test_a_malformed_program_resource_is_named_and_a_fresh_location_still_refers() -> None:
    broken = program(crisis_line="988", emergency_department="")
    assert build_referral("i", broken, participant(timedelta(hours=1)), NOW).location
    stale = build_referral("i", broken, participant(timedelta(hours=30)), NOW)
    assert stale.resources is None and stale.stale
    assert stale.source.startswith(
        "unavailable (the program item's crisis_line and emergency_department are "
        "malformed; the participant's location was last confirmed 30 hours ago")
    assert "crisis_line" not in stale.as_dict() and "missing" not in stale.as_dict()


def test_the_timeline_record_has_no_location_description_nor_place_names() -> None:
    detail = build_referral("i", program(), participant(timedelta(hours=1)), NOW
                            ).timeline_detail()
    text = repr(detail)
    assert LOCATION["description"] not in text
    assert LOCATION["emergency_department"] not in text
    assert detail["crisis_line"] == LOCATION["crisis_line"]
    assert detail["emergency_call_center"] == LOCATION["emergency_call_center"]
    assert detail["location_confirmed_at"] == (NOW - timedelta(hours=1)).isoformat()
    assert detail["location_used"] is True and detail["stale"] is False
    assert detail["source"] == "participant's last confirmed location"


def incident(**changes: Any) -> Incident:
    base = Incident(incident_id="inc_x", hotline_id="metro", event_id="e1", program_id="west-iop",
                    severity=Severity.IMMINENT, participant_ref=PID, summary="s", code="417",
                    status=Status.REFERRED, opened_at=T0, fingerprint="f",
                    referred_at=T0 + timedelta(minutes=10, seconds=20))
    return dataclasses.replace(base, **changes)


def test_the_disclosure_names_recipient_discloser_time_nature_and_categories() -> None:
    payload = {"event": "referred", "incident_id": "inc_x", "code": "417",
               "referral": build_referral("inc_x", program(), participant(timedelta(hours=1)),
                                          NOW).as_dict()}
    at = T0 + timedelta(minutes=10, seconds=30)
    disclosure = emergency_disclosure(
        incident(), "West IOP", HotlineRecipient("metro", "Metro Crisis Line",
                                                 "988 Lifeline crisis center"), payload, at)
    entry = disclosure.as_entry()
    assert entry["recipient"] == "Metro Crisis Line"
    assert entry["recipient_affiliation"] == "988 Lifeline crisis center"
    assert entry["recipient_id"] == "metro"
    assert entry["disclosed_by"].startswith("West IOP (west-iop), via crisis-pager")
    assert entry["disclosed_at"] == at.isoformat()
    assert entry["nature_of_emergency"] == (
        "imminent crisis: no on-call clinician accepted within 10 minutes; local emergency "
        "referral for the hotline's warm handoff")
    assert entry["minutes_without_acceptance"] == 10 and entry["severity"] == "imminent"
    assert "referral.location_description" in entry["information_disclosed"]
    assert "referral.crisis_line" in entry["information_disclosed"]
    assert "42 CFR 2.51" in entry["regulation"]
    assert LOCATION["description"] not in repr(entry), "categories, never values"


def test_disclosed_categories_are_field_names() -> None:
    assert disclosed_categories({"a": 1, "b": {"c": "secret", "d": "x"}}) == ("a", "b.c", "b.d")


def test_support_notice_keys_hold_no_number_and_are_per_phone() -> None:
    key = support_notice_key("+15035550177")
    assert "5035550177" not in key and key.startswith("support#")
    assert key == support_notice_key("+15035550177") != support_notice_key("+15035550178")
