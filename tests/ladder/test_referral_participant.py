"""The local emergency referral with the participant's record, through the real ASL on the
local stack: the hotline's signed callback carries the participant's local resources when
their location is fresh, the program's defaults (and why) when it is stale; the disclosure
is recorded; the consenting support person gets one PHI-free SMS, the other none; nothing
of the safety plan or the participant's name reaches an SMS, a log line or a metric."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from local import seed
from local.resources import HOTLINE_AFFILIATION, HOTLINE_NAME
from local.stack import LocalStack
from tests.ladder.conftest import assert_kept_out, open_incident, outputs

STALE_ID = "ptc-west-stale"


def referred_callback(stack: LocalStack, incident_id: str) -> dict[str, Any]:
    stack.wait_for(lambda: "referred" in stack.receiver.events(incident_id), timeout=30)
    callback = next(c for c in stack.receiver.callbacks
                    if c.payload["incident_id"] == incident_id
                    and c.payload["event"] == "referred")
    assert callback.verified, "signed with the hotline's secret"
    return dict(callback.payload)


def private_texts() -> list[str]:
    """Everything of the demo participant's record that must stay in DynamoDB."""
    (document,) = seed.participants(seed.datetime.now(seed.ZoneInfo(seed.TIMEZONE)))
    texts = [entry for entries in document["safety_plan"].values() for entry in entries]
    texts += [document["preferred_name"], seed.DEMO_LOCATION["description"]]
    texts += [p["name"] for p in document["support_persons"]]
    return texts


def test_a_fresh_location_reaches_the_hotline_with_the_participants_resources(
    stack: LocalStack,
) -> None:
    incident_id, code = open_incident(stack, participant_ref=seed.DEMO_PARTICIPANT_ID)
    payload = referred_callback(stack, incident_id)
    assert stack.wait_until_done(incident_id, timeout=60) == "SUCCEEDED"

    referral = payload["referral"]
    for field, value in seed.DEMO_LOCATION.items():
        key = "location_description" if field == "description" else field
        assert referral[key] == value, field
    assert referral["crisis_line"] != seed.PROGRAM["crisis_line"]
    assert referral["source"] == "participant's last confirmed location"
    assert referral["stale"] is False and "missing" not in referral

    timeline = stack.timeline(incident_id)
    (referred,) = [e for e in timeline if e["kind"] == "referred"]
    assert referred["crisis_line"] == seed.DEMO_LOCATION["crisis_line"]
    assert referred["location_used"] is True
    (disclosure,) = [e for e in timeline if e["kind"] == "emergency_disclosure"]
    assert (disclosure["recipient"], disclosure["recipient_affiliation"]) == (
        HOTLINE_NAME, HOTLINE_AFFILIATION)
    assert disclosure["disclosed_by"].startswith("West IOP (west-iop), via crisis-pager")
    # 15 ladder minutes (a rung may be stamped a few ladder seconds early on the stack)
    assert disclosure["minutes_without_acceptance"] in (14, 15)
    assert disclosure["nature_of_emergency"].startswith(
        "high crisis: no on-call clinician accepted within 1")
    assert "referral.location_description" in disclosure["information_disclosed"]

    from crisis_pager.adapters.dynamo.participants import DynamoParticipants

    (record,) = DynamoParticipants().disclosures(seed.DEMO_PARTICIPANT_ID)
    assert record["incident_id"] == incident_id and record["recipient"] == HOTLINE_NAME

    # The support person who consented got exactly one text; the other none.
    to_support = [m for m in stack.twilio.messages if m.to == seed.SUPPORT_CONSENTING_PHONE]
    assert len(to_support) == 1
    body = to_support[0].body
    assert "+1 503-555-0100" in body, "the program's number to call"
    # The reply code is random digits, so look for it outside the number to call.
    rest = body.replace("+1 503-555-0100", "")
    assert "IOP" not in rest and "West" not in rest and code not in rest
    assert not [m for m in stack.twilio.messages if m.to == seed.SUPPORT_NOT_CONSENTING_PHONE]
    (notified,) = [e for e in timeline if e["kind"] == "support_person_notified"]
    assert notified["support_index"] == 0

    # Nothing of the record in an SMS, a log line, a metric, the execution or the timeline.
    seen = outputs(stack, incident_id) | {"timeline": [json.dumps(timeline)]}
    assert_kept_out(seen, private_texts())
    for phone in (seed.SUPPORT_CONSENTING_PHONE, seed.SUPPORT_NOT_CONSENTING_PHONE):
        for channel in ("logs", "metrics", "execution", "timeline"):
            assert not any(phone in text for text in seen[channel]), (phone, channel)


@pytest.mark.parametrize("confirmed_ago", [timedelta(days=3)])
def test_a_stale_location_falls_back_to_the_program_and_says_why(
    stack: LocalStack, confirmed_ago: timedelta,
) -> None:
    from crisis_pager import bootstrap
    from crisis_pager.service.participants import save_participant

    (document,) = seed.participants(stack.clock.now())
    document["participant_id"] = STALE_ID
    document["location"]["confirmed_at"] = (stack.clock.now() - confirmed_ago).isoformat()
    save_participant(document, by="test", participants=bootstrap.participants(),
                     clock=stack.clock)

    incident_id, _ = open_incident(stack, participant_ref=STALE_ID)
    referral = referred_callback(stack, incident_id)["referral"]
    assert referral["crisis_line"] == seed.PROGRAM["crisis_line"]
    assert referral["emergency_department"] == seed.PROGRAM["emergency_department"]
    assert referral["stale"] is True
    assert referral["source"].startswith(
        "program defaults: the participant's location was last confirmed 3 days ago")
    assert "location_description" not in referral
    stack.stop_executions()


def test_an_unknown_participant_still_gets_the_referral(stack: LocalStack) -> None:
    incident_id, _ = open_incident(stack, participant_ref="ptc-not-on-file")
    referral = referred_callback(stack, incident_id)["referral"]
    assert referral["crisis_line"] == seed.PROGRAM["crisis_line"]
    assert referral["source"].startswith(
        "program defaults: no participant record on file for this program")
    assert referral["missing"] == ["emergency_call_center"], "the demo program has none"
    assert not [m for m in stack.twilio.messages
                if m.to in (seed.SUPPORT_CONSENTING_PHONE, seed.SUPPORT_NOT_CONSENTING_PHONE)]
    stack.stop_executions()
