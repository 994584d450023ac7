"""One Lambda container per function inside this one process, and the recorder of every
handler invocation's AWS calls and wall time on the local stack."""

from __future__ import annotations

import gc
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from benchmarks.common import MODEL_MODULES


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

        from local.resources import ACCOUNT as STACK_ACCOUNT
        from local.resources import REGION as STACK_REGION

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
