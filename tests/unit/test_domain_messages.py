"""Clinician-facing texts: short enough for one SMS, actionable, and PHI-free by construction."""

from __future__ import annotations

import inspect

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis_pager.domain import messages
from crisis_pager.domain.incident import Severity
from crisis_pager.domain.replies import Accept, parse_reply

PROPERTY = settings(max_examples=200, deadline=None)
ALLOWED_PARAMETERS = {"program", "severity", "code", "hotline_number", "by_name", "rota", "reason"}

display_names = st.text(min_size=1, max_size=40).map(str.strip).filter(bool)
codes = st.integers(100, 9999).map(str)
hotlines = st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True)
severities = st.sampled_from(list(Severity))


def public_functions() -> list[tuple[str, object]]:
    return [
        (name, fn)
        for name, fn in inspect.getmembers(messages, inspect.isfunction)
        if not name.startswith("_") and fn.__module__ == messages.__name__
    ]


def test_there_are_message_functions_to_check() -> None:
    names = {name for name, _ in public_functions()}
    assert {"page_sms", "accepted_reply", "referral_repage_sms", "rota_gap_alert"} <= names


@pytest.mark.parametrize(("name", "fn"), public_functions())
def test_no_parameter_can_carry_participant_data(name: str, fn: object) -> None:
    """A new parameter (summary, participant_ref, notes...) would let PHI into an SMS."""
    params = set(inspect.signature(fn).parameters)  # type: ignore[arg-type]
    assert params <= ALLOWED_PARAMETERS, f"{name} takes {sorted(params - ALLOWED_PARAMETERS)}"
    kinds = {p.kind for p in inspect.signature(fn).parameters.values()}  # type: ignore[arg-type]
    assert not kinds & {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}


@PROPERTY
@given(program=display_names, severity=severities, code=codes, hotline=hotlines)
def test_page_fits_one_sms_and_says_how_to_accept(
    program: str, severity: Severity, code: str, hotline: str
) -> None:
    text = messages.page_sms(program, severity, code, hotline)
    assert len(text) <= 160
    assert f"A {code}" in text
    assert severity.value.upper() in text
    assert text.startswith(f"{program}:")
    assert "".join(c for c in hotline if c.isdigit()) in "".join(c for c in text if c.isdigit())


@PROPERTY
@given(code=codes, hotline=hotlines, severity=severities)
def test_following_the_page_instruction_literally_accepts(
    code: str, hotline: str, severity: Severity
) -> None:
    text = messages.page_sms("Riverbend IOP", severity, code, hotline)
    instruction = text[text.index("Reply ") + len("Reply "):].split(" to ")[0]
    assert parse_reply(instruction) == Accept(code)
    repage = messages.referral_repage_sms("Riverbend IOP", code, hotline)
    instruction = repage[repage.index("Reply ") + len("Reply "):].split(" to ")[0]
    assert parse_reply(instruction) == Accept(code)


def test_help_example_is_an_acceptance() -> None:
    text = messages.help_reply()
    example = text.rsplit(": ", 1)[1].rstrip(".")
    assert isinstance(parse_reply(example), Accept)


def test_north_american_numbers_are_pretty_and_others_unchanged() -> None:
    assert "+1 503-555-0100" in messages.page_sms("P", Severity.HIGH, "417", "+15035550100")
    assert "+442071234567" in messages.page_sms("P", Severity.HIGH, "417", "+442071234567")
    assert "+1 503-555-0100" in messages.already_yours_reply("417", "+15035550100")


def test_replies_carry_what_the_clinician_needs() -> None:
    accepted = messages.accepted_reply("Riverbend IOP", "417", "+15035550100")
    assert "417" in accepted and "Riverbend IOP" in accepted and "503-555-0100" in accepted
    assert "Dr. Ruiz" in messages.taken_reply("417", "Dr. Ruiz")
    assert "417" in messages.closed_reply("417")
    assert "417" in messages.unknown_code_reply("417")
    alert = messages.rota_gap_alert("Riverbend IOP", "417", "backup", "nobody is on call")
    assert "backup" in alert and "nobody is on call" in alert and "417" in alert
