"""The one module that touches moto internals (moto is pinned to exactly 5.2.5 for this).

With ``mock_aws(config={"stepfunctions": {"execute_state_machine": True},
"lambda": {"use_docker": False}})`` moto runs the real ``.asl.json``. The local stack needs three
things moto does not offer, each a small patch here, each checked by :func:`verify` (which
:func:`apply` runs first and which fails loudly, naming the attribute, if moto moved it):

1. **Ladder time.** moto sleeps in real time; a ladder of 300 s windows must run in a
   fraction of a second. With a ladder clock installed (:func:`set_ladder_clock`, the
   local stack's ``local.clock.LadderClock``) every wait below sleeps on that clock, and
   ``ExecutionWorker.start`` counts the execution as active on it from start to end, so
   ladder time runs fast only while every execution sleeps and each wait ends exactly at
   its ladder deadline. Without one, waits are wall seconds times a *scale*. Where moto
   sleeps in 5.2.5:

   - ``Timeout._eval_body`` (and ``Heartbeat._eval_body``) push the seconds that both the
     task timeout (``ExecutionState._evaluate_with_timeout``) and the ``.waitForTaskToken``
     callback wait consume. Only states that wait for an outside signal (``.waitForTaskToken``,
     ``.sync``, activities) are ladder time: the timeout of a plain Lambda invoke guards
     compute, which runs at real speed. The marking is done by a thin wrapper around
     ``ExecutionState._evaluate_with_timeout``. The default 99999999 s is never touched.
     With a clock, the pushed value carries the ladder seconds (``_LadderTimeout``): the
     callback wait sleeps them on the clock, woken by the token's notify, and the outer
     timer gets a wall bound it never reaches. Without one, it is scaled plus a margin.
   - ``WaitFunction._wait_interval`` rounds the elapsed time with ``int(t1 - t0)`` and waits
     again for the remainder; it is replaced by a single deadline-based wait that still
     returns early when the execution stops.
   - ``retrier_decl`` sleeps the Retry backoff through its module-level ``time``; that name
     is pointed at a proxy whose ``sleep`` is ladder time.

2. **Lambda tasks run the real handlers.** ``LambdaSimpleBackend.invoke`` (moto's docker-free
   Lambda) echoes its input. :func:`set_lambda_router` replaces it with a call to
   ``router(function_name, event)``; an exception becomes Lambda's "Unhandled" function error
   whose ``errorType`` moto's parser surfaces as the Step Functions error name, so
   ``Retry``/``Catch`` on the exception class name, ``States.TaskFailed`` and ``States.ALL``
   behave as on AWS.

3. **Atomic where AWS is atomic.** moto evaluates a DynamoDB ConditionExpression and then
   writes with no lock, and checks a Step Functions execution name and then creates it;
   both are serialised here, as they are on AWS.

4. **Overhead.** ``boto_client_for`` builds a new boto3 client for every task (~100 ms).
   It is cached per (region, service, interception mode), in the defining module and in
   every parser module that imported it by name.

4. **Streams, quietly.** The local stack delivers the tables' stream records to functions.
   Waking a thread every 50 ms to call ``GetRecords`` through botocore and moto takes the
   GIL from the ladder's threads (and shifts their interleaving), so:
   :func:`set_stream_listener` wraps ``StreamShard.add`` to tell the poller that a record
   was appended (it sleeps otherwise); :func:`stream_position` reads how many records a
   table's ``StreamShard`` holds, so GetRecords is called only when that changed; and
   :func:`forget_shard_iterator` drops a used iterator from
   ``DynamoDBStreamsBackend.shard_iterators``, where moto keeps every one it issued.

:func:`apply` is idempotent and may be called again to change the scale; :func:`restore`
undoes everything; :func:`override` is a context manager for tests that must leave the
process as they found it.
"""

from __future__ import annotations

import contextlib
import decimal
import importlib
import inspect
import json
import logging
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from typing import Any, Protocol

LOG = logging.getLogger(__name__)

PINNED_MOTO_VERSION = "5.2.5"

LambdaRouter = Callable[[str, Any], Any]


class LadderTime(Protocol):
    """The local stack's ladder clock (local/clock.py ``LadderClock``): executions count as
    active while they run states, and sleep in it (a token wait, a Wait state, a Retry
    backoff) instead of in wall time, so every wait ends exactly at its ladder deadline."""

    def active(self, started: bool) -> None: ...

    def sleep(self, ladder_seconds: float,
              wake: Callable[[float], bool] | None = None) -> bool: ...

    def wall_bound(self, ladder_seconds: float) -> float: ...


_PARSER = "moto.stepfunctions.parser.asl"
_M_TIMEOUT = f"{_PARSER}.component.common.timeouts.timeout"
_M_HEARTBEAT = f"{_PARSER}.component.common.timeouts.heartbeat"
_M_WAIT = f"{_PARSER}.component.state.wait.wait_function.wait_function"
_M_RETRIER = f"{_PARSER}.component.common.retry.retrier_decl"
_M_EXEC_STATE = f"{_PARSER}.component.state.exec.execute_state"
_M_TASK = f"{_PARSER}.component.state.exec.state_task"
_M_RESOURCE = f"{_M_TASK}.service.resource"
_M_ACTIVITY = f"{_M_TASK}.state_task_activitiy"  # sic: moto's spelling
_M_ENVIRONMENT = f"{_PARSER}.eval.environment"
_M_BOTO = f"{_PARSER}.utils.boto_client"
_M_LAMBDA_SIMPLE = "moto.awslambda_simple.models"
_M_CALLBACK = f"{_M_TASK}.service.state_task_service_callback"
_M_CALLBACK_ENDPOINT = f"{_PARSER}.eval.callback.callback"
_M_WORKER = "moto.stepfunctions.parser.backend.execution_worker"
_M_STREAMS = "moto.dynamodbstreams.models"
_M_DYNAMODB = "moto.dynamodb.models"
_M_DYNAMODB_TABLE = "moto.dynamodb.models.table"
_M_DYNAMODB_RESPONSES = "moto.dynamodb.responses"
_M_JSON_PATH = f"{_PARSER}.utils.json_path"

# Wall seconds added to the outer timer of a task that waits for a signal. moto starts that
# timer before it invokes the Lambda, and the task's own callback wait only after the Lambda
# returns; the margin lets the callback wait (exactly window * scale after the page went
# out) decide the timeout, so a rung lasts its full window in ladder time.
CALLBACK_MARGIN_S = 2.0

# Modules that did `from ...boto_client import boto_client_for` in moto 5.2.5.
_BOTO_IMPORTERS = (
    f"{_M_TASK}.lambda_eval_utils",
    f"{_M_TASK}.service.state_task_service_aws_sdk",
    f"{_M_TASK}.service.state_task_service_batch",
    f"{_M_TASK}.service.state_task_service_dynamodb",
    f"{_M_TASK}.service.state_task_service_ecs",
    f"{_M_TASK}.service.state_task_service_events",
    f"{_M_TASK}.service.state_task_service_glue",
    f"{_M_TASK}.service.state_task_service_sfn",
    f"{_M_TASK}.service.state_task_service_sns",
    f"{_M_TASK}.service.state_task_service_sqs",
    f"{_M_TASK}.service.state_task_service_unsupported",
    f"{_PARSER}.component.state.exec.state_map.item_reader.eval.resource_eval_s3",
    f"{_PARSER}.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3",
)

# Attribute set on moto's Timeout/Heartbeat components: True when the owning state waits for
# an outside signal, so its seconds are ladder time (scaled) rather than compute time.
_LADDER_TIME_ATTR = "_crisis_pager_ladder_time"

_lock = threading.RLock()
_scale = 1.0
_applied = False
_router: LambdaRouter | None = None
_observer: LadderTime | None = None
_stream_listener: Callable[[], None] | None = None
# (module name, attribute path) -> (owner object, attribute name, original value)
_originals: dict[tuple[str, str], tuple[Any, str, Any]] = {}
_clients: dict[tuple[Any, ...], Any] = {}
_clients_lock = threading.Lock()
_verified = False
_no_timeout_seconds = 99999999  # TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS, read again at install


# ----------------------------------------------------------------------------- public API


def current_scale() -> float:
    """Wall seconds per ladder second (1.0 when :func:`apply` has not been called)."""
    return _scale


def is_applied() -> bool:
    return _applied


def lambda_router() -> LambdaRouter | None:
    return _router


def apply(scale: float) -> None:
    """Install the timing patches and the boto client cache; set the time scale.

    Idempotent: calling it again only changes the scale (it takes effect for waits that
    start afterwards).
    """
    global _scale, _applied
    if not scale > 0:
        raise ValueError(f"scale must be > 0 (wall seconds per ladder second), got {scale!r}")
    with _lock:
        verify()
        _scale = float(scale)
        if _applied:
            return
        _install_timing()
        _install_client_cache()
        _install_atomic_writes()
        _install_json_path_cache()
        _applied = True


def set_lambda_router(router: LambdaRouter | None) -> None:
    """Route moto's docker-free Lambda invocations to ``router(function_name, event)``.

    ``None`` puts moto's echoing ``LambdaSimpleBackend.invoke`` back.
    """
    global _router
    with _lock:
        verify()
        _router = router
        key = (_M_LAMBDA_SIMPLE, "LambdaSimpleBackend.invoke")
        if router is not None and key not in _originals:
            backend_cls = _module(_M_LAMBDA_SIMPLE).LambdaSimpleBackend
            _replace(key, backend_cls, "invoke", _routed_invoke)
        elif router is None and key in _originals:
            _put_back(key)


def set_stream_listener(listener: Callable[[], None] | None) -> None:
    """Call ``listener()`` (on the writing thread, after the write) whenever moto appends a
    record to a table's stream. ``None`` puts moto's ``StreamShard.add`` back."""
    global _stream_listener
    with _lock:
        verify()
        _stream_listener = listener
        key = (_M_DYNAMODB_TABLE, "StreamShard.add")
        if listener is not None and key not in _originals:
            original = _original(*key)

            def add(self: Any, old: Any, new: Any) -> None:
                original(self, old, new)
                announce = _stream_listener
                if announce is not None:
                    announce()

            _replace(key, _module(_M_DYNAMODB_TABLE).StreamShard, "add", add)
        elif listener is None and key in _originals:
            _put_back(key)


def set_ladder_clock(observer: LadderTime | None) -> None:
    """Run every execution's ladder-time waits on ``observer`` (a ladder clock) and count
    each execution as active on it while it runs; ``None``: waits are scaled wall time."""
    global _observer
    with _lock:
        if observer is not None:
            verify()
            key = (_M_WORKER, "ExecutionWorker.start")
            if key not in _originals:
                _replace(key, _module(_M_WORKER).ExecutionWorker, "start", _counted_start)
        _observer = observer


def restore() -> None:
    """Undo every patch, drop the client cache, reset the scale to 1.0 and the router."""
    global _scale, _applied, _router, _observer, _stream_listener
    with _lock:
        for key in list(_originals):
            _put_back(key)
        with _clients_lock:
            _clients.clear()
        _scale = 1.0
        _applied = False
        _router = None
        _observer = None
        _stream_listener = None


def stream_position(account_id: str, region: str, table_name: str) -> int:
    """The sequence number the next record of the table's stream will get (it changes
    exactly when moto appends a record); -1 when the table has no stream."""
    verify()
    table = _module(_M_DYNAMODB).dynamodb_backends[account_id][region].tables.get(table_name)
    shard = getattr(table, "stream_shard", None)
    return -1 if shard is None else int(shard.starting_sequence_number) + len(shard.items)


def forget_shard_iterator(account_id: str, region: str, iterator: str) -> None:
    """Drop a DynamoDB stream iterator the caller has used up (moto keeps each forever)."""
    verify()
    backend = _module(_M_STREAMS).dynamodbstreams_backends[account_id][region]
    backend.shard_iterators.pop(iterator, None)


@contextlib.contextmanager
def override(scale: float, router: LambdaRouter | None = None) -> Iterator[None]:
    """Apply ``scale`` and ``router`` for a block, then return to the previous state exactly."""
    with _lock:
        prev_applied, prev_scale, prev_router = _applied, _scale, _router
    apply(scale)
    set_lambda_router(router)
    try:
        yield
    finally:
        if prev_applied:
            apply(prev_scale)
        else:
            restore()
        set_lambda_router(prev_router)


def verify() -> None:
    """Raise RuntimeError naming every patched moto attribute that no longer exists as expected.

    Checks moto's original objects (also after patching), so it can run at any time.
    """
    global _verified
    if _verified:
        return
    problems: list[str] = []

    def check(label: str, ok: Callable[[], bool]) -> None:
        try:
            good = ok()
        except Exception as exc:  # a missing module/attribute, unreadable source, ...
            problems.append(f"{label} ({type(exc).__name__}: {exc})")
            return
        if not good:
            problems.append(label)

    def params(module: str, path: str) -> list[str]:
        return list(inspect.signature(_original(module, path)).parameters)

    def source(module: str, path: str) -> str:
        return inspect.getsource(_original(module, path))

    check(f"{_M_JSON_PATH}.extract_json calls the module's parse(path)",
          lambda: "parse(path)" in source(_M_JSON_PATH, "extract_json")
          and callable(_original(_M_JSON_PATH, "parse")))
    check(f"{_M_TIMEOUT}.Timeout._eval_body(self, env)",
          lambda: params(_M_TIMEOUT, "Timeout._eval_body") == ["self", "env"]
          and "env.stack.append" in source(_M_TIMEOUT, "Timeout._eval_body"))
    check(f"{_M_TIMEOUT}.Timeout._eval_seconds",
          lambda: callable(_original(_M_TIMEOUT, "Timeout._eval_seconds")))
    check(f"{_M_TIMEOUT}.TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS",
          lambda: isinstance(_original(_M_TIMEOUT, "TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS"), int))
    check(f"{_M_HEARTBEAT}.Heartbeat._eval_body(self, env)",
          lambda: params(_M_HEARTBEAT, "Heartbeat._eval_body") == ["self", "env"]
          and callable(_original(_M_HEARTBEAT, "Heartbeat._eval_seconds")))
    check(f"{_M_EXEC_STATE}.ExecutionState._evaluate_with_timeout(self, env) using self.timeout",
          lambda: params(_M_EXEC_STATE, "ExecutionState._evaluate_with_timeout") == ["self", "env"]
          and "self.timeout.eval" in source(_M_EXEC_STATE, "ExecutionState._evaluate_with_timeout"))
    check(f"{_M_RESOURCE}.ResourceCondition.WaitForTaskToken",
          lambda: bool(_original(_M_RESOURCE, "ResourceCondition.WaitForTaskToken")))
    check(f"{_M_ACTIVITY}.StateTaskActivity",
          lambda: inspect.isclass(_original(_M_ACTIVITY, "StateTaskActivity")))
    check(f"{_M_CALLBACK}.StateTaskServiceCallback._wait_for_task_token_timeout"
          "(self, timeout_seconds, callback_endpoint) using callback_endpoint.wait(timeout=...)",
          lambda: params(_M_CALLBACK,
                         "StateTaskServiceCallback._wait_for_task_token_timeout")
          == ["self", "timeout_seconds", "callback_endpoint"]
          and "callback_endpoint.wait(" in source(
              _M_CALLBACK, "StateTaskServiceCallback._wait_for_task_token_timeout"))
    check(f"{_M_CALLBACK_ENDPOINT}.CallbackEndpoint._notify_event / wait(timeout) -> outcome",
          lambda: "self._notify_event = Event()" in source(
              _M_CALLBACK_ENDPOINT, "CallbackEndpoint.__init__")
          and "return self._outcome" in source(_M_CALLBACK_ENDPOINT, "CallbackEndpoint.wait"))
    check(f"{_M_WORKER}.ExecutionWorker.start(self) runs self._execution_logic on a Thread",
          lambda: params(_M_WORKER, "ExecutionWorker.start") == ["self"]
          and "Thread(target=self._execution_logic" in source(_M_WORKER, "ExecutionWorker.start")
          and "TMP_THREADS" in vars(_module(_M_WORKER)))
    check(f"{_M_SFN_BACKEND}.StepFunctionsParserBackend.start_execution (name idempotency)",
          lambda: "_handle_name_input_idempotency" in source(
              _M_SFN_BACKEND, "StepFunctionsParserBackend.start_execution"))
    for name in _DYNAMODB_WRITES:
        check(f"{_M_DYNAMODB}.DynamoDBBackend.{name}",
              lambda name=name: callable(_original(_M_DYNAMODB, f"DynamoDBBackend.{name}")))
    check(f"{_M_DYNAMODB_RESPONSES}.DynamoHandler.call_action(self)",
          lambda: params(_M_DYNAMODB_RESPONSES, "DynamoHandler.call_action") == ["self"])
    check(f"{_M_WAIT}.WaitFunction._wait_interval(self, env, wait_seconds)",
          lambda: params(_M_WAIT, "WaitFunction._wait_interval") == ["self", "env", "wait_seconds"])
    check(f"{_M_ENVIRONMENT}.Environment.is_running / .program_state_event",
          lambda: callable(_original(_M_ENVIRONMENT, "Environment.is_running"))
          and "program_state_event" in source(_M_ENVIRONMENT, "Environment.__init__"))
    check(f"{_M_RETRIER}.time (RetrierDecl._eval_body sleeps via time.sleep)",
          lambda: getattr(_original(_M_RETRIER, "time"), "__name__", "") == "time"
          and "time.sleep(" in source(_M_RETRIER, "RetrierDecl._eval_body"))
    check(f"{_M_BOTO}.boto_client_for(region, service, state_credentials)",
          lambda: params(_M_BOTO, "boto_client_for") == ["region", "service", "state_credentials"])
    def has_boto_client_for(module: str) -> Callable[[], bool]:
        return lambda: callable(_original(module, "boto_client_for"))

    for name in _BOTO_IMPORTERS:
        check(f"{name}.boto_client_for", has_boto_client_for(name))
    check(f"{_M_LAMBDA_SIMPLE}.LambdaSimpleBackend.invoke"
          "(self, function_name, qualifier, body, headers, response_headers)",
          lambda: params(_M_LAMBDA_SIMPLE, "LambdaSimpleBackend.invoke")
          == ["self", "function_name", "qualifier", "body", "headers", "response_headers"])
    check(f"{_M_STREAMS}.DynamoDBStreamsBackend.shard_iterators (dict by iterator ARN)",
          lambda: "self.shard_iterators: dict[str, ShardIterator] = {}" in source(
              _M_STREAMS, "DynamoDBStreamsBackend.__init__")
          and "self.shard_iterators[iterator_arn]" in source(
              _M_STREAMS, "DynamoDBStreamsBackend.get_records")
          and callable(_original(_M_STREAMS, "dynamodbstreams_backends").__getitem__))
    check(f"{_M_DYNAMODB}.dynamodb_backends[..].tables[name].stream_shard.items (appended to)",
          lambda: "self.tables: dict[str, Table]" in source(_M_DYNAMODB, "DynamoDBBackend.__init__")
          and "self.stream_shard: StreamShard | None" in source(_M_DYNAMODB_TABLE, "Table.__init__")
          and "self.items.append(" in source(_M_DYNAMODB_TABLE, "StreamShard.add")
          and params(_M_DYNAMODB_TABLE, "StreamShard.add") == ["self", "old", "new"]
          and "self.starting_sequence_number" in source(_M_DYNAMODB_TABLE, "StreamShard.__init__"))
    check(f"{_M_LAMBDA_SIMPLE}.LambdaSimpleBackend.get_function",
          lambda: callable(_original(_M_LAMBDA_SIMPLE, "LambdaSimpleBackend.get_function")))

    if problems:
        version = getattr(sys.modules.get("moto"), "__version__", "?")
        raise RuntimeError(
            f"local.moto_patches: the installed moto {version} (pinned: {PINNED_MOTO_VERSION}) "
            "no longer provides what the local stack patches: " + "; ".join(problems)
            + ". Pin moto back or update local/moto_patches.py."
        )
    _verified = True


# ----------------------------------------------------------------------------- plumbing


def _module(name: str) -> Any:
    return importlib.import_module(name)


def _resolve(module: str, path: str) -> tuple[Any, str]:
    owner: Any = _module(module)
    *parents, attr = path.split(".")
    for part in parents:
        owner = getattr(owner, part)
    return owner, attr


def _original(module: str, path: str) -> Any:
    saved = _originals.get((module, path))
    if saved is not None:
        return saved[2]
    owner, attr = _resolve(module, path)
    # vars() rather than getattr for classes: a method defined on the class itself.
    if inspect.isclass(owner) and attr in vars(owner):
        return vars(owner)[attr]
    return getattr(owner, attr)


def _replace(key: tuple[str, str], owner: Any, attr: str, new: Any) -> None:
    if key not in _originals:
        _originals[key] = (owner, attr, owner.__dict__.get(attr, getattr(owner, attr)))
    setattr(owner, attr, new)


def _put_back(key: tuple[str, str]) -> None:
    owner, attr, original = _originals.pop(key)
    setattr(owner, attr, original)


# ----------------------------------------------------------------------------- timing


def _ladder_seconds_to_wall(component: Any, seconds: Any) -> Any:
    if not isinstance(seconds, int | float) or seconds >= _no_timeout_seconds:
        return seconds  # "no timeout" stays effectively infinite
    if not getattr(component, _LADDER_TIME_ATTR, False):
        return seconds  # compute time (e.g. a plain Lambda invoke): real seconds
    return seconds * _scale


class _LadderTimeout(float):
    """A ladder-time task timeout as pushed on moto's stack: its value is the wall seconds
    the outer task timer may wait (a safety net, never reached: the callback wait decides),
    ``ladder`` the state's TimeoutSeconds, which the callback wait sleeps on the clock."""

    ladder: float

    def __new__(cls, wall: float, ladder: float) -> _LadderTimeout:
        value = super().__new__(cls, wall)
        value.ladder = float(ladder)
        return value

    def __reduce__(self) -> tuple[Any, ...]:  # moto deep-copies the stack into each frame
        return (_LadderTimeout, (float(self), self.ladder))


def _scaled_timeout_eval_body(self: Any, env: Any) -> None:
    seconds = self._eval_seconds(env=env)
    wall = _ladder_seconds_to_wall(self, seconds)
    if wall is seconds:
        env.stack.append(seconds)
        return
    observer = _observer
    if observer is not None:
        # The outer timer starts before the Lambda invoke, which runs at real speed; the
        # callback wait then sleeps exactly `seconds` of ladder time, which takes at most
        # wall_bound(seconds). Twice that plus the margin is never the one that fires.
        bound = observer.wall_bound(float(seconds))
        env.stack.append(_LadderTimeout(2 * bound + CALLBACK_MARGIN_S, float(seconds)))
        return
    # Scaled wall time: leave the callback wait to decide (see the margin).
    env.stack.append(wall + CALLBACK_MARGIN_S)


def _scaled_heartbeat_eval_body(self: Any, env: Any) -> None:
    seconds = self._eval_seconds(env=env)
    env.stack.append(_ladder_seconds_to_wall(self, seconds))


def _observed_callback_wait(self: Any, timeout_seconds: Any, callback_endpoint: Any) -> Any:
    observer = _observer
    ladder = getattr(timeout_seconds, "ladder", None)
    if observer is not None and ladder is not None:
        # Sleep the window on the ladder clock; the task token's notify (or interrupt)
        # ends it early. None (no outcome) is moto's timeout, as in the original.
        if observer.sleep(ladder, wake=callback_endpoint._notify_event.wait):
            return callback_endpoint.wait(timeout=0)
        return None
    if isinstance(timeout_seconds, int | float) and timeout_seconds < _no_timeout_seconds:
        timeout_seconds = max(0.0, timeout_seconds - CALLBACK_MARGIN_S)
    return callback_endpoint.wait(timeout=timeout_seconds)


def _waits_for_signal(state: Any) -> bool:
    if isinstance(state, _original(_M_ACTIVITY, "StateTaskActivity")):
        return True
    resource = getattr(state, "resource", None)
    return getattr(resource, "condition", None) is not None  # waitForTaskToken, sync, sync:2


def _marking_evaluate_with_timeout(self: Any, env: Any) -> Any:
    ladder_time = _waits_for_signal(self)
    for component in (getattr(self, "timeout", None), getattr(self, "heartbeat", None)):
        if component is not None:
            setattr(component, _LADDER_TIME_ATTR, ladder_time)
    original = _original(_M_EXEC_STATE, "ExecutionState._evaluate_with_timeout")
    return original(self, env)


def _scaled_wait_interval(self: Any, env: Any, wait_seconds: Any) -> None:
    if wait_seconds <= 0:
        return
    observer = _observer
    if observer is not None:
        def stopped(timeout: float) -> bool:
            # Pulsed (set then cleared) when the execution stops, fails or times out.
            env.program_state_event.wait(timeout)
            return not env.is_running()

        if env.is_running():
            observer.sleep(float(wait_seconds), wake=stopped)
        return
    deadline = time.monotonic() + wait_seconds * _scale
    while env.is_running():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        env.program_state_event.wait(remaining)


class _ScaledTime:
    """Stands in for the ``time`` module inside ``retrier_decl``: ``sleep`` is ladder time."""

    __name__ = "time"

    @staticmethod
    def sleep(seconds: float) -> None:
        observer = _observer
        if observer is not None:
            observer.sleep(max(0.0, float(seconds)))
        else:
            time.sleep(max(0.0, seconds * _scale))

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def _counted_start(self: Any) -> None:
    """ExecutionWorker.start: the execution counts as active on the ladder clock from the
    moment it is started until its program ends, except while it sleeps in ladder time."""
    observer = _observer
    if observer is None:
        _original(_M_WORKER, "ExecutionWorker.start")(self)
        return
    logic = self._execution_logic

    def run() -> None:
        try:
            logic()
        finally:
            observer.active(False)

    observer.active(True)  # before the thread starts: no instant where it counts as idle
    worker = _module(_M_WORKER)
    thread = worker.Thread(target=run, daemon=True)
    worker.TMP_THREADS.append(thread)
    try:
        thread.start()
    except BaseException:
        observer.active(False)
        raise


def _install_timing() -> None:
    global _no_timeout_seconds
    _no_timeout_seconds = _original(_M_TIMEOUT, "TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS")
    timeout_cls = _module(_M_TIMEOUT).Timeout
    _replace((_M_TIMEOUT, "Timeout._eval_body"), timeout_cls, "_eval_body",
             _scaled_timeout_eval_body)
    heartbeat_cls = _module(_M_HEARTBEAT).Heartbeat
    _replace((_M_HEARTBEAT, "Heartbeat._eval_body"), heartbeat_cls, "_eval_body",
             _scaled_heartbeat_eval_body)
    callback_cls = _module(_M_CALLBACK).StateTaskServiceCallback
    _replace((_M_CALLBACK, "StateTaskServiceCallback._wait_for_task_token_timeout"),
             callback_cls, "_wait_for_task_token_timeout", _observed_callback_wait)
    exec_state_cls = _module(_M_EXEC_STATE).ExecutionState
    _replace((_M_EXEC_STATE, "ExecutionState._evaluate_with_timeout"), exec_state_cls,
             "_evaluate_with_timeout", _marking_evaluate_with_timeout)
    wait_cls = _module(_M_WAIT).WaitFunction
    _replace((_M_WAIT, "WaitFunction._wait_interval"), wait_cls, "_wait_interval",
             _scaled_wait_interval)
    _replace((_M_RETRIER, "time"), _module(_M_RETRIER), "time", _ScaledTime())


# ----------------------------------------------------------------------------- JSONPath

# moto evaluates every JSONPath of the state machine (each Parameters "x.$", InputPath,
# ResultPath, Choice variable) through jsonpath_ng's parse(), which builds a new ply
# parser, tables and all, on every call: milliseconds each, and done by many execution
# threads at once, which ply was never written for (a CI run died in a segfault inside
# ply's yacc while eight ladders ran). A parsed path is immutable and reusable: parse
# each distinct path once, one thread at a time.
_json_path_lock = threading.Lock()
_json_paths: dict[str, Any] = {}


def _cached_json_path_parse(path: str) -> Any:
    with _json_path_lock:
        parsed = _json_paths.get(path)
        if parsed is None:
            parsed = _original(_M_JSON_PATH, "parse")(path)
            _json_paths[path] = parsed
        return parsed


def _install_json_path_cache() -> None:
    _replace((_M_JSON_PATH, "parse"), _module(_M_JSON_PATH), "parse", _cached_json_path_parse)


# ----------------------------------------------------------------------------- dynamodb writes

_M_DYNAMODB = "moto.dynamodb.models"
# moto 5.2.5 evaluates a ConditionExpression and then writes, with no lock: two threads can
# both pass `status IN (...)` and both "win". DynamoDB serialises writes to an item; one lock
# around moto's backend writes restores that, so concurrency tests test our conditions.
_DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_write_lock = threading.RLock()


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    def write(*args: Any, **kwargs: Any) -> Any:
        with _write_lock:
            return method(*args, **kwargs)

    write.__name__ = getattr(method, "__name__", "write")
    return write


_M_SFN_BACKEND = "moto.stepfunctions.parser.models"


def _install_atomic_writes() -> None:
    backend = _module(_M_DYNAMODB).DynamoDBBackend
    for name in _DYNAMODB_WRITES:
        _replace((_M_DYNAMODB, f"DynamoDBBackend.{name}"), backend, name,
                 _locked(_original(_M_DYNAMODB, f"DynamoDBBackend.{name}")))
    # moto serialises an item for its answer (item.to_json()) after the backend call, and
    # its reads walk items with no lock either, while another thread's write mutates the
    # same item: "dictionary changed size during iteration". A whole DynamoDB request is
    # one step on AWS; the same lock around moto's request handler makes it one here.
    _replace((_M_DYNAMODB_RESPONSES, "DynamoHandler.call_action"),
             _module(_M_DYNAMODB_RESPONSES).DynamoHandler, "call_action",
             _locked(_original(_M_DYNAMODB_RESPONSES, "DynamoHandler.call_action")))
    # StartExecution is idempotent per name and input on AWS (a second call returns the
    # running execution); moto checks the name and then creates, unlocked, so two
    # concurrent calls could start two ladders under one name.
    sfn = _module(_M_SFN_BACKEND).StepFunctionsParserBackend
    _replace((_M_SFN_BACKEND, "StepFunctionsParserBackend.start_execution"), sfn,
             "start_execution",
             _locked(_original(_M_SFN_BACKEND, "StepFunctionsParserBackend.start_execution")))


@contextlib.contextmanager
def atomic_dynamodb_writes() -> Iterator[None]:
    """Only the atomic-writes patch, for tests that use moto without the local stack."""
    with _lock:
        installed = (_M_DYNAMODB, "DynamoDBBackend.put_item") in _originals
        if not installed:
            _install_atomic_writes()
    try:
        yield
    finally:
        if not installed:
            with _lock:
                for name in _DYNAMODB_WRITES:
                    _put_back((_M_DYNAMODB, f"DynamoDBBackend.{name}"))
                _put_back((_M_DYNAMODB_RESPONSES, "DynamoHandler.call_action"))
                _put_back((_M_SFN_BACKEND, "StepFunctionsParserBackend.start_execution"))


# ----------------------------------------------------------------------------- boto clients


def _cached_boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port

    intercepting = bool(botocore_stubber.enabled)
    key = (region, service, intercepting, None if intercepting else moto_server_port())
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            original = _original(_M_BOTO, "boto_client_for")
            client = original(region=region, service=service, state_credentials=state_credentials)
            _clients[key] = client
        return client


def _install_client_cache() -> None:
    original = _original(_M_BOTO, "boto_client_for")
    _replace((_M_BOTO, "boto_client_for"), _module(_M_BOTO), "boto_client_for",
             _cached_boto_client_for)
    for name in _BOTO_IMPORTERS:
        _module(name)
    # Any other parser module that imported it by name (e.g. added in a patch release).
    for name, mod in list(sys.modules.items()):
        if name.startswith("moto.stepfunctions.") and mod is not None:
            if getattr(mod, "boto_client_for", None) is original:
                _replace((name, "boto_client_for"), mod, "boto_client_for",
                         _cached_boto_client_for)


# ----------------------------------------------------------------------------- lambda router


def _lambda_json_default(value: Any) -> Any:
    # Like the Python Lambda runtime's marshaller.
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _unhandled(response_headers: Any, error_type: str, message: str,
               stack: list[str] | None = None) -> bytes:
    response_headers["x-amz-function-error"] = "Unhandled"
    payload: dict[str, Any] = {"errorType": error_type, "errorMessage": message}
    if stack is not None:
        payload["stackTrace"] = stack
    return json.dumps(payload).encode("utf-8")


def _routed_invoke(self: Any, function_name: str, qualifier: str | None, body: Any,
                   headers: Any, response_headers: Any) -> bytes | str | None:
    router = _router
    if router is None:
        original = _original(_M_LAMBDA_SIMPLE, "LambdaSimpleBackend.invoke")
        echoed: bytes | str | None = original(self, function_name, qualifier, body, headers,
                                              response_headers)
        return echoed
    name = self.get_function(function_name, qualifier).function_name
    raw = body.decode("utf-8") if isinstance(body, bytes | bytearray) else body
    try:
        event = json.loads(raw) if raw else {}
    except ValueError as exc:
        return _unhandled(response_headers, "Runtime.UnmarshalError",
                          f"Unable to unmarshal input: {exc}")
    try:
        result = router(name, event)
    except Exception as exc:
        LOG.info("local lambda %s raised %s: %s", name, type(exc).__name__, exc)
        return _unhandled(response_headers, type(exc).__name__, str(exc),
                          traceback.format_tb(exc.__traceback__))
    try:
        return json.dumps(result, default=_lambda_json_default).encode("utf-8")
    except (TypeError, ValueError) as exc:
        return _unhandled(response_headers, "Runtime.MarshalError",
                          f"Unable to marshal response: {exc}")
