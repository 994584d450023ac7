"""Run one built handler in this interpreter as the python3.12 runtime runs it: sys.path is
only what the spec on stdin names (the function's folder, the layers' /opt/python, the
runtime's SDK) and the standard library. Start it as `python -I -S lambda_invoke.py`.
Writes what happened as JSON to the spec's "out" file. Standard library only."""

import importlib
import json
import sys
import traceback
import uuid


class Context:
    """The attributes of Lambda's context object that Powertools reads."""

    def __init__(self, function_name: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}")
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "built-check"

    def get_remaining_time_in_millis(self) -> int:
        return 20_000


def main() -> None:
    spec = json.loads(sys.stdin.read())
    sys.path[:0] = spec["path"]
    result: dict = {}
    try:
        module = importlib.import_module(spec["module"])
        handler = getattr(module, spec["function"])
        result["returned"] = handler(spec["event"], Context(spec["function_name"]))
    except BaseException as exc:  # noqa: BLE001 - reported to the test
        result["raised"] = f"{type(exc).__module__}.{type(exc).__qualname__}"
        result["traceback"] = traceback.format_exc()
    result["sys_path"] = sys.path
    result["modules"] = {name: getattr(module, "__file__", None)
                         for name, module in list(sys.modules.items())}
    with open(spec["out"], "w") as out:
        json.dump(result, out, default=str)


main()
