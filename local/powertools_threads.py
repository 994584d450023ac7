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

The REST resolver keeps the request it answers in process-wide state too: ``resolve``
assigns ``BaseRouter.current_event`` and ``BaseRouter.lambda_context`` (class attributes),
and each app keeps ``context`` and ``processed_stack_frames`` on itself. Two API requests
answered at once by threads would read each other's event. :func:`isolated` also gives each
thread its own: ``ApiGatewayResolver`` gets data descriptors for ``current_event`` and
``lambda_context`` (found before ``BaseRouter``'s class attributes by every
``self.current_event`` and ``app.current_event``), filled per thread by thin wrappers of
``_to_proxy_event`` and ``resolve``; ``context`` and ``processed_stack_frames`` become per
thread like the metrics. So the local stack answers API requests concurrently, as Lambda
does with one container per concurrent request.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import inspect
import threading
from collections.abc import Iterator
from typing import Any

_PROVIDER = "aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch"
FIELDS = ("metric_set", "dimension_set", "metadata_set", "dimension_sets", "timestamp")
_RESOLVER = "aws_lambda_powertools.event_handler.api_gateway"
RESOLVER_FIELDS = ("context", "processed_stack_frames")

_lock = threading.Lock()
_installed = 0
_ABSENT = object()
_saved: dict[str, Any] = {}


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


class _RequestLocal:
    """A data descriptor for the request a resolver answers on this thread
    (``current_event``, ``lambda_context``); before any, BaseRouter's class attribute."""

    def __init__(self, name: str, local: threading.local) -> None:
        self.name = name
        self.local = local

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        if self.name in self.local.__dict__:
            return self.local.__dict__[self.name]
        base = importlib.import_module(_RESOLVER).BaseRouter
        return base.__dict__.get(self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        self.local.__dict__[self.name] = value


_request = threading.local()


def _resolver_patches() -> dict[str, Any]:
    """What ApiGatewayResolver gets while isolated (attribute name -> new value)."""
    cls = importlib.import_module(_RESOLVER).ApiGatewayResolver
    to_proxy_event = cls.__dict__["_to_proxy_event"]
    resolve = cls.__dict__["resolve"]

    def _to_proxy_event(self: Any, event: dict[str, Any]) -> Any:
        proxy = to_proxy_event(self, event)
        _request.current_event = proxy
        return proxy

    def resolve_(self: Any, event: Any, context: Any) -> Any:
        _request.lambda_context = context
        return resolve(self, event, context)

    resolve_.__doc__ = resolve.__doc__
    patches: dict[str, Any] = {"_to_proxy_event": _to_proxy_event, "resolve": resolve_,
                               "current_event": _RequestLocal("current_event", _request),
                               "lambda_context": _RequestLocal("lambda_context", _request)}
    patches.update({name: _PerThread(name) for name in RESOLVER_FIELDS})
    return patches


def verify() -> None:
    """Raise RuntimeError if Powertools no longer keeps its state in these attributes."""
    cls = importlib.import_module(_PROVIDER).AmazonCloudWatchEMFProvider
    source = inspect.getsource(cls.__init__)
    missing = [f for f in FIELDS if f"self.{f} " not in source and f"self.{f}:" not in source]
    if missing:
        raise RuntimeError(f"local.powertools_threads: {_PROVIDER}.AmazonCloudWatchEMFProvider"
                           f" no longer sets {missing} in __init__; update this module")
    module = importlib.import_module(_RESOLVER)
    resolver = module.ApiGatewayResolver
    problems = []
    resolve = inspect.getsource(resolver.__dict__.get("resolve", lambda: None))
    for needed in ("BaseRouter.current_event = self._to_proxy_event(",
                   "BaseRouter.lambda_context = context"):
        if needed not in resolve:
            problems.append(f"ApiGatewayResolver.resolve no longer does `{needed}`")
    init = inspect.getsource(resolver.__init__)
    problems += [f"ApiGatewayResolver.__init__ no longer sets self.{f}"
                 for f in RESOLVER_FIELDS if f"self.{f} " not in init and f"self.{f}:" not in init]
    for sub in (module.APIGatewayRestResolver, module.APIGatewayHttpResolver):
        problems += [f"{sub.__name__} overrides {name}" for name in ("_to_proxy_event", "resolve")
                     if name in sub.__dict__]
    if problems:
        raise RuntimeError(f"local.powertools_threads: {_RESOLVER}: " + "; ".join(problems)
                           + "; update this module")



@contextlib.contextmanager
def isolated() -> Iterator[None]:
    """Per-thread Powertools metrics for the block (nested uses are counted)."""
    global _installed

    cls = importlib.import_module(_PROVIDER).AmazonCloudWatchEMFProvider
    resolver = importlib.import_module(_RESOLVER).ApiGatewayResolver
    with _lock:
        if _installed == 0:
            verify()
            for name in FIELDS:
                setattr(cls, name, _PerThread(name))
            for name, value in _resolver_patches().items():
                _saved[name] = resolver.__dict__.get(name, _ABSENT)
                setattr(resolver, name, value)
        _installed += 1
    try:
        yield
    finally:
        with _lock:
            _installed -= 1
            if _installed == 0:
                for name in FIELDS:
                    delattr(cls, name)
                for name, value in _saved.items():
                    if value is _ABSENT:
                        delattr(resolver, name)
                    else:
                        setattr(resolver, name, value)
                _saved.clear()
