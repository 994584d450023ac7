"""Each function as `sam build` made it, run as Lambda runs it.

In a fresh interpreter (-I -S) whose sys.path is only the function's built folder, the built
shared layer, the Powertools layer's packages and the python3.12 runtime's boto3 (see
layers/shared/provided-*.txt), each handler is imported with its template environment and
invoked once: an API route with an unsigned request, a stream batch, a schedule event, or a
ladder task with the payload the ASL gives it for an incident not on record. Its AWS calls
go to moto, served over HTTP from this process (the tables, secrets and topic the template
declares, made by the local stack); tracing is off (no X-Ray daemon here), as locally.
So a dependency missing from layers/shared/requirements.txt, an import that only works from
the source tree, or a call the runtime's botocore does not know fails here, not in AWS.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local import template as sam
from local.api_gateway import rest_event
from local.resources import REGION
from local.stack import LocalStack, scheduled_event
from tests.built.conftest import ROOT

pytestmark = pytest.mark.build

TEMPLATE = sam.load(ROOT / "template.yaml")
RUNNER = Path(__file__).with_name("lambda_invoke.py")
UNKNOWN_INCIDENT = "inc-built-check"
# Values for the ASL's Payload paths when the incident is not on record.
PLACEHOLDERS: dict[str, Any] = {"$.incident_id": UNKNOWN_INCIDENT, "$.step.position": 0,
                                "$.ladder": {"rungs": []}, "$.step": {"position": 0},
                                "$.step.rung.window_s": 300}


def test_the_layer_ships_nothing_lambda_already_provides(build_dir: Path,
                                                         provided_dir: Path) -> None:
    layer = {p.name for p in (build_dir / "SharedLayer" / "python").iterdir()}
    beside = {p.name for part in ("runtime", "powertools")
              for p in (provided_dir / part).iterdir()}
    assert "crisis_pager" in layer and "pynamodb" in layer and "twilio" in layer
    assert "botocore" in beside and "aws_lambda_powertools" in beside
    # Lambda unpacks every layer into /opt/python: a second copy would shadow the runtime's
    # botocore, or merge file by file with the Powertools layer's.
    assert not layer & beside, f"the shared layer ships {sorted(layer & beside)} again"


@pytest.fixture(scope="module")
def aws() -> Iterator[tuple[LocalStack, str]]:
    """The template's resources on moto, and moto's HTTP endpoint for the subprocesses."""
    from moto.server import ThreadedMotoServer

    with LocalStack(capture_output=False) as stack:
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield stack, f"http://{host}:{port}"
        finally:
            server.stop()


def _task_payload(logical_id: str) -> dict[str, Any]:
    """The Payload the state machine's first Task state calling this function passes."""
    arn = "${" + logical_id + "Arn}"

    def states(node: Any) -> Iterator[dict[str, Any]]:
        if isinstance(node, dict):
            if node.get("Type") == "Task":
                yield node
            for value in node.values():
                yield from states(value)
        elif isinstance(node, list):
            for value in node:
                yield from states(value)

    definition = json.loads(TEMPLATE.state_machine.definition_text())
    for state in states(definition):
        parameters = state.get("Parameters") or {}
        if parameters.get("FunctionName") == arn:
            return {key.removesuffix(".$"): PLACEHOLDERS.get(value, "x")
                    if key.endswith(".$") else value
                    for key, value in parameters.get("Payload", {}).items()}
    raise AssertionError(f"{logical_id} has no events and no Task state invokes it")


def _event(fn: sam.FunctionSpec, stack: LocalStack) -> dict[str, Any]:
    if fn.api_events:
        method, path = fn.api_events[0]
        params = {part[1:-1]: "x" for part in path.split("/") if part.startswith("{")}
        concrete = "/".join("x" if p.startswith("{") else p for p in path.split("/"))
        return rest_event(method.upper(), path, concrete, params, "", {})
    if fn.stream_events:
        event = fn.stream_events[0]
        keys = {k["AttributeName"]: {"S": "x"} for k in TEMPLATE.tables[event.table].key_schema}
        return {"Records": [{"eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb",
                             "awsRegion": REGION, "dynamodb": {"Keys": keys},
                             "eventSourceARN": stack.refs[f"{event.table}.StreamArn"]}]}
    if fn.schedule_events:
        return scheduled_event(fn, fn.schedule_events[0], stack.clock.now())
    return _task_payload(fn.logical_id)


@pytest.mark.parametrize("logical_id", sorted(TEMPLATE.functions))
def test_each_built_function_runs_with_only_what_lambda_gives_it(
        logical_id: str, build_dir: Path, provided_dir: Path,
        aws: tuple[LocalStack, str], tmp_path: Path) -> None:
    stack, endpoint = aws
    fn = TEMPLATE.functions[logical_id]
    allowed = [build_dir / logical_id, build_dir / "SharedLayer" / "python",
               provided_dir / "powertools", provided_dir / "runtime"]
    name = f"crisis-pager-{fn.folder.replace('_', '-')}"
    env = {
        **fn.resolved_environment(stack.refs),
        "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION, "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12", "LAMBDA_TASK_ROOT": str(allowed[0]),
        "POWERTOOLS_TRACE_DISABLED": "true",
    }
    assert env["POWERTOOLS_LOGGER_LOG_EVENT"] == "false"
    out = tmp_path / "result.json"
    spec = {"path": [str(p) for p in allowed], "module": fn.handler_module,
            "function": fn.handler_function, "function_name": name,
            "event": _event(fn, stack), "out": str(out)}
    done = subprocess.run([sys.executable, "-I", "-S", str(RUNNER)], input=json.dumps(spec),
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert out.exists(), f"the runner died:\n{done.stdout}\n{done.stderr}"
    result = json.loads(out.read_text())

    raised = result.get("raised")
    assert raised is None or raised.startswith("crisis_pager."), (
        f"{logical_id} raised {raised}:\n{result['traceback']}\n{done.stdout[-3000:]}")
    if fn.api_events:
        assert int(result["returned"]["statusCode"]) < 500, (result["returned"], done.stdout)
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    roots = [stdlib, *(p.resolve() for p in allowed)]
    strays = {module: path for module, path in result["modules"].items()
              if module != "__main__" and path
              and not any(root in Path(path).resolve().parents for root in roots)}
    assert not strays, f"{logical_id} imported from outside Lambda's path: {strays}"
    assert result["sys_path"][:4] == spec["path"]
