"""Powertools metrics per thread on the local stack, as they are per container on Lambda.

Powertools keeps an invocation's metrics (``metric_set``, ``dimension_set``,
``metadata_set``, ``dimension_sets``, ``timestamp`` of its EMF provider) in state that every
``Metrics()`` of a process shares; ``@metrics.log_metrics`` serialises it and clears it when
the handler returns. On Lambda a process runs one invocation at a time, so that is right.
The local stack runs many invocations at once as threads of one process: one handler's
flush iterated the dict while another thread added to it ("RuntimeError: dictionary changed
size during iteration", seen in page_rung under the soak), emitted the other invocation's
metrics and cleared them before that handler flushed its own.

:func:`isolated` makes those attributes per thread (a thread runs one invocation at a time,
as a container does); what Powertools shares between instances stays shared within a
thread. :func:`verify` fails loudly, naming the attribute, if Powertools moved them.

(The REST resolver keeps the request it answers in process-wide state too,
``BaseRouter.current_event`` and each app's ``context``: the local stack answers one API
request at a time, see ``LocalStack.api``.)
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator
from typing import Any

_PROVIDER = "aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch"
FIELDS = ("metric_set", "dimension_set", "metadata_set", "dimension_sets", "timestamp")

_lock = threading.Lock()
_installed = 0


class _PerThread:
    """A data descriptor: each thread sees its own copy of the value first assigned.

    Instances whose first value is the same object (Powertools' shared dicts) share one
    copy per thread, as they share the object in a process."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.local = threading.local()

    def _key(self, obj: Any, template: Any) -> int:
        return id(template) if isinstance(template, dict | list) else id(obj)

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        template = obj.__dict__.get(self.name)  # the value first assigned (shared)
        values: dict[int, Any] = self.local.__dict__.setdefault("values", {})
        key = self._key(obj, template)
        if key not in values:
            values[key] = copy.copy(template)
        return values[key]

    def __set__(self, obj: Any, value: Any) -> None:
        # The first value stays in the instance, where Powertools finds it once restored.
        template = obj.__dict__.setdefault(self.name, value)
        self.local.__dict__.setdefault("values", {})[self._key(obj, template)] = value


def verify() -> None:
    """Raise RuntimeError if the provider no longer keeps its state in these attributes."""
    import importlib
    import inspect

    cls = importlib.import_module(_PROVIDER).AmazonCloudWatchEMFProvider
    source = inspect.getsource(cls.__init__)
    missing = [f for f in FIELDS if f"self.{f} " not in source and f"self.{f}:" not in source]
    if missing:
        raise RuntimeError(f"local.powertools_threads: {_PROVIDER}.AmazonCloudWatchEMFProvider"
                           f" no longer sets {missing} in __init__; update this module")



@contextlib.contextmanager
def isolated() -> Iterator[None]:
    """Per-thread Powertools metrics for the block (nested uses are counted)."""
    global _installed
    import importlib

    cls = importlib.import_module(_PROVIDER).AmazonCloudWatchEMFProvider
    with _lock:
        if _installed == 0:
            verify()
            for name in FIELDS:
                setattr(cls, name, _PerThread(name))
        _installed += 1
    try:
        yield
    finally:
        with _lock:
            _installed -= 1
            if _installed == 0:
                for name in FIELDS:
                    delattr(cls, name)
