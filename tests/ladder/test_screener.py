"""Escalations that carry C-SSRS screen answers instead of (or with) a severity."""

from __future__ import annotations

import json
from typing import Any

import pytest

from local.stack import LocalStack
from tests.ladder.conftest import escalation, wait_for_pages
from tests.ladder.test_ladder import _executions, _nothing_happened

HIGH_RISK = {"1": True, "2": True, "3": True, "4": True, "5": False, "6": False}
LOW_RISK = {"1": True, "2": False, "6": False}


def post(stack: LocalStack, event_id: str, **fields: Any) -> Any:
    body = escalation(stack, event_id)
    body.pop("severity")
    body.update(fields)
    return stack.post_escalation({k: v for k, v in body.items() if v is not None})


def test_screen_answers_decide_the_severity_and_stay_out_of_every_message(
    stack: LocalStack,
) -> None:
    response = post(stack, "evt-screen", screener=HIGH_RISK)
    assert response.status == 202, response.body
    incident_id, code = response.json()["incident_id"], response.json()["code"]
    incident = stack.incident(incident_id)
    assert incident.severity.value == "high" and incident.screener == HIGH_RISK
    (opened,) = [e for e in stack.timeline(incident_id) if e["kind"] == "opened"]
    assert (opened["severity"], opened["severity_from"]) == ("high", "C-SSRS screen")
    wait_for_pages(stack, code, 1)
    (execution,) = _executions(stack)
    given = stack.execution(incident_id)["input"]
    assert execution["name"] == incident_id
    assert "screener" not in given and '"4"' not in given, "answers stay out of the input"
    assert all("HIGH" in m.body and "true" not in m.body.lower()
               for m in stack.twilio.messages)
    assert not any("screener" in line for line in stack.log_lines)


def test_the_hotlines_imminent_overrides_a_low_risk_screen(stack: LocalStack) -> None:
    response = post(stack, "evt-imminent", screener=LOW_RISK, severity="imminent")
    assert response.status == 202, response.body
    assert stack.incident(response.json()["incident_id"]).severity.value == "imminent"
    low = post(stack, "evt-low", screener=LOW_RISK)
    assert stack.incident(low.json()["incident_id"]).severity.value == "low"


@pytest.mark.parametrize(("fields", "names"), [
    ({"screener": {**LOW_RISK, "4": True}}, "screener.4"),
    ({"screener": {"1": True, "2": True, "6": False}}, "screener.3"),
    ({"screener": {**LOW_RISK, "9": True}}, "screener.9"),
    ({"screener": {**LOW_RISK, "6": True}}, "6_past_3_months"),
    ({}, "send a severity"),
])
def test_unusable_screens_are_named_and_nothing_is_stored(
    stack: LocalStack, fields: dict[str, Any], names: str,
) -> None:
    response = post(stack, "evt-bad", **fields)
    assert response.status == 422, response.body
    assert names in json.dumps(response.json()["problems"])
    _nothing_happened(stack)
