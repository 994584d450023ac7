"""The timeline guard on the local stack: the timeline table's stream reaches the guard as
Lambda delivers it. A whole ladder's own writes (conditional puts of new entries) raise
nothing; an unconditional put over an entry, or a delete, raises the TimelineTampered
metric, an error log line and an alert naming the incident and the entry's key only."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from crisis_pager.adapters.dynamo.streams import timeline_change_from_stream
from crisis_pager.domain.timeline import TimelineChange
from local import seed
from local.stack import LocalStack
from tests.ladder.conftest import SUMMARY, Inbox, metric_total, open_incident, wait_for_pages

REGION = "us-east-1"
FORGED = "edited away: Maria Gonzalez was never paged for"


def tampered(stack: LocalStack) -> int:
    """The guard's TimelineTampered metric, summed over its invocations."""
    return metric_total(stack, "TimelineTampered")


def guard_ran(stack: LocalStack) -> bool:
    return any("TimelineTampered" in json.loads(line) for line in stack.metric_lines)


def accepted_incident(stack: LocalStack) -> tuple[str, list[dict[str, Any]]]:
    """An incident paged and accepted, its ladder done: (id, its timeline's raw items)."""
    incident_id, code = open_incident(stack)
    wait_for_pages(stack, code, 1)
    assert stack.sms_reply(seed.phone_of("clin-ana"), f"A {code}").status == 200
    assert stack.wait_until_done(incident_id, timeout=30) == "SUCCEEDED"
    stack.streams.drain()
    table = boto3.resource("dynamodb", region_name=REGION).Table(stack.refs["TimelineTable"])
    items = table.query(KeyConditionExpression="incident_id = :i",
                        ExpressionAttributeValues={":i": incident_id})["Items"]
    return incident_id, items


def test_the_ladders_own_writes_raise_nothing(stack: LocalStack) -> None:
    inbox = Inbox(stack)
    _, items = accepted_incident(stack)

    assert len(items) >= 3 and guard_ran(stack), "the guard saw the ladder's entries"
    assert tampered(stack) == 0 and inbox.messages() == []
    assert not any("timeline entry tampered" in line for line in stack.log_lines)
    assert stack.errors == []


@pytest.mark.parametrize("change", ["overwritten", "deleted"])
def test_an_overwrite_or_a_delete_raises_the_alarm_and_the_alert(stack: LocalStack,
                                                                 change: str) -> None:
    inbox = Inbox(stack)
    incident_id, items = accepted_incident(stack)
    entry = next(i for i in items if i["kind"] == "accepted")
    before = tampered(stack)

    if change == "overwritten":  # what PutItem allows anyone who holds it: no condition
        stack.put_items("TimelineTable", [{**entry, "detail": {"note": FORGED}}])
    else:
        stack.delete_item("TimelineTable", {"incident_id": incident_id, "seq": entry["seq"]})
    stack.streams.drain()

    assert tampered(stack) == before + 1
    stack.wait_for(lambda: len(inbox.messages()) == 1)
    (alert,) = inbox.messages()
    assert alert["Subject"] == "crisis-pager: incident timeline changed"
    assert f"- incident {incident_id} entry {entry['seq']} {change}\n" in alert["Message"]
    (line,) = [json.loads(line) for line in stack.log_lines
               if "timeline entry tampered" in line]
    assert (line["incident_id"], line["entry"], line["change"]) == (
        incident_id, entry["seq"], change)
    for channel in (stack.log_lines, stack.metric_lines, [json.dumps(alert)]):
        for text in channel:
            assert FORGED not in text and SUMMARY not in text, "never an entry's content"


@pytest.mark.parametrize(("record", "change"), [
    ({"eventName": "INSERT"}, TimelineChange("INSERT", "inc_1", "s#1")),
    ({"eventName": "MODIFY"}, TimelineChange("MODIFY", "inc_1", "s#1")),
    ({"eventName": "REMOVE", "userIdentity": {"type": "Service",
                                             "principalId": "dynamodb.amazonaws.com"}},
     TimelineChange("REMOVE", "inc_1", "s#1", "dynamodb.amazonaws.com")),
    ({"eventName": "REMOVE", "userIdentity": {"type": "User", "principalId": "AIDA1"}},
     TimelineChange("REMOVE", "inc_1", "s#1")),
])
def test_a_stream_record_is_read_from_its_keys_and_identity(record: dict[str, Any],
                                                            change: TimelineChange) -> None:
    keys = {"incident_id": {"S": "inc_1"}, "seq": {"S": "s#1"}}
    raw = {**record, "dynamodb": {"Keys": keys, "OldImage": {**keys, "kind": {"S": "x"}}}}
    assert timeline_change_from_stream(raw) == change
