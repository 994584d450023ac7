"""Clinician and admin texts: short enough for their medium, actionable, and PHI-free by
construction."""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis_pager.domain import messages
from crisis_pager.domain.incident import Severity
from crisis_pager.domain.messages import OpenPage
from crisis_pager.domain.replies import (
    Command,
    Help,
    OptIn,
    OptOut,
    StatusRequest,
    Verb,
    parse_reply,
)

PROPERTY = settings(max_examples=200, deadline=None)
ALLOWED_PARAMETERS = {
    "program", "severity", "code", "hotline_number", "by_name", "rota", "reason",
    "codes", "pages", "verb", "name", "roles", "error_code",
    "link",  # the secure link to the brief (service/briefs.issue_link): a URL, nothing else
    "owner",  # the follow-up's owner: a clinician's name, like by_name
    "attempt", "attempts", "limit",  # counts of follow-up contact attempts (ints)
    "task", "sms_stands",  # flags (bools)
}

display_names = st.text(min_size=1, max_size=40).map(str.strip).filter(bool)
# Names as an admin types them: GSM-7 letters, so a segment holds 160 characters.
gsm_names = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .-'&"),
    min_size=1, max_size=40,
).map(str.strip).filter(bool)
codes = st.integers(100, 9999).map(str)
hotlines = st.from_regex(r"\+[1-9][0-9]{6,14}", fullmatch=True)
severities = st.sampled_from(list(Severity))
verbs = st.sampled_from(list(Verb))
open_pages = st.builds(
    OpenPage, code=codes, program=gsm_names, severity=severities,
    state=st.sampled_from(sorted(messages.PAGE_STATES)),
)

# GSM 03.38 basic character set (and the extension table, which costs two septets).
GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = set("^{}\\[~]|€\f")


def public_functions() -> list[tuple[str, Callable[..., str]]]:
    return [
        (name, fn)
        for name, fn in inspect.getmembers(messages, inspect.isfunction)
        if not name.startswith("_") and fn.__module__ == messages.__name__
    ]


def spaced(digits: str) -> str:
    return " ".join(digits)


def test_there_are_message_functions_to_check() -> None:
    names = {name for name, _ in public_functions()}
    assert {
        "page_sms", "accepted_reply", "referral_repage_sms", "rota_gap_alert", "help_reply",
        "unrecognised_reply", "passed_reply", "status_reply", "coverage_at_risk_alert",
        "voice_page", "voice_accepted",
    } <= names


@pytest.mark.parametrize(("name", "fn"), public_functions())
def test_no_parameter_can_carry_participant_data(name: str, fn: Callable[..., str]) -> None:
    """A new parameter (summary, participant_ref, notes...) would let PHI into an SMS."""
    params = set(inspect.signature(fn).parameters)
    assert params <= ALLOWED_PARAMETERS, f"{name} takes {sorted(params - ALLOWED_PARAMETERS)}"
    kinds = {p.kind for p in inspect.signature(fn).parameters.values()}
    assert not kinds & {inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD}


def test_an_open_page_carries_nothing_about_the_participant() -> None:
    fields = {f.name for f in dataclasses.fields(OpenPage)}
    assert fields <= ALLOWED_PARAMETERS | {"state"}


def test_an_unrecognised_reply_is_never_echoed_back() -> None:
    """The clinician's text could hold anything (a name, a diagnosis): it is never repeated."""
    assert not inspect.signature(messages.unrecognised_reply).parameters
    assert messages.unrecognised_reply() == messages.unrecognised_reply()


# SMS: lengths and character set


def one_sms_texts(program: str, name: str, code: str, hotline: str, severity: Severity,
                  verb: Verb) -> list[str]:
    return [
        messages.page_sms(program, severity, code, hotline),
        messages.referral_repage_sms(program, code, hotline),
        messages.accepted_reply(program, code, hotline),
        messages.already_yours_reply(code, hotline),
        messages.taken_reply(code, name),
        messages.closed_reply(code),
        messages.unknown_code_reply(code),
        messages.passed_reply(code),
        messages.pass_too_late_reply(code),
        messages.resolved_reply(code),
        messages.resolve_not_yours_reply(code, name),
        messages.choose_code_reply(verb, [code] * 10),
        messages.no_open_pages_reply(verb),
        messages.opted_in_reply(),
    ]


@PROPERTY
@given(program=gsm_names, name=gsm_names, code=codes, hotline=hotlines, severity=severities,
       verb=verbs)
def test_clinician_replies_fit_one_sms_of_gsm_characters(
    program: str, name: str, code: str, hotline: str, severity: Severity, verb: Verb
) -> None:
    for text in one_sms_texts(program, name, code, hotline, severity, verb):
        assert len(text) <= messages.SMS_SEGMENT, text
        assert set(text) <= GSM7, text


def test_help_and_unrecognised_fit_two_sms_of_gsm_characters() -> None:
    for text in (messages.help_reply(), messages.unrecognised_reply()):
        assert len(text) <= messages.TWO_SEGMENTS
        assert set(text) <= GSM7


@PROPERTY
@given(program=gsm_names, name=gsm_names)
def test_admin_alerts_fit_two_sms_of_gsm_characters(program: str, name: str) -> None:
    for text in (messages.coverage_at_risk_alert(program, name),
                 messages.coverage_restored_alert(program, name)):
        assert len(text) <= messages.TWO_SEGMENTS
        assert set(text) <= GSM7
        assert text.startswith(f"{program}: {name} texted ")


@PROPERTY
@given(program=display_names, severity=severities, code=codes, hotline=hotlines)
def test_page_fits_one_sms_and_says_how_to_accept_and_pass(
    program: str, severity: Severity, code: str, hotline: str
) -> None:
    text = messages.page_sms(program, severity, code, hotline)
    assert len(text) <= 160
    assert f"A {code}" in text and f"P {code}" in text
    assert severity.value.upper() in text
    assert text.startswith(f"{program}:")
    if severity is Severity.LOW:  # a task: the clinician contacts the participant, no hotline
        assert "crisis" not in text.lower() and "task" in text.lower()
        return
    assert "crisis" in text
    assert "".join(c for c in hotline if c.isdigit()) in "".join(c for c in text if c.isdigit())


def test_a_low_page_reads_as_a_task_and_other_severities_as_a_crisis() -> None:
    assert messages.page_sms("West IOP", Severity.LOW, "417", "+15035550100") == (
        "West IOP: LOW task, incident 417: please contact the participant today. "
        "Reply A 417 to take it or P 417 to pass."
    )
    assert messages.page_sms("West IOP", Severity.HIGH, "417", "+15035550100") == (
        "West IOP: HIGH crisis, incident 417. Reply A 417 to accept or P 417 to pass. "
        "Hotline +1 503-555-0100."
    )
    spoken = messages.voice_page("West IOP", Severity.LOW, "417")
    assert "low priority task" in spoken and "crisis," not in spoken
    assert "Press 1" in spoken and "Press 2" in spoken and "Press 9" in spoken


def instructions(text: str) -> list[str]:
    """What the text tells the clinician to send: "Reply X to ..." and "or X to ..."."""
    return re.findall(r"(?:[Rr]eply|or) ([^ ]+ [0-9]+) to ", text)


@PROPERTY
@given(code=codes, hotline=hotlines, severity=severities)
def test_following_an_instruction_literally_does_what_it_says(
    code: str, hotline: str, severity: Severity
) -> None:
    page = messages.page_sms("Riverbend IOP", severity, code, hotline)
    assert [parse_reply(i) for i in instructions(page)] == [
        Command(Verb.ACCEPT, code), Command(Verb.PASS, code),
    ]
    for text in (
        messages.referral_repage_sms("Riverbend IOP", code, hotline),
        messages.passed_reply(code),
        messages.pass_too_late_reply(code),
    ):
        assert [parse_reply(i) for i in instructions(text)] == [Command(Verb.ACCEPT, code)]


def test_help_names_every_reply_and_its_examples_parse() -> None:
    text = messages.help_reply()
    for example, expected in [
        ("A 417", Command(Verb.ACCEPT, "417")), ("P 417", Command(Verb.PASS, "417")),
        ("R 417", Command(Verb.RESOLVE, "417")), ("STATUS", StatusRequest()),
        ("STOP", OptOut("STOP")), ("START", OptIn("START")),
    ]:
        assert example in text
        assert parse_reply(example) == expected
    assert "one open page" in text
    assert "HELP" in messages.opted_in_reply() and parse_reply("HELP") == Help()


def test_unrecognised_says_nothing_changed_then_helps() -> None:
    text = messages.unrecognised_reply()
    assert text.startswith("Sorry, that reply was not understood and changed nothing.")
    assert text.endswith(messages.help_reply())


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
    passed = messages.passed_reply("417")
    assert "417" in passed and "next person" in passed
    assert "changed nothing" in messages.pass_too_late_reply("417")
    resolved = messages.resolved_reply("417")
    assert "417" in resolved and "nobody else will be paged" in resolved
    not_yours = messages.resolve_not_yours_reply("417", "Dr. Ruiz")
    assert "417" in not_yours and "Dr. Ruiz" in not_yours and "Nothing changed" in not_yours
    alert = messages.rota_gap_alert("Riverbend IOP", "417", "backup", "nobody is on call")
    assert "backup" in alert and "nobody is on call" in alert and "417" in alert


def test_coverage_alerts_name_the_program_and_clinician() -> None:
    risk = messages.coverage_at_risk_alert("West IOP", "Ana Ruiz")
    assert risk.startswith("West IOP: Ana Ruiz texted STOP")
    assert "voice calls" in risk and "START" in risk and "check the rota" in risk
    assert messages.coverage_restored_alert("West IOP", "Ana Ruiz") == (
        "West IOP: Ana Ruiz texted START: SMS pages reach them again."
    )


# Bare commands and STATUS


def test_choose_code_names_the_codes_and_an_example_with_the_verbs_letter() -> None:
    assert messages.choose_code_reply(Verb.ACCEPT, ["417", "582", "611"]) == (
        "You have 3 open pages: 417, 582, 611. Reply A and the code, for example A 417."
    )
    for verb in Verb:
        text = messages.choose_code_reply(verb, ["582", "611"])
        example = text.rsplit("for example ", 1)[1].rstrip(".")
        assert parse_reply(example) == Command(verb, "582")


def test_choose_code_stays_short_however_many_codes() -> None:
    text = messages.choose_code_reply(Verb.PASS, [str(1000 + i) for i in range(50)])
    assert len(text) <= 160 and "40 more" in text and "1049" not in text
    assert messages.choose_code_reply(Verb.PASS, []) == messages.no_open_pages_reply(Verb.PASS)


@pytest.mark.parametrize(
    ("verb", "word"), [(Verb.ACCEPT, "accept"), (Verb.PASS, "pass"), (Verb.RESOLVE, "resolve")]
)
def test_no_open_pages_names_the_verb(verb: Verb, word: str) -> None:
    assert messages.no_open_pages_reply(verb) == f"You have no open pages to {word}."


def test_status_lists_each_open_page() -> None:
    assert messages.status_reply([]) == "You have no open pages."
    text = messages.status_reply([
        OpenPage("417", "West IOP", Severity.HIGH, "waiting"),
        OpenPage("582", "East IOP", Severity.IMMINENT, "moved_on"),
        OpenPage("611", "West IOP", Severity.LOW, "referred"),
    ])
    lines = text.split("\n")
    assert lines[0] == "Open pages:"
    assert lines[1] == "417 West IOP HIGH (waiting on you)"
    assert lines[2].startswith("582 East IOP IMMINENT (")
    assert lines[3].startswith("611 West IOP LOW (") and "referred" in lines[3]
    assert lines[-1] == "Reply A, P or R and the code."


def test_an_open_page_state_must_be_known() -> None:
    with pytest.raises(ValueError, match="state"):
        OpenPage("417", "West IOP", Severity.HIGH, "closed")


@PROPERTY
@given(st.lists(open_pages, max_size=40))
def test_status_fits_and_counts_every_page(pages: list[OpenPage]) -> None:
    text = messages.status_reply(pages)
    assert len(text) <= messages.STATUS_MAX
    assert set(text) <= GSM7
    if not pages:
        return
    listed = text.split("\n")[1:-1]
    more = re.fullmatch(r"\+([0-9]+) more", listed[-1])
    hidden = int(more[1]) if more else 0
    shown = listed[:-1] if more else listed
    assert len(shown) + hidden == len(pages)
    for line, page in zip(shown, pages, strict=False):
        assert line.startswith(f"{page.code} {page.program} {page.severity.value.upper()} (")


def test_status_lists_as_many_pages_as_fit() -> None:
    page = OpenPage("4170", "W" * 40, Severity.IMMINENT, "moved_on")
    line = messages.status_reply([page]).split("\n")[1]
    text = messages.status_reply([page] * 30)
    lines = text.split("\n")
    assert lines[1:-2] == [line] * 5 and lines[-2] == "+25 more"
    assert len(text) + len("\n" + line) > messages.STATUS_MAX


# Voice


@PROPERTY
@given(program=gsm_names, severity=severities, code=codes, hotline=hotlines, name=gsm_names)
def test_voice_texts_spell_codes_digit_by_digit(
    program: str, severity: Severity, code: str, hotline: str, name: str
) -> None:
    texts = [
        messages.voice_page(program, severity, code),
        messages.voice_accepted(code, hotline),
        messages.voice_passed(code),
        messages.voice_closed(code),
        messages.voice_taken(code, name),
    ]
    for text in texts:
        assert f"Incident {spaced(code)}" in text or f"incident {spaced(code)}" in text
        assert not re.search(r"[0-9]{2}", text), text


def test_voice_page_says_what_each_key_does() -> None:
    assert messages.voice_page("West IOP", Severity.HIGH, "417") == (
        "This is crisis pager for West IOP. A high crisis, incident 4 1 7, needs an on-call "
        "clinician. Press 1 to accept. Press 2 to pass to the next person. "
        "Press 9 to hear this again."
    )
    assert "An imminent crisis" in messages.voice_page("West IOP", Severity.IMMINENT, "417")


def test_voice_accepted_speaks_the_hotline_number() -> None:
    assert messages.voice_accepted("417", "+15035550100") == (
        "Accepted. Incident 4 1 7 is yours. Call the hotline now at 5 0 3, 5 5 5, 0 1 0 0. "
        "Goodbye."
    )
    spoken = messages.voice_accepted("417", "+442071234567")
    assert re.sub(r"[^0-9]", "", spoken) == "417" + "442071234567"
    assert messages.voice_accepted("417", "the hotline") == (
        "Accepted. Incident 4 1 7 is yours. Call the hotline now. Goodbye."
    )


@PROPERTY
@given(code=codes, hotline=hotlines)
def test_voice_accepted_speaks_every_digit_of_the_hotline(code: str, hotline: str) -> None:
    text = messages.voice_accepted(code, hotline)
    spoken = text.split(" at ", 1)[1]
    digits = hotline[2:] if hotline.startswith("+1") and len(hotline) == 12 else hotline[1:]
    assert re.sub(r"[^0-9]", "", spoken) == digits


def test_voice_texts_without_a_code() -> None:
    assert messages.voice_no_key() == "No key was pressed. We will page the next person. Goodbye."
    assert messages.voice_invalid_key() == "Sorry, that key does nothing here."
    assert messages.voice_taken("417", "Dr. Ruiz") == (
        "Incident 4 1 7 was already accepted by Dr. Ruiz. No action is needed. Goodbye."
    )
    assert messages.voice_closed("417") == (
        "Incident 4 1 7 no longer needs you. No action is needed. Goodbye."
    )
