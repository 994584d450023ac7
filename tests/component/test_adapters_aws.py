"""StepFunctionsLadder and SnsAlerts (adapters/aws.py) against moto and botocore's Stubber."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from crisis_pager.adapters.aws import SnsAlerts, StepFunctionsLadder

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/crisis-pager-ladder"
WAIT_DEFINITION = {
    "StartAt": "Wait",
    "States": {"Wait": {"Type": "Wait", "Seconds": 600, "Next": "Done"},
               "Done": {"Type": "Pass", "End": True}},
}
PAYLOAD = {"incident_id": "inc_a", "program_id": "west-iop", "severity": "high",
           "ladder": {"rungs": [{"kind": "page", "target": "primary", "window_s": 300}]},
           "position": -1}


def _deadline_poll(check: Any, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.05)


# ------------------------------------------------------------------ start (moto default mode)


@pytest.fixture
def sfn() -> Iterator[tuple[Any, str]]:
    with mock_aws():
        client = boto3.client("stepfunctions", region_name=REGION)
        arn = client.create_state_machine(
            name="ladder", definition=json.dumps(WAIT_DEFINITION), roleArn=ROLE
        )["stateMachineArn"]
        yield client, arn


def _executions(client: Any, arn: str) -> list[dict[str, Any]]:
    executions: list[dict[str, Any]] = client.list_executions(stateMachineArn=arn)["executions"]
    return executions


def test_start_names_the_execution_after_the_incident(sfn: tuple[Any, str]) -> None:
    client, arn = sfn
    StepFunctionsLadder(client, arn).start("inc_a", PAYLOAD)
    (execution,) = _executions(client, arn)
    assert execution["name"] == "inc_a"
    described = client.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == PAYLOAD


def test_starting_twice_with_the_same_incident_leaves_one_execution(
    sfn: tuple[Any, str]
) -> None:
    client, arn = sfn
    ladder = StepFunctionsLadder(client, arn)
    ladder.start("inc_a", PAYLOAD)
    ladder.start("inc_a", PAYLOAD)  # the same input: Step Functions is idempotent
    ladder.start("inc_a", {**PAYLOAD, "position": 3})  # another input: ExecutionAlreadyExists
    (execution,) = _executions(client, arn)
    described = client.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"]) == PAYLOAD

    ladder.start("inc_b", {**PAYLOAD, "incident_id": "inc_b"})
    assert sorted(e["name"] for e in _executions(client, arn)) == ["inc_a", "inc_b"]


def test_start_after_the_execution_finished_is_still_a_no_op(sfn: tuple[Any, str]) -> None:
    client, arn = sfn
    ladder = StepFunctionsLadder(client, arn)
    ladder.start("inc_a", PAYLOAD)
    (execution,) = _executions(client, arn)
    client.stop_execution(executionArn=execution["executionArn"])
    ladder.start("inc_a", PAYLOAD)  # a finished execution's name cannot be reused
    assert [e["status"] for e in _executions(client, arn)] == ["ABORTED"]


def test_start_raises_other_errors(sfn: tuple[Any, str]) -> None:
    client, arn = sfn
    missing = arn.replace(":ladder", ":no-such-ladder")
    with pytest.raises(ClientError) as exc:
        StepFunctionsLadder(client, missing).start("inc_a", PAYLOAD)
    assert exc.value.response["Error"]["Code"] == "StateMachineDoesNotExist"


# ------------------------------------------------------------------ wake


@pytest.mark.parametrize("code", ["TaskTimedOut", "InvalidToken", "TaskDoesNotExist"])
def test_wake_maps_a_gone_task_to_false(code: str) -> None:
    client = boto3.client("stepfunctions", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_client_error("send_task_success", service_error_code=code,
                              expected_params={"taskToken": "tok", "output": '{"ok": true}'})
        assert StepFunctionsLadder(client, "arn").wake("tok", {"ok": True}) is False
        stub.assert_no_pending_responses()


@pytest.mark.parametrize("code", ["ThrottlingException", "AccessDeniedException",
                                  "InvalidOutput"])
def test_wake_raises_other_errors(code: str) -> None:
    client = boto3.client("stepfunctions", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_client_error("send_task_success", service_error_code=code)
        with pytest.raises(ClientError):
            StepFunctionsLadder(client, "arn").wake("tok", {"ok": True})


def test_wake_sends_the_result_as_the_task_output() -> None:
    client = boto3.client("stepfunctions", region_name=REGION)
    with Stubber(client) as stub:
        stub.add_response("send_task_success", {}, expected_params={
            "taskToken": "tok", "output": json.dumps({"accepted_by": "clin-ana"})})
        assert StepFunctionsLadder(client, "arn").wake("tok", {"accepted_by": "clin-ana"})
        stub.assert_no_pending_responses()


def test_wake_with_a_real_token_then_a_used_or_bogus_one_in_moto() -> None:
    """moto's executing mode: a waitForTaskToken task through SQS, woken by the adapter.

    (moto's default mode answers send_task_success for ANY token with 200: it would report
    every bogus token as woken. Its executing mode answers InvalidToken, as AWS does.)
    """
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        sqs = boto3.client("sqs", region_name=REGION)
        queue = sqs.create_queue(QueueName="pages")["QueueUrl"]
        client = boto3.client("stepfunctions", region_name=REGION)
        definition = {
            "StartAt": "Page",
            "States": {"Page": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
                "End": True,
            }},
        }
        arn = client.create_state_machine(
            name="ladder", definition=json.dumps(definition), roleArn=ROLE
        )["stateMachineArn"]
        ladder = StepFunctionsLadder(client, arn)

        assert ladder.wake("not-a-token", {"accepted": True}) is False  # InvalidToken

        ladder.start("inc_a", PAYLOAD)
        message = _deadline_poll(
            lambda: sqs.receive_message(QueueUrl=queue).get("Messages", [None])[0]
        )
        token = json.loads(message["Body"])["token"]
        assert ladder.wake(token, {"accepted": True}) is True

        (execution,) = _executions(client, arn)
        done = _deadline_poll(lambda: (
            d := client.describe_execution(executionArn=execution["executionArn"])
        )["status"] != "RUNNING" and d)
        assert done["status"] == "SUCCEEDED"
        assert json.loads(done["output"]) == {"accepted": True}

        assert ladder.wake(token, {"accepted": True}) is False  # the rung no longer waits


# ------------------------------------------------------------------ SNS alerts


@pytest.fixture
def topic() -> Iterator[tuple[Any, str, Any, str]]:
    with mock_aws():
        sns = boto3.client("sns", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        arn = sns.create_topic(Name="alerts")["TopicArn"]
        queue = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(
            QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn)
        yield sns, arn, sqs, queue


def _received(sqs: Any, queue: str) -> list[dict[str, Any]]:
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in messages]


def test_alerts_publish_subject_message_and_program(topic: tuple[Any, str, Any, str]) -> None:
    sns, arn, sqs, queue = topic
    SnsAlerts(sns, arn).publish("west-iop", "Rung skipped: nobody on call for backup",
                                "Rota 'backup' has no member on call at 03:10.")
    (note,) = _received(sqs, queue)
    assert note["TopicArn"] == arn
    assert note["Subject"] == "Rung skipped: nobody on call for backup"
    assert note["Message"] == "Rota 'backup' has no member on call at 03:10."
    assert note["MessageAttributes"]["program_id"] == {"Type": "String", "Value": "west-iop"}


def test_alerts_cut_a_long_subject_to_snss_limit(topic: tuple[Any, str, Any, str]) -> None:
    sns, arn, sqs, queue = topic
    subject = "Referral made for west-iop: " + "x" * 150
    SnsAlerts(sns, arn).publish("west-iop", subject, "body")
    (note,) = _received(sqs, queue)
    assert note["Subject"] == subject[:100]


def test_an_alert_about_no_one_program_carries_no_empty_attribute() -> None:
    """SNS refuses an empty String attribute (the timeline guard's alerts name no program)."""
    client = mock.Mock()
    SnsAlerts(client, "arn:aws:sns:us-east-1:123456789012:alerts").publish("", "s", "m")
    assert client.publish.call_args.kwargs["MessageAttributes"] == {}


def test_alerts_without_a_topic_do_nothing() -> None:
    client = mock.Mock()
    SnsAlerts(client, "").publish("west-iop", "subject", "message")
    assert client.mock_calls == []


def test_alerts_to_a_missing_topic_raise(topic: tuple[Any, str, Any, str]) -> None:
    sns, arn, _, _ = topic
    with pytest.raises(ClientError):
        SnsAlerts(sns, arn + "-gone").publish("west-iop", "subject", "message")
