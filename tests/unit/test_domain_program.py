"""Program and clinician items as admins write them, validated on read."""

from __future__ import annotations

import pytest

from crisis_pager.domain.errors import InvalidItem
from crisis_pager.domain.incident import Severity
from crisis_pager.domain.ladder import DEFAULT_POLICIES, RungKind, parse_policy
from crisis_pager.domain.program import (
    Program,
    clinician_from_fields,
    program_from_fields,
    stand_in,
)

COMPLETE: dict[str, object] = {
    "display_name": "  Riverbend IOP  ",
    "hotline_number": "+15035550100",
    "crisis_line": "+15035550111",
    "mobile_crisis_team": "+15035550122",
    "emergency_department": "Riverbend General ED",
    "emergency_department_phone": "+15035550133",
}
KEY = "riverbend / program"
PHONE_FIELDS = ["hotline_number", "crisis_line", "mobile_crisis_team", "emergency_department_phone"]
TEXT_FIELDS = ["emergency_department"]


def read(**changes: object) -> Program:
    return program_from_fields("riverbend", {**COMPLETE, **changes})


def refused(table: str, key: str, field: str, call: object) -> InvalidItem:
    with pytest.raises(InvalidItem) as info:
        call()  # type: ignore[operator]
    exc = info.value
    assert (exc.table, exc.key, exc.field) == (table, key, field)
    for part in (table, key, f"'{field}'"):
        assert part in str(exc)
    return exc


def defaulted(field: str, **changes: object) -> tuple[Program, InvalidItem]:
    """A malformed field reads as its default: the item stays usable (a crisis is still
    paged) and the problem is named, with its field, for the admins."""
    program = read(**changes)
    (problem,) = program.problems
    assert (problem.table, problem.key, problem.field) == ("programs", KEY, field)
    assert f"'{field}'" in str(problem)
    return program, problem


def without_it(field: str, program: Program) -> None:
    """What stands in for a malformed hotline number or local resource: nothing (pages go
    without the number; the referral says the program's resources are unreadable)."""
    if field == "hotline_number":
        assert program.hotline_number is None and program.resources is not None
    else:
        assert program.resources is None and program.hotline_number == "+15035550100"


def test_a_complete_item_reads() -> None:
    program = program_from_fields("riverbend", dict(COMPLETE))
    assert program.program_id == "riverbend"
    assert program.display_name == "Riverbend IOP"
    assert program.hotline_number == "+15035550100"
    assert program.resources.as_dict() == {
        "crisis_line": "+15035550111",
        "mobile_crisis_team": "+15035550122",
        "emergency_department": "Riverbend General ED",
        "emergency_department_phone": "+15035550133",
    }
    for severity in Severity:
        assert program.ladder_for(severity) == parse_policy(DEFAULT_POLICIES[severity])
    assert program.problems == ()


@pytest.mark.parametrize("field", PHONE_FIELDS + TEXT_FIELDS)
@pytest.mark.parametrize("value", [None, "", "   "])
def test_each_missing_field_is_named(field: str, value: object) -> None:
    program, _ = defaulted(field, **{field: value})
    without_it(field, program)


@pytest.mark.parametrize("field", PHONE_FIELDS + TEXT_FIELDS)
def test_each_absent_field_is_named(field: str) -> None:
    program = program_from_fields(
        "riverbend", {k: v for k, v in COMPLETE.items() if k != field})
    assert [p.field for p in program.problems] == [field]
    without_it(field, program)


@pytest.mark.parametrize("field", PHONE_FIELDS)
@pytest.mark.parametrize(
    "value",
    ["503-555-0100", "15035550100", "+1 503 555 0100", "+1-503-555-0100", "+05035550100",
     "+123456", "+1234567890123456", "tel:+15035550100", 15035550100, "911"],
)
def test_phone_fields_must_be_e164(field: str, value: object) -> None:
    program, problem = defaulted(field, **{field: value})
    assert "E.164" in str(problem) and str(value) in str(problem)
    without_it(field, program)


def test_e164_length_bounds() -> None:
    assert read(hotline_number="+1234567").hotline_number == "+1234567"
    assert read(hotline_number="+123456789012345").hotline_number == "+123456789012345"


def test_display_name_is_at_most_40_characters() -> None:
    assert read(display_name="x" * 40).display_name == "x" * 40
    assert read(display_name=" " + "x" * 40 + " ").display_name == "x" * 40
    program, problem = defaulted("display_name", display_name="x" * 41)
    assert "40" in str(problem) and program.display_name == "riverbend"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_missing_display_name_reads_as_the_program_id(value: object) -> None:
    program, problem = defaulted("display_name", display_name=value)
    assert program.display_name == "riverbend" and "missing or empty" in str(problem)


def test_emergency_department_is_at_most_80_characters() -> None:
    program, problem = defaulted("emergency_department", emergency_department="E" * 81)
    assert "80" in str(problem) and program.resources is None


def test_ladder_override_replaces_only_its_severity() -> None:
    program = read(ladder_high="primary 2m, backup 2m x2, referral")
    high = program.ladder_for(Severity.HIGH)
    assert [(r.kind, r.target, r.window_s) for r in high] == [
        (RungKind.PAGE, "primary", 120),
        (RungKind.PAGE, "backup", 120),
        (RungKind.PAGE, "backup", 120),
        (RungKind.REFERRAL, "referral", 0),
    ]
    for severity in (Severity.IMMINENT, Severity.MODERATE, Severity.LOW):
        assert program.ladder_for(severity) == parse_policy(DEFAULT_POLICIES[severity])


@pytest.mark.parametrize("blank", [None, "", "   ", 5])
def test_blank_or_non_text_override_means_the_default(blank: object) -> None:
    program = read(ladder_low=blank)
    assert program.ladder_for(Severity.LOW) == parse_policy(DEFAULT_POLICIES[Severity.LOW])


def test_invalid_override_is_named_and_its_severity_keeps_the_default_ladder() -> None:
    program, problem = defaulted("ladder_high", ladder_high="primary 5x")
    assert "primary 5x" in str(problem)
    assert program.ladder_for(Severity.HIGH) == parse_policy(DEFAULT_POLICIES[Severity.HIGH])


@pytest.mark.parametrize("severity", list(Severity))
def test_invalid_override_of_each_severity_names_its_field(severity: Severity) -> None:
    program, _ = defaulted(f"ladder_{severity.value}",
                           **{f"ladder_{severity.value}": "referral, primary 5m"})
    assert program.ladder_for(severity) == parse_policy(DEFAULT_POLICIES[severity])


def test_every_malformed_optional_field_is_named_and_the_rest_still_read() -> None:
    program = read(display_name="", ladder_moderate="primary 5x", timezone="Mars/Olympus",
                   admin_phones=["+15035550199", "555-0198"], location_max_age_hours=0,
                   ladder_imminent="backup 2m, referral, supervisor 3m")
    assert [p.field for p in program.problems] == [
        "ladder_moderate", "admin_phones", "timezone", "display_name", "location_max_age_hours"]
    assert program.admin_phones == ("+15035550199",), "the admin whose number reads is kept"
    assert [r.target for r in program.ladder_for(Severity.IMMINENT)] == [
        "backup", "referral", "supervisor"], "a valid override still applies"
    assert program.hotline_number == "+15035550100"


def test_every_field_malformed_still_reads_as_a_program_that_pages() -> None:
    """The worst item an admin could leave: the program still pages its rotas with the
    default ladders, every field is named, and nothing stands in for the numbers."""
    bad = {f: "" for f in COMPLETE} | {f"ladder_{s.value}": "?" for s in Severity} | {
        "ladder_follow_up": "?", "business_hours": "?", "timezone": "?", "closed_dates": "?",
        "location_max_age_hours": 0, "admin_phones": "?", "emergency_call_center": "?"}
    program = program_from_fields("riverbend", bad)
    assert sorted(p.field for p in program.problems) == sorted(bad)
    for problem in program.problems:  # the admins are told what stands in, field by field
        assert stand_in(problem.field) != "its default", problem.field
    assert (program.display_name, program.hotline_number, program.resources) == (
        "riverbend", None, None)
    assert program.roles() == ["primary", "backup", "supervisor"]


# ---------------------------------------------------------------- clinicians


def test_a_clinician_reads() -> None:
    clinician = clinician_from_fields("clin-ana", {"name": " Ana Ruiz ", "phone": "+447700900123"})
    assert (clinician.clinician_id, clinician.name, clinician.phone) == (
        "clin-ana", "Ana Ruiz", "+447700900123"
    )


@pytest.mark.parametrize("phone", [None, "", "(503) 555-0100", "5035550100", "+1 503 555 0100",
                                   "+0447700900123", 15035550100])
def test_clinician_phone_must_be_e164(phone: object) -> None:
    exc = refused("clinicians", "clin-ana", "phone",
                  lambda: clinician_from_fields("clin-ana", {"name": "Ana", "phone": phone}))
    assert "E.164" in str(exc)


@pytest.mark.parametrize("name", [None, "", "  "])
def test_clinician_name_is_required(name: object) -> None:
    refused("clinicians", "clin-ana", "name",
            lambda: clinician_from_fields("clin-ana", {"name": name, "phone": "+15035550100"}))


@pytest.mark.parametrize("phone", ["+15035550100\n", "+1٥٠٣٥٥٥٠١٠٠", " +15035550100"])
def test_e164_is_strict_ascii_with_nothing_around(phone: str) -> None:
    """Regression: '$' and \\d let a pasted trailing newline and Arabic-Indic digits through
    to Twilio as a 'valid' number."""
    refused("clinicians", "clin-ana", "phone",
            lambda: clinician_from_fields("clin-ana", {"name": "Ana", "phone": phone}))
    program, _ = defaulted("hotline_number", hotline_number=phone)
    assert program.hotline_number is None
