"""Each severity runs its own default ladder, on the real ASL, at its windows:

- imminent: the primary by SMS and voice at once; backup at 3 min; supervisor at 6;
  referral at 10;
- high: backup at 5, supervisor at 10, referral at 15 (tests/ladder/test_ladder.py);
- moderate: backup at 15, supervisor at 30, referral only after 60 min;
- low: a task for the primary within business hours; the supervisor if nobody took it by
  the end of the next business day; never a referral.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from local import seed
from local.stack import LocalStack
from tests.ladder.conftest import SCALE, assert_at, ladder_seconds, open_incident, pages

ANA, BEN, CARO = (seed.phone_of(c) for c in ("clin-ana", "clin-ben", "clin-caro"))
LA = ZoneInfo(seed.TIMEZONE)


def offsets(stack: LocalStack, incident_id: str, code: str) -> list[tuple[str, float]]:
    return [(phone, ladder_seconds(stack, incident_id, at)) for phone, at in pages(stack, code)]


def referral_offset(stack: LocalStack, incident_id: str) -> float:
    incident = stack.incident(incident_id)
    assert incident.referred_at is not None
    return ladder_seconds(stack, incident_id, incident.referred_at.timestamp())


@pytest.fixture
def slow_stack() -> Iterator[LocalStack]:
    """A slower idle speed: the at-once call's webhooks run while the primary's rung
    waits."""
    with LocalStack(scale=SCALE * 10) as s:
        seed.seed(s)
        yield s


def test_imminent_pages_sms_and_voice_at_once_then_3_6_10(slow_stack: LocalStack) -> None:
    stack = slow_stack
    incident_id, code = open_incident(stack, severity="imminent")
    stack.wait_for(lambda: stack.incident(incident_id).referred_at is not None, timeout=60)
    sent = offsets(stack, incident_id, code)
    assert [p for p, _ in sent[:3]] == [ANA, BEN, CARO]
    for (_, got), expected, who in zip(sent[:3], [0, 180, 360], ["primary", "backup",
                                                                  "supervisor"], strict=True):
        assert_at(got, expected, who)
    calls = [c for c in stack.twilio.calls if c.to == ANA]
    assert calls, "the primary is called at once as well as texted"
    assert_at(ladder_seconds(stack, incident_id, calls[0].at), 0, "the primary's call")
    assert_at(referral_offset(stack, incident_id), 600, "referral")


def test_moderate_refers_only_after_an_hour(stack: LocalStack) -> None:
    incident_id, code = open_incident(stack, severity="moderate")
    assert stack.wait_until_done(incident_id, timeout=90) == "SUCCEEDED"
    sent = offsets(stack, incident_id, code)
    assert [p for p, _ in sent[:3]] == [ANA, BEN, CARO]
    for (_, got), expected, who in zip(sent[:3], [0, 900, 1800], ["primary", "backup",
                                                                   "supervisor"], strict=True):
        assert_at(got, expected, who)
    assert_at(referral_offset(stack, incident_id), 3600, "referral")
    assert stack.twilio.calls == [], "only imminent calls at once; these SMS were delivered"


# ---------------------------------------------------------------- low: a business-hours task

# Friday 27 November 2026, 18:00 in Los Angeles: after hours, before a weekend.
FRIDAY_EVENING = datetime(2026, 11, 27, 18, 0, tzinfo=LA).astimezone(UTC)
LOW_SCALE = SCALE / 10  # four ladder days in about 9 s


@pytest.fixture
def friday_stack() -> Iterator[LocalStack]:
    with LocalStack(scale=LOW_SCALE, start=FRIDAY_EVENING) as s:
        seed.seed(s)
        yield s


def test_low_is_a_task_in_business_hours_then_the_supervisor_never_a_referral(
        friday_stack: LocalStack) -> None:
    stack = friday_stack
    incident_id, code = open_incident(stack, severity="low")
    stack.wait_for(lambda: len(pages(stack, code)) >= 2, timeout=60)
    (first, first_at), (second, second_at) = pages(stack, code)[:2]
    first_local = datetime.fromtimestamp(first_at, LA)
    second_local = datetime.fromtimestamp(second_at, LA)
    # Nobody is texted over the weekend: the primary gets the task on Monday at opening.
    assert first == ANA
    assert (first_local.date().isoformat(), first_local.hour) == ("2026-11-30", 9)
    body = next(m.body for m in stack.twilio.messages if m.to == ANA and m.carries(code))
    assert "task" in body.lower() and "crisis" not in body.lower()
    # Not taken by the end of Monday (the next business day after Friday): the supervisor,
    # when the program opens on Tuesday.
    assert second == CARO
    assert (second_local.date().isoformat(), second_local.hour) == ("2026-12-01", 9)
    assert stack.twilio.calls == [], "a task is texted, never a call at once"
    assert stack.sms_reply(CARO, f"A {code}").status == 200
    assert stack.wait_until_done(incident_id, timeout=30) == "SUCCEEDED"
    incident = stack.incident(incident_id)
    assert incident.status.value == "accepted" and incident.referred_at is None
    kinds = [e["kind"] for e in stack.timeline(incident_id)]
    assert "referred" not in kinds
