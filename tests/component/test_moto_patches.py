"""local.moto: scaled ladder time and in-process Lambda routing on the pinned moto.

Timing assertions are generous upper bounds that only prove scaling happened (a 300 s
timeout finishing within seconds); the behaviour asserted is the outcome and the states run.
"""

from __future__ import annotations

import io
import json
import sys
import threading
import time
import types
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local import moto as local_moto
from local.moto import timing

REGION = "us-east-1"
SCALE = 0.001  # one ladder second = 1 ms
MOTO_CONFIG: Any = {
    "stepfunctions": {"execute_state_machine": True},
    "lambda": {"use_docker": False},
}
LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"


@dataclass
class Run:
    status: str
    output: Any
    entered: list[str]
    error: str | None
    wall_s: float


@dataclass
class Stack:
    sfn: Any
    role_arn: str
    handlers: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    calls: list[tuple[str, Any, float]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _lambda: Any = None

    def route(self, function_name: str, event: Any) -> Any:
        with self._lock:
            self.calls.append((function_name, event, time.monotonic()))
        return self.handlers[function_name](event)

    def function(self, name: str, handler: Callable[[Any], Any]) -> str:
        self.handlers[name] = handler
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("app.py", "def lambda_handler(event, context):\n    return event\n")
        arn: str = self._lambda.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=self.role_arn,
            Handler="app.lambda_handler",
            Code={"ZipFile": buf.getvalue()},
        )["FunctionArn"]
        return arn

    def run(self, definition: dict[str, Any], payload: dict[str, Any], name: str,
            timeout_s: float = 20.0) -> Run:
        sm_arn = self.sfn.create_state_machine(
            name=f"sm-{name}", definition=json.dumps(definition), roleArn=self.role_arn
        )["stateMachineArn"]
        started = time.monotonic()
        exec_arn = self.sfn.start_execution(
            stateMachineArn=sm_arn, name=name, input=json.dumps(payload)
        )["executionArn"]
        while True:
            desc = self.sfn.describe_execution(executionArn=exec_arn)
            if desc["status"] != "RUNNING":
                break
            if time.monotonic() - started > timeout_s:
                self.sfn.stop_execution(executionArn=exec_arn)
                pytest.fail(f"execution {name} still running after {timeout_s} s wall")
            time.sleep(0.005)
        wall = time.monotonic() - started
        events = self.sfn.get_execution_history(executionArn=exec_arn)["events"]
        entered = [e["stateEnteredEventDetails"]["name"] for e in events
                   if e["type"].endswith("StateEntered")]
        output = json.loads(desc["output"]) if desc.get("output") else None
        return Run(desc["status"], output, entered, desc.get("error"), wall)


@pytest.fixture
def stack() -> Iterator[Stack]:
    with mock_aws(config=MOTO_CONFIG):
        iam = boto3.client("iam", region_name=REGION)
        role_arn = iam.create_role(
            RoleName="local-test-role",
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        s = Stack(sfn=boto3.client("stepfunctions", region_name=REGION), role_arn=role_arn)
        s._lambda = boto3.client("lambda", region_name=REGION)
        with local_moto.override(SCALE, router=s.route):
            yield s


def page_then(next_on_timeout: str = "TimedOut") -> dict[str, Any]:
    return {
        "StartAt": "Page",
        "States": {
            "Page": {
                "Type": "Task",
                "Resource": f"{LAMBDA_INVOKE}.waitForTaskToken",
                "Parameters": {
                    "FunctionName": "pager",
                    "Payload": {"token.$": "$$.Task.Token", "wake.$": "$.wake"},
                },
                "TimeoutSecondsPath": "$.window_s",
                "ResultPath": "$.page",
                "Catch": [{"ErrorEquals": ["States.Timeout"], "ResultPath": "$.error",
                           "Next": next_on_timeout}],
                "Next": "Woken",
            },
            "Woken": {"Type": "Succeed"},
            "TimedOut": {"Type": "Succeed"},
        },
    }


def pager(stack: Stack) -> Callable[[Any], Any]:
    def handler(event: Any) -> Any:
        if event["wake"]:
            stack.sfn.send_task_success(taskToken=event["token"],
                                        output=json.dumps({"accepted_by": "primary"}))
        return {"sent": True}
    return handler


# ----------------------------------------------------------------------------- verify


def test_verify_passes_on_the_pinned_moto() -> None:
    import moto

    assert moto.__version__ == local_moto.PINNED_MOTO_VERSION
    local_moto.verify()


def test_verify_names_the_moved_attribute(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.ModuleType("fake_wait_function")

    class WaitFunction:  # moto "moved" _wait_interval away
        def _get_wait_seconds(self, env: Any) -> int:
            return 0

    fake.WaitFunction = WaitFunction  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_wait_function", fake)
    monkeypatch.setattr(timing, "_M_WAIT", "fake_wait_function")
    monkeypatch.setattr(timing, "_verified", False)
    with pytest.raises(RuntimeError, match=r"WaitFunction\._wait_interval") as exc:
        local_moto.verify()
    assert local_moto.PINNED_MOTO_VERSION in str(exc.value)


def test_apply_is_idempotent_and_override_restores_previous_state() -> None:
    before = (local_moto.is_applied(), local_moto.current_scale(),
              local_moto.lambda_router())

    def router(name: str, event: Any) -> Any:
        return event

    with local_moto.override(0.5, router=router):
        local_moto.apply(0.25)
        local_moto.apply(0.25)
        assert local_moto.current_scale() == 0.25
        assert local_moto.lambda_router() is router
    after = (local_moto.is_applied(), local_moto.current_scale(),
             local_moto.lambda_router())
    assert after == before
    with pytest.raises(ValueError):
        local_moto.apply(0)


def test_override_restores_a_router_set_without_apply() -> None:
    def outer(name: str, event: Any) -> Any:
        return "outer"

    prev = local_moto.lambda_router()
    local_moto.set_lambda_router(outer)
    try:
        was_applied = local_moto.is_applied()
        with local_moto.override(0.01, router=None):
            assert local_moto.lambda_router() is None
        assert local_moto.lambda_router() is outer
        assert local_moto.is_applied() == was_applied
    finally:
        local_moto.set_lambda_router(prev)


def test_boto_clients_are_cached_in_every_importing_module() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.utils import boto_client

    with mock_aws(), local_moto.override(SCALE):
        first = lambda_eval_utils.boto_client_for(REGION, "lambda", None)
        assert lambda_eval_utils.boto_client_for(REGION, "lambda", None) is first
        assert boto_client.boto_client_for(REGION, "lambda", None) is first
        assert boto_client.boto_client_for("eu-west-1", "lambda", None) is not first


# ----------------------------------------------------------------------------- scaled time


def test_wait_for_task_token_timeout_is_scaled_and_caught(stack: Stack) -> None:
    stack.function("pager", pager(stack))

    run = stack.run(page_then(), {"wake": False, "window_s": 300}, name="timeout-300")

    assert run.status == "SUCCEEDED"
    assert run.entered == ["Page", "TimedOut"]
    assert run.output["error"]["Error"] == "States.Timeout"
    assert [c[0] for c in stack.calls] == ["pager"]
    assert run.wall_s < 5  # 300 ladder seconds


def test_wait_state_is_scaled(stack: Stack) -> None:
    definition = {
        "StartAt": "Hold",
        "States": {
            "Hold": {"Type": "Wait", "Seconds": 600, "Next": "After"},
            "After": {"Type": "Pass", "Result": {"done": True}, "End": True},
        },
    }

    run = stack.run(definition, {}, name="wait-600")

    assert (run.status, run.output, run.entered) == ("SUCCEEDED", {"done": True}, ["Hold", "After"])
    assert run.wall_s < 5  # 600 ladder seconds


def test_stopping_an_execution_ends_a_scaled_wait_early(stack: Stack) -> None:
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (
        WaitFunction,
    )

    definition = {
        "StartAt": "Hold",
        "States": {
            "Hold": {"Type": "Wait", "Seconds": 100_000, "Next": "After"},  # 100 s wall
            "After": {"Type": "Pass", "End": True},
        },
    }
    sm_arn = stack.sfn.create_state_machine(
        name="sm-stop", definition=json.dumps(definition), roleArn=stack.role_arn
    )["stateMachineArn"]
    waited = WaitFunction._wait_interval
    returned = threading.Event()

    def spy(self: Any, env: Any, wait_seconds: int) -> None:
        try:
            waited(self, env, wait_seconds)
        finally:
            returned.set()

    WaitFunction._wait_interval = spy  # type: ignore[method-assign]
    try:
        exec_arn = stack.sfn.start_execution(stateMachineArn=sm_arn,
                                             name="stop-me")["executionArn"]
        time.sleep(0.1)
        stack.sfn.stop_execution(executionArn=exec_arn)
        assert returned.wait(5), "the Wait state kept sleeping after stop_execution"
    finally:
        WaitFunction._wait_interval = waited  # type: ignore[method-assign]

    time.sleep(0.05)
    assert stack.sfn.describe_execution(executionArn=exec_arn)["status"] == "ABORTED"
    events = stack.sfn.get_execution_history(executionArn=exec_arn)["events"]
    assert not any(e["type"] == "PassStateEntered" for e in events)


def test_wait_seconds_path_keeps_order_of_two_waits(stack: Stack) -> None:
    # Two parallel branches: the 100 s wait must finish before the 400 s one.
    finished: list[str] = []

    def mark(event: Any) -> Any:
        finished.append(event["branch"])
        return event

    arn = stack.function("mark", mark)

    def branch(label: str, seconds: int) -> dict[str, Any]:
        return {
            "StartAt": f"Wait{label}",
            "States": {
                f"Wait{label}": {"Type": "Wait", "Seconds": seconds, "Next": f"Mark{label}"},
                f"Mark{label}": {"Type": "Task", "Resource": arn,
                                 "Parameters": {"branch": label}, "End": True},
            },
        }

    definition = {
        "StartAt": "Both",
        "States": {"Both": {"Type": "Parallel", "End": True,
                            "Branches": [branch("Slow", 400), branch("Fast", 100)]}},
    }

    run = stack.run(definition, {}, name="two-waits")

    assert run.status == "SUCCEEDED"
    assert finished == ["Fast", "Slow"]


def test_retry_interval_is_scaled(stack: Stack) -> None:
    attempts: list[float] = []

    def flaky(event: Any) -> Any:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise ConnectionError("twilio unreachable")
        return {"ok": True, "attempts": len(attempts)}

    stack.function("flaky", flaky)
    definition = {
        "StartAt": "Send",
        "States": {
            "Send": {
                "Type": "Task",
                "Resource": LAMBDA_INVOKE,
                "Parameters": {"FunctionName": "flaky", "Payload.$": "$"},
                "OutputPath": "$.Payload",
                # A float rate, as statelint requires and the ladder's Retry uses.
                "Retry": [{"ErrorEquals": ["ConnectionError"], "IntervalSeconds": 60,
                           "MaxAttempts": 3, "BackoffRate": 2.0}],
                "End": True,
            }
        },
    }

    run = stack.run(definition, {}, name="retry-60")

    assert run.status == "SUCCEEDED"
    assert run.output == {"ok": True, "attempts": 3}
    assert len(attempts) == 3
    assert run.wall_s < 5  # backoffs of 60 and 120 ladder seconds


def test_plain_lambda_timeout_is_compute_time_and_not_scaled(stack: Stack) -> None:
    # TimeoutSeconds on a request/response Lambda task guards real compute: at scale 0.001
    # a scaled 1 s timeout would be 1 ms and this 50 ms handler would "time out".
    def slow(event: Any) -> Any:
        time.sleep(0.05)
        return {"done": True}

    arn = stack.function("slow", slow)
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", "Resource": arn, "TimeoutSeconds": 1,
                     "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "TimedOut"}],
                     "End": True},
            "TimedOut": {"Type": "Fail", "Error": "TimedOut"},
        },
    }

    run = stack.run(definition, {}, name="compute-timeout")

    assert (run.status, run.output, run.entered) == ("SUCCEEDED", {"done": True}, ["Work"])


# ----------------------------------------------------------------------------- routing


@pytest.mark.parametrize("error_equals", ["States.ALL", "States.TaskFailed", "ValueError"])
@pytest.mark.parametrize("style", ["arn", "integration"])
def test_handler_error_is_caught(stack: Stack, error_equals: str, style: str) -> None:
    def boom(event: Any) -> Any:
        raise ValueError(f"bad rung {event['rung']}")

    arn = stack.function("boom", boom)
    task: dict[str, Any] = (
        {"Resource": arn, "Parameters": {"rung.$": "$.rung"}}
        if style == "arn"
        else {"Resource": LAMBDA_INVOKE,
              "Parameters": {"FunctionName": "boom", "Payload": {"rung.$": "$.rung"}}}
    )
    definition = {
        "StartAt": "Advance",
        "States": {
            "Advance": {"Type": "Task", **task, "Next": "Unreachable",
                        "Catch": [{"ErrorEquals": [error_equals], "ResultPath": "$.error",
                                   "Next": "Caught"}]},
            "Unreachable": {"Type": "Succeed"},
            "Caught": {"Type": "Succeed"},
        },
    }

    run = stack.run(definition, {"rung": 2}, name=f"catch-{style}-{error_equals}")

    assert run.status == "SUCCEEDED"
    assert run.entered == ["Advance", "Caught"]
    assert run.output["error"]["Error"] == "ValueError"
    cause = json.loads(run.output["error"]["Cause"])
    assert cause["errorType"] == "ValueError"
    assert cause["errorMessage"] == "bad rung 2"


def test_uncaught_handler_error_fails_the_execution_with_its_type(stack: Stack) -> None:
    def boom(event: Any) -> Any:
        raise KeyError("rota")

    arn = stack.function("boom", boom)
    definition = {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": arn,
                                                    "End": True}}}

    run = stack.run(definition, {}, name="uncaught")

    assert (run.status, run.error) == ("FAILED", "KeyError")


def test_router_gets_function_name_and_event(stack: Stack) -> None:
    arn = stack.function("advance", lambda event: {"seen": event, "decimal_ok": True})
    definition = {"StartAt": "A", "States": {"A": {"Type": "Task", "Resource": arn,
                                                    "End": True}}}

    run = stack.run(definition, {"incident_id": "inc-1", "position": -1}, name="inc-1")

    assert run.output == {"seen": {"incident_id": "inc-1", "position": -1}, "decimal_ok": True}
    assert [(name, event) for name, event, _ in stack.calls] == [
        ("advance", {"incident_id": "inc-1", "position": -1})
    ]


def test_send_task_success_from_the_routed_handler_wakes_the_task(stack: Stack) -> None:
    stack.function("pager", pager(stack))

    run = stack.run(page_then(), {"wake": True, "window_s": 300}, name="wake-at-once")

    assert run.status == "SUCCEEDED"
    assert run.entered == ["Page", "Woken"]
    assert run.output["page"] == {"accepted_by": "primary"}


def test_each_jsonpath_is_parsed_once_however_many_threads_evaluate_it() -> None:
    """moto's extract_json built a new ply parser per call, from every execution thread at
    once; patched, a path is parsed once and the parsed path reused (and put back after)."""
    from moto.stepfunctions.parser.asl.utils import json_path

    original = json_path.parse
    with local_moto.override(SCALE):
        barrier = threading.Barrier(8)
        found: list[Any] = []

        def extract() -> None:
            barrier.wait()
            found.append(json_path.extract_json("$.step.position", {"step": {"position": 3}}))

        threads = [threading.Thread(target=extract) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert found == [3] * 8
        assert json_path.parse("$.step.position") is json_path.parse("$.step.position")
    assert json_path.parse is original
