"""Step Functions (the ladder's timer) and SNS (admin alerts), through boto3."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

_GONE = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"}


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


class StepFunctionsLadder:
    def __init__(self, client: Any, state_machine_arn: str) -> None:
        self._sfn = client
        self._arn = state_machine_arn

    def start(self, incident_id: str, payload: dict[str, Any], *, name: str | None = None) -> None:
        try:
            self._sfn.start_execution(
                stateMachineArn=self._arn, name=name or incident_id, input=json.dumps(payload)
            )
        except ClientError as exc:
            # The name is the incident's (its id, or "<id>-follow-up"): that execution is
            # this ladder, already started.
            if _code(exc) != "ExecutionAlreadyExists":
                raise

    def wake(self, task_token: str, result: dict[str, Any]) -> bool:
        try:
            self._sfn.send_task_success(taskToken=task_token, output=json.dumps(result))
        except ClientError as exc:
            if _code(exc) in _GONE:
                return False
            raise
        return True


class SnsAlerts:
    def __init__(self, client: Any, topic_arn: str) -> None:
        self._sns = client
        self._topic = topic_arn

    def publish(self, program_id: str, subject: str, message: str) -> None:
        if not self._topic:
            return
        # SNS refuses an empty attribute value: an alert about no one program has none.
        attributes = ({"program_id": {"DataType": "String", "StringValue": program_id}}
                      if program_id else {})
        self._sns.publish(
            TopicArn=self._topic,
            Subject=subject[:100],
            Message=message,
            MessageAttributes=attributes,
        )
