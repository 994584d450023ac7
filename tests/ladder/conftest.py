"""The local stack for ladder tests: moto running the real ASL, the real handlers, the real
Twilio client on a fake transport, and ladder time scaled (one ladder second = 1 ms)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import boto3
import pytest

from local import seed
from local.stack import LocalStack

SCALE = 0.001
# Ladder seconds of real work a rung may add after its window ends. Every wait ends exactly
# at its ladder deadline (local/clock.py); ladder time then runs at real speed while the
# handlers, execution steps and Twilio callbacks of the next rung work, so a rung pages at
# its window's end plus that real time (well under a second on a quiet machine), never
# before it.
WORK_S = 5.0
REGION = "us-east-1"
SUMMARY = "Maria Gonzalez said she has pills saved; safety plan: call sister Rosa"
PARTICIPANT_REF = "ptc-8842-zulu"


@pytest.fixture
def stack() -> Iterator[LocalStack]:
    with LocalStack(scale=SCALE) as s:
        seed.seed(s)
        yield s


def outputs(stack: LocalStack, incident_id: str) -> dict[str, list[str]]:
    """What left DynamoDB on the stack, by channel: every SMS and call, log line and metric,
    and the incident's execution (its input and history). A test adds its own channels
    (callbacks, the timeline) and scans them all with ``assert_kept_out``."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = stack.execution(incident_id)["executionArn"]
    history = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return {
        "sms": [m.body for m in stack.twilio.messages],
        "calls": [json.dumps(c.params, default=str) for c in stack.twilio.calls],
        "logs": stack.log_lines,
        "metrics": stack.metric_lines,
        "execution": [json.dumps(stack.execution(incident_id), default=str),
                      json.dumps(history, default=str)],
    }


def assert_kept_out(seen: dict[str, list[str]], secrets: Iterable[str]) -> None:
    assert seen["logs"] and seen["metrics"], "the scan must see real output"
    secrets = list(secrets)
    for channel, texts in seen.items():
        for text in texts:
            for secret in secrets:
                assert secret not in text, f"{secret!r} leaked into {channel}"


def stored(stack: LocalStack) -> dict[str, list[dict[str, Any]]]:
    """Every item of every table on the stack."""
    dynamodb = boto3.resource("dynamodb", region_name=REGION)
    return {logical_id: sorted(dynamodb.Table(stack.refs[logical_id]).scan(
                ConsistentRead=True)["Items"], key=repr)
            for logical_id in stack.template.tables}


@contextmanager
def changes_nothing(stack: LocalStack) -> Iterator[None]:
    """Assert that the requests made inside write no item and send no SMS and no call. What
    the stack had in flight settles first (Twilio's reports, stream records), so run it while
    no ladder timer can fire (a slow scale)."""
    stack.twilio.drain()
    stack.streams.drain()
    before = stored(stack), len(stack.twilio.messages), len(stack.twilio.calls)
    yield
    stack.twilio.drain()
    stack.streams.drain()
    assert (stored(stack), len(stack.twilio.messages), len(stack.twilio.calls)) == before


def escalation(stack: LocalStack, event_id: str = "evt-1", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "program_id": seed.PROGRAM_ID,
        "severity": "high",
        "participant_ref": PARTICIPANT_REF,
        "event_id": event_id,
        "callback_url": stack.receiver.url,
        "summary": SUMMARY,
    }
    body.update(overrides)
    return body


def open_incident(stack: LocalStack, event_id: str = "evt-1", **overrides: Any) -> tuple[str, str]:
    response = stack.post_escalation(escalation(stack, event_id, **overrides))
    assert response.status == 202, response.body
    body = response.json()
    return body["incident_id"], body["code"]


def metric_total(stack: LocalStack, name: str) -> int:
    """A metric the handlers emitted (EMF lines on stdout), summed over their invocations."""
    total = 0.0
    for line in stack.metric_lines:
        value = json.loads(line).get(name, 0)
        total += sum(value) if isinstance(value, list) else value
    return int(total)


def ladder_seconds(stack: LocalStack, incident_id: str, at: float) -> float:
    opened: datetime = stack.incident(incident_id).opened_at
    return at - opened.timestamp()


def pages(stack: LocalStack, code: str) -> list[tuple[str, float]]:
    """(phone, ladder-clock epoch seconds) of every SMS carrying this incident's code."""
    return [(m.to, m.at) for m in stack.twilio.messages if m.carries(code)]


def wait_for_pages(stack: LocalStack, code: str, n: int, timeout: float = 20.0) -> None:
    stack.wait_for(lambda: len(pages(stack, code)) >= n, timeout=timeout)


class Inbox:
    """The alerts topic's messages, through an SQS queue subscribed to it."""

    def __init__(self, stack: LocalStack) -> None:
        self._sqs = boto3.client("sqs", region_name=REGION)
        self._url = self._sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        arn = self._sqs.get_queue_attributes(
            QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        boto3.client("sns", region_name=REGION).subscribe(
            TopicArn=stack.refs["AlertsTopic"], Protocol="sqs", Endpoint=arn)
        self.received: list[dict[str, Any]] = []

    def messages(self) -> list[dict[str, Any]]:
        """Every notification so far: {"Subject", "Message", "MessageAttributes", ...}."""
        while True:
            batch = self._sqs.receive_message(QueueUrl=self._url, MaxNumberOfMessages=10)
            if not batch.get("Messages"):
                return self.received
            for message in batch["Messages"]:
                self.received.append(json.loads(message["Body"]))
                self._sqs.delete_message(QueueUrl=self._url,
                                         ReceiptHandle=message["ReceiptHandle"])


def assert_at(got: float, expected: float, what: str) -> None:
    """A ladder moment at ``expected`` ladder seconds: never before, and at most WORK_S of
    real work after."""
    assert expected <= got <= expected + WORK_S, f"{what}: {got:.1f}s, want {expected}s"
