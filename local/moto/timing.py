"""Ladder time in moto's Step Functions: a ladder of 300 s windows runs in a fraction of a
second, and each wait ends exactly at its ladder deadline.

With a ladder clock installed (:func:`set_ladder_clock`, the local stack's
``local.clock.LadderClock``) every wait below sleeps on that clock, and
``ExecutionWorker.start`` counts the execution as active on it from start to end, so ladder
time runs fast only while every execution sleeps. Without one, waits are wall seconds times
a *scale* (:func:`set_scale`). Where moto sleeps in 5.2.5:

- ``Timeout._eval_body`` (and ``Heartbeat._eval_body``) push the seconds that both the task
  timeout (``ExecutionState._evaluate_with_timeout``) and the ``.waitForTaskToken`` callback
  wait consume. Only states that wait for an outside signal (``.waitForTaskToken``,
  ``.sync``, activities) are ladder time: the timeout of a plain Lambda invoke guards
  compute, which runs at real speed. The marking is done by a thin wrapper around
  ``ExecutionState._evaluate_with_timeout``. The default 99999999 s is never touched. With a
  clock, the pushed value carries the ladder seconds (``_LadderTimeout``): the callback wait
  sleeps them on the clock, woken by the token's notify, and the outer timer gets a wall
  bound it never reaches. Without one, it is scaled plus a margin.
- ``WaitFunction._wait_interval`` rounds the elapsed time with ``int(t1 - t0)`` and waits
  again for the remainder; it is replaced by a single deadline-based wait that still returns
  early when the execution stops.
- ``retrier_decl`` sleeps the Retry backoff through its module-level ``time``; that name is
  pointed at a proxy whose ``sleep`` is ladder time.

:func:`verify` checks every one of those moto internals.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Protocol

from local.moto import patching
from local.moto.patching import PARSER, TASK, Check, original, params, source


class LadderTime(Protocol):
    """The local stack's ladder clock (local/clock.py ``LadderClock``): executions count as
    active while they run states, and sleep in it (a token wait, a Wait state, a Retry
    backoff) instead of in wall time, so every wait ends exactly at its ladder deadline."""

    def active(self, started: bool) -> None: ...

    def sleep(self, ladder_seconds: float,
              wake: Callable[[float], bool] | None = None) -> bool: ...

    def wall_bound(self, ladder_seconds: float) -> float: ...


_M_TIMEOUT = f"{PARSER}.component.common.timeouts.timeout"
_M_HEARTBEAT = f"{PARSER}.component.common.timeouts.heartbeat"
_M_WAIT = f"{PARSER}.component.state.wait.wait_function.wait_function"
_M_RETRIER = f"{PARSER}.component.common.retry.retrier_decl"
_M_EXEC_STATE = f"{PARSER}.component.state.exec.execute_state"
_M_RESOURCE = f"{TASK}.service.resource"
_M_ACTIVITY = f"{TASK}.state_task_activitiy"  # sic: moto's spelling
_M_ENVIRONMENT = f"{PARSER}.eval.environment"
_M_CALLBACK = f"{TASK}.service.state_task_service_callback"
_M_CALLBACK_ENDPOINT = f"{PARSER}.eval.callback.callback"
_M_WORKER = "moto.stepfunctions.parser.backend.execution_worker"

# Wall seconds added to the outer timer of a task that waits for a signal. moto starts that
# timer before it invokes the Lambda, and the task's own callback wait only after the Lambda
# returns; the margin lets the callback wait (exactly window * scale after the page went
# out) decide the timeout, so a rung lasts its full window in ladder time.
CALLBACK_MARGIN_S = 2.0

# Attribute set on moto's Timeout/Heartbeat components: True when the owning state waits for
# an outside signal, so its seconds are ladder time (scaled) rather than compute time.
_LADDER_TIME_ATTR = "_crisis_pager_ladder_time"

_scale = 1.0
_observer: LadderTime | None = None
_no_timeout_seconds = 99999999  # TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS, read again at install
_verified = False


def current_scale() -> float:
    """Wall seconds per ladder second (1.0 until a scale is set)."""
    return _scale


def set_scale(scale: float) -> None:
    """Wall seconds per ladder second for the waits that start from now on."""
    global _scale
    _scale = float(scale)


def set_ladder_clock(observer: LadderTime | None) -> None:
    """Run every execution's ladder-time waits on ``observer`` (a ladder clock) and count
    each execution as active on it while it runs; ``None``: waits are scaled wall time."""
    global _observer
    with patching.LOCK:
        if observer is not None:
            verify()
            key = (_M_WORKER, "ExecutionWorker.start")
            if not patching.is_replaced(key):
                patching.replace(key, patching.module(_M_WORKER).ExecutionWorker, "start",
                                 _counted_start)
        _observer = observer


def reset() -> None:
    """Scale 1.0 and no ladder clock (the patches themselves are put back by the caller)."""
    global _scale, _observer
    _scale = 1.0
    _observer = None


def install() -> None:
    """Replace moto's timeouts, Wait state and Retry backoff with ladder time."""
    global _no_timeout_seconds
    _no_timeout_seconds = original(_M_TIMEOUT, "TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS")
    module, replace = patching.module, patching.replace
    replace((_M_TIMEOUT, "Timeout._eval_body"), module(_M_TIMEOUT).Timeout, "_eval_body",
            _scaled_timeout_eval_body)
    replace((_M_HEARTBEAT, "Heartbeat._eval_body"), module(_M_HEARTBEAT).Heartbeat,
            "_eval_body", _scaled_heartbeat_eval_body)
    replace((_M_CALLBACK, "StateTaskServiceCallback._wait_for_task_token_timeout"),
            module(_M_CALLBACK).StateTaskServiceCallback, "_wait_for_task_token_timeout",
            _observed_callback_wait)
    replace((_M_EXEC_STATE, "ExecutionState._evaluate_with_timeout"),
            module(_M_EXEC_STATE).ExecutionState, "_evaluate_with_timeout",
            _marking_evaluate_with_timeout)
    replace((_M_WAIT, "WaitFunction._wait_interval"), module(_M_WAIT).WaitFunction,
            "_wait_interval", _scaled_wait_interval)
    replace((_M_RETRIER, "time"), module(_M_RETRIER), "time", _ScaledTime())


def verify() -> None:
    """Raise :class:`~local.moto.patching.MotoMoved` naming every moto internal the timing
    patches rely on that is no longer there as expected."""
    global _verified
    _verified = _verified or patching.check_moto(__name__, _checks)


def _checks() -> Iterator[Check]:
    yield (f"{_M_TIMEOUT}.Timeout._eval_body(self, env)",
           lambda: params(_M_TIMEOUT, "Timeout._eval_body") == ["self", "env"]
           and "env.stack.append" in source(_M_TIMEOUT, "Timeout._eval_body"))
    yield (f"{_M_TIMEOUT}.Timeout._eval_seconds",
           lambda: callable(original(_M_TIMEOUT, "Timeout._eval_seconds")))
    yield (f"{_M_TIMEOUT}.TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS",
           lambda: isinstance(original(_M_TIMEOUT, "TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS"),
                              int))
    yield (f"{_M_HEARTBEAT}.Heartbeat._eval_body(self, env)",
           lambda: params(_M_HEARTBEAT, "Heartbeat._eval_body") == ["self", "env"]
           and callable(original(_M_HEARTBEAT, "Heartbeat._eval_seconds")))
    yield (f"{_M_EXEC_STATE}.ExecutionState._evaluate_with_timeout(self, env) using "
           "self.timeout",
           lambda: params(_M_EXEC_STATE, "ExecutionState._evaluate_with_timeout")
           == ["self", "env"]
           and "self.timeout.eval" in source(_M_EXEC_STATE,
                                             "ExecutionState._evaluate_with_timeout"))
    yield (f"{_M_RESOURCE}.ResourceCondition.WaitForTaskToken",
           lambda: bool(original(_M_RESOURCE, "ResourceCondition.WaitForTaskToken")))
    yield (f"{_M_ACTIVITY}.StateTaskActivity",
           lambda: isinstance(original(_M_ACTIVITY, "StateTaskActivity"), type))
    yield (f"{_M_CALLBACK}.StateTaskServiceCallback._wait_for_task_token_timeout"
           "(self, timeout_seconds, callback_endpoint) using callback_endpoint.wait(timeout=...)",
           lambda: params(_M_CALLBACK, "StateTaskServiceCallback._wait_for_task_token_timeout")
           == ["self", "timeout_seconds", "callback_endpoint"]
           and "callback_endpoint.wait(" in source(
               _M_CALLBACK, "StateTaskServiceCallback._wait_for_task_token_timeout"))
    yield (f"{_M_CALLBACK_ENDPOINT}.CallbackEndpoint._notify_event / wait(timeout) -> outcome",
           lambda: "self._notify_event = Event()" in source(
               _M_CALLBACK_ENDPOINT, "CallbackEndpoint.__init__")
           and "return self._outcome" in source(_M_CALLBACK_ENDPOINT, "CallbackEndpoint.wait"))
    yield (f"{_M_WORKER}.ExecutionWorker.start(self) runs self._execution_logic on a Thread",
           lambda: params(_M_WORKER, "ExecutionWorker.start") == ["self"]
           and "Thread(target=self._execution_logic" in source(_M_WORKER,
                                                               "ExecutionWorker.start")
           and "TMP_THREADS" in vars(patching.module(_M_WORKER)))
    yield (f"{_M_WAIT}.WaitFunction._wait_interval(self, env, wait_seconds)",
           lambda: params(_M_WAIT, "WaitFunction._wait_interval")
           == ["self", "env", "wait_seconds"])
    yield (f"{_M_ENVIRONMENT}.Environment.is_running / .program_state_event",
           lambda: callable(original(_M_ENVIRONMENT, "Environment.is_running"))
           and "program_state_event" in source(_M_ENVIRONMENT, "Environment.__init__"))
    yield (f"{_M_RETRIER}.time (RetrierDecl._eval_body sleeps via time.sleep)",
           lambda: getattr(original(_M_RETRIER, "time"), "__name__", "") == "time"
           and "time.sleep(" in source(_M_RETRIER, "RetrierDecl._eval_body"))


# ----------------------------------------------------------------------------- the patches


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
    if isinstance(state, original(_M_ACTIVITY, "StateTaskActivity")):
        return True
    resource = getattr(state, "resource", None)
    return getattr(resource, "condition", None) is not None  # waitForTaskToken, sync, sync:2


def _marking_evaluate_with_timeout(self: Any, env: Any) -> Any:
    ladder_time = _waits_for_signal(self)
    for component in (getattr(self, "timeout", None), getattr(self, "heartbeat", None)):
        if component is not None:
            setattr(component, _LADDER_TIME_ATTR, ladder_time)
    return original(_M_EXEC_STATE, "ExecutionState._evaluate_with_timeout")(self, env)


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
        original(_M_WORKER, "ExecutionWorker.start")(self)
        return
    logic = self._execution_logic

    def run() -> None:
        try:
            logic()
        finally:
            observer.active(False)

    observer.active(True)  # before the thread starts: no instant where it counts as idle
    worker = patching.module(_M_WORKER)
    thread = worker.Thread(target=run, daemon=True)
    worker.TMP_THREADS.append(thread)
    try:
        thread.start()
    except BaseException:
        observer.active(False)
        raise
