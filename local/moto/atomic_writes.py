"""Atomic where AWS is atomic: moto's DynamoDB writes and StartExecution, serialised.

- moto 5.2.5 evaluates a DynamoDB ConditionExpression and then writes, with no lock: two
  threads can both pass ``status IN (...)`` and both "win". DynamoDB serialises writes to an
  item; one lock around moto's backend writes restores that, so concurrency tests test our
  conditions.
- moto serialises an item for its answer (``item.to_json()``) after the backend call, and
  its reads walk items with no lock either, while another thread's write mutates the same
  item: "dictionary changed size during iteration". A whole DynamoDB request is one step on
  AWS; the same lock around moto's request handler (``DynamoHandler.call_action``) makes it
  one here.
- StartExecution is idempotent per name and input on AWS (a second call returns the running
  execution); moto checks the name and then creates, unlocked, so two concurrent calls could
  start two ladders under one name.

:func:`install` is part of ``local.moto.apply()``; :func:`atomic_dynamodb_writes` installs
only this patch, for tests that use moto without the local stack. :func:`verify` checks the
methods wrapped.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

from local.moto import patching
from local.moto.patching import Check, original, params, source

_M_DYNAMODB = "moto.dynamodb.models"
_M_DYNAMODB_RESPONSES = "moto.dynamodb.responses"
_M_SFN_BACKEND = "moto.stepfunctions.parser.models"
_DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")
_WRAPPED = (
    *((_M_DYNAMODB, f"DynamoDBBackend.{name}") for name in _DYNAMODB_WRITES),
    (_M_DYNAMODB_RESPONSES, "DynamoHandler.call_action"),
    (_M_SFN_BACKEND, "StepFunctionsParserBackend.start_execution"),
)

_write_lock = threading.RLock()
_verified = False


def install() -> None:
    """Wrap each of moto's writes (and StartExecution) in one lock."""
    for module_name, path in _WRAPPED:
        class_name, method = path.split(".")
        owner = getattr(patching.module(module_name), class_name)
        patching.replace((module_name, path), owner, method,
                         _locked(original(module_name, path)))


@contextlib.contextmanager
def atomic_dynamodb_writes() -> Iterator[None]:
    """Only the atomic-writes patch, for tests that use moto without the local stack."""
    with patching.LOCK:
        installed = patching.is_replaced(_WRAPPED[0])
        if not installed:
            install()
    try:
        yield
    finally:
        if not installed:
            with patching.LOCK:
                for key in _WRAPPED:
                    patching.put_back(key)


def verify() -> None:
    """Raise :class:`~local.moto.patching.MotoMoved` if a wrapped moto method moved."""
    global _verified
    _verified = _verified or patching.check_moto(__name__, _checks)


def _checks() -> Iterator[Check]:
    yield (f"{_M_SFN_BACKEND}.StepFunctionsParserBackend.start_execution (name idempotency)",
           lambda: "_handle_name_input_idempotency" in source(
               _M_SFN_BACKEND, "StepFunctionsParserBackend.start_execution"))
    for name in _DYNAMODB_WRITES:
        yield (f"{_M_DYNAMODB}.DynamoDBBackend.{name}",
               lambda name=name: callable(original(_M_DYNAMODB, f"DynamoDBBackend.{name}")))
    yield (f"{_M_DYNAMODB_RESPONSES}.DynamoHandler.call_action(self)",
           lambda: params(_M_DYNAMODB_RESPONSES, "DynamoHandler.call_action") == ["self"])


def _locked(method: Callable[..., Any]) -> Callable[..., Any]:
    def write(*args: Any, **kwargs: Any) -> Any:
        with _write_lock:
            return method(*args, **kwargs)

    write.__name__ = getattr(method, "__name__", "write")
    return write
