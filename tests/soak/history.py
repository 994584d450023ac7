"""What the system recorded, in plain data the checkers read (and unit tests hand-make)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

_PAGE_URL = re.compile(r"/twilio/status/(?P<incident>[^/]+)/(?P<position>\d+)$")


@dataclass(frozen=True)
class Post:
    """One intake request the hotline made, and what it was answered."""

    index: int
    event_id: str
    status: int
    incident_id: str | None


@dataclass(frozen=True)
class Send:
    """An SMS or a call the fake Twilio took (a page when it names its incident and rung)."""

    kind: str  # "sms" | "call"
    to: str
    incident_id: str | None
    position: int | None
    at: float  # ladder-clock epoch seconds
    wall_at: float  # wall-clock epoch seconds
    text: str  # the body, or the call's parameters
    ambiguous: bool = False  # Twilio took it but its caller never saw the answer


@dataclass(frozen=True)
class IncidentRecord:
    incident_id: str
    event_id: str
    severity: str
    status: str
    opened_at: float
    accepted_at: float | None
    referred_at: float | None
    rungs: tuple[dict[str, Any], ...] = ()


@dataclass
class History:
    seed: int
    posts: list[Post] = field(default_factory=list)
    incidents: dict[str, IncidentRecord] = field(default_factory=dict)
    executions: dict[str, int] = field(default_factory=dict)  # name -> how many
    sends: list[Send] = field(default_factory=list)
    callbacks: list[tuple[str, str]] = field(default_factory=list)  # (incident, event)
    # channel -> texts (SMS bodies, call parameters and what was said, log lines, metric
    # lines, execution inputs and histories)
    texts: dict[str, list[str]] = field(default_factory=dict)
    index_of: dict[str, int] = field(default_factory=dict)  # incident id -> plan index
    post_wall: dict[str, float] = field(default_factory=dict)  # incident -> wall of its 202
    unanswered: set[str] = field(default_factory=set)  # nobody replied, no fault injected


def page_of(status_callback: str | None) -> tuple[str | None, int | None]:
    match = _PAGE_URL.search(status_callback or "")
    if match is None:
        return None, None
    return match["incident"], int(match["position"])


def collect(stack: Any, history: History) -> History:
    """Read every record the stack kept into ``history`` (posts and index_of already set)."""
    import boto3

    from crisis_pager.adapters.dynamo.items import INCIDENT_SK

    twilio = stack.twilio
    ambiguous = {(r.data.get("To"), r.data.get("Body"), r.at)
                 for r in twilio.requests if (r.timed_out or r.crashed) and r.status == 201}
    walls = {(r.data.get("To"), r.data.get("Body"), r.at): r.wall_at for r in twilio.requests
             if r.method == "POST" and r.status == 201}
    for m in twilio.messages:
        incident_id, position = page_of(m.status_callback)
        key = (m.to, m.body, m.at)
        history.sends.append(Send("sms", m.to, incident_id, position, m.at,
                                  walls.get(key, 0.0), m.body, key in ambiguous))
    texts = history.texts
    texts["sms"] = [m.body for m in twilio.messages]
    texts["calls"] = []
    for c in twilio.calls:
        incident_id, position = page_of(c.status_callback)
        params = json.dumps(c.params, default=str)
        key = (c.to, None, c.at)
        history.sends.append(Send("call", c.to, incident_id, position, c.at,
                                  walls.get(key, 0.0), params, key in ambiguous))
        said = " ".join(twilio.transcript(c.sid).said)
        texts["calls"].append(params + " " + said)
    texts["logs"] = list(stack.log_lines)
    texts["metrics"] = list(stack.metric_lines)
    history.callbacks = [(str(cb.payload.get("incident_id")), str(cb.payload.get("event")))
                         for cb in stack.receiver.callbacks if cb.verified]

    table = boto3.resource("dynamodb", region_name="us-east-1").Table(
        stack.refs["IncidentsTable"])
    ids: list[str] = []
    scan: dict[str, Any] = {}
    while True:
        page = table.scan(**scan)
        ids += [item["pk"] for item in page["Items"] if item["sk"] == INCIDENT_SK]
        if "LastEvaluatedKey" not in page:
            break
        scan = {"ExclusiveStartKey": page["LastEvaluatedKey"]}
    answered = {post.incident_id for post in history.posts if post.incident_id}
    for incident_id in sorted(set(ids) | answered):  # a 202's incident the scan missed too
        inc = stack.incident(incident_id)
        if inc is None:
            continue
        history.incidents[incident_id] = IncidentRecord(
            incident_id, inc.event_id, inc.severity.value, inc.status.value,
            inc.opened_at.timestamp(),
            inc.accepted_at.timestamp() if inc.accepted_at else None,
            inc.referred_at.timestamp() if inc.referred_at else None, tuple(inc.rungs))

    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    texts["execution"] = []
    for page in sfn.get_paginator("list_executions").paginate(
            stateMachineArn=stack.state_machine_arn):
        for ex in page["executions"]:
            name = ex["name"]
            history.executions[name] = history.executions.get(name, 0) + 1
            described = sfn.describe_execution(executionArn=ex["executionArn"])
            texts["execution"].append(str(described.get("input", "")))
            events = sfn.get_execution_history(executionArn=ex["executionArn"],
                                               maxResults=1000)["events"]
            texts["execution"].append(json.dumps(events, default=str))
    return history
