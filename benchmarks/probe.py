"""Run by benchmarks/imports.py in a fresh interpreter with a function's Lambda
environment: time the import of ``functions/<name>/app.py``, then the bootstrap accessors its
handler calls (botocore's API calls stubbed: a GetSecretValue answers a fake secret, any
other call fails loudly), and print the figures as one JSON line.

    python benchmarks/probe.py NAME ACCESSORS HEAVY (models|-) MODEL_MODULES

Only what Python itself loads (sys, os, importlib, time) comes before the timed import;
the stub is installed by an import hook if botocore is not loaded yet, so botocore's own
import is still timed.
"""

from __future__ import annotations  # no typing import before the timed one

import importlib
import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

SECRET = ('{"account_sid": "AC00000000000000000000000000000000", "auth_token": '
          '"0123456789abcdef0123456789abcdef", "from_number": "+15005550006", '
          '"messaging_service_sid": ""}')
calls: list[str] = []


def stub(module: Any) -> None:
    """botocore's BaseClient makes no API call: each is counted, a secret is faked."""
    def fake(self: Any, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        calls.append(self.meta.service_model.service_name + "." + operation)
        if operation == "GetSecretValue":
            return {"ARN": params["SecretId"], "Name": "bench", "SecretString": SECRET}
        raise RuntimeError("the probe has no AWS: " + operation)

    module.BaseClient._make_api_call = fake


class _StubOnImport:
    """Stubs botocore.client as it is first imported (by the function, timed)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != "botocore.client":
            return None
        import importlib.util

        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        assert spec is not None and spec.loader is not None
        run = spec.loader.exec_module

        def exec_module(module: Any) -> None:
            run(module)
            stub(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def model_clients(modules: list[str]) -> dict[str, float]:
    """Seconds each PynamoDB model's first request spends getting its botocore client (the
    first builds the one client the models share)."""
    from pynamodb.models import Model

    from crisis_pager.adapters.dynamo import tables
    from crisis_pager.config import settings

    tables.bind(settings())
    clients: dict[str, float] = {}
    for module in modules:
        adapter = importlib.import_module("crisis_pager.adapters.dynamo." + module)
        for key, cls in vars(adapter).items():
            if (isinstance(cls, type) and issubclass(cls, Model) and cls is not Model
                    and cls.__module__ == adapter.__name__):
                t = time.perf_counter()
                cls._get_connection().connection.client  # noqa: B018 (the timed build)
                clients[key] = time.perf_counter() - t
    return clients


def main(argv: list[str]) -> None:
    name, accessors, heavy = argv[1], argv[2].split(","), argv[3].split(",")
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, repo)
    sys.path.append(os.path.join(repo, "functions", name))  # its folder, as Lambda's task root
    sys.stderr.write("@@bench-import-start\n")
    t0 = time.perf_counter()
    importlib.import_module("functions." + name + ".app")
    t1 = time.perf_counter()
    sys.stderr.write("@@bench-import-end\n")
    after_import = [m for m in heavy if m in sys.modules]
    modules_import = len(sys.modules)
    if "botocore.client" in sys.modules:
        stub(sys.modules["botocore.client"])
    else:
        sys.meta_path.insert(0, _StubOnImport())  # type: ignore[arg-type]
    t2 = time.perf_counter()
    from crisis_pager import bootstrap

    for accessor in accessors:
        if accessor.startswith("ports."):  # a port the handler reads off bootstrap.ports()
            getattr(bootstrap.ports(), accessor.removeprefix("ports."))
        elif accessor:
            getattr(bootstrap, accessor)()
    t3 = time.perf_counter()
    import json

    print(json.dumps({
        "import_s": t1 - t0, "wiring_s": t3 - t2, "after_import": after_import,
        "after_wiring": [m for m in heavy if m in sys.modules],
        "modules_import": modules_import, "modules_wired": len(sys.modules), "calls": calls,
        "clients": model_clients(argv[5].split(",")) if argv[4] == "models" else {}}))


if __name__ == "__main__":
    main(sys.argv)
