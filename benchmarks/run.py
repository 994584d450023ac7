"""`make bench` (``python -m benchmarks.run``): the figures benchmarks/README.md explains.

1. Cold import of every ``functions/<name>/app.py`` in fresh interpreters with the
   environment its Lambda has, then the first-invocation wiring (the bootstrap accessors
   its handler calls, AWS stubbed), and which heavy modules each one loads.
2. AWS API calls per handler invocation on the local stack, by service.operation: an
   intake POST, one rung's page, an acceptance by SMS (cold and warm container).
3. Wall time of a whole no-answer ``high`` ladder at the demo's scale (the demo's
   participant on file), and the wall time of each handler invocation during it.
4. timeit of the domain hot paths.
7. Crisis care (issue 5): the clinician's secure brief (GET preview, POST open), the
   referral with a participant on file, ``advance`` for a low task after hours and for an
   imminent first rung, the imminent page (SMS and call at once), and the follow-up
   (``R``, ``F <code> tried``, ``F <code> done``).

Figures are printed, never asserted. Everything here stays inside this process and its
children: moto and the fake Twilio transport stand in for AWS and Twilio.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import timeit
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from html import unescape
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7
SCALE = 0.002  # the demo's: one ladder second lasts 2 ms
ACCEPT_RUNS = 5  # warm acceptance runs after the cold one
IMMINENT_RUNS = 3  # imminent incidents accepted after the primary's page and call
AFTER_HOURS = "bench-after-hours"  # a program whose business hours are closed now
MODEL_MODULES = ("items", "timeline", "admin_items", "participants",
                 "brief_links")  # crisis_pager.adapters.dynamo.*
REGION = "us-east-1"
ACCOUNT = "123456789012"

# label -> module whose presence in sys.modules means the function pays for it
HEAVY = {
    "boto3": "boto3",
    "botocore": "botocore.client",
    "pynamodb": "pynamodb.models",
    "twilio.rest": "twilio.rest",
    "twilio-light": "twilio.request_validator",
    "pydantic": "pydantic",
    "resolver": "aws_lambda_powertools.event_handler.api_gateway",
    "pt-params": "aws_lambda_powertools.utilities.parameters",
    "requests": "requests",
    "xray": "aws_xray_sdk",
}
SHORT = {"dynamodb": "ddb", "stepfunctions": "sfn", "secretsmanager": "secrets"}

# Runs in a fresh interpreter: import one function's module (timed), then call the
# bootstrap accessors its handler calls (timed), with botocore's API calls stubbed
# (GetSecretValue answers a fake secret; anything else fails loudly).
PROBE = r"""
import sys, time
name, accessors, heavy = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(",")
models = sys.argv[4] == "models"
import importlib
sys.stderr.write("@@bench-import-start\n")
t0 = time.perf_counter()
importlib.import_module("functions." + name + ".app")
t1 = time.perf_counter()
sys.stderr.write("@@bench-import-end\n")
after_import = [m for m in heavy if m in sys.modules]
modules_import = len(sys.modules)
calls = []
SECRET = ('{"account_sid": "AC00000000000000000000000000000000", "auth_token": '
          '"0123456789abcdef0123456789abcdef", "from_number": "+15005550006", '
          '"messaging_service_sid": ""}')
def stub(module):
    def fake(self, operation, params):
        calls.append(self.meta.service_model.service_name + "." + operation)
        if operation == "GetSecretValue":
            return {"ARN": params["SecretId"], "Name": "bench", "SecretString": SECRET}
        raise RuntimeError("the probe has no AWS: " + operation)
    module.BaseClient._make_api_call = fake
if "botocore.client" in sys.modules:
    stub(sys.modules["botocore.client"])
else:
    import importlib.util
    class Hook:
        def find_spec(self, fullname, path=None, target=None):
            if fullname != "botocore.client":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(fullname)
            run = spec.loader.exec_module
            def exec_module(module):
                run(module)
                stub(module)
            spec.loader.exec_module = exec_module
            return spec
    sys.meta_path.insert(0, Hook())
t2 = time.perf_counter()
from crisis_pager import bootstrap
for accessor in accessors:
    if accessor:
        getattr(bootstrap, accessor)()
t3 = time.perf_counter()
modules_wired = len(sys.modules)
after_wiring = [m for m in heavy if m in sys.modules]
clients = {}
if models:  # what each PynamoDB model's first request builds (one shared client: the first)
    from pynamodb.models import Model
    from crisis_pager.adapters.dynamo import tables
    from crisis_pager.config import settings
    tables.bind(settings())
    for module in sys.argv[5].split(","):
        adapter = importlib.import_module("crisis_pager.adapters.dynamo." + module)
        for key, cls in vars(adapter).items():
            if (isinstance(cls, type) and issubclass(cls, Model) and cls is not Model
                    and cls.__module__ == adapter.__name__):
                t4 = time.perf_counter()
                cls._get_connection().connection.client
                clients[key] = time.perf_counter() - t4
import json
print(json.dumps({"import_s": t1 - t0, "wiring_s": t3 - t2, "after_import": after_import,
                  "after_wiring": after_wiring, "modules_import": modules_import,
                  "modules_wired": modules_wired, "calls": calls, "clients": clients}))
"""


# ----------------------------------------------------------------------------- helpers


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def breakdown(calls: Counter[str]) -> str:
    if not calls:
        return "-"
    parts = []
    for op, n in sorted(calls.items()):
        service, _, operation = op.partition(".")
        parts.append(f"{SHORT.get(service, service)}.{operation}" + (f" x{n}" if n > 1 else ""))
    return ", ".join(parts)


def table(headers: list[str], rows: list[list[str]], right: set[int] | None = None) -> None:
    right = right or set()
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        out = []
        for i, (cell, width) in enumerate(zip(cells, widths, strict=True)):
            last = i == len(cells) - 1
            text = str(cell).rjust(width) if i in right else (
                str(cell) if last else str(cell).ljust(width))
            out.append(text)
        return "  ".join(out).rstrip()

    print(line(headers))
    print(line(["-" * w for w in widths]))
    for row in rows:
        print(line(row))


def folders() -> list[str]:
    return sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py"))


def accessors_of(folder: str) -> list[str]:
    """The bootstrap accessors a handler calls, in order of first appearance."""
    source = (ROOT / "functions" / folder / "app.py").read_text(encoding="utf-8")
    return list(dict.fromkeys(re.findall(r"bootstrap\.(\w+)\(", source)))


# ----------------------------------------------------------------------------- 1. imports


class _FakeRefs(dict[str, str]):
    """Template references resolved to plausible names and ARNs (nothing is called)."""

    def __missing__(self, key: str) -> str:
        name, _, attr = key.partition(".")
        return f"arn:aws:bench:{REGION}:{ACCOUNT}:{name}" if attr else f"crisis-pager-{name}"

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[key]


def lambda_environments() -> dict[str, dict[str, str]]:
    from local import template as sam

    tpl = sam.load(ROOT / "template.yaml")
    refs = _FakeRefs({"AWS::Region": REGION, "AWS::AccountId": ACCOUNT,
                      "AWS::StackName": "crisis-pager", "AWS::Partition": "aws",
                      "AWS::URLSuffix": "amazonaws.com", **tpl.parameter_defaults()})
    for lid in tpl.tables:
        refs[lid] = "crisis-pager-" + lid.removesuffix("Table").lower()
    for lid in tpl.secrets:
        refs[lid] = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:crisis-pager/{lid}-AbCdEf"
    for lid in tpl.topics:
        refs[lid] = f"arn:aws:sns:{REGION}:{ACCOUNT}:crisis-pager-{lid}"
    for lid in tpl.state_machines:
        refs[lid] = f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:crisis-pager-ladder"
    envs = {}
    for folder in folders():
        spec = tpl.function_by_folder(folder)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
            # Lambda hands every function role credentials in the environment; fakes here
            # (the probe never signs a request). No config files: nothing from this machine.
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
            "AWS_LAMBDA_FUNCTION_NAME": "crisis-pager-" + folder.replace("_", "-"),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "_HANDLER": spec.handler,
        }
        env.update(spec.resolved_environment(refs))
        envs[folder] = env
    return envs


def _probe(folder: str, env: dict[str, str], *, importtime: bool = False,
           models: bool = False) -> tuple[dict[str, Any], str]:
    argv = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", PROBE,
            folder, ",".join(accessors_of(folder)), ",".join(HEAVY.values()),
            "models" if models else "-", ",".join(MODEL_MODULES)]
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False,
                          timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"probe of {folder} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


def _self_time_by_package(stderr: str) -> Counter[str]:
    """Self import time (us) per top-level package, between the probe's markers."""
    inside, by_package = False, Counter[str]()
    for line in stderr.splitlines():
        if line.startswith("@@bench-import-start"):
            inside = True
        elif line.startswith("@@bench-import-end"):
            break
        elif inside and line.startswith("import time:"):
            parts = line.split("|")
            if len(parts) == 3 and parts[0].split(":")[1].strip().isdigit():
                by_package[parts[2].strip().split(".")[0]] += int(parts[0].split(":")[1])
    return by_package


@dataclass
class ImportFigures:
    folder: str
    import_s: list[float]
    wiring_s: list[float]
    after_import: list[str]
    after_wiring: list[str]
    modules: tuple[int, int]
    calls: list[str]
    packages: Counter[str]


@dataclass
class Imports:
    functions: list[ImportFigures]
    model_client_s: dict[str, list[float]]  # PynamoDB model -> first-request client build


def measure_imports(runs: int) -> Imports:
    envs = lambda_environments()
    label = {module: name for name, module in HEAVY.items()}
    figures = []
    model_client_s: dict[str, list[float]] = {}
    for i, folder in enumerate(folders()):
        # One untimed run first (bytecode written, file cache warm) under -X importtime,
        # used only to attribute import time to packages.
        _, stderr = _probe(folder, envs[folder], importtime=True)
        # The first function's runs also time each PynamoDB model's first client, after
        # everything else is measured (the same for every function).
        samples = [_probe(folder, envs[folder], models=i == 0)[0] for _ in range(runs)]
        for sample in samples:
            for model, seconds in sample["clients"].items():
                model_client_s.setdefault(model, []).append(seconds)
        last = samples[-1]
        figures.append(ImportFigures(
            folder=folder,
            import_s=[s["import_s"] for s in samples],
            wiring_s=[s["wiring_s"] for s in samples],
            after_import=[label[m] for m in last["after_import"]],
            after_wiring=[label[m] for m in last["after_wiring"]
                          if m not in last["after_import"]],
            modules=(last["modules_import"], last["modules_wired"]),
            calls=last["calls"],
            packages=_self_time_by_package(stderr),
        ))
    return Imports(figures, model_client_s)


def print_imports(imports: Imports, runs: int) -> None:
    figures = imports.functions
    print(f"1. Cold import per function (fresh interpreter, Lambda env; median/min of {runs}, ms)")
    rows = []
    for f in figures:
        rows.append([
            f.folder,
            ms(statistics.median(f.import_s)), ms(min(f.import_s)),
            ms(statistics.median(f.wiring_s)), ms(min(f.wiring_s)),
            f"{f.modules[0]}/{f.modules[1]}",
            ", ".join(f.after_import) or "-",
            ", ".join(f.after_wiring) or "-",
        ])
    table(["function", "import", "min", "+wiring", "min", "modules", "heavy at import",
           "added by wiring"], rows, right={1, 2, 3, 4, 5})
    wired = [f"{f.folder}: {breakdown(Counter(f.calls))}" for f in figures if f.calls]
    if wired:
        print("   AWS calls made by the wiring itself (stubbed): " + "; ".join(wired))
    if imports.model_client_s:
        per_model = {m: statistics.median(v) for m, v in imports.model_client_s.items()}
        print(f"   first request on each PynamoDB model (the first builds the one shared botocore "
              f"client): median {ms(statistics.median(per_model.values()))} ms per model")
        print("     " + ", ".join(f"{m} {ms(v)}" for m, v in per_model.items()))
    print()
    print("   where import time goes (self time by top-level package, one -X importtime run, ms)")
    rows = []
    for f in figures:
        total = sum(f.packages.values())
        top = ", ".join(f"{pkg} {us / 1000:.0f}" for pkg, us in f.packages.most_common(5))
        rows.append([f.folder, f"{total / 1000:.0f}", top])
    table(["function", "total", "top packages"], rows, right={1})
    print()


# ----------------------------------------------------------------------------- 2 + 3. stack


@dataclass
class Invocation:
    folder: str
    cold: bool  # the first invocation of its function (its container was new)
    calls: Counter[str] = field(default_factory=Counter)
    models: list[str] = field(default_factory=list)  # PynamoDB connections it had to create
    wall_s: float = 0.0
    aws_s: float = 0.0  # of wall_s, inside its AWS calls (on the stack: moto's emulation)
    gc_s: float = 0.0  # of wall_s, in garbage collections its own thread ran
    result: Any = None  # what the handler returned (a step, an API answer)

    @property
    def action(self) -> str | None:
        """A ladder task's answer: advance's action, page_rung's outcome, ..."""
        if not isinstance(self.result, dict):
            return None
        for key in ("action", "outcome"):
            if key in self.result:
                return str(self.result[key])
        for key in ("referred", "notified"):  # emergency_referral's two steps
            if key in self.result:
                return f"{key}={self.result[key]}"
        return None


@cache
def _models() -> tuple[Any, ...]:
    """Every PynamoDB model of the adapters (each has its own connection)."""
    import importlib

    from pynamodb.models import Model

    found = []
    for name in MODEL_MODULES:
        module = importlib.import_module(f"crisis_pager.adapters.dynamo.{name}")
        found += [v for v in vars(module).values()
                  if isinstance(v, type) and issubclass(v, Model) and v is not Model
                  and v.__module__ == module.__name__]
    return tuple(found)


class Containers:
    """One Lambda container per function, inside this one process.

    The local stack runs every handler in one interpreter, so whatever one function builds
    (bootstrap's adapters and boto3 clients, boto3's default session, Powertools' cached
    secrets, PynamoDB's per-model connections) the others would reuse, and no first
    invocation after the very first would look cold. Here each function keeps its own:
    bootstrap's cached accessors dispatch on the function running on this thread, and the
    process-wide ones are swapped in and out around each invocation. That needs handler
    invocations to run one at a time (a lock; no handler waits for another, so this only
    delays the next state by the rest of the one running).
    """

    OUTSIDE = "(outside handlers)"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._local = threading.local()
        self._caches: dict[str, dict[tuple[str, tuple[Any, ...]], Any]] = {}
        self._globals: dict[str, dict[str, Any]] = {}
        self._current = self.OUTSIDE
        self.seen: set[str] = set()

    def folder(self) -> str:
        return getattr(self._local, "folder", None) or self.OUTSIDE

    def _cached(self, name: str, build: Callable[..., Any]) -> Callable[..., Any]:
        def accessor(*args: Any) -> Any:
            cache = self._caches.setdefault(self.folder(), {})
            key = (name, args)
            if key not in cache:
                cache[key] = build(*args)
            return cache[key]

        accessor.cache_clear = lambda: self._caches.clear()  # type: ignore[attr-defined]
        return accessor

    def _read_globals(self) -> dict[str, Any]:
        import boto3
        from aws_lambda_powertools.utilities.parameters import base

        from crisis_pager.adapters.dynamo import tables

        return {"boto3": boto3.DEFAULT_SESSION, "providers": dict(base.DEFAULT_PROVIDERS),
                "models": {m: m._connection for m in _models()},
                "dynamo": tables._shared}  # the one botocore client the models share

    def _write_globals(self, state: dict[str, Any] | None) -> None:
        import boto3
        from aws_lambda_powertools.utilities.parameters import base

        state = state or {}
        boto3.DEFAULT_SESSION = state.get("boto3")
        base.DEFAULT_PROVIDERS.clear()
        base.DEFAULT_PROVIDERS.update(state.get("providers", {}))
        for model in _models():
            model._connection = state.get("models", {}).get(model)
        from crisis_pager.adapters.dynamo import tables

        tables._shared = state.get("dynamo")

    def _switch(self, folder: str) -> None:
        if folder != self._current:
            self._globals[self._current] = self._read_globals()
            self._write_globals(self._globals.get(folder))
            self._current = folder

    @contextmanager
    def installed(self) -> Iterator[Containers]:
        from crisis_pager import bootstrap

        originals = {
            name: value for name, value in vars(bootstrap).items()
            if callable(value) and hasattr(value, "cache_clear") and hasattr(value, "__wrapped__")
            and getattr(value, "__module__", "") == bootstrap.__name__
        }
        for name, value in originals.items():
            setattr(bootstrap, name, self._cached(name, value.__wrapped__))
        try:
            yield self
        finally:
            with self.lock:
                self._switch(self.OUTSIDE)
            for name, value in originals.items():
                setattr(bootstrap, name, value)

    @contextmanager
    def enter(self, folder: str) -> Iterator[bool]:
        """Run as `folder`'s container; yields True when the container is new (cold)."""
        with self.lock:
            outer = self.folder()
            self._switch(folder)
            self._local.folder = folder
            cold = folder not in self.seen
            self.seen.add(folder)
            try:
                yield cold
            finally:
                self._local.folder = None if outer == self.OUTSIDE else outer
                self._switch(outer)


class Recorder:
    """Counts botocore API calls per handler invocation and times each invocation.

    ``LocalStack._call`` wraps every handler invocation (API Gateway and the state
    machine's Lambda tasks alike); while one runs, its thread carries the invocation and
    every outermost ``BaseClient._make_api_call`` on that thread is the handler's. Calls
    moto makes itself (the Step Functions engine invoking Lambda, on its own threads, or
    anything nested inside an app call) are not counted.
    """

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.containers = Containers()
        self.records: list[Invocation] = []
        self._lock = threading.Lock()
        self._local = threading.local()

    @contextmanager
    def installed(self) -> Iterator[Recorder]:
        import botocore.client
        from pynamodb.models import Model

        original_api = botocore.client.BaseClient._make_api_call
        original_connection = Model.__dict__["_get_connection"]
        original_call = self.stack._call
        local = self._local

        def counted(client: Any, operation: str, params: Any) -> Any:
            rec = getattr(local, "rec", None)
            if rec is None:
                return original_api(client, operation, params)
            outermost = local.depth == 0
            if outermost:
                rec.calls[f"{client.meta.service_model.service_name}.{operation}"] += 1
            local.depth += 1
            started = time.perf_counter()
            try:
                return original_api(client, operation, params)
            finally:
                local.depth -= 1
                if outermost:
                    rec.aws_s += time.perf_counter() - started

        def connection(cls: Any) -> Any:
            fresh = cls._connection is None
            conn = original_connection.__func__(cls)
            rec = getattr(local, "rec", None)
            if fresh and rec is not None:
                rec.models.append(cls.__name__)
            return conn

        def collected(phase: str, info: dict[str, Any]) -> None:
            rec = getattr(local, "rec", None)
            if rec is None:
                return
            if phase == "start":
                local.gc_started = time.perf_counter()
            elif getattr(local, "gc_started", None) is not None:
                rec.gc_s += time.perf_counter() - local.gc_started
                local.gc_started = None

        def timed(folder: str, event: dict[str, Any]) -> Any:
            with self.containers.enter(folder) as cold:
                rec = Invocation(folder, cold)
                saved = (getattr(local, "rec", None), getattr(local, "depth", 0))
                local.rec, local.depth = rec, 0
                started = time.perf_counter()
                try:
                    rec.result = original_call(folder, event)
                    return rec.result
                finally:
                    rec.wall_s = time.perf_counter() - started
                    local.rec, local.depth = saved
                    with self._lock:
                        self.records.append(rec)

        botocore.client.BaseClient._make_api_call = counted  # type: ignore[method-assign]
        Model._get_connection = classmethod(connection)  # type: ignore[method-assign,assignment]
        self.stack._call = timed
        gc.callbacks.append(collected)
        try:
            with self.containers.installed():
                yield self
        finally:
            gc.callbacks.remove(collected)
            botocore.client.BaseClient._make_api_call = original_api  # type: ignore[method-assign]
            Model._get_connection = original_connection  # type: ignore[method-assign]
            del self.stack._call

    def since(self, mark: int) -> list[Invocation]:
        with self._lock:
            return list(self.records[mark:])


def wait_done(stack: Any, incident_id: str, timeout: float) -> str:
    """LocalStack.wait_until_done without its cost: it calls DescribeExecution through moto
    every 5 ms, and that CPU (and the GIL) comes out of the handlers' wall time (about 1.5x
    on 2 cores). Reading moto's backend directly costs microseconds."""
    try:
        from moto.stepfunctions.responses import get_backend

        from local.stack import ACCOUNT as STACK_ACCOUNT
        from local.stack import REGION as STACK_REGION

        backend = get_backend(STACK_ACCOUNT, STACK_REGION)
        arn = stack.state_machine_arn.replace(":stateMachine:", ":execution:") + ":" + incident_id
        backend.describe_execution(arn)
    except Exception:  # noqa: BLE001 (moto's internals moved: the public way)
        return str(stack.wait_until_done(incident_id, timeout=timeout))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = str(getattr(backend.describe_execution(arn), "status", "RUNNING"))
        if status != "RUNNING":
            return status
        time.sleep(0.001)
    raise TimeoutError(f"ladder {incident_id} still running after {timeout} s wall")


def _escalation(stack: Any, n: int, **overrides: Any) -> dict[str, Any]:
    """A `high` escalation for the demo's participant (a safety plan, a support person who
    consented, a location confirmed today): what the referral and the brief read."""
    from local import seed

    return {"program_id": seed.PROGRAM_ID, "severity": "high",
            "participant_ref": seed.DEMO_PARTICIPANT_ID, "event_id": f"bench-evt-{n}",
            "callback_url": stack.receiver.url,
            "summary": "Benchmark escalation; no participant data.", **overrides}


def _seed_after_hours(stack: Any) -> None:
    """A second program, the demo's rotas, whose only business hours are two days from
    today: a `low` task opened now waits for them whatever the time of day of the run."""
    from zoneinfo import ZoneInfo

    from local import seed

    now = stack.clock.now()
    day = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[
        (now.astimezone(ZoneInfo(seed.TIMEZONE)).weekday() + 2) % 7]
    program = {**seed.PROGRAM, "program_id": AFTER_HOURS, "display_name": "Bench after hours",
               "business_hours": f"{day} 09:00-17:00", "timezone": seed.TIMEZONE}
    stack.put_items("ProgramsTable", [program, *({**r, "program_id": AFTER_HOURS}
                                                 for r in seed.rotas(now))])
    streams = getattr(stack, "streams", None)
    if streams is not None:  # the rota guard reads the new items before anything is measured
        streams.drain(flush=True)


def _await(rec: Recorder, mark: int, match: Callable[[Invocation], bool], what: str,
           timeout: float = 30) -> Invocation:
    """The first invocation since ``mark`` that ``match`` accepts (records are appended when
    an invocation ends)."""
    deadline = time.monotonic() + timeout
    while True:
        found = next((r for r in rec.since(mark) if match(r)), None)
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"never saw {what}")
        time.sleep(0.001)


BRIEF_LINK = re.compile(r"https?://[^\s<]+(/brief/[^/\s<]+/[A-Za-z0-9_-]+)")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _twiml_text(answer: Any) -> str:
    return unescape(re.sub(r"<[^>]+>", "", answer.body)).strip()


@dataclass
class LadderFigures:
    status: str
    wall_s: float
    ladder_s: float
    pages: int
    records: list[Invocation]
    local_referral: bool  # the hotline's referral used the participant's local resources
    support_texts: int  # SMS to the participant's consenting support person


@dataclass
class AcceptFigures:
    status: str
    answer: str
    intake: Invocation
    page: Invocation
    sms: Invocation
    after: list[Invocation]
    # the link in the acceptance SMS: GET (the PHI-free interstitial), then POST action=open
    preview: Invocation | None = None
    opened: Invocation | None = None
    preview_ok: bool = False  # 200, the Open button, nothing of the plan
    opened_ok: bool = False  # 200 and the participant's safety plan


@dataclass
class ImminentFigures:
    advance: Invocation  # the first rung's decision
    page: Invocation  # the primary's SMS and the call at once
    webhooks: list[Invocation]  # Twilio's reports and the call's TwiML until the SMS reply
    outcome: str | None
    calls_placed: int


@dataclass
class FollowUpFigures:
    resolve: Invocation  # sms_inbound 'R <code>': resolve, the follow-up execution, a link
    resolved_answer: str
    wait: Invocation  # the follow-up execution's first advance: sleep until it is due
    tried: Invocation
    tried_answer: str
    done: Invocation
    done_answer: str


@dataclass
class CareFigures:
    low_wait: Invocation  # advance for a low task after business hours
    imminent: list[ImminentFigures]
    follow_up: FollowUpFigures


@dataclass
class StackFigures:
    up_s: float
    ladder: LadderFigures
    accepts: list[AcceptFigures]  # the first one's sms_inbound is cold, the rest warm
    care: CareFigures
    records: list[Invocation]  # every invocation, in order of completion
    errors: list[tuple[str, BaseException]]

    @property
    def cold_accept(self) -> AcceptFigures:
        return self.accepts[0]

    @property
    def warm_accept(self) -> AcceptFigures:
        return self.accepts[-1]


def run_no_answer(stack: Any, rec: Recorder) -> LadderFigures:
    """The first invocation of every function here is its cold start."""
    from local import seed

    mark = len(rec.records)
    started = time.perf_counter()
    response = stack.post_escalation(_escalation(stack, 1))
    incident_id = response.json()["incident_id"]
    status = wait_done(stack, incident_id, timeout=120)
    wall = time.perf_counter() - started
    opened = stack.incident(incident_id).opened_at
    last = datetime.fromisoformat(stack.timeline(incident_id)[-1]["at"])
    records = rec.since(mark)
    referral = next((c.payload.get("referral") or {} for c in stack.receiver.callbacks
                     if c.payload.get("incident_id") == incident_id
                     and c.payload.get("event") == "referred"), {})
    local = referral.get("emergency_department") == seed.DEMO_LOCATION["emergency_department"]
    texts = sum(1 for m in stack.twilio.messages if m.to == seed.SUPPORT_CONSENTING_PHONE)
    return LadderFigures(status, wall, (last - opened).total_seconds(),
                         sum(1 for r in records if r.folder == "page_rung"), records, local,
                         texts)


def run_acceptance(stack: Any, rec: Recorder, n: int) -> AcceptFigures:
    """Open a `high` incident, wait for the primary's page, accept it by SMS at once; then
    open the link in the answer as the clinician's phone would (GET), and press Open."""
    from local import seed

    mark = len(rec.records)
    body = stack.post_escalation(_escalation(stack, n)).json()
    incident_id, code = body["incident_id"], body["code"]
    _await(rec, mark, lambda r: r.folder == "page_rung", "the primary's page")
    reply_mark = len(rec.records)
    answer = stack.sms_reply(seed.phone_of("clin-ana"), f"A {code}")
    status = wait_done(stack, incident_id, timeout=60)
    before, after = rec.since(mark)[: reply_mark - mark], rec.since(reply_mark)
    sms = next(r for r in after if r.folder == "sms_inbound")
    figures = AcceptFigures(
        status=status,
        answer=answer.body,
        intake=next(r for r in before if r.folder == "hotline_intake"),
        page=next(r for r in before if r.folder == "page_rung"),
        sms=sms,
        after=[r for r in after if r is not sms],
    )
    link = BRIEF_LINK.search(unescape(answer.body))
    if link:
        brief_mark = len(rec.records)
        preview = stack.api("GET", link[1])
        opened = stack.api("POST", link[1], "action=open", FORM)
        mine = [r for r in rec.since(brief_mark) if r.folder == "clinician_brief"]
        figures.preview, figures.opened = mine[0], mine[1]
        plan = seed.participants(stack.clock.now())[0]["safety_plan"]["warning_signs"][0]
        figures.preview_ok = (preview.status == 200 and 'value="open"' in preview.body
                              and plan not in unescape(preview.body))
        figures.opened_ok = opened.status == 200 and plan in unescape(opened.body)
    return figures


def run_low_after_hours(stack: Any, rec: Recorder, n: int) -> Invocation:
    """A `low` task for the after-hours program: its first advance answers `wait` (the
    Sleep state until the program opens); the execution is stopped there."""
    mark = len(rec.records)
    stack.post_escalation(_escalation(stack, n, severity="low", program_id=AFTER_HOURS))
    step = _await(rec, mark, lambda r: r.folder == "advance", "the low task's advance")
    stack.stop_executions()  # it would sleep until the program opens, two days away
    return step


def run_imminent(stack: Any, rec: Recorder, n: int) -> ImminentFigures:
    """An `imminent` incident: the primary is texted and called at once; once the call's
    reports are in, the primary accepts by SMS."""
    from local import seed

    mark = len(rec.records)
    calls_before = len(stack.twilio.calls)
    body = stack.post_escalation(_escalation(stack, n, severity="imminent")).json()
    incident_id, code = body["incident_id"], body["code"]
    page = _await(rec, mark, lambda r: r.folder == "page_rung", "the imminent page")
    try:
        stack.twilio.drain(timeout=10.0)  # the SMS's and the call's reports
    except TimeoutError:
        pass
    reply_mark = len(rec.records)
    stack.sms_reply(seed.phone_of("clin-ana"), f"A {code}")
    wait_done(stack, incident_id, timeout=60)
    before = rec.since(mark)[: reply_mark - mark]
    advance = next(r for r in before if r.folder == "advance")
    after_page = before[next(i for i, r in enumerate(before) if r is page) + 1:]
    webhooks = [r for r in after_page if r.folder in ("twilio_status", "twilio_voice")]
    return ImminentFigures(advance, page, webhooks, page.action,
                           len(stack.twilio.calls) - calls_before)


def run_follow_up(stack: Any, rec: Recorder, n: int) -> FollowUpFigures:
    """A `high` incident accepted, then resolved by SMS (which starts the follow-up's own
    execution and texts its link), a contact attempt and the follow-up done by SMS."""
    from local import seed

    ana = seed.phone_of("clin-ana")
    mark = len(rec.records)
    body = stack.post_escalation(_escalation(stack, n)).json()
    incident_id, code = body["incident_id"], body["code"]
    _await(rec, mark, lambda r: r.folder == "page_rung", "the follow-up run's page")
    stack.sms_reply(ana, f"A {code}")
    wait_done(stack, incident_id, timeout=60)

    def reply(text: str) -> tuple[Invocation, str, int]:
        at = len(rec.records)
        answer = stack.sms_reply(ana, text)
        return next(r for r in rec.since(at) if r.folder == "sms_inbound"), \
            _twiml_text(answer), at

    resolve, resolved, at = reply(f"R {code}")
    wait = _await(rec, at, lambda r: r.folder == "advance", "the follow-up's first advance")
    tried, tried_answer, _ = reply(f"F {code} tried")
    done, done_answer, _ = reply(f"F {code} done")
    stack.stop_executions()  # the follow-up's Sleep would wake in 24 ladder hours
    return FollowUpFigures(resolve, BRIEF_LINK.sub(r"<link>", resolved), wait, tried,
                           tried_answer, done, done_answer)


def measure_stack() -> StackFigures:
    from local import seed
    from local.stack import LocalStack

    started = time.perf_counter()
    with LocalStack(scale=SCALE) as stack:
        up = time.perf_counter() - started
        seed.seed(stack)
        _seed_after_hours(stack)
        rec = Recorder(stack)
        with rec.installed():
            ladder = run_no_answer(stack, rec)
            accepts = [run_acceptance(stack, rec, n) for n in range(2, 3 + ACCEPT_RUNS)]
            n = 3 + ACCEPT_RUNS
            care = CareFigures(
                low_wait=run_low_after_hours(stack, rec, n),
                imminent=[run_imminent(stack, rec, n + 1 + i) for i in range(IMMINENT_RUNS)],
                follow_up=run_follow_up(stack, rec, n + 1 + IMMINENT_RUNS),
            )
            records = rec.since(0)
        errors = list(stack.errors)
    return StackFigures(up, ladder, accepts, care, records, errors)


def print_calls(fig: StackFigures) -> None:
    ladder = fig.ladder.records
    first = {f: next((r for r in ladder if r.folder == f), None) for f in folders()}
    pages = [r for r in ladder if r.folder == "page_rung"]
    print("2. AWS API calls per handler invocation (local stack; counted while the handler runs)")
    rows: list[list[str]] = []

    def row(label: str, inv: Invocation | None) -> None:
        if inv is not None:
            rows.append([label, "cold" if inv.cold else "warm", str(sum(inv.calls.values())),
                         breakdown(inv.calls)])

    row("(a) intake POST", first["hotline_intake"])
    row("(a) intake POST", fig.cold_accept.intake)
    row("(b) page_rung, one rung", first["page_rung"])
    row("(b) page_rung, one rung", pages[1] if len(pages) > 1 else None)
    row("(c) SMS acceptance", fig.cold_accept.sms)
    row("(c) SMS acceptance", fig.warm_accept.sms)
    for inv in fig.warm_accept.after:
        row(f"    then {inv.folder}", inv)
    row("advance (pages a rung)", first["advance"])
    row("emergency_referral", first["emergency_referral"])
    row("hotline_callback (referred)", first["hotline_callback"])
    table(["what", "container", "calls", "by service.operation"], rows, right={2})
    whole: Counter[str] = Counter()
    for r in ladder:
        whole.update(r.calls)
    per_fn = Counter[str]()
    for r in ladder:
        per_fn[r.folder] += sum(r.calls.values())
    print(f"   whole no-answer ladder: {sum(whole.values())} calls in {len(ladder)} invocations ("
          + ", ".join(f"{f} {n}" for f, n in per_fn.most_common()) + ")")
    print(f"     {breakdown(whole)}")
    print()


def _timing_row(label: str, mine: list[Invocation]) -> list[str]:
    cold = next((r for r in mine if r.cold), None)
    warm = [r for r in mine if not r.cold]
    walls = [r.wall_s for r in warm]
    built = (len(cold.models) if cold else 0, sum(len(r.models) for r in warm))
    return [label, str(len(mine)), ms(cold.wall_s) if cold else "-",
            ms(cold.gc_s) if cold else "-",
            ms(statistics.median(walls)) if walls else "-",
            ms(statistics.median(r.aws_s for r in warm)) if warm else "-",
            ms(statistics.median(r.wall_s - r.aws_s for r in warm)) if warm else "-",
            ms(p95(walls)) if walls else "-", ms(max(walls)) if walls else "-",
            ms(max(r.gc_s for r in warm)) if warm else "-",
            f"{built[0]} / {built[1]}"]


TIMING_HEADERS = ["handler", "n", "cold", "of it gc", "median", "in AWS", "rest", "p95", "max",
                  "gc max", "ddb clients cold / warm"]
TIMING_RIGHT = set(range(1, len(TIMING_HEADERS)))


def print_ladder(fig: StackFigures) -> None:
    lad = fig.ladder
    m, s = divmod(round(lad.ladder_s), 60)
    print(f"3. No-answer `high` ladder at scale {SCALE} (one ladder minute = {SCALE * 60:.2f} s)")
    print(f"   POST -> execution end: {lad.wall_s:.2f} s wall, ladder time {m}:{s:02d} "
          f"({lad.ladder_s:.0f} s), {lad.pages} pages, status {lad.status}; "
          f"local stack up in {fig.up_s:.2f} s")
    busy = sum(r.wall_s for r in lad.records)
    print(f"   handlers busy {busy:.2f} s of it ({sum(r.aws_s for r in lad.records):.2f} s inside "
          "moto); the rest is rung windows and the Step Functions engine")
    print("   per handler during the ladder (wall ms; median/in AWS/rest/p95/max over warm "
          "invocations; gc: garbage collection on the handler's thread)")
    rows = [_timing_row(f, [r for r in lad.records if r.folder == f]) for f in folders()
            if any(r.folder == f for r in lad.records)]
    table(TIMING_HEADERS, rows, right=TIMING_RIGHT)
    accepts = fig.accepts
    ok = sum(1 for a in accepts if "Accepted" in a.answer and a.status == "SUCCEEDED")
    print(f"   API handlers over {len(accepts)} acceptance runs (POST, page, 'A <code>' at once; "
          f"{ok}/{len(accepts)} accepted and succeeded)")
    rows = [
        _timing_row("hotline_intake", [a.intake for a in accepts]),
        _timing_row("sms_inbound", [a.sms for a in accepts]),
    ]
    table(TIMING_HEADERS, rows, right=TIMING_RIGHT)
    if fig.errors:
        print(f"   handler errors: {[(f, repr(e)) for f, e in fig.errors]}")
    print()


def _hms(seconds: float) -> str:
    m, s = divmod(round(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}"


def print_care(fig: StackFigures) -> None:
    care, accepts, lad = fig.care, fig.accepts, fig.ladder
    print("7. Crisis care (issue 5): AWS calls per invocation (local stack), then wall ms")
    rows: list[list[str]] = []

    def row(label: str, inv: Invocation | None, container: str | None = None) -> None:
        if inv is not None:
            rows.append([label, container or ("cold" if inv.cold else "warm"),
                         str(sum(inv.calls.values())), breakdown(inv.calls)])

    first, last = accepts[0], accepts[-1]
    row("brief GET (PHI-free preview)", first.preview)
    row("brief GET (PHI-free preview)", last.preview)
    row("brief POST action=open, first", first.opened, "warm")
    row("brief POST action=open", last.opened)
    refer = [r for r in lad.records if r.folder == "emergency_referral"]
    row("emergency_referral, referral step",
        next((r for r in refer if (r.action or "").startswith("referred")), None))
    row("emergency_referral, support persons",
        next((r for r in refer if (r.action or "").startswith("notified")), None))
    row("hotline_callback (referred)", next(
        (r for r in lad.records if r.folder == "hotline_callback"), None))
    low = care.low_wait
    wait_s = low.result.get("wait_s") if isinstance(low.result, dict) else None
    row(f"advance, low after hours ({low.action}"
        + (f" {_hms(wait_s)})" if wait_s else ")"), low)
    imm = care.imminent[-1]
    row(f"advance, imminent first rung ({imm.advance.action})", imm.advance)
    row(f"page_rung, imminent primary ({imm.outcome})", imm.page)
    for inv in imm.webhooks:
        row(f"    then {inv.folder}", inv)
    fu = care.follow_up
    row("sms_inbound 'R <code>' (high, accepted)", fu.resolve)
    wait_s = fu.wait.result.get("wait_s") if isinstance(fu.wait.result, dict) else None
    row(f"    then advance, follow-up ({fu.wait.action}"
        + (f" {_hms(wait_s)})" if wait_s else ")"), fu.wait)
    row("sms_inbound 'F <code> tried'", fu.tried)
    row("sms_inbound 'F <code> done'", fu.done)
    table(["what", "container", "calls", "by service.operation"], rows, right={2})
    print(f"   brief: {sum(a.preview_ok for a in accepts)}/{len(accepts)} GETs answered the "
          f"interstitial without the plan, {sum(a.opened_ok for a in accepts)}/{len(accepts)} "
          "POSTs the brief with the plan")
    print(f"   referral from the participant's local resources: "
          f"{'yes' if lad.local_referral else 'NO'}; support person texted "
          f"{lad.support_texts} time(s)")
    print(f"   imminent: page_rung outcomes {[i.outcome for i in care.imminent]}, calls placed "
          f"{[i.calls_placed for i in care.imminent]}")
    print(f"   answers: R {fu.resolved_answer!r}")
    print(f"            F tried {fu.tried_answer!r}; F done {fu.done_answer!r}")
    print("   wall ms (median/in AWS/rest/p95/max over warm invocations)")
    table(TIMING_HEADERS, [
        _timing_row("clinician_brief GET", [a.preview for a in accepts if a.preview]),
        _timing_row("clinician_brief POST open", [a.opened for a in accepts if a.opened]),
        _timing_row("page_rung imminent (+voice)", [i.page for i in care.imminent]),
        _timing_row("advance imminent 1st rung", [i.advance for i in care.imminent]),
        _timing_row("sms_inbound R / F / F", [fu.resolve, fu.tried, fu.done]),
    ], right=TIMING_RIGHT)
    print()


def cold_invocations(fig: StackFigures) -> dict[str, Invocation]:
    return {r.folder: r for r in reversed(fig.records) if r.cold}


def later_models(fig: StackFigures) -> dict[str, list[str]]:
    """PynamoDB clients each function's warm invocations still had to build."""
    later: dict[str, list[str]] = {}
    for r in fig.records:
        if not r.cold and r.models:
            later.setdefault(r.folder, []).extend(r.models)
    return later


def print_estimate(imports: Imports, fig: StackFigures) -> None:
    """Init + the first invocation's own setup, as a Lambda on this machine would pay it."""
    per_model = statistics.median(
        statistics.median(v) for v in imports.model_client_s.values()
    ) if imports.model_client_s else 0.0
    cold = cold_invocations(fig)
    later = later_models(fig)
    print("5. Cold start estimate per function on this machine (ms): import + wiring + one "
          "DynamoDB client per PynamoDB model its first invocation used")
    rows = []
    for f in imports.functions:
        inv = cold.get(f.folder)
        n = len(inv.models) if inv else 0
        imp, wire = statistics.median(f.import_s), statistics.median(f.wiring_s)
        rows.append([f.folder, ms(imp), ms(wire), f"{n} x {ms(per_model)}",
                     ms(imp + wire + n * per_model),
                     ", ".join(inv.models) if inv else "(not invoked)",
                     ", ".join(later.get(f.folder, [])) or "-"])
    table(["function", "import", "wiring", "ddb clients", "total", "models used",
           "built later (warm)"], rows, right={1, 2, 3, 4})
    print()


# ----------------------------------------------------------------------------- 4. hot paths


def per_call(fn: Callable[[], object], repeat: int = 5) -> tuple[float, float]:
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    number = max(1, number // 2)  # ~0.1 s per repeat
    samples = [t / number for t in timer.repeat(repeat=repeat, number=number)]
    return min(samples), statistics.median(samples)


def measure_hot_paths() -> list[tuple[str, float, float]]:
    from boto3.dynamodb.types import TypeSerializer

    from crisis_pager.adapters.dynamo.directory import program_from_raw  # no AWS call: parsing only
    from crisis_pager.domain.incident import Severity
    from crisis_pager.domain.ladder import DEFAULT_POLICIES, parse_policy
    from crisis_pager.domain.replies import parse_reply
    from crisis_pager.domain.rota import rota_from_fields, who_is_on_call
    from local import seed

    program_item = TypeSerializer().serialize(
        {**seed.PROGRAM, "admin_phones": ["+15035550199"], "closed_dates": ["2026-12-25"]}
    )["M"]
    members = ["clin-ana", "clin-ben", "clin-caro"]
    weekly = rota_from_fields("west-iop", "primary", timezone="America/Los_Angeles",
                              handoff="08:00", shift_days=7, starts_on="2026-01-05",
                              members=members)
    gap = rota_from_fields("west-iop", "primary", timezone="America/Los_Angeles",
                           handoff="02:30", shift_days=1, starts_on="2026-01-05",
                           members=members)
    now = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    spring = datetime(2026, 3, 8, 20, 0, tzinfo=UTC)  # the shift began in the DST gap
    high = DEFAULT_POLICIES[Severity.HIGH]
    cases: list[tuple[str, Callable[[], object]]] = [
        ("who_is_on_call (weekly rota)", lambda: who_is_on_call(weekly, now)),
        ("who_is_on_call (handoff in DST gap)", lambda: who_is_on_call(gap, spring)),
        ("parse_reply('A 417')", lambda: parse_reply("A 417")),
        ("parse_reply(unrecognised, 60 chars)",
         lambda: parse_reply("On my way, calling the hotline in two minutes, thanks team")),
        ("parse_policy(default high, 10 rungs)", lambda: parse_policy(high)),
        ("program_from_raw(the demo's program item)",
         lambda: program_from_raw(seed.PROGRAM_ID, program_item)),
    ]
    return [(label, *per_call(fn)) for label, fn in cases]


def print_hot_paths(results: list[tuple[str, float, float]]) -> None:
    print("4. Domain hot paths (timeit; best and median of 5 repeats, us per call)")
    table(["call", "best", "median"],
          [[label, f"{best * 1e6:.2f}", f"{med * 1e6:.2f}"] for label, best, med in results],
          right={1, 2})
    print()


# ----------------------------------------------------------------------------- rotas


def _schedules(n: int) -> list[Any]:
    """n programs, each: weekly primary, 12-hour backup split into weeknight/weekend
    variants with active hours, daily supervisor, and one override."""
    from crisis_pager.domain.rota import rota_from_fields
    from crisis_pager.domain.schedule import Schedule, override_from_fields

    zones = ["America/Los_Angeles", "America/New_York", "America/Denver", "America/Chicago"]
    out = []
    for i in range(n):
        pid, tz = f"program-{i:04d}", zones[i % len(zones)]
        members = [f"clin-{i}-{k}" for k in range(4)]

        def rota(name: str, members: list[str] = members, tz: str = tz, pid: str = pid,
                 **kw: Any) -> Any:
            return rota_from_fields(pid, name, timezone=tz, handoff="08:00",
                                    starts_on="2026-01-05", members=members, **kw)

        rotas = (
            rota("primary", shift_days=7),
            rota("backup#weeknights", shift_hours=12, active=["Mon-Fri 18:00-08:00"],
                 members=members[::-1]),
            rota("backup#weekends", shift_hours=12, active=["Fri-Mon 18:00-08:00",
                                                            "Sat-Sun 08:00-18:00"]),
            rota("supervisor", shift_days=1, members=[f"sup-{i}"]),
        )
        cover = override_from_fields(pid, f"override#primary#{i}", {
            "rota": "primary", "clinician": members[2], "starts": "2026-11-23 18:00",
            "ends": "2026-11-24 08:00", "timezone": tz,
            "created_at": "2026-11-20T10:00:00Z"})
        out.append(Schedule(pid, rotas, (cover,)))
    return out


def measure_rotas() -> list[tuple[str, float, float]]:
    from crisis_pager.domain.program import Clinician
    from crisis_pager.domain.rota import rota_from_fields
    from crisis_pager.domain.schedule import Schedule, coverage, on_call

    schedules = _schedules(1000)
    roles = ["primary", "backup", "supervisor"]
    now = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)

    def resolve_all() -> None:
        for schedule in schedules:
            for role in roles:
                on_call(schedule, role, now)

    one = schedules[0]
    ids = {m for r in one.rotas for m in r.members} | {o.clinician_id for o in one.overrides}
    clinicians = {cid: Clinician(cid, cid, "+15035550101") for cid in ids}
    hourly = Schedule("busy", tuple(
        rota_from_fields("busy", role, timezone="America/Los_Angeles", handoff="00:00",
                         shift_hours=1, starts_on="2026-01-05", members=["a", "b", "c"])
        for role in roles))
    hourly_clinicians = {c: Clinician(c, c, "+15035550101") for c in "abc"}
    return [
        ("who is on call: 1,000 programs x 3 rungs (ms)",
         *per_call(resolve_all, repeat=3)),
        ("14-day coverage, one program (4 rotas, 1 override) (ms)",
         *per_call(lambda: coverage(one, roles, clinicians, now, 14), repeat=3)),
        ("14-day coverage, 3 roles of 1-hour shifts (ms)",
         *per_call(lambda: coverage(hourly, roles, hourly_clinicians, now, 14), repeat=3)),
    ]


def print_rotas(results: list[tuple[str, float, float]]) -> None:
    print("5. Rotas (pure domain; best and median of 3 repeats, ms per run). On AWS each "
          "program's schedule is one Query plus a GetItem per clinician looked up.")
    table(["run", "best", "median"],
          [[label, f"{best * 1e3:.1f}", f"{med * 1e3:.1f}"] for label, best, med in results],
          right={1, 2})
    print()


# ----------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=RUNS,
                        help=f"fresh interpreters per function (default {RUNS})")
    parser.add_argument("--only", choices=["imports", "stack", "hot", "rotas"], action="append",
                        help="run only these sections (repeatable)")
    args = parser.parse_args(argv)
    only = set(args.only or ["imports", "stack", "hot", "rotas"])
    started = time.perf_counter()
    print(f"crisis-pager benchmarks: Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print()
    errors = 0
    imports = fig = None
    if "imports" in only:
        imports = measure_imports(args.runs)
        print_imports(imports, args.runs)
    if "stack" in only:
        fig = measure_stack()
        print_calls(fig)
        print_ladder(fig)
        print_care(fig)
        errors = len(fig.errors)
    if "hot" in only:
        print_hot_paths(measure_hot_paths())
    if "rotas" in only:
        print_rotas(measure_rotas())
    if imports is not None and fig is not None:
        print_estimate(imports, fig)
    print(f"(benchmarks took {time.perf_counter() - started:.0f} s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
