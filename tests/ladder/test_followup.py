"""The follow-up after a crisis, on the real ASL: resolving a high incident starts the
follow-up's own execution, which sleeps until it is due (a Wait state) and, if nobody
closed it, pages the supervisor with a business-hours task.

The crisis runs at the conversation tests' scale; the day-long follow-up at a much smaller
one (24 ladder hours last about 9 s), switched once the crisis is over.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from local import seed
from local.stack import LocalStack
from tests.ladder.conftest import PARTICIPANT_REF, SCALE, SUMMARY, open_incident, wait_for_pages

ANA, CARO = seed.phone_of("clin-ana"), seed.phone_of("clin-caro")
# Monday 23 November 2026, 10:00 in Los Angeles: within business hours.
MONDAY_TEN = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
FOLLOW_UP_SCALE = 0.0001


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with LocalStack(scale=SCALE * 10, start=MONDAY_TEN) as s:
        seed.seed(s)
        yield s


def kinds(stack: LocalStack, incident_id: str) -> list[str]:
    return [e["kind"] for e in stack.timeline(incident_id)]


def accept_and_resolve(stack: LocalStack) -> tuple[str, str]:
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    assert stack.sms_reply(ANA, f"A {code}").status == 200
    assert stack.wait_until_done(incident_id) == "SUCCEEDED"
    stack.set_scale(FOLLOW_UP_SCALE)
    answer = stack.sms_reply(ANA, f"R {code}")
    assert answer.status == 200 and f"F {code} done" in answer.body
    return incident_id, code


def test_a_follow_up_done_in_time_ends_its_execution_without_paging(stack: LocalStack) -> None:
    incident_id, code = accept_and_resolve(stack)
    assert stack.execution(f"{incident_id}-follow-up")["status"] == "RUNNING"
    assert "1 of 3" in stack.sms_reply(ANA, f"F {code} tried").body
    assert "done" in stack.sms_reply(ANA, f"F {code} done").body
    assert stack.wait_until_done(f"{incident_id}-follow-up", timeout=60) == "SUCCEEDED"
    assert "follow_up_overdue" not in kinds(stack, incident_id)
    assert [m.to for m in stack.twilio.messages if "overdue" in m.body] == []
    seen = kinds(stack, incident_id)
    assert sorted(seen[-4:-2]) == ["follow_up_due", "resolved"]  # one instant: either order
    assert seen[-2:] == ["follow_up_attempt", "follow_up_done"]


def test_an_overdue_follow_up_pages_the_supervisor_who_closes_it(stack: LocalStack) -> None:
    incident_id, code = accept_and_resolve(stack)
    stack.wait_for(lambda: any(m.to == CARO and "overdue" in m.body
                               for m in stack.twilio.messages), timeout=60)
    page = next(m for m in stack.twilio.messages if m.to == CARO and "overdue" in m.body)
    incident = stack.incident(incident_id)
    assert incident.follow_up_due_at is not None
    # Paged when due (Tuesday 10:40 or so, within business hours), not before.
    assert page.at >= incident.follow_up_due_at.timestamp()
    assert "0 of 3" in page.body and "Ana" in page.body
    caro_code = page.body.split("incident ")[1].split(" ")[0]
    assert "done" in stack.sms_reply(CARO, f"F {caro_code} done").body
    assert stack.wait_until_done(f"{incident_id}-follow-up", timeout=30) == "SUCCEEDED"
    seen = kinds(stack, incident_id)
    assert seen.index("follow_up_overdue") < seen.index("follow_up_done")
    paged = [e for e in stack.timeline(incident_id) if e["kind"] == "paged"]
    assert [(e["position"], e["clinician_id"]) for e in paged][-1] == (100, "clin-caro")
    for message in stack.twilio.messages:
        assert SUMMARY not in message.body and PARTICIPANT_REF not in message.body
