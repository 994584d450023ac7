"""C-SSRS screen answers to a severity, as the screen's triage guidance says."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crisis_pager.domain.incident import Severity
from crisis_pager.domain.screener import (
    RECENCY,
    InvalidScreener,
    screen_from_answers,
    triage,
)

NO = {"1": False, "2": False, "6": False}


@pytest.mark.parametrize(("answers", "expected"), [
    (NO, Severity.LOW),
    ({**NO, "1": True}, Severity.LOW),
    ({"1": True, "2": True, "3": False, "4": False, "5": False, "6": False}, Severity.LOW),
    ({"1": True, "2": True, "3": True, "4": False, "5": False, "6": False}, Severity.MODERATE),
    ({"1": True, "2": True, "3": True, "4": True, "5": False, "6": False}, Severity.HIGH),
    ({"1": True, "2": True, "3": False, "4": False, "5": True, "6": False}, Severity.HIGH),
    ({**NO, "6": True, RECENCY: True}, Severity.HIGH),
    ({**NO, "6": True, RECENCY: False}, Severity.LOW),
    ({"1": True, "2": True, "3": True, "4": False, "5": False, "6": True, RECENCY: False},
     Severity.MODERATE),
])
def test_the_screen_maps_to_the_documented_severity(answers: dict[str, bool],
                                                     expected: Severity) -> None:
    assert screen_from_answers(answers).severity is expected


def test_the_hotlines_imminent_overrides_the_screen() -> None:
    screen = screen_from_answers({**NO, "1": True})
    assert triage(Severity.IMMINENT, screen) is Severity.IMMINENT
    assert triage(None, screen) is Severity.LOW
    assert triage(Severity.MODERATE, screen) is Severity.MODERATE, "the more urgent wins"
    high = screen_from_answers({**NO, "6": True, RECENCY: True})
    assert triage(Severity.LOW, high) is Severity.HIGH, "a screen can raise, never lower"
    assert triage(Severity.HIGH, None) is Severity.HIGH
    with pytest.raises(InvalidScreener, match="severity"):
        triage(None, None)


@pytest.mark.parametrize(("answers", "names"), [
    ([True], "object"),
    ({**NO, "7": True}, "screener.7"),
    ({**NO, "1": "yes"}, "screener.1"),
    ({"1": False, "2": False}, "screener.6"),
    ({"1": True, "2": True, "6": False}, "screener.3"),
    ({**NO, "4": True}, "screener.4"),
    ({**NO, "6": True}, RECENCY),
    ({**NO, RECENCY: True}, RECENCY),
])
def test_malformed_answers_are_named(answers: object, names: str) -> None:
    with pytest.raises(InvalidScreener, match=names.replace(".", r"\.")):
        screen_from_answers(answers)


@st.composite
def valid_answers(draw: st.DrawFn) -> dict[str, bool]:
    answers = {"1": draw(st.booleans()), "2": draw(st.booleans()), "6": draw(st.booleans())}
    if answers["2"]:
        answers |= {q: draw(st.booleans()) for q in ("3", "4", "5")}
    if answers["6"]:
        answers[RECENCY] = draw(st.booleans())
    return answers


@settings(max_examples=200, deadline=None)
@given(valid_answers())
def test_any_valid_screen_has_the_severity_of_its_most_serious_yes(
    answers: dict[str, bool],
) -> None:
    severity = screen_from_answers(answers).severity
    serious = answers.get("4") or answers.get("5") or (answers["6"] and answers[RECENCY])
    assert (severity is Severity.HIGH) == bool(serious)
    assert (severity is Severity.MODERATE) == (not serious and bool(answers.get("3")))
    assert severity is not Severity.IMMINENT, "only the hotline says imminent"
