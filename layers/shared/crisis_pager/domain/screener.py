"""The Columbia Suicide Severity Rating Scale screen (C-SSRS screen version) as a hotline
sends it, and the severity it maps to. Pure.

The six questions (answers yes/no; 3 to 5 are asked only when 2 is yes):

1. Wished you were dead or wished you could go to sleep and not wake up? (past month)
2. Actually had any thoughts of killing yourself? (past month)
3. Been thinking about how you might do this? (method, no intent)
4. Had these thoughts and had some intention of acting on them?
5. Started to work out or worked out the details of how to kill yourself, and do you
   intend to carry out this plan?
6. Ever done anything, started to do anything, or prepared to do anything to end your
   life? With ``6_past_3_months``: was it within the past 3 months?

Triage, as the screen's guidance does: yes to 4 or 5, or behavior (6) in the past 3
months, is high risk; yes to 3 is moderate; yes to 1 or 2 only (or behavior longer ago)
is low. The hotline's explicit ``imminent`` overrides the screen. The answers are stored
with the incident (encrypted) and never texted, logged or put in an execution input.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DomainError
from .incident import Severity

QUESTIONS = ("1", "2", "3", "4", "5", "6")
RECENCY = "6_past_3_months"
_URGENCY = {Severity.LOW: 0, Severity.MODERATE: 1, Severity.HIGH: 2, Severity.IMMINENT: 3}


class InvalidScreener(DomainError, ValueError):
    """The screener answers cannot be read; the message names the field."""


@dataclass(frozen=True)
class Screen:
    answers: dict[str, bool]  # "1".."6" and "6_past_3_months" as given

    def yes(self, question: str) -> bool:
        return self.answers.get(question) is True

    @property
    def severity(self) -> Severity:
        if self.yes("4") or self.yes("5") or (self.yes("6") and self.yes(RECENCY)):
            return Severity.HIGH
        if self.yes("3"):
            return Severity.MODERATE
        return Severity.LOW


def screen_from_answers(answers: object) -> Screen:
    """Validate the hotline's answers: an object of "1".."6" (and "6_past_3_months") to
    true/false; 1, 2 and 6 are required; 3 to 5 only when 2 is yes; the recency only
    when 6 is yes. Raises InvalidScreener naming the field."""
    if not isinstance(answers, dict):
        raise InvalidScreener("screener must be an object of question numbers to true/false")
    allowed = set(QUESTIONS) | {RECENCY}
    for key, value in answers.items():
        if key not in allowed:
            raise InvalidScreener(f"screener.{key} is not a C-SSRS screen question "
                                  f"(use {', '.join(sorted(allowed))})")
        if not isinstance(value, bool):
            raise InvalidScreener(f"screener.{key} must be true or false")
    for required in ("1", "2", "6"):
        if required not in answers:
            raise InvalidScreener(f"screener.{required} is required")
    if answers["2"]:
        for asked in ("3", "4", "5"):
            if asked not in answers:
                raise InvalidScreener(f"screener.{asked} is required when screener.2 is true")
    else:
        for skipped in ("3", "4", "5"):
            if answers.get(skipped):
                raise InvalidScreener(f"screener.{skipped} is asked only when screener.2 is "
                                      "true (the screen skips it)")
    if answers["6"] and RECENCY not in answers:
        raise InvalidScreener(f"screener.{RECENCY} is required when screener.6 is true")
    if not answers["6"] and answers.get(RECENCY):
        raise InvalidScreener(f"screener.{RECENCY} cannot be true when screener.6 is false")
    return Screen(dict(answers))


def triage(severity: Severity | None, screen: Screen | None) -> Severity:
    """The incident's severity: the screen's, unless the hotline said something more
    urgent (its ``imminent`` always wins); the hotline's alone without a screen."""
    if screen is None:
        if severity is None:
            raise InvalidScreener("send a severity, or the C-SSRS screener answers")
        return severity
    if severity is None:
        return screen.severity
    return max(severity, screen.severity, key=lambda s: _URGENCY[s])
