"""A +voice rung on the real ASL: the imminent ladder's primary is texted and called at
once, and the call ending unanswered does not move the ladder on while the SMS stands
(the clinician may still reply to it within the 3-minute window)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local import seed
from local.stack import LocalStack
from tests.ladder.conftest import SCALE, assert_at, ladder_seconds, open_incident

ANA, BEN = seed.phone_of("clin-ana"), seed.phone_of("clin-ben")
WINDOW = 180  # the imminent primary's window: 3 minutes
SOON = 90  # "at once": well inside the window, in ladder seconds


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    # As in test_conversation.py: slow enough that a call's webhooks fit inside a window.
    with LocalStack(scale=SCALE * 10) as s:
        seed.seed(s)
        yield s


def first_to(stack: LocalStack, phone: str, *, calls: bool = False) -> float:
    """Ladder-clock epoch seconds of the first SMS (or call) to ``phone``."""
    def sent() -> list[float]:
        items = stack.twilio.calls if calls else stack.twilio.messages  # copies: re-read
        return [m.at for m in items if m.to == phone]

    stack.wait_for(lambda: bool(sent()), timeout=30)
    return sent()[0]


def entries(stack: LocalStack, incident_id: str, kind: str) -> list[dict[str, object]]:
    return [e for e in stack.timeline(incident_id) if e["kind"] == kind]


def test_the_primary_is_texted_and_called_at_once_and_the_unanswered_call_waits(
        stack: LocalStack) -> None:
    stack.twilio.call_outcome(ANA, "no-answer")  # the SMS is delivered (the default)
    incident_id, code = open_incident(stack, severity="imminent")

    sms_at, call_at = first_to(stack, ANA), first_to(stack, ANA, calls=True)
    stack.wait_for(lambda: entries(stack, incident_id, "call_ended"), timeout=30)
    backup_at = first_to(stack, BEN)
    assert sms_at < backup_at and call_at < backup_at, "both before the backup is paged"
    assert ladder_seconds(stack, incident_id, call_at) < SOON, "the call is at once"
    # The call ended unanswered long before the window did; the ladder waited it out.
    (ended,) = entries(stack, incident_id, "call_ended")
    assert (ended["status"], ended["ladder"]) == ("no-answer", "waits for the SMS")
    backup_offset = ladder_seconds(stack, incident_id, backup_at)
    assert_at(backup_offset, WINDOW, "the backup is paged when the primary's window ends")
    assert entries(stack, incident_id, "page_delivered")
    assert not entries(stack, incident_id, "page_undelivered")
    assert len([c for c in stack.twilio.calls if c.to == ANA]) == 1
    (called,) = entries(stack, incident_id, "called")
    assert called["reason"] == "SMS and voice at once"
    assert code in next(m.body for m in stack.twilio.messages if m.to == ANA)
    assert [c.to for c in stack.twilio.calls] == [ANA], "only the +voice rung calls"


def test_the_ladder_moves_on_at_once_when_neither_the_sms_nor_the_call_arrives(
        stack: LocalStack) -> None:
    stack.twilio.sms_outcome(ANA, "undelivered", 30003)
    stack.twilio.call_outcome(ANA, "busy")
    incident_id, _ = open_incident(stack, severity="imminent")
    backup_offset = ladder_seconds(stack, incident_id, first_to(stack, BEN))
    assert backup_offset < SOON, f"backup paged {backup_offset:.0f}s in"
    assert len([c for c in stack.twilio.calls if c.to == ANA]) == 1, "never a second call"


def test_pressing_1_on_the_at_once_call_accepts(stack: LocalStack) -> None:
    stack.twilio.call_outcome(ANA, "human", keys="1")
    incident_id, code = open_incident(stack, severity="imminent")
    assert stack.wait_until_done(incident_id, timeout=30) == "SUCCEEDED"
    incident = stack.incident(incident_id)
    assert (incident.status.value, incident.accepted_by) == ("accepted", "clin-ana")
    (accepted,) = entries(stack, incident_id, "accepted")
    assert accepted["via"] == "voice"
    assert [m.to for m in stack.twilio.messages if m.carries(code)] == [ANA]
